package observe

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/promapi"
)

var since = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func scrapeTarget(pod, health, lastError string) promapi.Target {
	return promapi.Target{
		Labels:     map[string]string{"namespace": "payments-dev", "service": "hello-api", "pod": pod, "job": "hello-api"},
		ScrapePool: "serviceMonitor/payments-dev/hello-api/0", ScrapeURL: "http://10.88.0.7:8000/metrics",
		Health: health, LastError: lastError, LastScrape: since.Add(20 * time.Second),
	}
}

func series(status string, samples ...float64) promapi.Series {
	s := promapi.Series{Labels: map[string]string{"__name__": RequestCounter, "status": status}}
	for i, v := range samples {
		// One sample every 15 s, from 30 s before since.
		s.Samples = append(s.Samples, promapi.Sample{Time: since.Add(time.Duration(i*15-30) * time.Second), Value: v})
	}
	return s
}

func scrapeError(t *testing.T, err error) *ScrapeError {
	t.Helper()
	var se *ScrapeError
	assert.Assert(t, errors.As(err, &se), "%v is not a *ScrapeError", err)
	return se
}

var expect = Expect{Namespace: "payments-dev", Service: "hello-api", Since: since}

func TestJudgeScraped(t *testing.T) {
	got, err := Judge(expect, &promapi.Targets{Active: []promapi.Target{scrapeTarget("a", "up", "")}},
		[]promapi.Series{series("200", 4, 5, 9, 12), series("503", 1)})
	assert.NilError(t, err)
	// 200: 12 now, 5 before since; 503: no sample after since.
	assert.Check(t, is.Equal(got.Increase, 7.0))
	assert.Check(t, is.DeepEqual(got.Targets, []string{"http://10.88.0.7:8000/metrics"}))
	assert.Check(t, got.LastScrape.Equal(since.Add(20*time.Second)))

	// A series born after since counts from zero: a new pod's first scrape.
	fresh := promapi.Series{Samples: []promapi.Sample{{Time: since.Add(time.Second), Value: 3}}}
	got, err = Judge(expect, &promapi.Targets{Active: []promapi.Target{scrapeTarget("b", "up", "")}}, []promapi.Series{fresh})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got.Increase, 3.0))
}

