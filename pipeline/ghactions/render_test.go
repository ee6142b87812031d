package ghactions

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/lint"
	"github.com/golden-path/golden-path/pipeline/testreport"
	"github.com/golden-path/golden-path/pipeline/vuln"
)

// now is the clock of the vulnerability gate in these tests.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	image    = "acr.example.io/payments/hello-api@sha256:3f1e0b5a9c7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f"
	smokeURL = "https://kube-api:6443/api/v1/namespaces/payments-dev/services/hello-api:http/proxy/greet/smoke"
	dashURL  = "https://grafana.example.com/d/gp-hello-api/hello-api"
)

// junitPass is pytest's xunit1 report of a passing run.
const junitPass = `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="1" tests="4" time="0.812">
<testcase classname="tests.test_main" name="test_health" file="tests/test_main.py" line="8" time="0.004" />
<testcase classname="tests.test_main" name="test_ready" file="tests/test_main.py" line="13" time="0.003" />
<testcase classname="tests.test_main" name="test_greet" file="tests/test_main.py" line="18" time="0.010" />
<testcase classname="tests.test_main" name="test_metrics" file="tests/test_main.py" line="25" time="0.002"><skipped type="pytest.skip" message="no registry" /></testcase>
</testsuite></testsuites>`

// junitFail has a failing assertion (traceback in the test's own file, so
// the annotation points at line 24, not the def line 21), a failure with a
// message holding "%" and "::", and a setup error.
const junitFail = `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="2" skipped="0" tests="4" time="1.234">
<testcase classname="tests.test_main" name="test_health" file="tests/test_main.py" line="8" time="0.004" />
<testcase classname="tests.test_main" name="test_create_item" file="tests/test_main.py" line="20" time="0.021">
<failure message="AssertionError: assert 500 == 200&#10; +  where 500 = &lt;Response [500 Internal Server Error]&gt;.status_code">client = &lt;starlette.testclient.TestClient object&gt;

    def test_create_item(client):
        response = client.post("/items", json={"name": "x"})
&gt;       assert response.status_code == 200
E       AssertionError: assert 500 == 200

tests/test_main.py:24: AssertionError</failure>
</testcase>
<testcase classname="tests.test_main.TestGreet" name="test_ratio[50%]" file="tests/test_main.py" line="40" time="0.002">
<failure message="AssertionError: 50% != 100%: see ::notes">tests/test_main.py:43: AssertionError</failure>
</testcase>
<testcase classname="tests.test_db" name="test_insert" file="tests/test_db.py" line="7" time="0.001">
<error message="failed on setup with &quot;fixture 'db' not found&quot;">file /app/tests/test_db.py, line 8
E       fixture 'db' not found

/app/tests/test_db.py:8</error>
</testcase>
</testsuite></testsuites>`

func mustJUnit(t *testing.T, xml string) *testreport.Report {
	t.Helper()
	r, err := testreport.ParseJUnit([]byte(xml))
	assert.NilError(t, err)
	return r
}

// stages are the stages of a run; failed names the failed ones, and every
// stage after the gates is skipped when one failed.
func stages(failed ...string) []pipeline.StageResult {
	isFailed := map[string]bool{}
	for _, f := range failed {
		isFailed[f] = true
	}
	all := []struct {
		name   string
		d      time.Duration
		detail string
	}{
		{"config", 8 * time.Millisecond, "hello-api (team payments)"},
		{"build", 41 * time.Second, "Dockerfile"},
		{"test", 3200 * time.Millisecond, ""},
		{"lint", 1400 * time.Millisecond, ""},
		{"scan", 12 * time.Second, ""},
		{"publish", 2100 * time.Millisecond, image},
		{"render", 900 * time.Millisecond, "dev → namespace payments-dev"},
		{"policy", 40 * time.Millisecond, "all rules pass"},
		{"deploy", 65 * time.Second, "payments-dev, revision 4: rolled out"},
	}
	var out []pipeline.StageResult
	for _, s := range all {
		st := pipeline.StageResult{Name: s.name, Status: pipeline.StagePassed, Duration: s.d, Detail: s.detail}
		if isFailed[s.name] {
			st.Status = pipeline.StageFailed
		}
		out = append(out, st)
		if len(failed) > 0 && s.name == "scan" {
			break // nothing after the gates runs
		}
	}
	return out
}

func withDetail(sts []pipeline.StageResult, name, detail string) []pipeline.StageResult {
	for i := range sts {
		if sts[i].Name == name {
			sts[i].Detail = detail
		}
	}
	return sts
}

