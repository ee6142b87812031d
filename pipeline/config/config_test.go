package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/golden-path/golden-path/pipeline/yamlfile"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// problem is the expected position of one yamlfile.FieldError.
type problem struct {
	Line  int
	Field string
}

// TestParseConfig parses each testdata/config/<name>.yaml and compares the
// outcome with testdata/config/<name>.golden: the config, with defaults,
// as YAML when valid; the error message otherwise. Update the golden files
// with: go test ./pipeline/ -update
func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []problem // nil: the file is valid
	}{
		{name: "valid"},
		{name: "minimal"},
		{name: "quoted-port"},
		{name: "anchors"},
		{name: "unknown-key", want: []problem{{4, "prot"}}},
		{name: "nested-unknown-key", want: []problem{{5, "health.livenes"}, {9, "resources.requests.cpus"}}},
		{name: "misplaced-key", want: []problem{{4, "liveness"}, {5, "cpu"}, {7, "health.port"}, {8, "imagePullPolicy"}}},
		{name: "missing-name", want: []problem{{0, "name"}}},
		{name: "name-not-dns", want: []problem{{2, "name"}}},
		{name: "name-too-long", want: []problem{{2, "name"}}},
		{name: "port-zero", want: []problem{{4, "port"}}},
		{name: "port-too-big", want: []problem{{4, "port"}}},
		{name: "port-not-number", want: []problem{{4, "port"}}},
		{name: "replicas-out-of-range", want: []problem{{4, "replicas"}}},
		{name: "replicas-not-number", want: []problem{{4, "replicas"}}},
		{name: "contract", want: nil},
		{name: "contract-errors", want: []problem{{5, "build.test"}, {6, "build.runtime"}, {8, "test.command"}, {10, "lint.command"}}},
		{name: "contract-same-stage", want: []problem{{6, "build.runtime"}}},
		{name: "contract-shell", want: []problem{{5, "test.command"}, {7, "lint.command"}}},
		{name: "monitoring"},
		{name: "monitoring-errors", want: []problem{
			{5, "metrics.requests"}, {6, "metrics.duration"}, {7, "metrics.statusLabel"}, {9, "monitoring.runbook"},
			{11, "monitoring.labels.app.kubernetes.io/name"}, {12, "monitoring.labels.bad key!"}, {13, "monitoring.labels.release"},
		}},
		{name: "monitoring-labels-not-map", want: []problem{{5, "monitoring.labels"}}},
		{name: "path-without-slash", want: []problem{{5, "health.liveness"}, {6, "health.readiness"}}},
		{name: "bad-quantity", want: []problem{
			{6, "resources.requests.cpu"}, {7, "resources.requests.memory"},
			{9, "resources.limits.cpu"}, {10, "resources.limits.memory"},
		}},
		{name: "limit-below-request", want: []problem{{9, "resources.limits.cpu"}, {10, "resources.limits.memory"}}},
		{name: "request-above-default-limit", want: []problem{{6, "resources.requests.memory"}}},
		{name: "wrong-apiversion", want: []problem{{1, "apiVersion"}}},
		{name: "missing-apiversion", want: []problem{{0, "apiVersion"}}},
		{name: "several-errors", want: []problem{
			{0, "team"}, {2, "name"}, {3, "port"}, {4, "healt"}, {7, "metrics.path"}, {10, "resources.limits.cpu"},
		}},
		{name: "empty", want: []problem{{0, ""}}},
		{name: "comments-only", want: []problem{{0, ""}}},
		{name: "not-yaml", want: []problem{{3, ""}}},
		{name: "wrong-types", want: []problem{{2, "name"}, {4, "health"}, {6, "port"}, {9, "resources.requests.cpu"}}},
		{name: "duplicate-key", want: []problem{{5, "port"}}},
		{name: "list-root", want: []problem{{1, ""}}},
		{name: "two-documents", want: []problem{{4, ""}}},
		{name: "slo"},
		{name: "slo-partial"},
		{name: "slo-errors", want: []problem{
			{5, "slo.errorRatio"}, {6, "slo.latencyP95"}, {7, "slo.latencyP99"}, {8, "slo.alertFor"}, {9, "slo.latencyP50"},
		}},
		{name: "slo-p95-above-p99", want: []problem{{6, "slo.latencyP99"}}},
		{name: "slo-out-of-range", want: []problem{
			{5, "slo.errorRatio"}, {6, "slo.latencyP95"}, {7, "slo.latencyP99"}, {8, "slo.alertFor"},
		}},
		{name: "slo-misplaced", want: []problem{{4, "latencyP95"}, {5, "slo"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "config", tc.name+".yaml"))
			assert.NilError(t, err)
			cfg, err := Parse(data, FileName)

			if tc.want == nil {
				assert.NilError(t, err)
				out, err := yaml.Marshal(cfg)
				assert.NilError(t, err)
				golden.Assert(t, string(out), filepath.Join("config", tc.name+".golden"))
				return
			}

			assert.Assert(t, cfg == nil)
			var ce *Error
			assert.Assert(t, errors.As(err, &ce), "error is %T, not *Error", err)
			assert.Equal(t, ce.File, FileName)
			got := make([]problem, len(ce.Errors))
			for i, fe := range ce.Errors {
				got[i] = problem{Line: fe.Line, Field: fe.Field}
				assert.Equal(t, fe.File, FileName)
				assert.Assert(t, fe.Reason != "", "problem %d has no reason", i)
				assert.Assert(t, fe.Fix != "", "problem %d says nothing about how to fix it", i)
			}
			assert.DeepEqual(t, got, tc.want)
			assert.Equal(t, strings.Count(err.Error(), "\n")+1, len(tc.want), "one problem per line")
			golden.Assert(t, err.Error()+"\n", filepath.Join("config", tc.name+".golden"))
		})
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := Parse([]byte("apiVersion: golden-path/v1\nname: hello-api\nteam: payments\n"), "")
	assert.NilError(t, err)
	assert.DeepEqual(t, cfg, &Config{
		APIVersion: APIVersion,
		Name:       "hello-api",
		Team:       "payments",
		Port:       8000,
		Health:     Health{Liveness: "/health", Readiness: "/ready"},
		Metrics: Metrics{Path: "/metrics", Requests: "http_requests_total", Duration: "http_request_duration_seconds",
			StatusLabel: "status", RouteLabel: "route"},
		Build: Build{Test: "test"},
		Test:  Command{Command: "python3 -m pytest"},
		Lint:  Command{Command: "flake8 ."},
		Resources: Resources{
			Requests: ResourceList{CPU: "100m", Memory: "128Mi"},
			Limits:   ResourceList{CPU: "500m", Memory: "256Mi"},
		},
		SLO: SLO{ErrorRatio: 0.05, LatencyP95: 500 * time.Millisecond, LatencyP99: time.Second, AlertFor: 5 * time.Minute},
	}, cmpopts.IgnoreUnexported(Config{}))
	assert.Check(t, is.Equal(cfg.Line("port"), 0), "a default has no line")
}

