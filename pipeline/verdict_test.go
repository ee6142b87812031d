package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golden-path/golden-path/pipeline/lint"
	"github.com/golden-path/golden-path/pipeline/vuln"
	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// roundTrip encodes v and decodes it as the root module does.
func roundTrip[R any](t *testing.T, v Verdict[R]) Verdict[R] {
	t.Helper()
	data, err := v.JSON()
	assert.NilError(t, err)
	got, err := DecodeVerdict[R]("stage", data)
	assert.NilError(t, err)
	return got
}

// A gate's verdict crosses the module boundary whole: after a round trip the
// decision, the error, every list and the markdown are the ones the stage
// module computed, so the root has nothing to decide again.
func TestVerdictGateRoundTrip(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("vuln", "testdata", "trivy", "findings.json"))
	assert.NilError(t, err)
	scan, err := vuln.ParseTrivyJSON(data)
	assert.NilError(t, err)
	data, err = os.ReadFile(filepath.Join("vuln", "testdata", "ignore", "valid.yaml"))
	assert.NilError(t, err)
	ignores, err := vuln.ParseIgnoreFile(data, vuln.IgnoreFileName)
	assert.NilError(t, err)
	g := vuln.Evaluate(scan, vuln.SeverityHigh, ignores, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	assert.Assert(t, len(g.Blocking) > 0 && len(g.Ignored) > 0 && len(g.Expired) > 0, "the fixture covers every list")
	v := NewVerdict(g, g.Err())
	assert.Check(t, !v.Ok)

	got := roundTrip(t, v)
	assert.Check(t, is.DeepEqual(got, v, cmp.AllowUnexported(vuln.GateResult{})))
	assert.Check(t, is.Equal(got.Report.Markdown(), g.Markdown()))
	assert.Check(t, is.Equal(got.Err().Error(), g.Err().Error()))

	js, err := v.JSON()
	assert.NilError(t, err)
	assert.Check(t, is.Contains(js, `"Threshold":"HIGH"`), "severities are written by name")
	assert.Check(t, is.Contains(js, `"CRITICAL":`), "the counts are keyed by name")
}

func TestVerdictTestAndLintRoundTrip(t *testing.T) {
	tests := mustJUnit(t, "failures")
	vt := roundTrip(t, NewVerdict(tests, tests.Err()))
	assert.Check(t, is.DeepEqual(vt.Report, tests))
	assert.Check(t, is.Equal(vt.Err().Error(), tests.Err().Error()))
	assert.Check(t, is.Equal(vt.Report.Markdown(), tests.Markdown()))

	out, err := os.ReadFile(filepath.Join("lint", "testdata", "flake8", "findings.txt"))
	assert.NilError(t, err)
	findings, err := lint.ParseFlake8(string(out))
	assert.NilError(t, err)
	lr := &lint.Report{Tool: "flake8", Findings: findings}
	vl := roundTrip(t, NewVerdict(lr, lr.Err()))
	assert.Check(t, is.DeepEqual(vl.Report, lr))
	assert.Check(t, !vl.Ok)

	clean := &lint.Report{Tool: "flake8"}
	vc := roundTrip(t, NewVerdict(clean, clean.Err()))
	assert.Check(t, vc.Ok)
	assert.Check(t, is.Nil(vc.Err()))
}

// A verdict the root cannot read, or one that fails without a reason, is an
// error that names the stage: the stage never passes by default.
func TestDecodeVerdictRefuses(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"not json", `{"ok":`, "scan: the stage's verdict is not readable"},
		{"bad severity", `{"ok":true,"report":{"Threshold":"SEVERE"}}`, `"SEVERE" is not a severity`},
		{"failed without a problem", `{"ok":false,"report":{}}`, "scan: the stage failed without saying why"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeVerdict[*vuln.GateResult]("scan", tc.data)
			assert.Check(t, is.ErrorContains(err, tc.want))
			assert.Check(t, strings.HasPrefix(err.Error(), "scan: "))
		})
	}
}