// scan evaluates a scan of the image's OS packages and a Python package.
func scan(t *testing.T, vulns []vuln.Vulnerability, ignoreYAML string) *vuln.GateResult {
	t.Helper()
	var ignores *vuln.IgnoreFile
	if ignoreYAML != "" {
		var err error
		ignores, err = vuln.ParseIgnoreFile([]byte(ignoreYAML), vuln.IgnoreFileName)
		assert.NilError(t, err)
	}
	rep := &vuln.Report{Artifact: "hello-api", Vulnerabilities: vulns, Targets: []string{"hello-api (debian 12.9)"}}
	return vuln.Evaluate(rep, vuln.SeverityCritical, ignores, now)
}

var (
	vulnHigh = vuln.Vulnerability{
		ID: "CVE-2025-0001", Package: "libexpat1", Installed: "2.5.0-1", Fixed: "2.5.0-1+deb12u2",
		Severity: vuln.SeverityHigh, Title: "expat: stack overflow", Target: "hello-api (debian 12.9)",
		URL: "https://avd.aquasec.com/nvd/cve-2025-0001",
	}
	vulnMedium = vuln.Vulnerability{
		ID: "CVE-2025-0002", Package: "starlette", Installed: "0.37.2", Fixed: "0.40.0",
		Severity: vuln.SeverityMedium, Path: "usr/lib/python3/dist-packages/starlette-0.37.2.dist-info/METADATA",
		Target: "Python",
	}
	vulnCritical = vuln.Vulnerability{
		ID: "CVE-2025-1234", Package: "libssl3", Installed: "3.0.15-1~deb12u1", Fixed: "3.0.16-1~deb12u1",
		Severity: vuln.SeverityCritical, Title: "openssl: RCE in X.509 name checks", Target: "hello-api (debian 12.9)",
		URL: "https://avd.aquasec.com/nvd/cve-2025-1234",
	}
	vulnCriticalNoFix = vuln.Vulnerability{
		ID: "CVE-2025-5678", Package: "zlib1g", Installed: "1:1.2.13.dfsg-1", Severity: vuln.SeverityCritical,
		Title: "zlib: heap overflow in inflate", Target: "hello-api (debian 12.9)",
	}
)

// ignoreExpired accepted CVE-2025-5678 until a day already past.
const ignoreExpired = `vulnerabilities:
  - id: CVE-2025-0002
    statement: "Multipart forms are off in the gateway (SEC-61)"
    expired_at: 2026-12-31

  - id: CVE-2025-5678
    statement: "inflate is only called on our own archives (SEC-70)"
    expired_at: 2026-02-01
`

func lintReport(findings ...lint.Finding) *lint.Report {
	return &lint.Report{Tool: "flake8", Findings: findings}
}

