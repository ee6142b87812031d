package platformtest

// Tests of the local platform's monitoring (hack/lib/prometheus.sh): a real
// Prometheus on the host, configured by the real prometheus-operator from the
// ServiceMonitors and PrometheusRules in the cluster, as kube-prometheus-stack
// would be. They apply what the pipeline applies and read Prometheus' HTTP API,
// as a later pipeline stage will.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// requirePrometheus returns the platform's Prometheus URL and cluster; without
// them it skips the test, except under CI=true, where it fails.
func requirePrometheus(t *testing.T) (cluster, string) {
	t.Helper()
	c := requireCluster(t)
	base := os.Getenv("GP_PROMETHEUS_URL")
	var why string
	if base == "" {
		why = "GP_PROMETHEUS_URL is not set"
	} else if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/-/ready"); err != nil {
		why = fmt.Sprintf("%s does not answer: %v", base, err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			why = fmt.Sprintf("%s/-/ready: %s", base, resp.Status)
		}
	}
	if why != "" {
		msg := "no Prometheus (" + why + "): run `hack/platform up` and `eval \"$(hack/platform env)\"`"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return c, base
}

// promAPI GETs an API path of Prometheus and decodes its "data" into out.
func promAPI(base, path string, query url.Values, out any) error {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + path + "?" + query.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("GET %s: %s: %w", path, resp.Status, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, body.Error)
	}
	return json.Unmarshal(body.Data, out)
}

// target is an active target of /api/v1/targets.
type target struct {
	Labels     map[string]string `json:"labels"`
	ScrapePool string            `json:"scrapePool"`
	ScrapeURL  string            `json:"scrapeUrl"`
	Health     string            `json:"health"`
	LastError  string            `json:"lastError"`
}

// targetOf returns the active target of service svc in namespace ns, if any.
func targetOf(base, ns, svc string) (target, bool, error) {
	var data struct {
		ActiveTargets []target `json:"activeTargets"`
	}
	if err := promAPI(base, "/api/v1/targets", url.Values{"state": {"active"}}, &data); err != nil {
		return target{}, false, err
	}
	for _, tg := range data.ActiveTargets {
		if tg.Labels["namespace"] == ns && tg.Labels["service"] == svc {
			return tg, true, nil
		}
	}
	return target{}, false, nil
}

// query runs an instant PromQL query and returns the samples' labels and values.
func query(base, q string) ([]map[string]string, []string, error) {
	var data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := promAPI(base, "/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		return nil, nil, err
	}
	var labels []map[string]string
	var values []string
	for _, r := range data.Result {
		labels = append(labels, r.Metric)
		values = append(values, fmt.Sprint(r.Value[1]))
	}
	return labels, values, nil
}

// metricsServerManifest is a pod of the mirror's python image serving the files
// of /srv with Python's http.server, and its Service labelled as the pipeline
// labels a service (app.kubernetes.io/name), with a port named http.
// Prometheus 3 refuses a scrape whose Content-Type is not a metrics format
// (http.server would send application/octet-stream for a file named
// `metrics`), so files without an extension are sent as the text format, as
// prometheus_client sends them.
const metricsServerManifest = `
apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
  labels: {app.kubernetes.io/name: %[1]s}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: %[2]s
    command: [sh, -c, 'mkdir -p /srv && cd /srv && printf %%s "$METRICS" > %[3]s && exec python3 -c "$SERVE"']
    env:
    - {name: METRICS, value: %[4]q}
    - name: SERVE
      value: |
        import http.server as s
        s.SimpleHTTPRequestHandler.extensions_map[""] = "text/plain; version=0.0.4; charset=utf-8"
        s.test(HandlerClass=s.SimpleHTTPRequestHandler, port=8080, bind="0.0.0.0")
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {path: /%[3]s, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  labels: {app.kubernetes.io/name: %[1]s}
spec:
  selector: {app.kubernetes.io/name: %[1]s}
  ports: [{name: http, port: 80, targetPort: http}]
`

// serviceMonitorFor is the pipeline's ServiceMonitor (pipeline/observe), with a 5 s interval.
const serviceMonitorFor = `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: %[1]s
  labels: {app.kubernetes.io/name: %[1]s}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: %[1]s}}
  endpoints: [{port: http, path: /metrics, interval: 5s}]
`

const prometheusRuleFor = `
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: %[1]s
  labels: {app.kubernetes.io/name: %[1]s}
spec:
  groups:
  - name: %[1]s.rules
    rules:
    - alert: GoldenPathTestServed
      expr: 'golden_path_test_info{namespace="%[2]s"} == 1'
      labels: {severity: none}
      annotations: {summary: the platform test's pod is scraped}
`

// serveMetrics deploys metricsServerManifest into ns (serving METRICS at /FILE) and waits until the pod is ready.
func serveMetrics(t *testing.T, c cluster, ns, name, file, metrics string) {
	t.Helper()
	image := daggertest.RegistryAddr() + "/library/python:3.12-slim"
	c.must(t, fmt.Sprintf(metricsServerManifest, name, image, file, metrics), "-n", ns, "apply", "--server-side", "-f", "-")
	if _, err := c.run(t, "", "-n", ns, "wait", "pod/"+name, "--for=condition=Ready", "--timeout=180s"); err != nil {
		t.Fatalf("%v\n%s", err, c.describe(t, ns))
	}
}

