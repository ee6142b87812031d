package ghactions

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/testreport"
	"github.com/golden-path/golden-path/pipeline/vuln"
)

// MaxErrorAnnotations is how many error annotations GitHub shows of one
// step; the others stay in the step's log.
const MaxErrorAnnotations = 10

// tracebackLines caps the traceback lines a test annotation quotes.
const tracebackLines = 20

// level is an annotation's level.
type level int

const (
	levelError level = iota
	levelNotice
)

// annotation is one workflow command that annotates the code.
type annotation struct {
	level level
	// file is relative to the repository's root; empty for an annotation
	// of the run rather than of a file.
	file      string
	line, col int
	title     string
	message   string
}

// issue writes a through go-githubactions, which escapes the message and
// the properties.
func (a annotation) issue(action *githubactions.Action) {
	fields := map[string]string{}
	if a.file != "" {
		fields["file"] = a.file
		if a.line > 0 {
			fields["line"] = strconv.Itoa(a.line)
			if a.col > 0 {
				fields["col"] = strconv.Itoa(a.col)
			}
		}
	}
	if a.title != "" {
		fields["title"] = a.title
	}
	act := action.WithFieldsMap(fields)
	switch a.level {
	case levelNotice:
		act.Noticef("%s", a.message)
	default:
		act.Errorf("%s", a.message)
	}
}

// annotations are the annotations of r, in the order they are written:
// failed stages without item detail, then failing tests, lint findings and
// blocking vulnerabilities taken in turn, then the notices.
func (r Report) annotations(o *options) []annotation {
	var out []annotation
	for _, p := range r.undetailed() {
		title := "Ship failed"
		if p.Stage != "" {
			title = "Stage " + p.Stage + " failed"
		}
		a := annotation{level: levelError, title: title, message: p.Message}
		if file, ok := o.inRepo(p.File); ok {
			a.file, a.line = file, p.Line
		}
		out = append(out, a)
	}
	out = append(out, interleave(r.testAnnotations(o), r.lintAnnotations(o), r.vulnAnnotations(o))...)

	if n := len(out); n > MaxErrorAnnotations {
		out = append(out, annotation{level: levelNotice, title: "More problems than GitHub annotates",
			message: fmt.Sprintf("%d errors: GitHub annotates the first %d of a step. Every one is in this step's log, "+
				"and the reports (junit.xml, lint.txt, scan.sarif) have them all.", n, MaxErrorAnnotations)})
	}
	if r.Ok && r.Summary.Image != "" {
		out = append(out, r.shippedNotice())
	}
	return out
}

