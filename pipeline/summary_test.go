package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
	"github.com/golden-path/golden-path/pipeline/lint"
	"github.com/golden-path/golden-path/pipeline/rollout"
	"github.com/golden-path/golden-path/pipeline/testreport"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// mustJUnit parses testreport/testdata/junit/<name>.xml.
func mustJUnit(t *testing.T, name string) *testreport.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testreport", "testdata", "junit", name+".xml"))
	assert.NilError(t, err)
	r, err := testreport.ParseJUnit(data)
	assert.NilError(t, err)
	return r
}

// mustFlake8 parses lint/testdata/flake8/<name>.txt.
func mustFlake8(t *testing.T, name string) *lint.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("lint", "testdata", "flake8", name+".txt"))
	assert.NilError(t, err)
	findings, err := lint.ParseFlake8(string(data))
	assert.NilError(t, err)
	return &lint.Report{Tool: "flake8", Findings: findings}
}

// TestShipSummaryMarkdown renders summaries and compares them with
// testdata/summary/<name>.golden.md.
func TestShipSummaryMarkdown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		summary ShipSummary
		// contains are fragments the rendering must hold, beyond the golden
		// file, to pin down what matters.
		contains []string
	}{
		{
			name: "shipped",
			summary: ShipSummary{
				Service: "hello-api",
				Team:    "payments",
				Image:   "registry.local:5000/payments/hello-api@sha256:3f1e0b5a9c7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f",
				Stages: []StageResult{
					{Name: "config", Status: StagePassed, Duration: 12 * time.Millisecond},
					{Name: "lint", Status: StagePassed, Duration: 1400 * time.Millisecond},
					{Name: "test", Status: StagePassed, Duration: 3250 * time.Millisecond, Detail: "3 tests passed"},
					{Name: "build", Status: StagePassed, Duration: 95 * time.Second},
					{Name: "publish", Status: StagePassed, Duration: 2100 * time.Millisecond},
					{Name: "deploy", Status: StagePassed, Duration: 125 * time.Second, Detail: "rolled out 2/2 pods"},
					{Name: "observe", Status: StagePassed, Duration: 21 * time.Second, Detail: "2 target(s) up"},
				},
				SmokeURL:  "https://kube-api:6443/api/v1/namespaces/payments-dev/services/http:hello-api:http/proxy/ready",
				Dashboard: "https://grafana.example.com/d/gp-hello-api-1a2b3c4d/payments-hello-api",
				Tests:     mustJUnit(t, "all-pass"),
				Lint:      mustFlake8(t, "clean"),
			},
			contains: []string{"## ✅ Ship hello-api: passed", "| deploy | ✅ passed | 2m05s | rolled out 2/2 pods |"},
		},
		{
			name: "test-failed",
			summary: ShipSummary{
				Service: "hello-api",
				Team:    "payments",
				Stages: []StageResult{
					{Name: "config", Status: StagePassed, Duration: 9 * time.Millisecond},
					{Name: "lint", Status: StageFailed, Duration: 1100 * time.Millisecond, Detail: "6 findings"},
					{Name: "test", Status: StageFailed, Duration: 4 * time.Second, Detail: "5 of 8 tests failed"},
					{Name: "build", Status: StageSkipped},
					{Name: "publish", Status: StageSkipped},
					{Name: "deploy", Status: StageSkipped},
				},
				Tests: mustJUnit(t, "failures"),
				Lint:  mustFlake8(t, "findings"),
			},
			contains: []string{"## ❌ Ship hello-api: failed at lint", "| build | ⏭ skipped | – |  |", "**Image:** not published"},
		},
		{
			name: "nothing-ran",
			summary: ShipSummary{
				Service: "",
				Stages: []StageResult{
					{Name: "config", Status: StageFailed, Duration: 3 * time.Millisecond, Detail: "golden-path.yaml:4: port: 70000 is not a valid port | see docs"},
				},
			},
			contains: []string{"(unnamed service)", `70000 is not a valid port \| see docs`, "No test report"},
		},
		{
			name: "promoted",
			summary: ShipSummary{
				Verb:    VerbPromote,
				Service: "hello-api",
				Team:    "payments",
				Image:   "registry.local:5000/payments/hello-api@sha256:3f1e0b5a9c7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f",
				Stages: []StageResult{
					{Name: "config", Status: StagePassed, Duration: 8 * time.Millisecond},
					{Name: "promote", Status: StagePassed, Duration: 900 * time.Millisecond, Detail: "payments-staging revision 3, commit 0123456789ab"},
					{Name: "deploy", Status: StagePassed, Duration: 40 * time.Second, Detail: "payments-prod, revision 1: rolled out 3/3 pods"},
				},
			},
			contains: []string{"## ✅ Promote hello-api: passed", "| promote | ✅ passed |"},
		},
		{
			name: "tenants",
			summary: ShipSummary{
				Verb:    VerbPromote,
				Service: "hello-api",
				Team:    "payments",
				Image:   "registry.local:5000/payments/hello-api@sha256:3f1e0b5a9c7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f",
				Stages: []StageResult{
					{Name: "config", Status: StagePassed, Duration: 8 * time.Millisecond},
					{Name: "deploy", Status: StageFailed, Duration: 95 * time.Second, Detail: "1 of 4 tenants failed and were rolled back"},
				},
				Tenants: []rollout.TenantResult{
					{Tenant: "acme", Namespace: "payments-prod-acme", Wave: 1, Revision: 4, Outcome: rollout.TenantUpdated, Took: 41 * time.Second,
						Image: "registry.local:5000/payments/hello-api@sha256:3f1e0b5a9c7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f", Detail: "3/3 pods ready"},
					{Tenant: "globex", Namespace: "payments-prod-globex", Wave: 2, Revision: 2, Outcome: rollout.TenantFailed, Took: 50 * time.Second,
						Image: "registry.local:5000/payments/hello-api@sha256:3f1e0b5a9c7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f", Detail: "0/3 pods ready: Insufficient memory | see history"},
					{Tenant: "initech", Namespace: "payments-prod-initech", Wave: 2, Revision: 7, Outcome: rollout.TenantRolledBack, Took: 62 * time.Second,
						Image: "registry.local:5000/payments/hello-api@sha256:3f1e0b5a9c7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f", Detail: "revision 7 rolled back: revision 6 serves again as revision 8"},
					{Tenant: "umbrella", Namespace: "payments-prod-umbrella", Wave: 2, Outcome: rollout.TenantNotStarted},
				},
			},
			contains: []string{"### Tenants", "| acme | `payments-prod-acme` | canary | 4 | `sha256:3f1e0b5a9c7d` | ✅ updated | 41.0s | 3/3 pods ready |",
				`| globex | ` + "`payments-prod-globex`" + ` | 2 | 2 | ` + "`sha256:3f1e0b5a9c7d`" + ` | ❌ failed, rolled back | 50.0s | 0/3 pods ready: Insufficient memory \| see history |`,
				"| umbrella | `payments-prod-umbrella` | 2 | – | – | ⏸ not started | – |  |"},
		},
		{
			name: "escaping",
			summary: ShipSummary{
				Service: "hello_<api>",
				Team:    "team`x`",
				Image:   "reg/x:1",
				Stages:  []StageResult{{Name: "odd", Status: "unknown", Duration: time.Second, Detail: "*bold* [link](x)\nsecond line"}},
			},
			contains: []string{`hello\_\<api\>`, "`` team`x` ``", `\*bold\* \[link\](x) second line`, "❔ unknown"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := tc.summary.Markdown()
			for _, want := range tc.contains {
				assert.Assert(t, is.Contains(md, want))
			}
			assert.Equal(t, md, tc.summary.Markdown(), "rendering is deterministic")
			golden.Assert(t, md, filepath.Join("summary", tc.name+".golden.md"))
		})
	}
}