// A ServiceMonitor and a PrometheusRule applied in a service's namespace are
// turned by the operator into config that Prometheus loads: the service's pod
// is scraped (up == 1, with the namespace and service labels, and its metrics
// queryable) and the rule group is loaded and evaluated on them.
func TestPrometheusScrapesServiceMonitorTargets(t *testing.T) {
	c, base := requirePrometheus(t)
	ns := c.namespace(t)
	svc := "metrics-" + token(t)[:6]
	tok := token(t)
	metrics := "# HELP golden_path_test_info A constant metric the platform test serves.\n" +
		"# TYPE golden_path_test_info gauge\n" +
		fmt.Sprintf("golden_path_test_info{token=%q} 1\n", tok)
	serveMetrics(t, c, ns, svc, "metrics", metrics)

	start := time.Now()
	c.must(t, fmt.Sprintf(serviceMonitorFor, svc)+"---"+fmt.Sprintf(prometheusRuleFor, svc, ns),
		"-n", ns, "apply", "--server-side", "-f", "-")

	// Operator sync, config sync and reload, service discovery, first scrape.
	up := fmt.Sprintf(`up{namespace=%q, service=%q}`, ns, svc)
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		_, values, err := query(base, up)
		if err != nil {
			return poll.Error(err)
		}
		if len(values) != 1 || values[0] != "1" {
			return poll.Continue("%s = %v", up, values)
		}
		return poll.Success()
	}, poll.WithTimeout(90*time.Second), poll.WithDelay(100*time.Millisecond))
	t.Logf("ServiceMonitor applied -> %s == 1 in %s", up, time.Since(start).Round(10*time.Millisecond))

	tg, ok, err := targetOf(base, ns, svc)
	assert.NilError(t, err)
	assert.Assert(t, ok, "no active target for %s/%s", ns, svc)
	assert.Check(t, is.Equal(tg.Health, "up"))
	assert.Check(t, is.Equal(tg.ScrapePool, "serviceMonitor/"+ns+"/"+svc+"/0"))
	assert.Check(t, is.Equal(tg.Labels["job"], svc))
	assert.Check(t, is.Equal(tg.Labels["pod"], svc))
	assert.Check(t, is.Equal(tg.Labels["endpoint"], "http"))
	assert.Check(t, is.Regexp(`^http://10\.244\.\d+\.\d+:8080/metrics$`, tg.ScrapeURL))

	// The pod's own metric, with the target's labels.
	labels, values, err := query(base, fmt.Sprintf(`golden_path_test_info{namespace=%q}`, ns))
	assert.NilError(t, err)
	assert.Assert(t, is.Len(values, 1))
	assert.Check(t, is.Equal(values[0], "1"))
	assert.Check(t, is.Equal(labels[0]["token"], tok))
	assert.Check(t, is.Equal(labels[0]["service"], svc))

	// The PrometheusRule: its group loaded from the operator's rule files, its
	// alert firing on the scraped metric.
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		var data struct {
			Groups []struct {
				Name  string `json:"name"`
				File  string `json:"file"`
				Rules []struct {
					Name   string `json:"name"`
					State  string `json:"state"`
					Health string `json:"health"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := promAPI(base, "/api/v1/rules", url.Values{"type": {"alert"}}, &data); err != nil {
			return poll.Error(err)
		}
		for _, g := range data.Groups {
			if g.Name != svc+".rules" {
				continue
			}
			if !strings.Contains(g.File, "/rules/prometheus-golden-path-rulefiles-") || !strings.Contains(g.File, ns) {
				return poll.Error(fmt.Errorf("group %s from %s, not the operator's rule file of %s", g.Name, g.File, ns))
			}
			if len(g.Rules) != 1 || g.Rules[0].Name != "GoldenPathTestServed" {
				return poll.Error(fmt.Errorf("group %s has rules %+v", g.Name, g.Rules))
			}
			if g.Rules[0].State != "firing" {
				return poll.Continue("alert %s: %s (health %s)", g.Rules[0].Name, g.Rules[0].State, g.Rules[0].Health)
			}
			return poll.Success()
		}
		return poll.Continue("no rule group %s.rules yet", svc)
	}, poll.WithTimeout(60*time.Second), poll.WithDelay(200*time.Millisecond))
	t.Logf("PrometheusRule applied -> alert firing in %s", time.Since(start).Round(10*time.Millisecond))
}

// A ServiceMonitor whose service serves no /metrics gives a target that is
// down, its error naming the 404: what a later stage reports.
func TestPrometheusTargetWithoutMetricsIsDown(t *testing.T) {
	c, base := requirePrometheus(t)
	ns := c.namespace(t)
	svc := "nometrics-" + token(t)[:6]
	serveMetrics(t, c, ns, svc, "index.html", "not metrics\n") // no file named metrics: GET /metrics is a 404
	c.must(t, fmt.Sprintf(serviceMonitorFor, svc), "-n", ns, "apply", "--server-side", "-f", "-")

	var tg target
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		var ok bool
		var err error
		tg, ok, err = targetOf(base, ns, svc)
		switch {
		case err != nil:
			return poll.Error(err)
		case !ok:
			return poll.Continue("no target for %s/%s yet", ns, svc)
		case tg.Health == "unknown":
			return poll.Continue("target %s not scraped yet", tg.ScrapeURL)
		}
		return poll.Success()
	}, poll.WithTimeout(90*time.Second), poll.WithDelay(200*time.Millisecond))
	assert.Check(t, is.Equal(tg.Health, "down"))
	assert.Check(t, is.Contains(tg.LastError, "404"))
	t.Logf("target %s: %s: %s", tg.ScrapeURL, tg.Health, tg.LastError)

	_, values, err := query(base, fmt.Sprintf(`up{namespace=%q, service=%q}`, ns, svc))
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(values, []string{"0"}))
}