// interleave takes one item of each list in turn, so that the first few
// cover every list.
func interleave(lists ...[]annotation) []annotation {
	var out []annotation
	for i := 0; ; i++ {
		added := false
		for _, l := range lists {
			if i < len(l) {
				out = append(out, l[i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

func (r Report) testAnnotations(o *options) []annotation {
	if r.Summary.Tests == nil {
		return nil
	}
	var out []annotation
	for _, c := range r.Summary.Tests.Failures() {
		a := annotation{level: levelError, title: "Test failed: " + c.ID}
		if c.Status == testreport.StatusError {
			a.title = "Test error: " + c.ID
		}
		if f, ok := o.inRepo(c.File); ok {
			a.file, a.line = f, failureLine(c)
		}
		msg := c.Message
		if msg == "" {
			msg = string(c.Status)
		}
		if c.Output != "" {
			msg += "\n\n" + pipeline.LastLines(c.Output, tracebackLines)
		}
		a.message = msg
		out = append(out, a)
	}
	return out
}

// tracebackLocation matches a pytest traceback line "path/to/file.py:24: …"
// or "path/to/file.py:24".
var tracebackLocation = regexp.MustCompile(`^\s*(\S+?\.py):(\d+)(?::|$)`)

// failureLine is where a failing test failed: the last line of its
// traceback in its own file (the failing assertion), else the line of the
// test function.
func failureLine(c testreport.Case) int {
	line := c.Line
	for _, l := range strings.Split(c.Output, "\n") {
		m := tracebackLocation.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if f := m[1]; f == c.File || strings.HasSuffix(f, "/"+c.File) {
			if n, err := strconv.Atoi(m[2]); err == nil && n > 0 {
				line = n
			}
		}
	}
	return line
}

func (r Report) lintAnnotations(o *options) []annotation {
	if r.Summary.Lint == nil {
		return nil
	}
	tool := r.Summary.Lint.Tool
	if tool == "" {
		tool = "lint"
	}
	var out []annotation
	for _, f := range r.Summary.Lint.Findings {
		a := annotation{level: levelError, title: tool + " " + f.Code, message: f.Message}
		if file, ok := o.inRepo(f.File); ok {
			a.file, a.line, a.col = file, f.Line, f.Column
		} else {
			a.message = f.String()
		}
		out = append(out, a)
	}
	return out
}

func (r Report) vulnAnnotations(o *options) []annotation {
	if r.Scan == nil {
		return nil
	}
	ignoreFile := r.Scan.IgnoreFile
	if _, ok := o.inRepo(ignoreFile); !ok {
		ignoreFile = vuln.IgnoreFileName
	}
	ignorePath, _ := o.inRepo(ignoreFile)
	dockerfile, _ := o.inRepo(r.dockerfile())
	fromLine := max(r.BaseImageLine, 1)

	var out []annotation
	for _, v := range r.Scan.Blocking {
		a := annotation{
			level: levelError,
			file:  dockerfile, line: fromLine,
			title:   fmt.Sprintf("%s %s in %s", v.Severity, v.ID, v.Package),
			message: vulnMessage(v, ignorePath),
		}
		if entry, ok := expiredEntry(r.Scan, v); ok {
			a.file = ignorePath
			a.line = entry.Line
			a.title = fmt.Sprintf("%s %s in %s: ignore entry expired", v.Severity, v.ID, v.Package)
			a.message = fmt.Sprintf("The entry for %s expired on %s, so it no longer suppresses this finding: "+
				"renew it with a new statement and expired_at date, or fix the package.\n\n%s",
				v.ID, entry.ExpiresAt.Format("2006-01-02"), a.message)
		}
		out = append(out, a)
	}
	return out
}

// vulnMessage says what the finding is and how to unblock.
func vulnMessage(v vuln.Vulnerability, ignorePath string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s has %s (%s)", v.Package, v.Installed, v.ID, v.Severity)
	if title := strings.TrimSpace(v.Title); title != "" {
		fmt.Fprintf(&b, ": %s", title)
	}
	b.WriteString(".")
	if where := v.Path; where != "" {
		fmt.Fprintf(&b, " Found in %s.", where)
	} else if v.Target != "" {
		fmt.Fprintf(&b, " Found in %s.", v.Target)
	}
	if v.Fixed != "" {
		fmt.Fprintf(&b, "\nFixed in %s: rebuild on an updated base image, or upgrade the package.", v.Fixed)
	} else {
		b.WriteString("\nNo fixed version yet: use another base image or package, or remove the package.")
	}
	fmt.Fprintf(&b, "\nIf it cannot affect the service, accept it in %s with a statement saying why and an expired_at date.",
		ignorePath)
	if v.URL != "" {
		fmt.Fprintf(&b, "\n%s", v.URL)
	}
	return b.String()
}

// expiredEntry returns the expired ignore entry that made v block again.
func expiredEntry(g *vuln.GateResult, v vuln.Vulnerability) (vuln.IgnoreEntry, bool) {
	for _, f := range g.Expired {
		if f.Vulnerability == v {
			return f.Entry, f.Entry.Line > 0
		}
	}
	return vuln.IgnoreEntry{}, false
}

// shippedNotice tells where the service runs.
func (r Report) shippedNotice() annotation {
	service := r.Summary.Service
	if service == "" {
		service = "the service"
	}
	msg := fmt.Sprintf("Published %s.", r.Summary.Image)
	title := "Published " + service
	if r.Summary.SmokeURL != "" {
		title = "Deployed " + service
		msg += fmt.Sprintf("\nDeployed and smoke-tested at %s.", r.Summary.SmokeURL)
	}
	if r.Summary.Dashboard != "" {
		msg += fmt.Sprintf("\nDashboard: %s", r.Summary.Dashboard)
	}
	return annotation{level: levelNotice, title: title, message: msg}
}
