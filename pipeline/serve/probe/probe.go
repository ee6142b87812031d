package probe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/golden-path/golden-path/pipeline/serve"
)

// Option configures Run.
type Option func(*options)

type options struct {
	timeout time.Duration
	every   time.Duration
	clock   func() time.Time
	sleep   func(context.Context, time.Duration) error
}

// WithTimeout sets how long the service has to pass (default 30 s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithClock sets the clock and the sleep Run waits with (tests).
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(o *options) { o.clock, o.sleep = now, sleep }
}

// DefaultTimeout is how long a service has to pass, unless WithTimeout.
const DefaultTimeout = 30 * time.Second

// Run asks the service at base (http://host:port) for the liveness,
// readiness and metrics paths of e, again every half second until each has
// passed or the timeout is over, and returns what each answered last. It
// returns an error only for bad arguments; a service that fails is a Report
// whose Err says so.
func Run(ctx context.Context, client *http.Client, base string, e serve.Expect, opts ...Option) (*serve.Report, error) {
	o := options{timeout: DefaultTimeout, every: 500 * time.Millisecond, clock: time.Now, sleep: sleepCtx}
	for _, opt := range opts {
		opt(&o)
	}
	if client == nil || base == "" {
		return nil, fmt.Errorf("serve: a client and the service's address are required")
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("serve: the timeout must be more than 0, got %s", o.timeout)
	}
	paths := []struct{ what, path string }{{"liveness", e.Liveness}, {"readiness", e.Readiness}, {"metrics", e.Metrics}}
	for _, p := range paths {
		if !strings.HasPrefix(p.path, "/") {
			return nil, fmt.Errorf("serve: the %s path %q does not start with /", p.what, p.path)
		}
	}
	rep := &serve.Report{Expect: e}
	start := o.clock()
	deadline := start.Add(o.timeout)
	for _, p := range paths {
		for {
			a, missing := ask(ctx, client, base, p.what, p.path, e.Series)
			if a.Ok || !o.clock().Before(deadline) || ctx.Err() != nil {
				rep.Answers = append(rep.Answers, a)
				if p.what == "metrics" {
					rep.Missing = missing
				}
				break
			}
			if err := o.sleep(ctx, o.every); err != nil {
				rep.Answers = append(rep.Answers, a)
				break
			}
		}
	}
	rep.Seconds = o.clock().Sub(start).Seconds()
	return rep, nil
}

// ask requests path once; for the metrics path it also parses the answer
// and returns the series it lacks.
func ask(ctx context.Context, client *http.Client, base, what, path string, series []string) (serve.Answer, []string) {
	a := serve.Answer{Path: path, What: what}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
	if err != nil {
		a.Error = err.Error()
		return a, nil
	}
	resp, err := client.Do(req)
	if err != nil {
		a.Error = shortNetError(err)
		return a, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	a.Status, a.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	a.Body = string(body[:min(len(body), serve.BodyExcerpt)])
	if err != nil {
		a.Error = "its body could not be read: " + err.Error()
		return a, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return a, nil
	}
	if what != "metrics" {
		a.Ok = true
		return a, nil
	}
	missing, err := checkMetrics(body, series)
	switch {
	case err != nil:
		a.Error = err.Error()
	case len(missing) > 0:
		a.Error = "it lacks the series " + strings.Join(missing, ", ") + " that the platform's alerts and dashboard read"
	default:
		a.Ok = true
	}
	return a, missing
}

// checkMetrics parses body as Prometheus' text format and returns the
// series it lacks.
func checkMetrics(body []byte, series []string) ([]string, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("it is not in Prometheus' text format (%s)", err.Error())
	}
	if len(families) == 0 {
		return nil, fmt.Errorf("it holds no metric")
	}
	var missing []string
	for _, s := range series {
		if _, ok := families[s]; !ok {
			missing = append(missing, s)
		}
	}
	return missing, nil
}

// shortNetError is err without Go's "Get \"http://…\":" prefix.
func shortNetError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "dial tcp") {
		return strings.TrimSpace(msg[i+2:])
	}
	return msg
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