// TestRenderGolden renders the reports of four runs and compares each file
// with testdata/<name>/. Update them with: go test ./pipeline/ghactions/ -update
func TestRenderGolden(t *testing.T) {
	fails := mustJUnit(t, junitFail)
	for _, tc := range []struct {
		name   string
		report Report
		opts   []Option
		// annotations counts the ::error:: and ::notice:: lines.
		errors, notices int
		// outputs are output values the run must give.
		outputs map[string]string
	}{
		{
			name: "deployed",
			report: Report{
				Summary: pipeline.ShipSummary{
					Service: "hello-api", Team: "payments", Image: image, SmokeURL: smokeURL, Dashboard: dashURL,
					Stages: withDetail(withDetail(withDetail(stages(), "test", "3 passed, 1 skipped"),
						"lint", "0 findings"), "scan", "0 critical, 1 high, 1 medium, 0 low"),
					Tests: mustJUnit(t, junitPass), Lint: lintReport(),
				},
				Ok:   true,
				Scan: scan(t, []vuln.Vulnerability{vulnHigh, vulnMedium}, ""),
			},
			opts:    []Option{WithServiceDir("examples/fastapi-service")},
			notices: 1,
			outputs: map[string]string{
				OutputOK: "true", OutputImage: image, OutputDigest: "sha256:3f1e0b5a9c7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f",
				OutputSmokeURL: smokeURL, OutputDashboardURL: dashURL, OutputFailedStage: "", OutputProblems: "",
				OutputTestsFailed: "0", OutputLintFindings: "0", OutputBlockingVulnerabilities: "0",
				OutputSummaryPath: "reports/summary.md", OutputSARIFPath: "reports/scan.sarif",
			},
		},
		{
			name: "failed-tests",
			report: Report{
				Summary: pipeline.ShipSummary{
					Service: "hello-api", Team: "payments",
					Stages: withDetail(withDetail(withDetail(stages("test"), "test", "3 of 4 tests failed"),
						"lint", "0 findings"), "scan", "0 critical, 0 high, 0 medium, 0 low"),
					Tests: fails, Lint: lintReport(),
				},
				Problems: []pipeline.Problem{{Stage: "test", Message: fails.Err().Error()}},
				Scan:     scan(t, nil, ""),
			},
			opts:   []Option{WithServiceDir("examples/fastapi-service")},
			errors: 3,
			outputs: map[string]string{
				OutputOK: "false", OutputImage: "", OutputSmokeURL: "", OutputFailedStage: "test",
				OutputProblems: "test: 3 of 4 tests failed:", OutputTestsFailed: "3", OutputLintFindings: "0",
			},
		},
		{
			name: "lint-findings",
			report: Report{
				Summary: pipeline.ShipSummary{
					Service: "hello-api", Team: "payments",
					Stages: withDetail(withDetail(withDetail(stages("lint"), "test", "3 passed, 1 skipped"),
						"lint", "3 findings"), "scan", "0 critical, 0 high, 0 medium, 0 low"),
					Tests: mustJUnit(t, junitPass),
					Lint: lintReport(
						lint.Finding{File: "./src/main.py", Line: 1, Column: 1, Code: "F401", Message: "'os' imported but unused"},
						lint.Finding{File: "src/main.py", Line: 12, Column: 80, Code: "E501", Message: "line too long (97 > 79 characters)"},
						lint.Finding{File: "tests/test_main.py", Line: 30, Column: 5, Code: "B008", Message: "Do not perform function calls in argument defaults: `Depends()`"},
					),
				},
				Problems: []pipeline.Problem{{Stage: "lint", Message: "flake8 found 3 problems; fix them (run flake8 locally to check):\n  ./src/main.py:1:1: F401 'os' imported but unused"}},
				Scan:     scan(t, nil, ""),
			},
			opts:   []Option{WithServiceDir("examples/fastapi-service/")},
			errors: 3,
			outputs: map[string]string{
				OutputOK: "false", OutputFailedStage: "lint", OutputTestsFailed: "0", OutputLintFindings: "3",
				OutputProblems: "lint: flake8 found 3 problems; fix them (run flake8 locally to check):",
			},
		},
		{
			name: "blocked-critical",
			report: func() Report {
				g := scan(t, []vuln.Vulnerability{vulnHigh, vulnCritical, vulnCriticalNoFix, vulnMedium}, ignoreExpired)
				return Report{
					Summary: pipeline.ShipSummary{
						Service: "hello-api", Team: "payments",
						Stages: withDetail(withDetail(withDetail(stages("scan"), "test", "3 passed, 1 skipped"),
							"lint", "0 findings"), "scan", "2 critical, 1 high, 1 medium, 0 low"),
						Tests: mustJUnit(t, junitPass), Lint: lintReport(),
					},
					Problems:      []pipeline.Problem{{Stage: "scan", Message: g.Err().Error()}},
					Scan:          g,
					BaseImageLine: 8,
				}
			}(),
			opts:   []Option{WithServiceDir("examples/fastapi-service"), WithReportsDir("out/reports")},
			errors: 2,
			outputs: map[string]string{
				OutputOK: "false", OutputFailedStage: "scan", OutputBlockingVulnerabilities: "2",
				OutputProblems:    "scan: 2 vulnerabilities at or above CRITICAL found in hello-api:",
				OutputSummaryPath: "out/reports/summary.md", OutputSARIFPath: "out/reports/scan.sarif",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Render(tc.report, append(tc.opts, WithTempDir(t.TempDir()))...)
			assert.NilError(t, err)
			golden.Assert(t, string(files.Summary), filepath.Join(tc.name, SummaryFile))
			golden.Assert(t, string(files.Annotations), filepath.Join(tc.name, AnnotationsFile))
			golden.Assert(t, string(files.Outputs), filepath.Join(tc.name, OutputsFile))

			cmds := parseCommands(t, string(files.Annotations))
			assert.Equal(t, countLevel(cmds, "error"), tc.errors)
			assert.Equal(t, countLevel(cmds, "notice"), tc.notices)

			names, outs := parseOutputs(t, string(files.Outputs))
			assert.DeepEqual(t, names, OutputNames)
			for name, want := range tc.outputs {
				assert.Check(t, is.Equal(outs[name], want), "output %s", name)
			}
			assert.Equal(t, outs[OutputService], "hello-api")
		})
	}
}