// Line says where the file gives a setting: where a problem with it is annotated.
func TestConfigLine(t *testing.T) {
	cfg, err := Parse([]byte("apiVersion: golden-path/v1\nname: hello-api\nteam: payments\nport: 8080\nhealth:\n  liveness: /live\n"), "")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(cfg.Line("port"), 4))
	assert.Check(t, is.Equal(cfg.Line("health.liveness"), 6))
	assert.Check(t, is.Equal(cfg.Line("health.readiness"), 0))
	assert.Check(t, is.Equal((&Config{}).Line("port"), 0), "a Config not parsed from a file")
}

func TestParseConfigKeepsGivenValues(t *testing.T) {
	cfg, err := Parse([]byte(`
apiVersion: golden-path/v1
name: hello-api
team: payments
port: 8080
health: {liveness: /live}
resources: {limits: {memory: 1Gi}}
`), "svc/golden-path.yaml")
	assert.NilError(t, err)
	assert.Equal(t, cfg.Port, 8080)
	assert.Equal(t, cfg.Health.Liveness, "/live")
	assert.Equal(t, cfg.Health.Readiness, DefaultReadinessPath, "sibling of a given setting still defaults")
	assert.Equal(t, cfg.Resources.Limits.Memory, "1Gi")
	assert.Equal(t, cfg.Resources.Limits.CPU, DefaultCPULimit)
}

func TestParseConfigErrorNamesTheFile(t *testing.T) {
	_, err := Parse([]byte("apiVersion: golden-path/v1\nname: hello-api\nteam: payments\nport: 0\n"), "services/hello/golden-path.yaml")
	assert.Error(t, err, "services/hello/golden-path.yaml:4: port: 0 is not a valid port; set a number from 1 to 65535")

	var fe *yamlfile.FieldError
	assert.Assert(t, errors.As(err, &fe), "errors.As finds the yamlfile.FieldError inside the Error")
	assert.Equal(t, fe.Field, "port")
	assert.Equal(t, fe.Line, 4)
}

