package tests

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"

	"github.com/golden-path/golden-path/internal/daggertest"
	"github.com/golden-path/golden-path/pipeline/grafana"
	"github.com/golden-path/golden-path/pipeline/observe"
	"github.com/golden-path/golden-path/pipeline/promapi"
)

// monitoring is the platform's Prometheus (configured by the real
// prometheus-operator) and its Grafana stand-in, a fake of Grafana's HTTP API
// (no Grafana server can be had here), as `hack/platform env` describes them.
type monitoring struct {
	prometheus, grafana, grafanaTokenFile string
}

func requireMonitoring(t *testing.T) monitoring {
	t.Helper()
	m := monitoring{prometheus: os.Getenv("GP_PROMETHEUS_URL"), grafana: os.Getenv("GP_GRAFANA_URL"),
		grafanaTokenFile: os.Getenv("GP_GRAFANA_TOKEN_FILE")}
	if m.prometheus == "" || m.grafana == "" || m.grafanaTokenFile == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Prometheus or Grafana stand-in (GP_PROMETHEUS_URL=%q, GP_GRAFANA_URL=%q): run `hack/platform up`", m.prometheus, m.grafana)
		}
		t.Skip("no Prometheus: run `hack/platform up` and `eval \"$(hack/platform env)\"`")
	}
	return m
}

func port(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	assert.NilError(t, err)
	return u.Port()
}

// flags are ship's observe arguments for the platform's Prometheus and Grafana.
func (m monitoring) flags(t *testing.T, scrapeTimeout string) []string {
	return []string{"--prometheus-url", m.prometheus, "--prometheus-tunnel", "tcp://localhost:" + port(t, m.prometheus),
		"--scrape-timeout", scrapeTimeout,
		"--grafana-url", m.grafana, "--grafana-token", "file://" + m.grafanaTokenFile, "--grafana-tunnel", "tcp://localhost:" + port(t, m.grafana)}
}

