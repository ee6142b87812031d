package ghactions

import (
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/lint"
)

// command is a workflow command read back as the runner reads it.
type command struct {
	name    string
	props   map[string]string
	message string
}

// parseCommands reads workflow commands, one per line, "::name k=v,k=v::message",
// and unescapes them as the runner does (actions/runner's ActionCommand):
// %0D, %0A and %25 in the message; also %3A and %2C in property values.
func parseCommands(t *testing.T, text string) []command {
	t.Helper()
	var out []command
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" {
			continue
		}
		rest, ok := strings.CutPrefix(line, "::")
		assert.Assert(t, ok, "not a workflow command: %q", line)
		head, msg, ok := strings.Cut(rest, "::")
		assert.Assert(t, ok, "no closing :: in %q", line)
		c := command{props: map[string]string{}, message: unescape(msg, false)}
		name, props, _ := strings.Cut(head, " ")
		c.name = name
		if props != "" {
			for _, kv := range strings.Split(props, ",") {
				k, v, ok := strings.Cut(kv, "=")
				assert.Assert(t, ok, "property without '=' in %q", line)
				c.props[k] = unescape(v, true)
			}
		}
		out = append(out, c)
	}
	return out
}

func unescape(s string, property bool) string {
	s = strings.ReplaceAll(s, "%0D", "\r")
	s = strings.ReplaceAll(s, "%0A", "\n")
	if property {
		s = strings.ReplaceAll(s, "%3A", ":")
		s = strings.ReplaceAll(s, "%2C", ",")
	}
	return strings.ReplaceAll(s, "%25", "%")
}

func countLevel(cmds []command, name string) int {
	n := 0
	for _, c := range cmds {
		if c.name == name {
			n++
		}
	}
	return n
}

func cmdByTitle(cmds []command, title string) command {
	for _, c := range cmds {
		if c.props["title"] == title {
			return c
		}
	}
	return command{}
}

// parseOutputs reads an outputs file as the runner reads $GITHUB_OUTPUT
// (actions/runner's FileCommandManager): "name=value" lines, or
// "name<<delimiter", the value's lines, and the delimiter alone on a line.
// It returns the names in order and the values.
func parseOutputs(t *testing.T, text string) ([]string, map[string]string) {
	t.Helper()
	var names []string
	values := map[string]string{}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		var name, value string
		if hd >= 0 && (eq < 0 || hd < eq) {
			name = line[:hd]
			delim := line[hd+2:]
			assert.Assert(t, delim != "", "empty delimiter on line %d", i+1)
			var valueLines []string
			for i++; ; i++ {
				assert.Assert(t, i < len(lines), "matching delimiter %q not found for %s", delim, name)
				if lines[i] == delim {
					break
				}
				valueLines = append(valueLines, lines[i])
			}
			value = strings.Join(valueLines, "\n")
		} else {
			assert.Assert(t, eq > 0, "line %d is neither name=value nor name<<delimiter: %q", i+1, line)
			name, value = line[:eq], line[eq+1:]
		}
		_, dup := values[name]
		assert.Assert(t, !dup, "output %s set twice", name)
		names = append(names, name)
		values[name] = value
	}
	return names, values
}

// TestAnnotationEscaping: the message and the properties of an annotation
// are escaped as the runner unescapes them: "%", line breaks, and in
// properties ":" and ",", so a finding cannot end its command early or
// start another.
func TestAnnotationEscaping(t *testing.T) {
	finding := lint.Finding{
		File: "src/we:ird,name.py", Line: 1, Column: 2, Code: "E999",
		Message: "50% of 'a,b': bad\r\n::error::injected\nlast",
	}
	r := Report{
		Summary:  pipeline.ShipSummary{Service: "hello-api", Stages: stages("lint"), Lint: lintReport(finding)},
		Problems: []pipeline.Problem{{Stage: "lint", Message: "flake8 found 1 problem"}},
	}
	files, err := Render(r, WithTempDir(t.TempDir()))
	assert.NilError(t, err)
	assert.Equal(t, string(files.Annotations),
		"::error col=2,file=src/we%3Aird%2Cname.py,line=1,title=flake8 E999::50%25 of 'a,b': bad%0D%0A::error::injected%0Alast\n")

	cmds := parseCommands(t, string(files.Annotations))
	assert.Equal(t, len(cmds), 1, "one finding, one command")
	assert.Equal(t, cmds[0].name, "error")
	assert.DeepEqual(t, cmds[0].props, map[string]string{"file": "src/we:ird,name.py", "line": "1", "col": "2", "title": "flake8 E999"})
	assert.Equal(t, cmds[0].message, finding.Message)
}