func TestLoadConfig(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join("testdata", "config", "minimal.yaml"))
	assert.NilError(t, err)
	fsys := fstest.MapFS{
		"golden-path.yaml":                {Data: valid},
		"services/hello/golden-path.yaml": {Data: valid},
		"broken/golden-path.yaml":         {Data: []byte("apiVersion: golden-path/v1\nname: Hello\n")},
	}

	t.Run("default name", func(t *testing.T) {
		cfg, err := Load(fsys, "")
		assert.NilError(t, err)
		assert.Equal(t, cfg.Name, "hello-api")
	})

	t.Run("path", func(t *testing.T) {
		cfg, err := Load(fsys, "services/hello/golden-path.yaml")
		assert.NilError(t, err)
		assert.Equal(t, cfg.Team, "payments")
	})

	t.Run("missing", func(t *testing.T) {
		_, err := Load(fsys, "services/other/golden-path.yaml")
		var nf *NotFoundError
		assert.Assert(t, errors.As(err, &nf), "error is %T", err)
		assert.Equal(t, nf.Path, "services/other/golden-path.yaml")
		assert.Assert(t, errors.Is(err, fs.ErrNotExist))
		golden.Assert(t, err.Error()+"\n", filepath.Join("config", "load-missing.golden"))
	})

	t.Run("invalid content names the path", func(t *testing.T) {
		_, err := Load(fsys, "broken/golden-path.yaml")
		var ce *Error
		assert.Assert(t, errors.As(err, &ce), "error is %T", err)
		assert.Equal(t, ce.File, "broken/golden-path.yaml")
		for _, fe := range ce.Errors {
			assert.Assert(t, is.Contains(fe.Error(), "broken/golden-path.yaml"))
		}
	})

	t.Run("directory", func(t *testing.T) {
		_, err := Load(fsys, "services")
		assert.ErrorContains(t, err, "cannot read services")
	})
}

func TestLabelSuggestion(t *testing.T) {
	for in, want := range map[string]string{
		"Hello_API":      "hello-api",
		"my service!":    "my-service",
		"--x--":          "x",
		"___":            "",
		"Über.Service.2": "ber-service-2",
	} {
		assert.Equal(t, labelSuggestion(in), want, in)
	}
	long := labelSuggestion(strings.Repeat("ab_", 40))
	assert.Assert(t, len(long) <= maxLabelLength)
	assert.Assert(t, dns1123Label.MatchString(long), long)
}