func TestShipSummaryListsOnlyFirstFindings(t *testing.T) {
	lr := &lint.Report{Tool: "flake8"}
	for i := 1; i <= summaryListed+3; i++ {
		lr.Findings = append(lr.Findings, lint.Finding{File: "a.py", Line: i, Column: 1, Code: "E1", Message: "m"})
	}
	md := ShipSummary{Service: "s", Lint: lr}.Markdown()
	assert.Assert(t, is.Contains(md, "13 findings"))
	assert.Equal(t, strings.Count(md, "| `a.py:"), summaryListed)
	assert.Assert(t, is.Contains(md, "…and 3 more."))
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0ms"},
		{420 * time.Millisecond, "420ms"},
		{1400 * time.Millisecond, "1.4s"},
		{59960 * time.Millisecond, "1m00s"},
		{125 * time.Second, "2m05s"},
		{61 * time.Minute, "61m00s"},
	} {
		assert.Equal(t, markdown.Duration(tc.d), tc.want, tc.d.String())
	}
}

// TestTruncate checks the cut of long messages; the escaping helpers are
// tested in pipeline/internal/markdown.
func TestTruncate(t *testing.T) {
	assert.Equal(t, markdown.Truncate("abcdef", 4), "abc…")
	assert.Equal(t, markdown.Truncate("abc", 4), "abc")
}
