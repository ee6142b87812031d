// Package tests runs golden-path's modules through the real engine, the way a
// product team or CI calls them: the example service and broken copies of it.
package tests

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/golden-path/golden-path/pipeline/config"

	"dagger.io/dagger"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/fs"

	"github.com/golden-path/golden-path/internal/daggertest"
)

const example = "examples/fastapi-service"

// buildService calls the build module's Service function on src and returns
// the service, as another module would.
func buildService(t *testing.T, c *dagger.Client, src string) *dagger.Service {
	t.Helper()
	ctx := context.Background()
	root := daggertest.RepoRoot(t)
	assert.NilError(t, c.ModuleSource(filepath.Join(root, "modules/build")).AsModule().Serve(ctx))
	srcID, err := c.Host().Directory(src).ID(ctx)
	assert.NilError(t, err)
	var out struct {
		Build struct {
			Service struct{ ID dagger.ServiceID }
		}
	}
	err = c.Do(ctx, &dagger.Request{
		Query:     `query($src: ID!) { build(source: $src) { service { id } } }`,
		Variables: map[string]any{"src": srcID},
	}, &dagger.Response{Data: &out})
	assert.NilError(t, err)
	return c.LoadServiceFromID(out.Build.Service.ID)
}

// The example builds, runs as a service, and answers /health and /metrics
// with the request counter.
func TestExampleServes(t *testing.T) {
	t.Parallel()
	c := daggertest.Connect(t)
	ctx := context.Background()
	svc := buildService(t, c, filepath.Join(daggertest.RepoRoot(t), example))
	out, err := c.Container().From("python:3.12-slim").
		WithServiceBinding("app", svc).
		WithExec([]string{"python3", "-c", `
import urllib.request, time
for i in range(50):
    try:
        h = urllib.request.urlopen("http://app:8000/health")
        break
    except OSError:
        time.sleep(0.2)
print("health", h.status, h.read().decode())
urllib.request.urlopen("http://app:8000/greet/dagger").read()
print(urllib.request.urlopen("http://app:8000/metrics").read().decode())
`}).Stdout(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(out, `health 200 {"status":"ok"}`))
	assert.Check(t, is.Regexp(`(?m)^http_requests_total\{method="GET",route="/greet/\{name\}",status="200"\} 1\.0$`, out))
}

// Test and lint pass on the example, and ship reports them (the shared
// release: the example shipped once through every stage).
func TestShipExample(t *testing.T) {
	t.Parallel()
	r := sharedRelease(t)
	assert.Check(t, is.Equal(r.outputs["ok"], "true"))
	assert.Check(t, is.Equal(r.outputs["tests-failed"], "0"))
	summary := r.summary
	assert.Check(t, is.Contains(summary, "## ✅ Ship hello-api: passed"))
	assert.Check(t, is.Regexp(`\| test \| ✅ passed \| [^|]+ \| [1-9]\d* passed, 0 skipped \|`, summary))
	assert.Check(t, is.Contains(summary, "| lint | ✅ passed |"))
	assert.Check(t, is.Contains(summary, "| scan | ✅ passed |"))

	// A green ship's log (plain progress) is its stages, one span each, folded: a person reads it on a few
	// screens, and no file passed between modules is printed.
	progress := plainText(r.run.Stderr)
	lines := strings.Count(progress, "\n")
	assert.Check(t, lines <= 200, "the ship printed %d lines; the last ones:\n%s", lines, daggertest.Tail(progress, 60))
	for _, stage := range []string{"config", "build", "test", "lint", "serve", "scan", "publish", "render", "observability", "policy", "deploy", "observe"} {
		assert.Check(t, is.Regexp(`(?m)^\d+\s*: ┆ `+stage+` DONE`, progress))
	}
	for _, call := range stageCalls {
		assert.Check(t, !regexp.MustCompile(call).MatchString(progress), "a passing stage's calls (%s) are in the log", call)
	}
	assert.Check(t, !strings.Contains(progress, "contents:"), "a file's contents are in the log")
}

// stageCalls are, by stage, a call that the stage makes: the progress output shows it only when the stage
// fails.
var stageCalls = map[string]string{
	"config": `Directory\.file\(path: "golden-path\.yaml"\)`,
	"build":  `Build\.build\b`,
	"test":   `Build\.testReport\b`,
	"lint":   `Build\.lintReport\b`,
}

// plainText is the dagger CLI's output without its colours.
func plainText(s string) string {
	return regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(s, "")
}

