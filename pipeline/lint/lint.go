package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// Finding is one problem a linter found in the code.
type Finding struct {
	// File is the path of the file, as the linter printed it.
	File string
	// Line and Column locate the problem, 1-based.
	Line, Column int
	// Code is the linter's rule code, e.g. "F401" or "E501".
	Code string
	// Message says what is wrong, e.g. "'os' imported but unused".
	Message string
}

// String formats the finding as the linter does: "file:line:col: CODE message".
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s %s", f.File, f.Line, f.Column, f.Code, f.Message)
}

// OutputError is returned by ParseFlake8 for output that is not a list
// of findings, as when flake8 crashed or ran with a custom --format.
type OutputError struct {
	// Tool is the linter, e.g. "flake8".
	Tool string
	// Line is the 1-based line of the output that could not be read.
	Line int
	// Text is that line.
	Text string
}

// Error implements error.
func (e *OutputError) Error() string {
	return fmt.Sprintf("cannot read %s output: line %d is not a finding of the form \"path:row:col: CODE message\": %q; "+
		"%s may have crashed (look for a traceback in its output) or been run with a custom --format: run it with the default format",
		e.Tool, e.Line, markdown.Truncate(e.Text, markdown.MaxMessageLength), e.Tool)
}

// flake8Line is flake8's default format, "%(path)s:%(row)d:%(col)d: %(code)s %(text)s".
// The path may itself contain colons (C:\x.py), so it is matched lazily up to
// the first ":row:col: ".
var flake8Line = regexp.MustCompile(`^(.+?):(\d+):(\d+): ([A-Z]+[0-9]+) ?(.*)$`)

// ParseFlake8 reads flake8's output in its default format, one finding per
// line: "path:row:col: CODE message". Blank lines are ignored; any other
// line gives a *OutputError naming it.
func ParseFlake8(output string) ([]Finding, error) {
	var findings []Finding
	for i, line := range strings.Split(output, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := flake8Line.FindStringSubmatch(line)
		if m == nil {
			return nil, &OutputError{Tool: "flake8", Line: i + 1, Text: line}
		}
		row, err1 := strconv.Atoi(m[2])
		col, err2 := strconv.Atoi(m[3])
		if err1 != nil || err2 != nil {
			return nil, &OutputError{Tool: "flake8", Line: i + 1, Text: line}
		}
		// flake8 names the files of "." as ./src/main.py: the path is the same without "./".
		findings = append(findings, Finding{File: strings.TrimPrefix(m[1], "./"), Line: row, Column: col, Code: m[4], Message: m[5]})
	}
	return findings, nil
}

// Report is the result of one linter's run.
type Report struct {
	// Tool is the linter, e.g. "flake8".
	Tool string
	// Findings are the problems found, in the linter's order.
	Findings []Finding
}

// GateError is returned by Report.Err when the linter found
// problems.
type GateError struct {
	// Tool is the linter.
	Tool string
	// Findings are the problems found.
	Findings []Finding
}

// Error lists every finding, one per line.
func (e *GateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s found %s; fix them (run %s locally to check):",
		toolName(e.Tool), markdown.Plural(len(e.Findings), "problem", "problems"), toolName(e.Tool))
	for _, f := range e.Findings {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}

// Err is the lint gate: a *GateError listing the findings when there are
// any, nil otherwise.
func (r *Report) Err() error {
	if len(r.Findings) == 0 {
		return nil
	}
	return &GateError{Tool: r.Tool, Findings: r.Findings}
}

// maxListedFindings caps the findings Markdown lists.
const maxListedFindings = 100

// Markdown renders the report as a short markdown section: a headline and a
// table of the findings.
func (r *Report) Markdown() string {
	return r.MarkdownListing(maxListedFindings)
}

// MarkdownListing renders like Markdown, listing at most maxListed findings.
func (r *Report) MarkdownListing(maxListed int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Lint (%s)\n\n", markdown.Text(toolName(r.Tool)))
	if len(r.Findings) == 0 {
		b.WriteString("✅ No findings.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "❌ %s\n\n", markdown.Plural(len(r.Findings), "finding", "findings"))
	b.WriteString("| Location | Code | Message |\n")
	b.WriteString("| --- | --- | --- |\n")
	for i, f := range r.Findings {
		if i == maxListed {
			fmt.Fprintf(&b, "\n…and %d more.\n", len(r.Findings)-maxListed)
			break
		}
		loc := fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)
		fmt.Fprintf(&b, "| %s | %s | %s |\n",
			markdown.Cell(markdown.Code(loc)), markdown.Cell(markdown.Code(f.Code)),
			markdown.Cell(markdown.Code(markdown.Truncate(f.Message, markdown.MaxMessageLength))))
	}
	return b.String()
}

func toolName(tool string) string {
	if tool == "" {
		return "the linter"
	}
	return tool
}

// benchmarkLine is a line of flake8 --benchmark's report, e.g.
// "1          total files processed" or "0.0213     seconds elapsed".
var benchmarkLine = regexp.MustCompile(`^([0-9][0-9.e+-]*)\s+(seconds elapsed|total [a-z ]+ processed|[a-z ]+ per second)$`)

// SplitBenchmark takes flake8 --benchmark's report out of its output: it
// returns the rest (the findings, for ParseFlake8), and the number of files
// flake8 checked; ok is false when the output has no report (a command
// without --benchmark), and files is then unknown.
func SplitBenchmark(output string) (rest string, files int, ok bool) {
	var kept []string
	for _, line := range strings.Split(output, "\n") {
		m := benchmarkLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			kept = append(kept, line)
			continue
		}
		if m[2] == "total files processed" {
			if n, err := strconv.Atoi(m[1]); err == nil {
				files, ok = n, true
			}
		}
	}
	return strings.Join(kept, "\n"), files, ok
}

// Flake8Options are the options the pipeline runs flake8 with, whatever a
// team's configuration says: flake8's own output format, which ParseFlake8
// reads (a .flake8 with format=pylint or show-source would break it), and
// the benchmark report, which tells a run that checked no file.
var Flake8Options = []string{"--format=default", "--no-show-source", "--benchmark"}

// PinFlake8 returns command with Flake8Options after its flake8 word
// (flake8, a path ending in /flake8, or python3 -m flake8), dropping the
// team's own --format, --show-source and --benchmark; a command that does
// not run flake8 is returned as it is.
func PinFlake8(command []string) []string {
	at := slices.IndexFunc(command, func(a string) bool { return a == "flake8" || strings.HasSuffix(a, "/flake8") })
	if at < 0 {
		return command
	}
	out := slices.Clone(command[:at+1])
	out = append(out, Flake8Options...)
	rest := command[at+1:]
	for i := 0; i < len(rest); i++ {
		name, _, withValue := strings.Cut(rest[i], "=")
		switch name {
		case "--format":
			if !withValue {
				i++ // --format pylint
			}
		case "--show-source", "--no-show-source", "--benchmark":
		default:
			out = append(out, rest[i])
		}
	}
	return out
}