// The example ships with its observability (the shared release): the
// ServiceMonitor, the PrometheusRule and the dashboard ConfigMap are applied
// with the release, the real prometheus-operator turns them into Prometheus'
// configuration, Prometheus scrapes every pod and loads the alerts, the
// dashboard is in the team's Grafana folder, and ship's result says so. A
// variant whose pods serve no /metrics deploys but fails the observe stage
// with its targets down.
func TestShipObserves(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	m := requireMonitoring(t)

	t.Run("no metrics", func(t *testing.T) {
		t.Parallel()
		dir, ns := teamCopy(t, c, func(dir string) {
			edit(t, filepath.Join(dir, "src/main.py"), `    """Prometheus scrape endpoint."""`,
				"    \"\"\"Prometheus scrape endpoint.\"\"\"\n    if os.environ.get(\"NO_METRICS\") and os.environ.get(\"KUBERNETES_SERVICE_HOST\"):\n        return JSONResponse({\"detail\": \"Not Found\"}, status_code=404)")
			edit(t, filepath.Join(dir, "Dockerfile"), "ENV PORT=8000", "ENV PORT=8000 NO_METRICS=1")
		})
		// The targets are down from their first scrape on; the stage waits for them until it times out. With
		// --on-observe-failure=warn the release stays and ship passes, the stage marked warned.
		warned := shipDeploy(t, c, dir, newCommit(t), "120", append(m.flags(t, "30"), "--on-observe-failure", "warn", "summary")...)
		assert.Assert(t, warned.ExitCode == 0, warned.ErrorText())
		assert.Check(t, is.Regexp(`\| observe \| ⚠️ warned \|.*\| observe: Prometheus at `+regexp.QuoteMeta(m.prometheus)+`: target down for service hello-api`, warned.Stdout))
		assert.Check(t, is.Equal(statuses(c.records(t, ns, "hello-api")), "1:deployed"))

		// By default, a release Prometheus cannot scrape is rolled back.
		res := shipDeploy(t, c, dir, newCommit(t), "120", append(m.flags(t, "30"), "summary")...)
		assert.Assert(t, res.ExitCode != 0, "ship passed without metrics:\n%s", res.Stdout)
		msg := res.ErrorText()
		assert.Check(t, is.Contains(msg, "observe: Prometheus at "+m.prometheus+": target down for service hello-api in namespace "+ns))
		assert.Check(t, is.Contains(msg, "404"))
		assert.Check(t, is.Contains(msg, "fix: make the service answer its metrics path"))
		assert.Check(t, is.Regexp(`\| deploy \| ✅ passed \|`, msg))
		assert.Check(t, is.Regexp(`The release was rolled back: revision 1 \(commit [0-9a-f]{40}, image \S+\) put back as revision 3: rolled out`, msg))
		recs := c.records(t, ns, "hello-api")
		assert.Check(t, is.Equal(statuses(recs), "1:superseded 2:failed 3:deployed"))
		if len(recs) == 3 {
			assert.Check(t, is.Contains(recs[1].Message, "the observe stage failed: observe: Prometheus at"))
			assert.Check(t, is.Equal(recs[2].RollbackOf, 1))
			assert.Check(t, is.Equal(c.served(t, ns), recs[0].Image))
		}
	})

	t.Run("shared release", func(t *testing.T) {
		t.Parallel()
		r := sharedRelease(t)
		ns, team := r.namespace, r.team
		res := r.run
		summary := r.summary
		uid := observe.DashboardUID(team, "hello-api")
		assert.Check(t, is.Regexp(`\| observability \| ✅ passed \|.*\| ServiceMonitor, PrometheusRule, dashboard `+uid+` \|`, summary))
		assert.Check(t, is.Regexp(`\| observe \| ✅ passed \|.*\| [1-9] target\(s\) up, dashboard `+m.grafana+`/d/`+uid+`/`, summary))
		assert.Check(t, is.Contains(summary, "**Dashboard:** "+m.grafana+"/d/"+uid))
		assert.Check(t, strings.HasPrefix(r.outputs["dashboard-url"], m.grafana+"/d/"+uid+"/"), "ship's outputs: %q", r.outputs["dashboard-url"])

		// In the cluster: the three objects, applied with the release.
		assert.Check(t, is.Equal(c.kubectl(t, "get", "servicemonitor,prometheusrule", "-n", ns, "-o", "name"),
			"servicemonitor.monitoring.coreos.com/hello-api\nprometheusrule.monitoring.coreos.com/hello-api"))
		assert.Check(t, is.Equal(c.kubectl(t, "get", "configmap", "-n", ns, "-l", "grafana_dashboard=1", "-o", "name"),
			"configmap/hello-api-dashboard"))

		// In Prometheus: every ready pod is a target, up; the alerts are loaded.
		prom, err := promapi.New(m.prometheus)
		assert.NilError(t, err)
		ctx := context.Background()
		pods := strings.Fields(c.kubectl(t, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/name=hello-api",
			"--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}"))
		poll.WaitOn(t, func(poll.LogT) poll.Result {
			targets, err := prom.Targets(ctx, "serviceMonitor/"+ns+"/hello-api/0")
			if err != nil {
				return poll.Error(err)
			}
			var up []string
			for _, tg := range targets.Active {
				if tg.Health == "up" {
					up = append(up, tg.Labels["pod"])
				}
			}
			if len(up) != len(pods) {
				return poll.Continue("targets up %v, pods %v", up, pods)
			}
			return poll.Success()
		}, poll.WithTimeout(time.Minute), poll.WithDelay(2*time.Second))
		rules := promRules(t, m.prometheus)
		assert.Check(t, is.Contains(rules, "HelloApiHighErrorRatio"))
		assert.Check(t, is.Contains(rules, ns))

		// In Grafana (the fake): the dashboard, in the team's folder.
		token, err := os.ReadFile(m.grafanaTokenFile)
		assert.NilError(t, err)
		req, _ := http.NewRequest(http.MethodGet, m.grafana+"/api/dashboards/uid/"+uid, nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := http.DefaultClient.Do(req)
		assert.NilError(t, err)
		defer resp.Body.Close()
		var got struct {
			Dashboard struct{ Title string }
			Meta      struct{ FolderUID string }
		}
		assert.NilError(t, json.NewDecoder(resp.Body).Decode(&got))
		assert.Check(t, is.Equal(got.Dashboard.Title, team+" / hello-api"))
		assert.Check(t, is.Equal(got.Meta.FolderUID, grafana.FolderUID(team)))
		assert.Check(t, !strings.Contains(res.Stdout+res.Stderr, strings.TrimSpace(string(token))), "the Grafana token shows in ship's output")
	})
}

// The observe module alone, as a consumer calls it: a wrong Grafana token is
// an error naming Grafana's URL and the status, and the token never shows; a
// ServiceMonitor that selects nothing of the rendered manifests is named.
func TestObserveModuleErrors(t *testing.T) {
	t.Parallel()
	m := requireMonitoring(t)
	root := daggertest.RepoRoot(t)
	example := filepath.Join(root, "examples", "fastapi-service")
	res := daggertest.CLIEnv(t, root, []string{"GP_TEST_GRAFANA_TOKEN=glsa_wrong_token_for_the_test"}, "-m", "modules/observe", "call", "generate", "--source", example, "--environment", "dev",
		"register", "--url", m.grafana, "--token", "env://GP_TEST_GRAFANA_TOKEN", "--grafana-tunnel", "tcp://localhost:"+port(t, m.grafana), "url")
	assert.Assert(t, res.ExitCode != 0, res.Stdout)
	assert.Check(t, is.Contains(res.ErrorText(), "grafana: "))
	assert.Check(t, is.Contains(res.ErrorText(), m.grafana+"/api/folders/"))
	assert.Check(t, is.Contains(res.ErrorText(), "401 Unauthorized"))
	assert.Check(t, !strings.Contains(res.Stdout+res.Stderr, "glsa_wrong_token_for_the_test"), "the token shows in the output")

	// A Service without the app.kubernetes.io/name label: the ServiceMonitor selects nothing.
	manifests := filepath.Join(t.TempDir(), "rendered.yaml")
	assert.NilError(t, os.WriteFile(manifests, []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: hello-api\n"+
		"  namespace: payments-dev\n  labels: {app: hello-api}\nspec:\n  ports: [{name: http, port: 80}]\n"), 0o644))
	res = daggertest.CLI(t, root, "-m", "modules/observe", "call", "generate", "--source", example, "--environment", "dev",
		"check", "--manifests", manifests)
	assert.Assert(t, res.ExitCode != 0, res.Stdout)
	assert.Check(t, is.Contains(res.ErrorText(), "ServiceMonitor"))
	assert.Check(t, is.Contains(res.ErrorText(), "app.kubernetes.io/name=hello-api"))
}

// promRules is the body of Prometheus' /api/v1/rules.
func promRules(t *testing.T, base string) string {
	t.Helper()
	var body string
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		resp, err := http.Get(base + "/api/v1/rules?type=alert")
		if err != nil {
			return poll.Error(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return poll.Error(err)
		}
		body = string(data)
		if !strings.Contains(body, "HelloApi") {
			return poll.Continue("no rules of hello-api loaded yet")
		}
		return poll.Success()
	}, poll.WithTimeout(time.Minute), poll.WithDelay(2*time.Second))
	return body
}
