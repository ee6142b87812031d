package serve

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/config"
)

func TestExpectOfIsGoldenPathYAML(t *testing.T) {
	cfg, err := config.Parse([]byte("apiVersion: golden-path/v1\nname: a\nteam: b\nport: 8080\n"+
		"health: {liveness: /live, readiness: /readyz}\nmetrics: {path: /prom}\n"), "")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(ExpectOf(cfg), Expect{Port: 8080, Liveness: "/live", Readiness: "/readyz", Metrics: "/prom", Series: DefaultSeries}))

	// The team's own metrics, named in golden-path.yaml.
	cfg.Metrics.Requests, cfg.Metrics.Duration = "app_requests_total", "app_request_seconds"
	assert.Check(t, is.DeepEqual(ExpectOf(cfg).Series, []string{"app_requests_total", "app_request_seconds"}))
}

// A /metrics without the series the alerts read fails, naming them and the
// settings that name a service's own.
func TestReportMissingSeries(t *testing.T) {
	e := Expect{Port: 8000, Liveness: "/health", Readiness: "/ready", Metrics: "/metrics", Series: DefaultSeries}
	r := &Report{Expect: e, Seconds: 1, Missing: []string{"http_request_duration_seconds"}, Answers: []Answer{{Path: "/health", What: "liveness", Ok: true},
		{Path: "/ready", What: "readiness", Ok: true},
		{Path: "/metrics", What: "metrics", Status: 200, ContentType: "text/plain", Error: "it lacks the series http_request_duration_seconds that the platform's alerts and dashboard read"}}}
	assert.Check(t, is.Error(r.Err(), "serve: the runtime image, started on port 8000 (golden-path.yaml's port), did not answer as the cluster will ask it to within 1s:\n"+
		"- metrics /metrics: answered 200 (text/plain) but it lacks the series http_request_duration_seconds that the platform's alerts and dashboard read; "+
		"fix: expose http_request_duration_seconds (the template's src/observability.py defines them), or name your own request counter and latency histogram "+
		"in golden-path.yaml's metrics.requests and metrics.duration"))
	assert.Check(t, is.Equal(r.Setting(), "metrics.duration"))
	r.Missing = DefaultSeries
	assert.Check(t, is.Equal(r.Setting(), "metrics.requests"))
}

func TestReportDetailAndErr(t *testing.T) {
	e := Expect{Port: 8000, Liveness: "/health", Readiness: "/ready", Metrics: "/metrics"}
	passed := &Report{Expect: e, Seconds: 1.24, Answers: []Answer{{Path: "/health", Ok: true}, {Path: "/ready", Ok: true}, {Path: "/metrics", Ok: true}}}
	assert.Check(t, passed.Ok())
	assert.NilError(t, passed.Err())
	assert.Check(t, is.Equal(passed.Detail(), "/health, /ready and /metrics answered on port 8000 in 1.2s"))

	failed := &Report{Expect: e, Seconds: 30, Answers: []Answer{{Path: "/health", What: "liveness", Ok: true},
		{Path: "/ready", What: "readiness", Status: 500, Body: "boom\n  trace"}, {Path: "/metrics", What: "metrics", Ok: true}}}
	assert.Check(t, is.Equal(failed.Detail(), "/ready failed on port 8000"))
	assert.Check(t, is.Error(failed.Err(), "serve: the runtime image, started on port 8000 (golden-path.yaml's port), did not answer as the cluster will ask it to within 30s:\n"+
		"- readiness /ready: answered 500: boom trace; fix: answer /ready with a 2xx status once the service can take traffic"))

	assert.Check(t, !(&Report{}).Ok(), "a report that asked nothing does not pass")

	exited := &Report{Expect: e, Exited: "exit code: 3", Logs: "boom"}
	assert.Check(t, !exited.Ok())
	assert.Check(t, is.Equal(exited.Detail(), "the service stopped: exit code: 3"))
	assert.Check(t, is.Error(exited.Err(), "serve: the runtime image stopped before it answered on port 8000 (exit code: 3); fix: make its command (CMD or ENTRYPOINT) start the service and keep it running\nThe service's last log lines:\nboom"))
}

// Setting is what a failure is annotated at in golden-path.yaml.
func TestReportSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Report
		want string
	}{
		{"passed", Report{Answers: []Answer{{What: "liveness", Ok: true}}}, ""},
		{"stopped", Report{Exited: "exit code: 3"}, "port"},
		{"nothing answered", Report{Answers: []Answer{{What: "liveness", Error: "connection refused"}}}, "port"},
		{"readiness 404", Report{Answers: []Answer{{What: "liveness", Ok: true}, {What: "readiness", Status: 404}}}, "health.readiness"},
		{"metrics 404", Report{Answers: []Answer{{What: "liveness", Ok: true}, {What: "readiness", Ok: true}, {What: "metrics", Status: 404}}}, "metrics.path"},
		{"the code fails", Report{Answers: []Answer{{What: "liveness", Status: 500}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Check(t, is.Equal(tc.r.Setting(), tc.want)) })
	}
}
