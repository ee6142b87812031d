package vuln

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// maxListedVulns caps the rows of each table Markdown renders.
const maxListedVulns = 100

// Markdown renders the gate's decision as a short markdown section: a
// headline, the counts by severity, then tables of the blocking findings,
// the ignored ones with their reason and expiry, and those whose ignore
// entry has expired.
func (g *GateResult) Markdown() string {
	return g.markdown(maxListedVulns)
}

func (g *GateResult) markdown(maxListed int) string {
	var b strings.Builder
	b.WriteString("### Vulnerabilities\n\n")
	b.WriteString(g.headline())
	b.WriteString("\n")
	if g.noReport {
		return b.String()
	}

	b.WriteString("\n| Critical | High | Medium | Low | Unknown | Total |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: |\n")
	total := 0
	for _, s := range Severities() {
		fmt.Fprintf(&b, "| %d ", g.Counts[s])
		total += g.Counts[s]
	}
	fmt.Fprintf(&b, "| %d |\n", total)

	if len(g.Blocking) > 0 {
		fmt.Fprintf(&b, "\n**Blocking** (%s and above)\n\n", g.Threshold)
		b.WriteString("| Vulnerability | Severity | Package | Installed | Fixed in |\n")
		b.WriteString("| --- | --- | --- | --- | --- |\n")
		for i, v := range g.Blocking {
			if i == maxListed {
				fmt.Fprintf(&b, "\n…and %d more.\n", len(g.Blocking)-maxListed)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
				markdown.Cell(mdVulnID(v)), v.Severity, markdown.Cell(markdown.Code(v.Package)),
				markdown.Cell(markdown.Code(v.Installed)), markdown.Cell(mdFixed(v)))
		}
	}
	if len(g.Ignored) > 0 {
		fmt.Fprintf(&b, "\n**Ignored** (listed in %s)\n\n", markdown.Code(g.IgnoreFile))
		b.WriteString("| Vulnerability | Severity | Package | Installed | Reason | Expires on |\n")
		b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
		for i, f := range g.Ignored {
			if i == maxListed {
				fmt.Fprintf(&b, "\n…and %d more.\n", len(g.Ignored)-maxListed)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
				markdown.Cell(mdVulnID(f.Vulnerability)), f.Severity, markdown.Cell(markdown.Code(f.Package)),
				markdown.Cell(markdown.Code(f.Installed)),
				markdown.Cell(markdown.Text(markdown.Truncate(f.Entry.Statement, markdown.MaxMessageLength))), f.Entry.expiry())
		}
	}
	if len(g.Expired) > 0 {
		b.WriteString("\n**Expired ignores**: these entries no longer suppress their findings, which block again. " +
			"Renew each with a new reason, or fix the package.\n\n")
		b.WriteString("| Vulnerability | Package | Expired on | Reason | Entry |\n")
		b.WriteString("| --- | --- | --- | --- | --- |\n")
		for i, f := range g.Expired {
			if i == maxListed {
				fmt.Fprintf(&b, "\n…and %d more.\n", len(g.Expired)-maxListed)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
				markdown.Cell(mdVulnID(f.Vulnerability)), markdown.Cell(markdown.Code(f.Package)), f.Entry.expiry(),
				markdown.Cell(markdown.Text(markdown.Truncate(f.Entry.Statement, markdown.MaxMessageLength))),
				markdown.Cell(markdown.Code(fmt.Sprintf("%s:%d", g.IgnoreFile, f.Entry.Line))))
		}
	}
	return b.String()
}

// headline is the one-line verdict of the gate.
func (g *GateResult) headline() string {
	if g.noReport {
		return "❌ No scan report: the image cannot be counted as scanned."
	}
	in := ""
	if g.Artifact != "" {
		in = " in " + markdown.Code(g.Artifact)
	}
	var notes []string
	if n := len(g.Ignored); n > 0 {
		notes = append(notes, fmt.Sprintf("%d ignored", n))
	}
	if n := len(g.Expired); n > 0 {
		notes = append(notes, fmt.Sprintf("%s expired", markdown.Plural(n, "ignore", "ignores")))
	}
	suffix := "."
	if len(notes) > 0 {
		suffix = " (" + strings.Join(notes, ", ") + ")."
	}
	if len(g.Blocking) == 0 {
		return fmt.Sprintf("✅ No vulnerability at or above %s%s%s", g.Threshold, in, suffix)
	}
	verb := "block"
	if len(g.Blocking) == 1 {
		verb = "blocks"
	}
	return fmt.Sprintf("❌ %s at or above %s%s %s the release%s",
		markdown.Plural(len(g.Blocking), "vulnerability", "vulnerabilities"), g.Threshold, in, verb, suffix)
}

// safeURL matches the advisory links worth rendering: plain http(s) URLs
// without characters that would end a markdown link early.
var safeURL = regexp.MustCompile(`^https?://[^\s()<>\[\]|\x60"]+$`)

// mdVulnID renders the finding's ID, linked to its advisory when it has a
// safe URL.
func mdVulnID(v Vulnerability) string {
	if safeURL.MatchString(v.URL) {
		return "[" + markdown.Text(v.ID) + "](" + v.URL + ")"
	}
	return markdown.Code(v.ID)
}

// mdFixed renders the fixed version, or says there is none yet.
func mdFixed(v Vulnerability) string {
	if v.Fixed == "" {
		return "no fix yet"
	}
	return markdown.Code(v.Fixed)
}