// ship is `dagger call … ship` on src with the local platform's Trivy DB,
// reached through a tunnel to the host's registry (the golden path's
// arguments, before ship), then ship's arguments and fields.
func ship(src string, fields ...string) []string {
	port := registryPort()
	return append([]string{"call", "--source", src,
		"--trivy-db-registry", "tcp://localhost:" + port,
		"--trivy-db-repository", "db-registry:" + port + "/aquasec/trivy-db", "ship"}, fields...)
}

// report is `dagger call … report` on src as ship runs it, then the given
// fields.
func report(src string, fields ...string) []string {
	return asReport(ship(src, fields...))
}

// asReport turns ship's arguments into report's: the same golden path, its
// report instead of ship.
func asReport(shipArgs []string) []string {
	args := slices.Clone(shipArgs)
	args[slices.Index(args, "ship")] = "report"
	return args
}

// brokenCopy copies the example to a temporary folder and breaks it.
func brokenCopy(t *testing.T, breakIt func(dir string)) string {
	t.Helper()
	dir := fs.NewDir(t, "broken").Path()
	src := filepath.Join(daggertest.RepoRoot(t), example)
	assert.NilError(t, os.CopyFS(dir, os.DirFS(src)))
	breakIt(dir)
	return dir
}

// appendTo adds text at the end of the file at path.
func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	assert.NilError(t, err)
	_, err = f.WriteString(text)
	assert.NilError(t, err)
	assert.NilError(t, f.Close())
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	assert.Assert(t, strings.Contains(string(data), old), "%s does not contain %q", path, old)
	assert.NilError(t, os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
}

// Flags that would be silently ignored, or cannot work, stop ship before
// anything runs: the message names each flag and what it needs, and no stage
// ran (not even the config stage, which reads nothing but the source).
func TestShipRefusesFlagsThatDoNotFit(t *testing.T) {
	t.Parallel()
	root := daggertest.RepoRoot(t)
	r := daggertest.CLI(t, root, ship(example, "--kubeconfig", "env://GP_UNUSED_KUBECONFIG", "--grafana-token", "env://GP_UNUSED_TOKEN",
		"--rollout-timeout", "0", "summary")...)
	assert.Check(t, r.ExitCode != 0, "ship passed with flags that do not fit:\n%s", r.Stdout)
	msg := r.ErrorText()
	for _, w := range []string{
		"nothing ran, the flags do not fit together",
		"--rollout-timeout 0: give the seconds a rollout may take",
		"--kubeconfig needs --registry (a cluster runs only a published image): add --registry, or remove --kubeconfig",
		"--grafana-token needs --grafana-url",
	} {
		assert.Check(t, is.Contains(msg, w))
	}
	assert.Check(t, !strings.Contains(msg, "| config |"), "a stage ran:\n%s", msg)
}