// TestParseConfigEdgeCases pins the message of less common mistakes.
func TestParseConfigEdgeCases(t *testing.T) {
	const base = "apiVersion: golden-path/v1\nname: hello-api\nteam: payments\n"
	for _, tc := range []struct {
		name, in string
		want     string // the error; "" when the file is valid
	}{
		{
			name: "tab indentation",
			in:   base + "health:\n\tliveness: /x\n",
			want: "golden-path.yaml:5: the line is indented with a tab, which YAML does not allow; indent with spaces instead (two per level)",
		},
		{
			name: "fractional port",
			in:   base + "port: 8000.5\n",
			want: "golden-path.yaml:4: port: 8000.5 is not a whole number; set a number from 1 to 65535, e.g. port: 8000",
		},
		{
			name: "huge port",
			in:   base + "port: 99999999999999999999\n",
			want: "golden-path.yaml:4: port: 99999999999999999999 is too large; set a number from 1 to 65535, e.g. port: 8000",
		},
		{
			name: "negative port",
			in:   base + "port: -1\n",
			want: "golden-path.yaml:4: port: -1 is not a valid port; set a number from 1 to 65535",
		},
		{
			name: "empty name",
			in:   "apiVersion: golden-path/v1\nname: \"\"\nteam: payments\n",
			want: "golden-path.yaml:2: name: is empty; set it to your service's name, e.g. name: hello-api (lowercase letters, digits and '-')",
		},
		{
			name: "name starting with dash and team with space",
			in:   "apiVersion: golden-path/v1\nname: -hello\nteam: Payments Team\n",
			want: "golden-path.yaml:2: name: \"-hello\" cannot be used: it names the Kubernetes objects of your service, and Kubernetes allows only lowercase letters, digits and '-' there; use \"hello\" instead (only lowercase letters, digits and '-', starting and ending with a letter or digit)\n" +
				"golden-path.yaml:3: team: \"Payments Team\" cannot be used: it labels the Kubernetes objects of your service, and Kubernetes allows only lowercase letters, digits and '-' there; use \"payments-team\" instead (only lowercase letters, digits and '-', starting and ending with a letter or digit)",
		},
		{
			name: "keys are case-sensitive",
			in:   base + "Port: 8000\n",
			want: "golden-path.yaml:4: Port: not a known setting; did you mean \"port\"?",
		},
		{
			name: "space in path",
			in:   base + "metrics:\n  path: /metrics with space\n",
			want: "golden-path.yaml:5: metrics.path: \"/metrics with space\" contains a space; remove the spaces (encode them as %20 if the path really has one)",
		},
		{
			name: "zero and negative quantities",
			in:   base + "resources:\n  requests:\n    cpu: 0\n    memory: -1Gi\n",
			want: "golden-path.yaml:6: resources.requests.cpu: 0 is zero; give a positive amount, e.g. cpu: 100m\n" +
				"golden-path.yaml:7: resources.requests.memory: -1Gi is negative; give a positive amount, e.g. memory: 128Mi",
		},
		{
			name: "space before unit",
			in:   base + "resources:\n  limits:\n    memory: 512 Mi\n",
			want: "golden-path.yaml:6: resources.limits.memory: \"512 Mi\" is not an amount of memory; write 512Mi: a Kubernetes size is a number and a unit, with no space and no 'B' (Ki, Mi, Gi; or k, M, G for powers of ten)",
		},
		{
			name: "scalar document",
			in:   "just a string\n",
			want: "golden-path.yaml:1: the file holds \"just a string\", not settings; write one setting per line as \"key: value\", starting with apiVersion: golden-path/v1",
		},
		{
			name: "null document",
			in:   "~\n",
			want: "golden-path.yaml: the file is empty; describe your service in it, starting from the smallest valid file, three lines: apiVersion: golden-path/v1, name: <your service, e.g. hello-api>, team: <your team, e.g. payments>",
		},
		{
			name: "duration with a space",
			in:   base + "slo:\n  latencyP95: 500 ms\n",
			want: "golden-path.yaml:5: slo.latencyP95: \"500 ms\" is not a duration; write 500ms, without spaces",
		},
		{
			name: "duration in days",
			in:   base + "slo:\n  alertFor: 1d\n",
			want: "golden-path.yaml:5: slo.alertFor: \"1d\" is not a duration; days and weeks are not accepted: write hours, e.g. 24h for a day",
		},
		{
			name: "fractional milliseconds",
			in:   base + "slo:\n  latencyP99: 1.0005s\n",
			want: "golden-path.yaml:5: slo.latencyP99: 1s500µs is not a whole number of milliseconds, the finest unit Prometheus takes; round it to milliseconds, e.g. latencyP99: 1s1ms",
		},
		{
			name: "p95 above the default p99",
			in:   base + "slo:\n  latencyP95: 2s\n",
			want: "golden-path.yaml:5: slo.latencyP95: latencyP95 (2s) is above latencyP99 (1s): the 99th percentile of durations is never below the 95th; lower latencyP95 to at most 1s (the default latencyP99), or also set latencyP99",
		},
		{
			name: "zero error ratio",
			in:   base + "slo:\n  errorRatio: 0%\n",
			want: "golden-path.yaml:5: slo.errorRatio: 0% would alert on every single failed request; give a fraction above 0, e.g. errorRatio: 0.01 (1%)",
		},
		{
			name: "error ratio not a number",
			in:   base + "slo:\n  errorRatio: [0.05]\n",
			want: "golden-path.yaml:5: slo.errorRatio: expected a number, found a list; write a fraction or a percentage, e.g. errorRatio: 0.05 or errorRatio: 5%",
		},
		{name: "slo durations in hours", in: base + "slo:\n  alertFor: 1h30m\n  latencyP99: 10s\n"},
		{name: "leading document marker", in: "---\n" + base},
		{name: "trailing document marker", in: base + "---\n"},
		{name: "hex port", in: base + "port: 0x1F90\n"},
		{name: "null settings use defaults", in: base + "port:\nhealth:\n  liveness: ~\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.in), "")
			if tc.want == "" {
				assert.NilError(t, err)
				assert.Assert(t, cfg.Port >= 1 && cfg.Health.Liveness != "")
				return
			}
			assert.Error(t, err, tc.want)
		})
	}
}

// Read reads golden-path.yaml by its name; a missing file gets the one
// message every stage gives, and the three lines it asks for are enough.
func TestReadConfig(t *testing.T) {
	files := map[string]string{}
	read := func(name string) (string, error) {
		data, ok := files[name]
		if !ok {
			return "", fs.ErrNotExist
		}
		return data, nil
	}
	_, err := Read(read)
	assert.Check(t, is.Error(err, Missing))
	assert.Check(t, !strings.Contains(err.Error(), "examples/"), "the message points at this repository's files")

	files[FileName] = "apiVersion: " + APIVersion + "\nname: orders\nteam: checkout\n"
	cfg, err := Read(read)
	assert.NilError(t, err, "the lines Missing asks for are not enough")
	assert.Check(t, is.Equal(cfg.Name, "orders"))
	assert.Check(t, is.Equal(cfg.Port, DefaultPort))

	files[FileName] = "apiVersion: " + APIVersion + "\nname: Orders\nteam: checkout\n"
	_, err = Read(read)
	assert.Check(t, is.ErrorContains(err, FileName+":2: name: \"Orders\" cannot be used"))
}
