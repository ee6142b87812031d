// Package promapi is a small client of Prometheus' HTTP API (v1): the active
// and dropped scrape targets and instant queries, which is what a pipeline
// needs to prove that a service is scraped. It speaks plain net/http and
// JSON, so it adds nothing to a module's dependencies.
//
// Errors are typed: *APIError for an answer Prometheus sent (with its
// errorType and error), *UnreachableError for a request that got none,
// *InputError for a bad argument (nothing sent). A bearer token is never
// part of an error.
package promapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody caps the answers read: a target list of a large Prometheus is a
// few MiB.
const maxBody = 32 << 20

// Client queries one Prometheus.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (a transport that dials a tunnel, a
// timeout); http.DefaultClient otherwise.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithBearerToken sends token as a Bearer credential, e.g. for a Prometheus
// behind an authenticating proxy or Azure Monitor's managed Prometheus.
func WithBearerToken(token string) Option { return func(c *Client) { c.token = token } }

// New returns a client of the Prometheus at baseURL, e.g.
// http://prometheus-operated.monitoring:9090 (a path prefix, as behind a
// proxy, is kept).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &InputError{Field: "url", Reason: fmt.Sprintf(
			"%q is not an http(s) URL of Prometheus; pass one like http://prometheus-operated.monitoring:9090", baseURL)}
	}
	if u.User != nil {
		return nil, &InputError{Field: "url", Reason: "it holds credentials; pass a token instead, as a secret"}
	}
	c := &Client{base: u, hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// URL is the address of path on this Prometheus.
func (c *Client) URL(path string) string { return c.base.String() + path }

// Target is one scrape target of /api/v1/targets.
type Target struct {
	// Labels are the target's labels after relabelling: job, instance,
	// namespace, service, pod, endpoint, ...
	Labels map[string]string `json:"labels"`
	// DiscoveredLabels are the labels service discovery found, before
	// relabelling (__meta_kubernetes_...).
	DiscoveredLabels map[string]string `json:"discoveredLabels"`
	// ScrapePool is the scrape config's job name; for a ServiceMonitor,
	// serviceMonitor/<namespace>/<name>/<endpoint index>.
	ScrapePool string `json:"scrapePool"`
	ScrapeURL  string `json:"scrapeUrl"`
	// Health is "up", "down" or "unknown" (not scraped yet).
	Health     string    `json:"health"`
	LastError  string    `json:"lastError"`
	LastScrape time.Time `json:"lastScrape"`
}

// Targets is the answer of /api/v1/targets.
type Targets struct {
	Active  []Target `json:"activeTargets"`
	Dropped []Target `json:"droppedTargets"`
	// DroppedCounts is the number of dropped targets per scrape pool
	// (Prometheus 2.51 and later).
	DroppedCounts map[string]int `json:"droppedTargetCounts"`
}

// Targets returns the active and dropped targets; scrapePool, when not
// empty, keeps those of one pool.
func (c *Client) Targets(ctx context.Context, scrapePool string) (*Targets, error) {
	q := url.Values{"state": {"any"}}
	if scrapePool != "" {
		q.Set("scrapePool", scrapePool)
	}
	var t Targets
	if err := c.get(ctx, "list targets", "/api/v1/targets", q, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Sample is one value of a series at a time.
type Sample struct {
	Time  time.Time
	Value float64
}

// Series is one series of a query's answer: its labels and its samples (one
// for an instant vector, the raw samples of the range for a range vector).
type Series struct {
	Labels  map[string]string
	Samples []Sample
}

// Query evaluates expr at time at (now when zero). An instant vector gives
// one sample per series, a range vector selector (metric[5m]) every raw
// sample of the range with the time it was scraped.
func (c *Client) Query(ctx context.Context, expr string, at time.Time) ([]Series, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, &InputError{Field: "query", Reason: "it is empty"}
	}
	q := url.Values{"query": {expr}}
	if !at.IsZero() {
		q.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64))
	}
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
			Values [][]any           `json:"values"`
		} `json:"result"`
	}
	op := "query " + expr
	if err := c.get(ctx, op, "/api/v1/query", q, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" && data.ResultType != "matrix" {
		return nil, &APIError{Op: op, URL: c.URL("/api/v1/query"), StatusCode: http.StatusOK,
			Message: fmt.Sprintf("the answer is a %s; ask for a vector or a range vector", data.ResultType)}
	}
	out := make([]Series, 0, len(data.Result))
	for _, r := range data.Result {
		s := Series{Labels: r.Metric}
		values := r.Values
		if r.Value != nil {
			values = [][]any{r.Value}
		}
		for _, v := range values {
			smp, err := parseSample(v)
			if err != nil {
				return nil, &APIError{Op: op, URL: c.URL("/api/v1/query"), StatusCode: http.StatusOK, Message: "bad sample: " + err.Error()}
			}
			s.Samples = append(s.Samples, smp)
		}
		out = append(out, s)
	}
	return out, nil
}

// parseSample reads a [<unix seconds>, "<value>"] pair.
func parseSample(v []any) (Sample, error) {
	if len(v) != 2 {
		return Sample{}, fmt.Errorf("%v is not a [time, value] pair", v)
	}
	ts, ok := v[0].(float64)
	str, ok2 := v[1].(string)
	if !ok || !ok2 {
		return Sample{}, fmt.Errorf("%v is not a [time, value] pair", v)
	}
	f, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return Sample{}, err
	}
	sec := int64(ts)
	return Sample{Time: time.Unix(sec, int64((ts-float64(sec))*1e9)).UTC().Round(time.Millisecond), Value: f}, nil
}

// get sends a GET and decodes the data of a "success" answer into out.
func (c *Client) get(ctx context.Context, op, path string, q url.Values, out any) error {
	target := c.URL(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"?"+q.Encode(), nil)
	if err != nil {
		return &InputError{Field: "request", Reason: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UnreachableError{Op: op, URL: target, Err: c.redact(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &UnreachableError{Op: op, URL: target, Err: c.redact(err)}
	}
	var env struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Status == "" {
		msg := strings.TrimSpace(string(body[:min(len(body), 200)]))
		return &APIError{Op: op, URL: target, StatusCode: resp.StatusCode, Message: c.redactString(
			"the answer is not Prometheus' API JSON (" + msg + "); check the URL is Prometheus' and not a proxy's or login page's")}
	}
	if env.Status != "success" || resp.StatusCode/100 != 2 {
		return &APIError{Op: op, URL: target, StatusCode: resp.StatusCode, Type: env.ErrorType, Message: c.redactString(env.Error)}
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return &APIError{Op: op, URL: target, StatusCode: resp.StatusCode, Message: "unexpected data: " + err.Error()}
	}
	return nil
}

func (c *Client) redact(err error) error {
	if c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return errors.New(c.redactString(err.Error()))
}

func (c *Client) redactString(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[REDACTED]")
}