// Each broken copy of the example fails ship with a non-zero exit and an
// error that says what to fix.
func TestShipBrokenExamples(t *testing.T) {
	t.Parallel()
	root := daggertest.RepoRoot(t)
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		want    []string // regular expressions the error must match
		stages  string   // the stage table row that must show the failure
		// A regular expression the reports' annotations must match where the problem is in a file: the
		// failed stage annotated at its file and line (from the module that failed, through the engine).
		annotation string
		// A regular expression the error must match exactly once: a problem reported once.
		once string
	}{
		{
			name: "failing test",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "tests/test_main.py"), "def test_health_is_ok(", "def test_health_is_ok(client):\n    assert 1 + 1 == 3, \"arithmetic is broken\"\n\n\ndef test_health_was_ok(")
			},
			want:   []string{`tests/test_main\.py::test_health_is_ok: AssertionError: arithmetic is broken`, `1 of \d+ tests failed`},
			stages: `| test | ❌ failed |`,
		},
		{
			name: "no tests collected",
			breakIt: func(t *testing.T, dir string) {
				files, _ := filepath.Glob(filepath.Join(dir, "tests", "test_*.py"))
				for _, f := range files {
					assert.NilError(t, os.Remove(f))
				}
			},
			want:   []string{`no tests ran`},
			stages: `| test | ❌ failed |`,
		},
		{
			name: "lint error",
			breakIt: func(t *testing.T, dir string) {
				appendTo(t, filepath.Join(dir, "src/main.py"), "\nimport os\n")
			},
			want:   []string{`src/main\.py:\d+:1: E402 module level import not at top of file`},
			stages: `| lint | ❌ failed |`,
		},
		{
			// flake8's output is the pipeline's to read: a team's .flake8 cannot change its format.
			name: "flake8 config with format=pylint and show-source",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, ".flake8"), "[flake8]\n", "[flake8]\nformat = pylint\nshow-source = True\n")
				appendTo(t, filepath.Join(dir, "src/main.py"), "\nimport os\n")
			},
			want:   []string{`src/main\.py:\d+:1: E402 module level import not at top of file`},
			stages: `| lint | ❌ failed |`,
		},
		{
			// Every Python file the test stage holds is linted, not only src/ and tests/.
			name: "lint error outside src and tests",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "Dockerfile"), "COPY tests/ tests/\n", "COPY tests/ tests/\nCOPY scripts/ scripts/\n")
				assert.NilError(t, os.MkdirAll(filepath.Join(dir, "scripts"), 0o755))
				assert.NilError(t, os.WriteFile(filepath.Join(dir, "scripts/seed.py"), []byte("import os\n"), 0o644))
			},
			want:   []string{`scripts/seed\.py:1:1: F401 'os' imported but unused`},
			stages: `| lint | ❌ failed |`,
		},
		{
			// A lint that checked nothing does not pass.
			name: "no Python file to lint",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "Dockerfile"), "COPY src/ src/\nCOPY tests/ tests/\nCMD", "CMD")
			},
			want:   []string{`lint: \[flake8 --format=default --no-show-source --benchmark \.\] checked no Python file: the test stage's working folder holds none`},
			stages: `| lint | ❌ failed |`,
		},
		{
			name:    "no Dockerfile",
			breakIt: func(t *testing.T, dir string) { assert.NilError(t, os.Remove(filepath.Join(dir, "Dockerfile"))) },
			want:    []string{`no Dockerfile at "Dockerfile" in the source folder`, `--dockerfile=PATH`},
			stages:  `| build | ❌ failed |`,
		},
		{
			name: "Dockerfile syntax error",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "Dockerfile"), "\nWORKDIR /app", "\nWORKDIRR /app")
			},
			want:       []string{`Dockerfile:\d+: unknown instruction: WORKDIRR`, `\d+ \| WORKDIRR /app`},
			stages:     `| build | ❌ failed |`,
			annotation: `(?m)^::error file=Dockerfile,line=\d+,title=Stage build failed::Dockerfile:\d+: unknown instruction`,
		},
		{
			name: "Dockerfile RUN fails",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "Dockerfile"), "\nWORKDIR /app", "\nWORKDIR /app\nRUN test -f /nonexistent-marker")
			},
			want:       []string{`Dockerfile:\d+: RUN failed with exit code 1`, `\d+ \| RUN test -f /nonexistent-marker`},
			stages:     `| build | ❌ failed |`,
			annotation: `(?m)^::error file=Dockerfile,line=\d+,title=Stage build failed::Dockerfile:\d+: RUN failed`,
		},
		{
			// The test stage is missing: the test stage says so, once; lint, which runs there too, is skipped.
			name: "no test stage",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "Dockerfile"), "FROM base AS test", "FROM base AS checks")
			},
			want: []string{`Dockerfile:\d+: has no stage named "test", where the pipeline runs the tests and the linter`,
				`or set build\.test in golden-path\.yaml`, `\| lint \| ⏭ skipped \|[^|]+\| the test stage of the Dockerfile did not build: see the test stage`},
			stages:     `| test | ❌ failed |`,
			annotation: `(?m)^::error file=Dockerfile,line=\d+,title=Stage test failed::Dockerfile:\d+: has no stage named "test"`,
			once:       `has no stage named "test"`,
		},
		{
			// A team that runs its tests in the Dockerfile: a failing test fails the test stage's build. It is
			// reported once, by the test stage, naming the test; lint, which runs in that stage too, is skipped.
			name: "tests run in a Dockerfile RUN",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "tests/test_main.py"), "def test_health_is_ok(", "def test_health_is_ok(client):\n    assert 1 + 1 == 3, \"arithmetic is broken\"\n\n\ndef test_health_was_ok(")
				edit(t, filepath.Join(dir, "Dockerfile"), "COPY tests/ tests/\n", "COPY tests/ tests/\nRUN python3 -m pytest -q -p no:cacheprovider\n")
			},
			want: []string{`Dockerfile:\d+: RUN failed with exit code 1`, `FAILED tests/test_main\.py::test_health_is_ok`,
				`\| lint \| ⏭ skipped \|[^|]+\| the test stage of the Dockerfile did not build: see the test stage`},
			stages:     `| test | ❌ failed |`,
			annotation: `(?m)^::error file=Dockerfile,line=\d+,title=Stage test failed::Dockerfile:\d+: RUN failed`,
			once:       `RUN failed with exit code 1`,
		},
		{
			// The test stage last: the runtime image would be the test image.
			name: "test stage last",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "Dockerfile"), "FROM base AS test", "FROM base AS unit")
				appendTo(t, filepath.Join(dir, "Dockerfile"), "\nFROM unit AS test\n")
			},
			want:       []string{`Dockerfile:\d+: its last stage is "test", the test stage: the pipeline deploys the last stage`},
			stages:     `| build | ❌ failed |`,
			annotation: `(?m)^::error file=Dockerfile,line=\d+,title=Stage build failed::Dockerfile:\d+: its last stage is "test"`,
		},
		{
			name: "build stages in golden-path.yaml contradict",
			breakIt: func(t *testing.T, dir string) {
				appendTo(t, filepath.Join(dir, "golden-path.yaml"), "\nbuild:\n  runtime: test\nlint:\n  command: ruff check .\n")
			},
			want: []string{`golden-path\.yaml:\d+: build\.runtime: "test" is also build\.test, the stage with the tests`,
				`golden-path\.yaml:\d+: lint\.command: "ruff check \." does not run flake8`},
			stages:     `| config | ❌ failed |`,
			annotation: `(?m)^::error file=golden-path\.yaml,line=\d+,title=Stage config failed::golden-path\.yaml:\d+: build\.runtime`,
		},
		{
			name: "invalid golden-path.yaml",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "golden-path.yaml"), "port: 8000", "port: 70000\nreplicaz: 2")
			},
			want:       []string{`golden-path\.yaml:\d+: port: .*70000`, `golden-path\.yaml:\d+: replicaz: `},
			stages:     `| config | ❌ failed |`,
			annotation: `(?m)^::error file=golden-path\.yaml,line=\d+,title=Stage config failed::golden-path\.yaml:\d+: port`,
		},
		{
			// The service listens on a port of its own, not on golden-path.yaml's: nothing answers there.
			name: "port mismatch",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "Dockerfile"), `--port \"${PORT:-8000}\"`, "--port 8000")
				edit(t, filepath.Join(dir, "golden-path.yaml"), "port: 8000", "port: 8080")
			},
			want: []string{`serve: the runtime image, started on port 8080 \(golden-path\.yaml's port\), did not answer`,
				`no path answered \(.+\); fix: make the service listen on 0\.0\.0\.0:8080`,
				`(?s)The service's last log lines:\n.*Uvicorn running on http://0\.0\.0\.0:8000`},
			stages:     `| serve | ❌ failed |`,
			annotation: `(?m)^::error file=golden-path\.yaml,line=18,title=Stage serve failed::the runtime image, started on port 8080`,
		},
		{
			name: "service exits on start",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "Dockerfile"), `CMD ["sh", "-c", "exec python3`, `CMD ["sh", "-c", "echo boom: no config >&2; exit 3; exec python3`)
			},
			want: []string{`serve: the runtime image stopped before it answered on port 8000 \(exit code: 3\)`,
				`(?s)The service's last log lines:\n.*boom: no config`},
			stages: `| serve | ❌ failed |`,
		},
		{
			name: "health path mismatch",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "golden-path.yaml"), "liveness: /health", "liveness: /healthz")
			},
			want:   []string{`- liveness /healthz: answered 404: \{"detail":"Not Found"\}; fix: serve /healthz, or set health\.liveness in golden-path\.yaml`},
			stages: `| serve | ❌ failed |`,
			// At the line of golden-path.yaml that sets the path.
			annotation: `(?m)^::error file=golden-path\.yaml,line=24,title=Stage serve failed::the runtime image, started on port 8000`,
		},
		{
			name: "metrics path answers 404",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "golden-path.yaml"), "path: /metrics", "path: /prometheus")
			},
			want:   []string{`- metrics /prometheus: answered 404`, `set metrics\.path in golden-path\.yaml`},
			stages: `| serve | ❌ failed |`,
		},
		{
			// golden-path.yaml names a latency histogram the service does not expose: the alerts would read nothing.
			name: "metrics the alerts read are missing",
			breakIt: func(t *testing.T, dir string) {
				edit(t, filepath.Join(dir, "golden-path.yaml"), "  path: /metrics", "  path: /metrics\n  duration: app_latency_seconds")
			},
			want: []string{`- metrics /metrics: answered 200 .* it lacks the series app_latency_seconds`,
				`fix: expose app_latency_seconds .* or name your own request counter and latency histogram in golden-path\.yaml's metrics\.requests and metrics\.duration`},
			stages:     `| serve | ❌ failed |`,
			annotation: `(?m)^::error file=golden-path\.yaml,line=\d+,title=Stage serve failed::the runtime image`,
		},
		{
			// A pull request renders and checks every environment: a violation only prod has fails it.
			name: "policy violation in one environment",
			breakIt: func(t *testing.T, dir string) {
				appendTo(t, filepath.Join(dir, "k8s/overlays/prod/environment.yaml"), "---\napiVersion: apps/v1\nkind: Deployment\n"+
					"metadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n"+
					"          securityContext:\n            privileged: true\n")
			},
			want: []string{`policy: 1 violation\(s\) in the prod manifests`,
				`GP001 Deployment/payments-prod/hello-api, container app: spec\.template\.spec\.containers\[app\]\.securityContext\.privileged`},
			stages: `| policy | ❌ failed |`,
			// At the object's file in k8s/ and the line of its kind (the patch that broke it is prod's).
			annotation: `(?m)^::error file=k8s/base/deployment\.yaml,line=\d+,title=Stage policy failed::1 violation\(s\) in the prod manifests`,
		},
		{
			name: "broken kustomization",
			breakIt: func(t *testing.T, dir string) {
				assert.NilError(t, os.Remove(filepath.Join(dir, "k8s/overlays/staging/environment.yaml")))
			},
			want:       []string{`render: k8s/overlays/staging/kustomization\.yaml lists "environment\.yaml" under patches`},
			stages:     `| render | ❌ failed |`,
			annotation: `(?m)^::error file=k8s/overlays/staging/kustomization\.yaml,title=Stage render failed::k8s/overlays/staging/kustomization\.yaml lists`,
		},
		{
			name:    "no golden-path.yaml",
			breakIt: func(t *testing.T, dir string) { assert.NilError(t, os.Remove(filepath.Join(dir, "golden-path.yaml"))) },
			want:    []string{regexp.QuoteMeta("config: " + config.Missing)},
			stages:  `| config | ❌ failed |`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := brokenCopy(t, func(dir string) { tc.breakIt(t, dir) })
			r := daggertest.CLI(t, root, ship(dir, "summary")...)
			assert.Check(t, r.ExitCode != 0, "ship passed on a broken copy:\n%s", r.Stdout)
			msg := r.ErrorText()
			for _, w := range tc.want {
				assert.Check(t, is.Regexp(regexp.MustCompile(w), msg))
			}
			if tc.once != "" {
				assert.Check(t, is.Len(regexp.MustCompile(tc.once).FindAllString(msg, -1), 1), "reported more than once:\n%s", msg)
			}
			assert.Check(t, is.Contains(msg, tc.stages))
			// The progress output unfolds the failing stage: its own calls show, a passing stage's do not.
			stage := strings.Fields(tc.stages)[1]
			progress := plainText(strings.TrimSuffix(r.Stderr, msg))
			assert.Check(t, is.Regexp(`(?m)^\d+\s*: ┆ `+stage+` ERROR`, progress))
			assert.Check(t, is.Regexp(stageCalls[stage], progress), "the failing %s stage's calls are not in the log", stage)
			if tc.annotation != "" {
				// As CI gets them: the same ship with --no-fail, its reports exported.
				annotations := daggertest.CLI(t, root, ship(dir, "--no-fail", "reports", "file", "--path", "annotations.txt", "contents")...)
				assert.Check(t, annotations.ExitCode == 0, annotations.ErrorText())
				assert.Check(t, is.Regexp(tc.annotation, annotations.Stdout))
			}
			// After a failed gate nothing later runs.
			if tc.stages == `| build | ❌ failed |` || tc.stages == `| config | ❌ failed |` {
				assert.Check(t, !strings.Contains(msg, "| test |"), "test ran after a failed %s", tc.stages)
			}
			if tc.stages == `| render | ❌ failed |` {
				assert.Check(t, !strings.Contains(msg, "| policy |"), "policy ran after a failed render")
			}
		})
	}
}