// TestRenderAnnotationTargets pins down where each kind of annotation
// points, from the repository's root.
func TestRenderAnnotationTargets(t *testing.T) {
	fails := mustJUnit(t, junitFail)
	g := scan(t, []vuln.Vulnerability{vulnCritical, vulnCriticalNoFix}, ignoreExpired)
	r := Report{
		Summary: pipeline.ShipSummary{
			Service: "hello-api", Stages: stages("test", "lint", "scan"), Tests: fails,
			Lint: lintReport(
				lint.Finding{File: "./src/main.py", Line: 3, Column: 7, Code: "E225", Message: "missing whitespace around operator"},
				lint.Finding{File: "/app/src/other.py", Line: 4, Column: 1, Code: "F401", Message: "'re' imported but unused"},
			),
		},
		Problems:      []pipeline.Problem{{Stage: "test", Message: "failed"}, {Stage: "lint", Message: "failed"}, {Stage: "scan", Message: "failed"}},
		Scan:          g,
		Dockerfile:    "build/Dockerfile",
		BaseImageLine: 8,
	}
	files, err := Render(r, WithServiceDir("services/hello"), WithTempDir(t.TempDir()))
	assert.NilError(t, err)
	cmds := parseCommands(t, string(files.Annotations))

	type target struct{ Title, File, Line, Col string }
	var got []target
	for _, c := range cmds {
		if c.name == "error" {
			got = append(got, target{c.props["title"], c.props["file"], c.props["line"], c.props["col"]})
		}
	}
	assert.DeepEqual(t, got, []target{
		// One of each gate in turn: tests, lint, vulnerabilities.
		{"Test failed: tests/test_main.py::test_create_item", "services/hello/tests/test_main.py", "24", ""},
		{"flake8 E225", "services/hello/src/main.py", "3", "7"},
		{"CRITICAL CVE-2025-1234 in libssl3", "services/hello/build/Dockerfile", "8", ""},
		{"Test failed: tests/test_main.py::TestGreet::test_ratio[50%]", "services/hello/tests/test_main.py", "43", ""},
		// A path outside the source (the container's /app) is not a file of the repository.
		{"flake8 F401", "", "", ""},
		{"CRITICAL CVE-2025-5678 in zlib1g: ignore entry expired", "services/hello/.trivyignore.yaml", "6", ""},
		// The traceback's /app/tests/test_db.py:8 is the test's file in the container.
		{"Test error: tests/test_db.py::test_insert", "services/hello/tests/test_db.py", "8", ""},
	})
	// No stage-level error: each failed gate is detailed item by item.
	assert.Check(t, !strings.Contains(string(files.Annotations), "title=Stage"))
	assert.Check(t, is.Contains(cmdByTitle(cmds, "flake8 F401").message, "/app/src/other.py:4:1: F401"))
	assert.Check(t, is.Contains(cmdByTitle(cmds, "CRITICAL CVE-2025-1234 in libssl3").message,
		"accept it in services/hello/.trivyignore.yaml with a statement"))
}

// TestRenderStageProblems: a failed stage without item detail (a build that
// failed, tests that did not run) is annotated once, at the file and line of
// its problem, and listed under "What to fix".
func TestRenderStageProblems(t *testing.T) {
	sts := stages("build")[:2]
	sts = append(sts, pipeline.StageResult{Name: "test", Status: pipeline.StageSkipped})
	r := Report{
		Summary: pipeline.ShipSummary{Service: "hello-api", Stages: sts},
		Problems: []pipeline.Problem{{Stage: "build", File: "Dockerfile", Line: 17,
			Message: "Dockerfile:17: RUN pip install -r requirements.txt failed (exit code 1):\n  ERROR: No matching distribution found for fastapi==9.9"}},
	}
	files, err := Render(r, WithTempDir(t.TempDir()), WithServiceDir("svc"))
	assert.NilError(t, err)
	cmds := parseCommands(t, string(files.Annotations))
	assert.Equal(t, len(cmds), 1)
	assert.Equal(t, cmds[0].name, "error")
	assert.DeepEqual(t, cmds[0].props, map[string]string{"title": "Stage build failed", "file": "svc/Dockerfile", "line": "17"})
	assert.Equal(t, cmds[0].message, "Dockerfile:17: RUN pip install -r requirements.txt failed (exit code 1):\n  ERROR: No matching distribution found for fastapi==9.9")

	summary := string(files.Summary)
	assert.Check(t, is.Contains(summary, "### What to fix\n\n**build**\n\n```text\nDockerfile:17: RUN pip install"))
	assert.Check(t, is.Contains(summary, "No scan report: the scan did not run."))

	_, outs := parseOutputs(t, string(files.Outputs))
	assert.Equal(t, outs[OutputFailedStage], "build")
	assert.Equal(t, outs[OutputTestsFailed], "", "the tests did not run: empty, not 0")
	assert.Equal(t, outs[OutputSARIFPath], "", "no scan, no SARIF")
}

