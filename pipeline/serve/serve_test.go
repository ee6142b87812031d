package serve

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/config"
)

func TestExpectOfIsGoldenPathYAML(t *testing.T) {
	cfg := &config.Config{Port: 8080, Health: config.Health{Liveness: "/live", Readiness: "/readyz"}, Metrics: config.Metrics{Path: "/prom"}}
	e := ExpectOf(cfg)
	assert.Check(t, is.DeepEqual(e, Expect{Port: 8080, Liveness: "/live", Readiness: "/readyz", Metrics: "/prom", Series: DefaultSeries}))
	e.Series[0] = "changed"
	assert.Check(t, is.Equal(DefaultSeries[0], "http_requests_total"), "ExpectOf copies the defaults")
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
