// Package serve is the serve gate: before any cluster runs a service's
// runtime image, the image is started and asked what Kubernetes and
// Prometheus will ask it. Its liveness, readiness and metrics paths must
// answer 2xx on the port of golden-path.yaml within a timeout, and the
// metrics must be in Prometheus' text format with the series the alerts, the
// dashboard and the deploy's verification rely on. A wrong port or path then
// fails the pull request, naming what answered, instead of a rollout that
// times out minutes after the deploy.
//
// This package holds what the gate asks and what it found (light: the golden
// path's root module decodes it); package probe asks. The build module
// starts the image as a Dagger service and hands probe.Run a client and the
// service's address; tests run it against httptest servers.
package serve

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/golden-path/golden-path/pipeline/config"
)

// DefaultSeries are the metric families the platform's alerts, dashboard
// and verification read unless golden-path.yaml names others (the
// template's src/observability.py exposes them): the request counter and
// the latency histogram.
var DefaultSeries = []string{config.DefaultRequestsMetric, config.DefaultDurationMetric}

// Expect is what the service must answer.
type Expect struct {
	// Port is the port the service listens on (golden-path.yaml's port).
	Port int `json:"port"`
	// Liveness, Readiness and Metrics are the paths of golden-path.yaml.
	Liveness  string `json:"liveness"`
	Readiness string `json:"readiness"`
	Metrics   string `json:"metrics"`
	// Series are the metric families /metrics must expose.
	Series []string `json:"series"`
}

// ExpectOf is what golden-path.yaml promises: its port, paths, and the
// request counter and latency histogram its metrics settings name.
func ExpectOf(cfg *config.Config) Expect {
	return Expect{Port: cfg.Port, Liveness: cfg.Health.Liveness, Readiness: cfg.Health.Readiness,
		Metrics: cfg.Metrics.Path, Series: []string{cfg.Metrics.Requests, cfg.Metrics.Duration}}
}

// Answer is what one path answered, the last time it was asked.
type Answer struct {
	// Path is the path asked, e.g. /health.
	Path string `json:"path"`
	// What is what the platform uses it for: liveness, readiness or metrics.
	What string `json:"what"`
	// Status is the HTTP status; 0 when nothing answered.
	Status int `json:"status,omitempty"`
	// ContentType is the answer's Content-Type header.
	ContentType string `json:"contentType,omitempty"`
	// Body is the start of the answer's body (at most BodyExcerpt bytes).
	Body string `json:"body,omitempty"`
	// Error is why nothing answered (connection refused, timeout), or what is
	// wrong with the metrics; empty when the path passed.
	Error string `json:"error,omitempty"`
	// Ok is true when the path answered as it must.
	Ok bool `json:"ok"`
}

// BodyExcerpt is how much of an answer's body a report keeps.
const BodyExcerpt = 200

// Report is the serve gate's finding.
type Report struct {
	// Expect is what was asked.
	Expect Expect `json:"expect"`
	// Answers are the liveness, readiness and metrics paths' last answers, in
	// that order.
	Answers []Answer `json:"answers"`
	// Missing are the series of Expect.Series that /metrics does not expose.
	Missing []string `json:"missing,omitempty"`
	// Exited says why the service stopped before it could be asked anything
	// (e.g. "exit code: 3"); empty when it ran.
	Exited string `json:"exited,omitempty"`
	// Logs are the service's last log lines, when the caller could read them
	// (Probe does not: the caller that runs the service sets them).
	Logs string `json:"logs,omitempty"`
	// Seconds is how long the service took to pass, or the time spent when
	// it did not.
	Seconds float64 `json:"seconds"`
}

// Ok says whether every path answered as it must.
func (r *Report) Ok() bool {
	for _, a := range r.Answers {
		if !a.Ok {
			return false
		}
	}
	return len(r.Answers) > 0
}