// TestOutputEscaping: outputs are written in the heredoc form, so values
// with line breaks, '=', '%' and "<<" survive; the problems output holds one
// line per problem.
func TestOutputEscaping(t *testing.T) {
	r := Report{
		Summary: pipeline.ShipSummary{Service: "hello-api", Stages: stages("build")[:2],
			Dashboard: "https://grafana.example.com/d/x?var-a=1&var-b=2"},
		Problems: []pipeline.Problem{
			{Stage: "build", Message: "50% done: RUN a=b << EOF failed\n  second line\n  third line"},
			{Message: "no stage prefix at all"},
		},
	}
	files, err := Render(r, WithTempDir(t.TempDir()))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(files.Outputs),
		"problems<<_GitHubActionsFileCommandDelimeter_\n"+
			"build: 50% done: RUN a=b << EOF failed\n"+
			"no stage prefix at all\n"+
			"_GitHubActionsFileCommandDelimeter_\n"))
	_, outs := parseOutputs(t, string(files.Outputs))
	assert.Equal(t, outs[OutputProblems], "build: 50% done: RUN a=b << EOF failed\nno stage prefix at all")
	assert.Equal(t, outs[OutputDashboardURL], "https://grafana.example.com/d/x?var-a=1&var-b=2")
	assert.Equal(t, outs[OutputOK], "false")
	assert.Equal(t, outs[OutputImage], "", "an empty value is written, and read back empty")
}

// TestOutputDelimiter: go-githubactions ends every value with a fixed
// delimiter. Text from the service's code (the problems) has it taken out;
// any other value holding it, or a carriage return, is refused.
func TestOutputDelimiter(t *testing.T) {
	inject := "x\n" + outputDelimiter + "\nimage<<EOF\nevil.example/app@sha256:0\nEOF"
	r := Report{
		Summary:  pipeline.ShipSummary{Service: "hello-api", Stages: stages("test")},
		Problems: []pipeline.Problem{{Stage: "test", Message: outputDelimiter + " then " + inject}},
	}
	files, err := Render(r, WithTempDir(t.TempDir()))
	assert.NilError(t, err)
	_, outs := parseOutputs(t, string(files.Outputs))
	assert.Equal(t, outs[OutputProblems], "test: (delimiter) then x")
	assert.Equal(t, outs[OutputImage], "")

	for _, tc := range []struct {
		name string
		r    Report
		msg  string
	}{
		{OutputSmokeURL, Report{Ok: true, Summary: pipeline.ShipSummary{SmokeURL: "https://x/" + outputDelimiter}},
			"the delimiter go-githubactions ends values with"},
		{OutputDashboardURL, Report{Ok: true, Summary: pipeline.ShipSummary{Dashboard: "https://x/\r"}}, "carriage return"},
	} {
		_, err := Render(tc.r, WithTempDir(t.TempDir()))
		var oe *OutputError
		assert.Assert(t, errors.As(err, &oe), "got %v", err)
		assert.Equal(t, oe.Name, tc.name)
		assert.Check(t, is.Contains(err.Error(), tc.msg))
	}
}

// TestOutputNames: every output name is kebab-case, and check refuses
// others.
func TestOutputNames(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range OutputNames {
		assert.Check(t, kebab.MatchString(n), n)
		assert.Check(t, !seen[n], "duplicate %s", n)
		seen[n] = true
	}
	for _, bad := range []string{"smoke_url", "SmokeURL", "-ok", "ok-", "a--b", ""} {
		var oe *OutputError
		assert.Check(t, errors.As(output{name: bad}.check(), &oe), bad)
	}
}

// TestSummaryEscaping: text from outside cannot break the summary's layout.
func TestSummaryEscaping(t *testing.T) {
	assert.Equal(t, codeBlock("plain"), "```text\nplain\n```")
	assert.Equal(t, codeBlock("has ``` inside\n````x"), "`````text\nhas ``` inside\n````x\n`````")

	r := Report{
		Summary:  pipeline.ShipSummary{Service: "hello-api", Stages: stages("build")[:2]},
		Problems: []pipeline.Problem{{Stage: "build", Message: "```\n# not a heading\n</details>"}},
	}
	files, err := Render(r, WithTempDir(t.TempDir()))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(files.Summary), "````text\n```\n# not a heading\n</details>\n````\n"))
}
