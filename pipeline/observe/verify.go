package observe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/golden-path/golden-path/pipeline/promapi"
)

// RequestCounter is the counter of the template's HTTP server whose moving
// proves the service's traffic reaches Prometheus.
const RequestCounter = config.DefaultRequestsMetric

// Expect is what VerifyScraped waits for: the service's targets up and its
// request counter moved.
type Expect struct {
	// Namespace and Service name the Service the ServiceMonitor selects.
	Namespace, Service string
	// ServiceMonitor is the ServiceMonitor's name; Service when empty.
	ServiceMonitor string
	// Counter is the counter that must move; RequestCounter when empty.
	Counter string
	// Since is when the traffic that must show happened, e.g. the start of
	// the smoke test: the counter must have a sample scraped after it that is
	// above the last one before it. The start of VerifyScraped when zero.
	Since time.Time
}

// Scraped is what VerifyScraped saw once the service was scraped.
type Scraped struct {
	// Targets are the service's targets, each as its scrape URL; all up.
	Targets []string
	// Increase is how much the counter grew after Since, summed over the
	// service's series.
	Increase float64
	// LastScrape is the newest scrape of the service's targets.
	LastScrape time.Time
}

// ScrapeReason says what was missing.
type ScrapeReason string

// The reasons VerifyScraped fails.
const (
	// NoTarget: Prometheus scrapes nothing of the service.
	NoTarget ScrapeReason = "no target"
	// TargetDown: a target of the service fails its scrapes.
	TargetDown ScrapeReason = "target down"
	// MetricAbsent: the targets are up, but the counter is not exposed.
	MetricAbsent ScrapeReason = "metric absent"
	// CounterFlat: the counter did not move after Since.
	CounterFlat ScrapeReason = "counter did not move"
)

// ScrapeError is a service that Prometheus does not scrape the way it must.
type ScrapeError struct {
	Reason ScrapeReason
	// Namespace and Service name the service; ServiceMonitor its
	// ServiceMonitor; Counter the counter.
	Namespace, Service, ServiceMonitor, Counter string
	// Prometheus is the Prometheus asked.
	Prometheus string
	// Waited is how long VerifyScraped waited.
	Waited time.Duration
	// Details lists what Prometheus said: targets and their last errors,
	// dropped endpoints, samples.
	Details []string
	// Fix says what to do.
	Fix string
}

func (e *ScrapeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "observe: Prometheus at %s: %s for service %s in namespace %s after %s",
		e.Prometheus, e.Reason, e.Service, e.Namespace, e.Waited.Round(time.Second))
	for _, d := range e.Details {
		b.WriteString("\n  - " + d)
	}
	if e.Fix != "" {
		b.WriteString("\n  fix: " + e.Fix)
	}
	return b.String()
}

// VerifyOption configures VerifyScraped.
type VerifyOption func(*verifyOptions)

type verifyOptions struct {
	timeout, interval time.Duration
	now               func() time.Time
}

// WithTimeout sets how long VerifyScraped waits (2 minutes by default: a
// ServiceMonitor is picked up by the operator, Prometheus reloads, and the
// first scrapes follow at the scrape interval).
func WithTimeout(d time.Duration) VerifyOption { return func(o *verifyOptions) { o.timeout = d } }

// WithPollInterval sets how often Prometheus is asked (2 s by default).
func WithPollInterval(d time.Duration) VerifyOption {
	return func(o *verifyOptions) { o.interval = d }
}

