package observe

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

func generate(t *testing.T, cfg *config.Config, opts ...Option) *Objects {
	t.Helper()
	objs, err := Generate(cfg, "monitoring", opts...)
	assert.NilError(t, err)
	return objs
}

// editRules applies edit to the generated PrometheusRule and returns its
// YAML.
func editRules(t *testing.T, ruleYAML []byte, edit func(r *prometheusRule)) []byte {
	t.Helper()
	var r prometheusRule
	assert.NilError(t, yaml.Unmarshal(ruleYAML, &r))
	edit(&r)
	out, err := marshalYAML(r)
	assert.NilError(t, err)
	return out
}

func TestCheckRulesNamesTheAlert(t *testing.T) {
	objs := generate(t, loadConfig(t, "golden-path.yaml"), WithNamespace("payments-dev"))
	assert.NilError(t, CheckRules(objs.PrometheusRule))

	broken := editRules(t, objs.PrometheusRule, func(r *prometheusRule) {
		r.Spec.Groups[0].Rules[2].Expr = `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="hello-api"}[5m])) > 1`
		r.Spec.Groups[0].Rules[3].For = "10 minutes"
	})
	err := CheckRules(broken)
	var pe *PromQLError
	assert.Assert(t, errors.As(err, &pe), "error is %T: %v", err, err)
	assert.Equal(t, pe.Rule, "HelloApiHighLatencyP99")
	assert.Equal(t, pe.Object, "PrometheusRule hello-api")
	// The parser's own message, with its position.
	_, perr := parser.NewParser(parser.Options{}).ParseExpr(pe.Expr)
	assert.Assert(t, perr != nil)
	assert.Equal(t, pe.Msg, perr.Error())
	golden.Assert(t, err.Error()+"\n", filepath.Join("check", "rules-syntax-error.golden"))
}

func TestCheckRulesRefusesRangeVector(t *testing.T) {
	objs := generate(t, loadConfig(t, "minimal.yaml"))
	broken := editRules(t, objs.PrometheusRule, func(r *prometheusRule) {
		r.Spec.Groups[0].Rules[0].Expr = `http_requests_total[5m]`
	})
	err := CheckRules(broken)
	assert.ErrorContains(t, err, "HelloApiHighErrorRatio: the PromQL expression does not parse: it gives a range vector, and an alert needs an instant vector")
}

func TestCheckRulesInput(t *testing.T) {
	assert.ErrorContains(t, CheckRules([]byte("kind: ConfigMap\n")), `observe: PrometheusRule: the document is a "ConfigMap", not a PrometheusRule`)
	assert.ErrorContains(t, CheckRules([]byte("kind: [\n")), "observe: PrometheusRule: not valid YAML")
}

// TestRulesFollowTheSLO parses each alert and checks that its threshold and
// "for" are the config's, for several configs.
func TestRulesFollowTheSLO(t *testing.T) {
	for _, slo := range []config.SLO{
		{ErrorRatio: 0.05, LatencyP95: 500 * time.Millisecond, LatencyP99: time.Second, AlertFor: 5 * time.Minute},
		{ErrorRatio: 0.001, LatencyP95: 20 * time.Millisecond, LatencyP99: 2500 * time.Millisecond, AlertFor: 90 * time.Minute},
	} {
		cfg := loadConfig(t, "minimal.yaml")
		cfg.SLO = slo
		rules, err := Rules(cfg)
		assert.NilError(t, err)
		want := map[string]float64{
			"HelloApiHighErrorRatio": slo.ErrorRatio,
			"HelloApiHighLatencyP95": slo.LatencyP95.Seconds(),
			"HelloApiHighLatencyP99": slo.LatencyP99.Seconds(),
			"HelloApiTargetDown":     0,
		}
		for _, r := range rules {
			assert.Equal(t, r.For, config.FormatDuration(slo.AlertFor), r.Alert)
			assert.Equal(t, r.Labels["team"], "payments", r.Alert)
			assert.Assert(t, r.Labels["severity"] != "", r.Alert)
			for _, a := range []string{"summary", "description", "runbook_url"} {
				assert.Assert(t, r.Annotations[a] != "", "%s has no %s", r.Alert, a)
			}
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
			assert.NilError(t, err, r.Alert)
			threshold, ok := want[r.Alert]
			if !ok {
				continue
			}
			bin, isBin := expr.(*parser.BinaryExpr)
			assert.Assert(t, isBin, "%s: %T", r.Alert, expr)
			num, isNum := bin.RHS.(*parser.NumberLiteral)
			assert.Assert(t, isNum, "%s: %T", r.Alert, bin.RHS)
			assert.Equal(t, num.Val, threshold, r.Alert)
		}
	}
}

