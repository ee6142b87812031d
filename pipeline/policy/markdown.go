package policy

import (
	"fmt"
	"strings"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// maxListedViolations caps the rows of the violations table.
const maxListedViolations = 100

// Markdown renders the gate's decision as a short markdown section, like
// the pipeline's other gates: a headline, then a table of the violations
// and what each broken rule protects against.
func (r *Result) Markdown() string {
	var b strings.Builder
	b.WriteString("### Policy\n\n")
	blocking, warnings := r.Blocking(), r.Warnings()
	switch {
	case len(blocking) == 0 && len(warnings) == 0:
		fmt.Fprintf(&b, "✅ %s follow the %d golden-path rules (%s–%s).\n",
			markdown.Plural(len(r.Objects), "object", "objects"), len(Rules), Rules[0].ID, Rules[len(Rules)-1].ID)
		return b.String()
	case len(blocking) == 0:
		fmt.Fprintf(&b, "✅ %s may be deployed: nothing this environment enforces is broken.\n",
			markdown.Plural(len(r.Objects), "object", "objects"))
	default:
		verb := "block"
		if len(blocking) == 1 {
			verb = "blocks"
		}
		fmt.Fprintf(&b, "❌ %s of the golden-path rules (in %d of %s) %s the deploy.\n\n",
			markdown.Plural(len(blocking), "violation", "violations"), countObjects(blocking),
			markdown.Plural(len(r.Objects), "object", "objects"), verb)
		violationTable(&b, blocking)
	}
	if len(warnings) > 0 {
		fmt.Fprintf(&b, "\n⚠️ %s of rules this environment does not enforce yet (warn or dryrun): "+
			"they will block once the platform team enforces them here.\n\n",
			markdown.Plural(len(warnings), "violation", "violations"))
		violationTable(&b, warnings)
	}
	b.WriteString("\n**Why these rules**\n\n")
	for _, rule := range Rules {
		if broken(r.Violations, rule.ID) {
			fmt.Fprintf(&b, "- **%s %s**: %s.\n", rule.ID, mdText(rule.Title), mdText(rule.Why))
		}
	}
	return b.String()
}

// violationTable writes violations as a table, at most
// maxListedViolations rows.
func violationTable(b *strings.Builder, violations []Violation) {
	b.WriteString("| Rule | Object | Container | Field | Problem | Fix |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for i, v := range violations {
		if i == maxListedViolations {
			fmt.Fprintf(b, "\n…and %d more.\n", len(violations)-maxListedViolations)
			break
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", v.Rule,
			markdown.Cell(markdown.Code(v.Object.String())), markdown.Cell(markdown.Code(v.Container)),
			markdown.Cell(markdown.Code(v.Field)), markdown.Cell(mdText(v.Problem)), markdown.Cell(mdText(v.Fix)))
	}
}

func broken(violations []Violation, id string) bool {
	for _, v := range violations {
		if v.Rule == id {
			return true
		}
	}
	return false
}

// mdText escapes s as plain markdown text on one line (markdown.Cell
// escapes pipes), keeping `code` spans of the rule texts as code.
func mdText(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(markdown.OneLine(s), "`") {
		if i%2 == 1 {
			b.WriteString(markdown.Code(part))
			continue
		}
		for _, r := range part {
			if strings.ContainsRune("\\*_[]<>~&#", r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