func TestJudgeMissing(t *testing.T) {
	other := scrapeTarget("x", "up", "")
	other.Labels["namespace"], other.ScrapePool = "payments-staging", "serviceMonitor/payments-staging/hello-api/0"
	for _, tc := range []struct {
		name    string
		targets promapi.Targets
		counter []promapi.Series
		reason  ScrapeReason
		details []string
		fix     string
	}{
		{name: "not configured", targets: promapi.Targets{Active: []promapi.Target{other}},
			reason: NoTarget, details: []string{"no scrape pool serviceMonitor/payments-dev/hello-api/* in Prometheus' configuration"},
			fix: "apply the ServiceMonitor payments-dev/hello-api"},
		{name: "endpoints dropped", targets: promapi.Targets{
			Dropped: []promapi.Target{{ScrapePool: "serviceMonitor/payments-dev/hello-api/0", DiscoveredLabels: map[string]string{
				"__address__": "10.88.0.9:8000", "__meta_kubernetes_namespace": "payments-dev",
				"__meta_kubernetes_service_name": "hello-api", "__meta_kubernetes_endpointslice_port_name": "web"}}},
			DroppedCounts: map[string]int{"serviceMonitor/payments-dev/hello-api/0": 1}},
			reason: NoTarget, details: []string{`dropped endpoint 10.88.0.9:8000 of Service hello-api (port name "web")`},
			fix: `make the ServiceMonitor's selector match the Service hello-api's labels`},
		{name: "pool without endpoints", targets: promapi.Targets{DroppedCounts: map[string]int{"serviceMonitor/payments-dev/hello-api/0": 0}},
			reason: NoTarget, details: []string{"Prometheus discovered no endpoint of a Service the ServiceMonitor selects"}},
		{name: "down", targets: promapi.Targets{Active: []promapi.Target{scrapeTarget("a", "up", ""), scrapeTarget("b", "down", "server returned HTTP status 404 Not Found")}},
			reason: TargetDown, details: []string{"http://10.88.0.7:8000/metrics (pod b): down: server returned HTTP status 404 Not Found"},
			fix: "make the service answer its metrics path"},
		{name: "not scraped yet", targets: promapi.Targets{Active: []promapi.Target{scrapeTarget("a", "unknown", "")}},
			reason: TargetDown, details: []string{"http://10.88.0.7:8000/metrics (pod a): unknown: not scraped yet"}},
		{name: "absent", targets: promapi.Targets{Active: []promapi.Target{scrapeTarget("a", "up", "")}},
			reason: MetricAbsent, details: []string{`1 target(s) up, no series http_requests_total{namespace="payments-dev",service="hello-api"}`},
			fix: "keep the template's ObservabilityMiddleware"},
		{name: "flat", targets: promapi.Targets{Active: []promapi.Target{scrapeTarget("a", "up", "")}},
			counter: []promapi.Series{series("200", 5, 5, 5)},
			reason:  CounterFlat, details: []string{"1 series, 1 samples scraped since 2026-11-29T12:00:00Z, none above its value before"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Judge(expect, &tc.targets, tc.counter)
			se := scrapeError(t, err)
			assert.Check(t, is.Equal(se.Reason, tc.reason))
			assert.Check(t, is.DeepEqual(se.Details, tc.details))
			assert.Check(t, is.Contains(se.Fix, tc.fix))
			assert.Check(t, is.Contains(err.Error(), string(tc.reason)+" for service hello-api in namespace payments-dev"))
		})
	}
}

// VerifyScraped asks again until the timeout and returns the last
// ScrapeError, with how long it waited and whom it asked.
func TestVerifyScrapedTimesOut(t *testing.T) {
	c, err := promapi.New("http://127.0.0.1:1") // nothing listens on port 1
	assert.NilError(t, err)
	start := time.Now()
	_, err = VerifyScraped(context.Background(), c, expect, WithTimeout(300*time.Millisecond), WithPollInterval(50*time.Millisecond))
	var ue *promapi.UnreachableError
	assert.Assert(t, errors.As(err, &ue), "%v", err)
	assert.Check(t, is.ErrorContains(err, "cannot reach Prometheus at http://127.0.0.1:1/api/v1/targets"))
	assert.Check(t, time.Since(start) >= 300*time.Millisecond)

	_, err = VerifyScraped(context.Background(), c, Expect{Service: "hello-api"})
	var ie *InputError
	assert.Check(t, errors.As(err, &ie), "%v", err)
}

// When the time runs out while Prometheus is being asked, the answer is
// what was missing before (here a target down), not the question cut short.
func TestVerifyScrapedTimesOutDuringAQuestion(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/targets" && asked.Add(1) > 1 {
			<-r.Context().Done() // the second question outlives the timeout
			return
		}
		data := any(promapi.Targets{Active: []promapi.Target{scrapeTarget("hello-api-0", "down", "server returned HTTP status 404 Not Found")}})
		if r.URL.Path == "/api/v1/query" {
			data = map[string]any{"resultType": "matrix", "result": []any{}}
		}
		assert.Check(t, json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data}))
	}))
	defer srv.Close()
	c, err := promapi.New(srv.URL)
	assert.NilError(t, err)
	_, err = VerifyScraped(context.Background(), c, expect, WithTimeout(300*time.Millisecond), WithPollInterval(10*time.Millisecond))
	se := scrapeError(t, err)
	assert.Check(t, is.Equal(se.Reason, TargetDown))
	assert.Check(t, is.ErrorContains(err, "404"))
	assert.Check(t, is.Equal(asked.Load(), int32(2)))
}