func TestRulesScope(t *testing.T) {
	cfg := loadConfig(t, "minimal.yaml")
	cfg.Health.Readiness = cfg.Health.Liveness // one probe path for both
	cfg.Metrics.Path = "/internal/metrics.txt"

	unscoped, err := Rules(cfg)
	assert.NilError(t, err)
	scoped, err := Rules(cfg, WithNamespace("payments-prod"))
	assert.NilError(t, err)
	for i := range unscoped {
		assert.Assert(t, !strings.Contains(unscoped[i].Expr, "namespace="), unscoped[i].Expr)
		assert.Assert(t, is.Contains(scoped[i].Expr, `namespace="payments-prod"`))
		assert.Assert(t, is.Contains(scoped[i].Expr, `job="hello-api"`))
	}
	// Probe and metrics routes are left out, each once, regexp-quoted.
	assert.Assert(t, is.Contains(unscoped[0].Expr, `route!~"/health|/internal/metrics\\.txt"`))
}

func TestAlertPrefix(t *testing.T) {
	for in, want := range map[string]string{"hello-api": "HelloApi", "a": "A", "2fa-svc": "Service2faSvc", "x-y-z9": "XYZ9"} {
		assert.Equal(t, alertPrefix(in), want, in)
	}
}

func TestCheckDashboard(t *testing.T) {
	objs := generate(t, loadConfig(t, "golden-path.yaml"))
	assert.NilError(t, CheckDashboard(objs.Dashboard))

	edit := func(f func(d map[string]any)) []byte {
		var d map[string]any
		assert.NilError(t, json.Unmarshal(objs.Dashboard, &d))
		f(d)
		out, err := json.Marshal(d)
		assert.NilError(t, err)
		return out
	}
	panel := func(d map[string]any, i int) map[string]any { return d["panels"].([]any)[i].(map[string]any) }

	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"not json", []byte("{"), "does not read as a Grafana dashboard"},
		{"unknown field", edit(func(d map[string]any) { d["bogus"] = 1 }), "changes in a round trip through the Grafana SDK's types: .bogus is dropped"},
		{"unknown panel field", edit(func(d map[string]any) { panel(d, 1)["colour"] = "red" }), ".panels[1].colour is dropped"},
		{"no uid", edit(func(d map[string]any) { delete(d, "uid") }), "it has no uid"},
		{"long uid", edit(func(d map[string]any) { d["uid"] = strings.Repeat("u", 41) }), "the uid is 41 characters long, more than the 40 Grafana accepts"},
		{"no title", edit(func(d map[string]any) { d["title"] = " " }), "it has no title"},
		{"broken query", edit(func(d map[string]any) {
			panel(d, 2)["targets"].([]any)[1].(map[string]any)["expr"] = "histogram_quantile(0.95, rate(x[$__rate_interval])"
		}), `panel "Latency", query B: the PromQL expression does not parse`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorContains(t, CheckDashboard(tc.in), tc.want)
		})
	}
}