// VerifyScraped asks Prometheus until every target of the service is up and
// its request counter moved after e.Since. When time runs out it returns a
// *ScrapeError with the last thing that was missing: no target (with the
// endpoints Prometheus discovered and dropped), a target down (with its
// scrape error), the counter absent or flat. Errors of the API itself
// (401, 403, a bad query) end it at once; an unreachable Prometheus is
// asked again until the timeout.
func VerifyScraped(ctx context.Context, c *promapi.Client, e Expect, opts ...VerifyOption) (*Scraped, error) {
	o := verifyOptions{timeout: 2 * time.Minute, interval: 2 * time.Second, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if e.Namespace == "" || e.Service == "" {
		return nil, &InputError{Field: "expect", Reason: "name the namespace and the service to verify"}
	}
	if e.ServiceMonitor == "" {
		e.ServiceMonitor = e.Service
	}
	if e.Counter == "" {
		e.Counter = RequestCounter
	}
	start := o.now()
	if e.Since.IsZero() {
		e.Since = start
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var last error
	for {
		s, err := scrapeOnce(ctx, c, e)
		if err == nil {
			return s, nil
		}
		var se *ScrapeError
		var ue *promapi.UnreachableError
		switch {
		case errors.As(err, &se):
			se.Prometheus, se.Waited = c.URL(""), o.now().Sub(start)
		case errors.As(err, &ue):
			if ctx.Err() != nil && last != nil {
				// The time ran out during this question: what was missing
				// before is the answer, not the question cut short.
				return nil, last
			}
		default:
			return nil, err
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, last
		case <-time.After(o.interval):
		}
	}
}

// scrapeOnce asks Prometheus once.
func scrapeOnce(ctx context.Context, c *promapi.Client, e Expect) (*Scraped, error) {
	targets, err := c.Targets(ctx, "")
	if err != nil {
		return nil, err
	}
	// The raw samples since a little before Since: the last one before it
	// is the baseline.
	window := time.Since(e.Since) + 2*time.Minute
	window = min(window.Round(time.Second), 6*time.Hour)
	series, err := c.Query(ctx, fmt.Sprintf("%s{namespace=%q,service=%q}[%ds]", e.Counter, e.Namespace, e.Service, int(window.Seconds())), time.Time{})
	if err != nil {
		return nil, err
	}
	return Judge(e, targets, series)
}

// Judge decides from one answer of /api/v1/targets and the counter's raw
// samples whether the service is scraped as e expects; a *ScrapeError says
// what is missing. It is VerifyScraped's decision, without the asking.
func Judge(e Expect, targets *promapi.Targets, counter []promapi.Series) (*Scraped, error) {
	if e.ServiceMonitor == "" {
		e.ServiceMonitor = e.Service
	}
	if e.Counter == "" {
		e.Counter = RequestCounter
	}
	fail := func(r ScrapeReason, fix string, details ...string) error {
		return &ScrapeError{Reason: r, Namespace: e.Namespace, Service: e.Service, ServiceMonitor: e.ServiceMonitor,
			Counter: e.Counter, Details: details, Fix: fix}
	}
	var mine []promapi.Target
	for _, t := range targets.Active {
		if t.Labels["namespace"] == e.Namespace && t.Labels["service"] == e.Service {
			mine = append(mine, t)
		}
	}
	if len(mine) == 0 {
		return nil, noTarget(e, targets, fail)
	}
	s := &Scraped{}
	var down []string
	for _, t := range mine {
		s.Targets = append(s.Targets, t.ScrapeURL)
		if t.LastScrape.After(s.LastScrape) {
			s.LastScrape = t.LastScrape
		}
		if t.Health != "up" {
			why := t.LastError
			if t.Health == "unknown" || why == "" {
				why = "not scraped yet"
			}
			down = append(down, fmt.Sprintf("%s (pod %s): %s: %s", t.ScrapeURL, t.Labels["pod"], t.Health, why))
		}
	}
	sort.Strings(s.Targets)
	if len(down) > 0 {
		sort.Strings(down)
		return nil, fail(TargetDown, "make the service answer its metrics path with the Prometheus text format "+
			"(the template's observability.py does), or set metrics.path in golden-path.yaml to where it does", down...)
	}
	if len(counter) == 0 {
		return nil, fail(MetricAbsent, fmt.Sprintf("the service's metrics have no %s: keep the template's ObservabilityMiddleware "+
			"(src/observability.py) in the app", e.Counter), fmt.Sprintf("%d target(s) up, no series %s{namespace=%q,service=%q}", len(mine), e.Counter, e.Namespace, e.Service))
	}
	var after int
	for _, sr := range counter {
		var before, latest float64
		var seen bool
		for _, smp := range sr.Samples {
			if smp.Time.Before(e.Since) {
				before = smp.Value
				continue
			}
			latest, seen = smp.Value, true
			after++
		}
		if seen && latest > before {
			s.Increase += latest - before
		}
	}
	if s.Increase <= 0 {
		return nil, fail(CounterFlat, "check that the smoke test's requests reach this service's pods and that the app counts them "+
			"(ObservabilityMiddleware); a scrape may just not have happened yet: give verify more time",
			fmt.Sprintf("%d series, %d samples scraped since %s, none above its value before", len(counter), after, e.Since.UTC().Format(time.RFC3339)))
	}
	return s, nil
}

// noTarget explains why Prometheus has no target of the service: its
// endpoints were discovered and dropped (a selector or port that does not
// match), or the ServiceMonitor is not in Prometheus' configuration at all.
func noTarget(e Expect, t *promapi.Targets, fail func(ScrapeReason, string, ...string) error) error {
	pool := fmt.Sprintf("serviceMonitor/%s/%s/", e.Namespace, e.ServiceMonitor)
	known := false
	for p := range t.DroppedCounts {
		known = known || strings.HasPrefix(p, pool)
	}
	var dropped []string
	for _, d := range t.Dropped {
		l := d.DiscoveredLabels
		if strings.HasPrefix(d.ScrapePool, pool) {
			known = true
		}
		if l["__meta_kubernetes_namespace"] != e.Namespace || !strings.HasPrefix(d.ScrapePool, pool) {
			continue
		}
		port := l["__meta_kubernetes_endpoint_port_name"]
		if port == "" {
			port = l["__meta_kubernetes_endpointslice_port_name"]
		}
		dropped = append(dropped, fmt.Sprintf("dropped endpoint %s of Service %s (port name %q)",
			l["__address__"], l["__meta_kubernetes_service_name"], port))
	}
	for _, a := range t.Active {
		known = known || strings.HasPrefix(a.ScrapePool, pool)
	}
	sort.Strings(dropped)
	if !known {
		return fail(NoTarget, fmt.Sprintf("apply the ServiceMonitor %s/%s, and check that the Prometheus selects it "+
			"(its serviceMonitorSelector and serviceMonitorNamespaceSelector match the ServiceMonitor's and the namespace's labels)",
			e.Namespace, e.ServiceMonitor), fmt.Sprintf("no scrape pool %s* in Prometheus' configuration", pool))
	}
	if len(dropped) == 0 {
		dropped = []string{"Prometheus discovered no endpoint of a Service the ServiceMonitor selects"}
	}
	return fail(NoTarget, fmt.Sprintf("make the ServiceMonitor's selector match the Service %s's labels and its endpoint port "+
		"name the Service's port (%q); a Service with no ready pod has no endpoint either", e.Service, PortName), dropped...)
}