// Err is the gate's decision: nil when every path passed; else an error
// naming each failing path, the port, what answered, how to fix it, and the
// service's last log lines.
func (r *Report) Err() error {
	if r.Ok() {
		return nil
	}
	var b strings.Builder
	if r.Exited != "" {
		fmt.Fprintf(&b, "serve: the runtime image stopped before it answered on port %d (%s); fix: make its command (CMD or ENTRYPOINT) start the service and keep it running", r.Expect.Port, r.Exited)
		if r.Logs != "" {
			fmt.Fprintf(&b, "\nThe service's last log lines:\n%s", r.Logs)
		}
		return errors.New(b.String())
	}
	fmt.Fprintf(&b, "serve: the runtime image, started on port %d (golden-path.yaml's port), did not answer as the cluster will ask it to within %.0fs:", r.Expect.Port, r.Seconds)
	silent := len(r.Answers) > 0
	for _, a := range r.Answers {
		silent = silent && a.Status == 0
	}
	if silent {
		// Nothing listens: one line, not one per path.
		a := r.Answers[0]
		fmt.Fprintf(&b, "\n- no path answered (%s); fix: %s", a.Error, a.fix(r.Expect))
	}
	for _, a := range r.Answers {
		if a.Ok || silent {
			continue
		}
		fmt.Fprintf(&b, "\n- %s %s: %s", a.What, a.Path, a.said())
		fix := a.fix(r.Expect)
		if a.What == "metrics" && len(r.Missing) > 0 {
			fix = fmt.Sprintf("expose %s (the template's src/observability.py defines them), or name your own "+
				"request counter and latency histogram in golden-path.yaml's metrics.requests and metrics.duration",
				strings.Join(r.Missing, " and "))
		}
		fmt.Fprintf(&b, "; fix: %s", fix)
	}
	if r.Logs != "" {
		fmt.Fprintf(&b, "\nThe service's last log lines:\n%s", r.Logs)
	}
	return errors.New(b.String())
}

// Setting is the golden-path.yaml setting (a dotted path, as config.Line
// takes it) that the first failure points at: port when nothing answered or
// the service stopped, the path's setting when it answered 404, the metric's
// setting when a series is missing; "" when the service passed or its code
// is at fault (another status, metrics not in the text format).
func (r *Report) Setting() string {
	if r.Exited != "" {
		return "port"
	}
	for _, a := range r.Answers {
		switch {
		case a.Ok:
		case a.Status == 0:
			return "port"
		case a.Status == http.StatusNotFound:
			return settingOf[a.What]
		case a.What == "metrics" && len(r.Missing) > 0:
			if len(r.Expect.Series) == 2 && r.Missing[0] == r.Expect.Series[1] {
				return "metrics.duration"
			}
			return "metrics.requests"
		default:
			return ""
		}
	}
	return ""
}

// settingOf is the golden-path.yaml setting of each path the gate asks.
var settingOf = map[string]string{"liveness": "health.liveness", "readiness": "health.readiness", "metrics": "metrics.path"}

// said is what the path answered, in words.
func (a Answer) said() string {
	switch {
	case a.Status == 0:
		return "no answer (" + a.Error + ")"
	case a.Error != "":
		return fmt.Sprintf("answered %d (%s) but %s", a.Status, a.ContentType, a.Error)
	default:
		s := fmt.Sprintf("answered %d", a.Status)
		if a.Body != "" {
			s += ": " + strings.Join(strings.Fields(a.Body), " ")
		}
		return s
	}
}

// fix is what to change for a to pass.
func (a Answer) fix(e Expect) string {
	switch {
	case a.Status == 0:
		return fmt.Sprintf("make the service listen on 0.0.0.0:%d (the PORT variable the platform sets), or set port in golden-path.yaml to the port it listens on", e.Port)
	case a.Status == http.StatusNotFound:
		return fmt.Sprintf("serve %s, or set %s in golden-path.yaml to the path the service answers", a.Path, settingOf[a.What])
	case a.Error != "":
		return "expose the metrics with a Prometheus client library (the template's src/observability.py does), in the text format"
	default:
		return fmt.Sprintf("answer %s with a 2xx status once the service can take traffic", a.Path)
	}
}

// Detail is the gate's one line for a stage table, e.g. "/health, /ready and
// /metrics answered on port 8000 in 1.2s".
func (r *Report) Detail() string {
	if r.Exited != "" {
		return "the service stopped: " + r.Exited
	}
	if !r.Ok() {
		var failed []string
		for _, a := range r.Answers {
			if !a.Ok {
				failed = append(failed, a.Path)
			}
		}
		return fmt.Sprintf("%s failed on port %d", strings.Join(failed, ", "), r.Expect.Port)
	}
	return fmt.Sprintf("%s, %s and %s answered on port %d in %.1fs", r.Expect.Liveness, r.Expect.Readiness, r.Expect.Metrics, r.Expect.Port, r.Seconds)
}
