package lint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golden-path/golden-path/pipeline/internal/reporttest"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// dumpLintReport renders the findings, the gate and the markdown of a lint
// report, for golden files.
func dumpLintReport(r *Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "file=%q line=%d column=%d code=%q message=%q\n", f.File, f.Line, f.Column, f.Code, f.Message)
	}
	reporttest.WriteGate(&b, r)
	return b.String()
}

// TestParseFlake8 parses each testdata/flake8/<name>.txt and compares the
// findings, the gate and the markdown with testdata/flake8/<name>.golden.
func TestParseFlake8(t *testing.T) {
	for _, tc := range []struct {
		name     string
		findings int
	}{
		{name: "findings", findings: 6},
		{name: "clean", findings: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "flake8", tc.name+".txt"))
			assert.NilError(t, err)
			findings, err := ParseFlake8(string(data))
			assert.NilError(t, err)
			assert.Equal(t, len(findings), tc.findings)

			r := &Report{Tool: "flake8", Findings: findings}
			if tc.findings > 0 {
				var ge *GateError
				assert.Assert(t, errors.As(r.Err(), &ge), "Err() = %v", r.Err())
				assert.Equal(t, len(ge.Findings), tc.findings)
			} else {
				assert.NilError(t, r.Err())
			}
			golden.Assert(t, dumpLintReport(r), filepath.Join("flake8", tc.name+".golden"))
		})
	}
}

func TestParseFlake8Fields(t *testing.T) {
	findings, err := ParseFlake8("./app/main.py:12:80: E501 line too long (97 > 79 characters)\r\n\r\n" +
		`C:\src\app.py:3:1: F401 'os' imported but unused` + "\n")
	assert.NilError(t, err)
	assert.DeepEqual(t, findings, []Finding{
		{File: "app/main.py", Line: 12, Column: 80, Code: "E501", Message: "line too long (97 > 79 characters)"},
		{File: `C:\src\app.py`, Line: 3, Column: 1, Code: "F401", Message: "'os' imported but unused"},
	})
	assert.Equal(t, findings[0].String(), "app/main.py:12:80: E501 line too long (97 > 79 characters)", "flake8 . names files ./app/main.py: the same path")
}

func TestParseFlake8Unreadable(t *testing.T) {
	for _, tc := range []struct {
		name string
		line int
	}{
		{name: "crash", line: 1},
		{name: "custom-format", line: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "flake8", tc.name+".txt"))
			assert.NilError(t, err)
			findings, err := ParseFlake8(string(data))
			assert.Assert(t, findings == nil)
			var oe *OutputError
			assert.Assert(t, errors.As(err, &oe), "error is %T: %v", err, err)
			assert.Equal(t, oe.Line, tc.line)
			golden.Assert(t, err.Error()+"\n", filepath.Join("flake8", tc.name+".golden"))
		})
	}
}

func TestLintGateErrorMessage(t *testing.T) {
	r := &Report{Tool: "flake8", Findings: []Finding{
		{File: "app/main.py", Line: 1, Column: 1, Code: "F401", Message: "'os' imported but unused"},
		{File: "app/main.py", Line: 9, Column: 80, Code: "E501", Message: "line too long (97 > 79 characters)"},
	}}
	assert.Error(t, r.Err(), "flake8 found 2 problems; fix them (run flake8 locally to check):\n"+
		"  app/main.py:1:1: F401 'os' imported but unused\n"+
		"  app/main.py:9:80: E501 line too long (97 > 79 characters)")
	assert.NilError(t, (&Report{Tool: "flake8"}).Err())
}

func TestLintMarkdownCapsFindings(t *testing.T) {
	r := &Report{Tool: "flake8"}
	for i := 1; i <= maxListedFindings+5; i++ {
		r.Findings = append(r.Findings, Finding{File: "a.py", Line: i, Column: 1, Code: "E1", Message: "m"})
	}
	md := r.Markdown()
	assert.Assert(t, is.Contains(md, fmt.Sprintf("a.py:%d:1", maxListedFindings)))
	assert.Assert(t, !strings.Contains(md, fmt.Sprintf("a.py:%d:1", maxListedFindings+1)))
	assert.Assert(t, is.Contains(md, "…and 5 more."))
}

// flake8 --benchmark's report, as flake8 5 prints it after the findings.
const benchmarked = `./a.py:1:1: F401 'os' imported but unused
0.0213     seconds elapsed
1          total logical lines processed
46         logical lines processed per second
1          total physical lines processed
46         physical lines processed per second
3          total tokens processed
140        tokens processed per second
1          total files processed
46         files processed per second
`

func TestSplitBenchmark(t *testing.T) {
	rest, files, ok := SplitBenchmark(benchmarked)
	assert.Check(t, ok)
	assert.Check(t, is.Equal(files, 1))
	findings, err := ParseFlake8(rest)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(findings, []Finding{{File: "a.py", Line: 1, Column: 1, Code: "F401", Message: "'os' imported but unused"}}))

	_, files, ok = SplitBenchmark(strings.ReplaceAll(benchmarked, "1          total files processed", "0          total files processed"))
	assert.Check(t, ok && files == 0)

	rest, _, ok = SplitBenchmark("src/main.py:3:1: E402 module level import not at top of file\n")
	assert.Check(t, !ok, "no report: files unknown")
	assert.Check(t, is.Equal(rest, "src/main.py:3:1: E402 module level import not at top of file\n"))
}

func TestPinFlake8(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"flake8 .", "flake8 --format=default --no-show-source --benchmark ."},
		{"flake8 --format=pylint --show-source src tests", "flake8 --format=default --no-show-source --benchmark src tests"},
		{"python3 -m flake8 --format pylint --max-line-length 100 src", "python3 -m flake8 --format=default --no-show-source --benchmark --max-line-length 100 src"},
		{"/usr/local/bin/flake8 --benchmark .", "/usr/local/bin/flake8 --format=default --no-show-source --benchmark ."},
		{"ruff check .", "ruff check ."},
	} {
		assert.Check(t, is.Equal(strings.Join(PinFlake8(strings.Fields(tc.in)), " "), tc.want), tc.in)
	}
}