// TestRenderManyFindings: beyond GitHub's ten error annotations of a step,
// a notice says where the rest are; every finding is still written.
func TestRenderManyFindings(t *testing.T) {
	var findings []lint.Finding
	for i := 1; i <= 12; i++ {
		findings = append(findings, lint.Finding{File: "src/main.py", Line: i, Column: 1, Code: "W291", Message: "trailing whitespace"})
	}
	r := Report{
		Summary:  pipeline.ShipSummary{Service: "hello-api", Stages: stages("lint"), Lint: lintReport(findings...)},
		Problems: []pipeline.Problem{{Stage: "lint", Message: "flake8 found 12 problems"}},
	}
	files, err := Render(r, WithTempDir(t.TempDir()))
	assert.NilError(t, err)
	cmds := parseCommands(t, string(files.Annotations))
	assert.Equal(t, countLevel(cmds, "error"), 12)
	last := cmds[len(cmds)-1]
	assert.Equal(t, last.name, "notice")
	assert.Check(t, is.Contains(last.message, "12 errors: GitHub annotates the first 10 of a step"))
}

// TestRenderInputErrors: contradictory reports and bad options render
// nothing and say why.
func TestRenderInputErrors(t *testing.T) {
	okStages := stages()
	for _, tc := range []struct {
		name   string
		report Report
		opts   []Option
		field  string
		msg    string
	}{
		{name: "ok with problems", report: Report{Ok: true, Problems: []pipeline.Problem{{Stage: "test", Message: "x"}}, Summary: pipeline.ShipSummary{Stages: okStages}},
			field: "Ok", msg: "lists 1 problem(s)"},
		{name: "ok with a failed stage", report: Report{Ok: true, Summary: pipeline.ShipSummary{Stages: stages("lint")}},
			field: "Ok", msg: `stage "lint" failed`},
		{name: "not ok without a reason", report: Report{Summary: pipeline.ShipSummary{Stages: okStages}},
			field: "Ok", msg: "names no problem"},
		{name: "negative line", report: Report{Ok: true, BaseImageLine: -1}, field: "BaseImageLine", msg: "-1 is not a line number"},
		{name: "absolute Dockerfile", report: Report{Ok: true, Dockerfile: "/src/Dockerfile"}, field: "Dockerfile", msg: "is absolute"},
		{name: "service dir outside", report: Report{Ok: true}, opts: []Option{WithServiceDir("../other")}, field: "WithServiceDir", msg: "leaves the repository"},
		{name: "absolute service dir", report: Report{Ok: true}, opts: []Option{WithServiceDir("/work/repo")}, field: "WithServiceDir", msg: "is absolute"},
		{name: "windows reports dir", report: Report{Ok: true}, opts: []Option{WithReportsDir(`out\reports`)}, field: "WithReportsDir", msg: "backslash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Render(tc.report, tc.opts...)
			assert.Check(t, files == nil)
			var ie *InputError
			assert.Assert(t, errors.As(err, &ie), "got %v", err)
			assert.Equal(t, ie.Field, tc.field)
			assert.Check(t, is.Contains(err.Error(), tc.msg))
		})
	}
}

// TestRenderWriteError: a temporary folder that cannot be made is a
// *WriteError naming the fix.
func TestRenderWriteError(t *testing.T) {
	_, err := Render(Report{Ok: true}, WithTempDir(filepath.Join(t.TempDir(), "missing", "dir")))
	var we *WriteError
	assert.Assert(t, errors.As(err, &we), "got %v", err)
	assert.Check(t, is.Contains(err.Error(), "WithTempDir"))
}

func TestFilesByName(t *testing.T) {
	f := &Files{Summary: []byte("s"), Annotations: []byte("a"), Outputs: []byte("o")}
	assert.DeepEqual(t, f.ByName(), map[string][]byte{
		"summary.md": []byte("s"), "annotations.txt": []byte("a"), "outputs.env": []byte("o"),
	})
}
