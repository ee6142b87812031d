package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/serve"
)

// metrics is what the template's prometheus_client exposes (trimmed).
const metrics = `# HELP http_requests_total Requests served, by method, route template and status.
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/health",status="200"} 1.0
# HELP http_requests_created Requests served, by method, route template and status.
# TYPE http_requests_created gauge
http_requests_created{method="GET",route="/health",status="200"} 1.7649e+09
# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",route="/health"} 1.0
http_request_duration_seconds_bucket{le="+Inf",route="/health"} 1.0
http_request_duration_seconds_count{route="/health"} 1.0
http_request_duration_seconds_sum{route="/health"} 0.001
`

var expect = serve.Expect{Port: 8000, Liveness: "/health", Readiness: "/ready", Metrics: "/metrics", Series: serve.DefaultSeries}

// service answers path with the handler of the map, 404 otherwise.
func service(t *testing.T, paths map[string]http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := paths[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.Error(w, `{"detail":"Not Found"}`, http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func ok(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }
}

// fakeClock advances by the sleeps Probe asks for, so timeouts take no time.
type fakeClock struct{ now time.Time }

func (c *fakeClock) opt() Option {
	return WithClock(func() time.Time { return c.now }, func(context.Context, time.Duration) error {
		c.now = c.now.Add(500 * time.Millisecond)
		return nil
	})
}

func TestRunPassesAServiceThatAnswers(t *testing.T) {
	base := service(t, map[string]http.HandlerFunc{"/health": ok(`{"status":"ok"}`), "/ready": ok(`{"status":"ready"}`), "/metrics": ok(metrics)})
	rep, err := Run(context.Background(), http.DefaultClient, base, expect)
	assert.NilError(t, err)
	assert.Check(t, rep.Ok())
	assert.NilError(t, rep.Err())
	assert.Check(t, is.Len(rep.Answers, 3))
	assert.Check(t, is.Equal(rep.Answers[2].Status, 200))
	assert.Check(t, is.Len(rep.Missing, 0))
}

// Readiness answers 503 while the service warms up: Probe asks again.
func TestRunWaitsForReadiness(t *testing.T) {
	var calls atomic.Int32
	base := service(t, map[string]http.HandlerFunc{"/health": ok("ok"), "/metrics": ok(metrics),
		"/ready": func(w http.ResponseWriter, _ *http.Request) {
			if calls.Add(1) < 3 {
				http.Error(w, "warming up", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte("ready"))
		}})
	c := &fakeClock{now: time.Unix(0, 0)}
	rep, err := Run(context.Background(), http.DefaultClient, base, expect, c.opt())
	assert.NilError(t, err)
	assert.Check(t, rep.Ok(), "%v", rep.Err())
	assert.Check(t, is.Equal(calls.Load(), int32(3)))
	assert.Check(t, is.Equal(rep.Seconds, 1.0))
}

func TestRunNamesWhatAnswered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paths map[string]http.HandlerFunc
		want  []string
	}{
		{
			name:  "health path mismatch",
			paths: map[string]http.HandlerFunc{"/healthz": ok("ok"), "/ready": ok("ready"), "/metrics": ok(metrics)},
			want: []string{"- liveness /health: answered 404: {\"detail\":\"Not Found\"}; fix: serve /health, or set health.liveness in golden-path.yaml",
				"started on port 8000 (golden-path.yaml's port)", "within 10s"},
		},
		{
			name:  "metrics answers 404",
			paths: map[string]http.HandlerFunc{"/health": ok("ok"), "/ready": ok("ready")},
			want:  []string{"- metrics /metrics: answered 404", "set metrics.path in golden-path.yaml"},
		},
		{
			name:  "metrics not in the text format",
			paths: map[string]http.HandlerFunc{"/health": ok("ok"), "/ready": ok("ready"), "/metrics": ok(`{"requests": 3}`)},
			want:  []string{"- metrics /metrics: answered 200", "but it is not in Prometheus' text format", "fix: expose the metrics with a Prometheus client library"},
		},
		{
			name: "metrics without the platform's series",
			paths: map[string]http.HandlerFunc{"/health": ok("ok"), "/ready": ok("ready"),
				"/metrics": ok("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n")},
			want: []string{"it lacks the series http_requests_total, http_request_duration_seconds that the platform's alerts and dashboard read"},
		},
		{
			name: "never ready",
			paths: map[string]http.HandlerFunc{"/health": ok("ok"), "/metrics": ok(metrics),
				"/ready": func(w http.ResponseWriter, _ *http.Request) {
					http.Error(w, "database down", http.StatusServiceUnavailable)
				}},
			want: []string{"- readiness /ready: answered 503: database down; fix: answer /ready with a 2xx status once the service can take traffic"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &fakeClock{now: time.Unix(0, 0)}
			rep, err := Run(context.Background(), http.DefaultClient, service(t, tc.paths), expect, WithTimeout(10*time.Second), c.opt())
			assert.NilError(t, err)
			assert.Check(t, !rep.Ok())
			err = rep.Err()
			assert.Assert(t, err != nil)
			for _, w := range tc.want {
				assert.Check(t, is.Contains(err.Error(), w))
			}
		})
	}
}

// A wrong port: nothing listens; the error says so, and the logs the caller
// read come last.
func TestRunNoAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c := &fakeClock{now: time.Unix(0, 0)}
	rep, err := Run(context.Background(), http.DefaultClient, base, expect, WithTimeout(2*time.Second), c.opt())
	assert.NilError(t, err)
	rep.Logs = "INFO: Uvicorn running on http://0.0.0.0:8080"
	msg := rep.Err().Error()
	assert.Check(t, is.Contains(msg, "\n- no path answered (connection refused); fix: make the service listen on 0.0.0.0:8000"))
	assert.Check(t, !strings.Contains(msg, "- liveness"), "one line when nothing answers")
	assert.Check(t, strings.HasSuffix(msg, "The service's last log lines:\nINFO: Uvicorn running on http://0.0.0.0:8080"), msg)
}

func TestRunBadArguments(t *testing.T) {
	_, err := Run(context.Background(), nil, "http://x", expect)
	assert.Check(t, is.ErrorContains(err, "a client and the service's address are required"))
	bad := expect
	bad.Metrics = "metrics"
	_, err = Run(context.Background(), http.DefaultClient, "http://x", bad)
	assert.Check(t, is.ErrorContains(err, `the metrics path "metrics" does not start with /`))
	_, err = Run(context.Background(), http.DefaultClient, "http://x", expect, WithTimeout(0))
	assert.Check(t, is.ErrorContains(err, "the timeout must be more than 0"))
}