func TestDashboardContent(t *testing.T) {
	cfg := loadConfig(t, "golden-path.yaml")
	cfg.Team = "checkout"
	objs := generate(t, cfg)
	var d struct {
		UID    string   `json:"uid"`
		Title  string   `json:"title"`
		Tags   []string `json:"tags"`
		Panels []struct {
			Title      string `json:"title"`
			Datasource struct {
				Type, UID string
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name, Type string
				Query      any `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	assert.NilError(t, json.Unmarshal(objs.Dashboard, &d))
	assert.Equal(t, d.UID, DashboardUID(cfg.Team, cfg.Name))
	assert.Equal(t, objs.DashboardUID, d.UID)
	assert.Assert(t, is.Contains(d.Title, "checkout"))
	assert.Assert(t, is.Contains(d.Tags, "team:checkout"))
	var titles []string
	for _, p := range d.Panels {
		titles = append(titles, p.Title)
		assert.Equal(t, p.Datasource.UID, "${"+DatasourceVariable+"}", p.Title)
		assert.Assert(t, len(p.Targets) > 0, p.Title)
		for _, tg := range p.Targets {
			assert.Assert(t, is.Contains(tg.Expr, `namespace="$namespace"`), p.Title)
		}
	}
	assert.DeepEqual(t, titles, []string{"Request rate", "Error ratio", "Latency", "Pod CPU", "Pod memory", "Restarts"})
	assert.Equal(t, len(d.Templating.List), 2)
	assert.Equal(t, d.Templating.List[0].Name, DatasourceVariable)
	assert.Equal(t, d.Templating.List[0].Type, "datasource")
	assert.Equal(t, d.Templating.List[0].Query, "prometheus")
}

func TestCheckSelects(t *testing.T) {
	rendered, err := os.ReadFile(filepath.Join("testdata", "rendered.yaml"))
	assert.NilError(t, err)
	cfg := loadConfig(t, "minimal.yaml")
	sm := func(opts ...Option) []byte {
		out, err := ServiceMonitor(cfg, opts...)
		assert.NilError(t, err)
		return out
	}

	t.Run("selects the rendered Service", func(t *testing.T) {
		assert.NilError(t, CheckSelects(sm(WithNamespace("payments-dev")), rendered))
		assert.NilError(t, CheckSelects(sm(), rendered), "no namespace: left to kubectl")
		assert.NilError(t, CheckSelects(sm(WithSelector(map[string]string{
			"app.kubernetes.io/name": "hello-api", "app.kubernetes.io/instance": "hello-api-dev",
		})), rendered), "the render's selector labels")
	})

	for _, tc := range []struct {
		name     string
		sm       []byte
		rendered []byte
	}{
		{"wrong label", sm(WithSelector(map[string]string{"app.kubernetes.io/name": "hello"})), rendered},
		{"missing label", sm(WithSelector(map[string]string{"tier": "web"})), rendered},
		{"other namespace", sm(WithNamespace("payments-prod")), rendered},
		{"no port named http", sm(), []byte(strings.ReplaceAll(string(rendered), "- name: http", "- name: web"))},
		{"no Service", sm(), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSelects(tc.sm, tc.rendered)
			var se *SelectError
			assert.Assert(t, errors.As(err, &se), "error is %T: %v", err, err)
			assert.Equal(t, se.ServiceMonitor, "hello-api")
			golden.Assert(t, err.Error()+"\n", filepath.Join("check", "selects-"+strings.ReplaceAll(tc.name, " ", "-")+".golden"))
		})
	}

	t.Run("match expressions", func(t *testing.T) {
		in := []byte(`apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: by-expr, namespace: payments-dev}
spec:
  selector:
    matchExpressions:
      - {key: environment, operator: In, values: [dev, staging]}
      - {key: canary, operator: DoesNotExist}
  endpoints: [{port: http}]
`)
		assert.NilError(t, CheckSelects(in, rendered))
		notIn := []byte(strings.Replace(string(in), "operator: In", "operator: NotIn", 1))
		assert.ErrorContains(t, CheckSelects(notIn, rendered), `its label environment is "dev", which the selector excludes`)
	})

	t.Run("bad input", func(t *testing.T) {
		assert.ErrorContains(t, CheckSelects([]byte("kind: Service\n"), rendered), "observe: ServiceMonitor: the YAML holds no ServiceMonitor")
		assert.ErrorContains(t, CheckSelects(sm(), []byte("a: [\n")), "observe: rendered manifests: document 1 is not valid YAML")
	})
}
