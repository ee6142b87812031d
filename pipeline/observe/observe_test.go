package observe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golden-path/golden-path/pipeline/config"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// loadConfig parses testdata/<name> as golden-path.yaml.
func loadConfig(t *testing.T, name string) *config.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	assert.NilError(t, err)
	cfg, err := config.Parse(data, name)
	assert.NilError(t, err)
	return cfg
}

// TestGenerateGolden compares every generated object with its golden file.
// Update them with: go test ./pipeline/observe/ -update
func TestGenerateGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		opts   []Option
	}{
		{name: "slo", config: "golden-path.yaml", opts: []Option{WithNamespace("payments-dev")}},
		{name: "defaults", config: "minimal.yaml"},
		// golden-path.yaml names the service's own metrics, the runbooks and a label for kube-prometheus-stack.
		{name: "contract", config: "contract.yaml", opts: []Option{WithNamespace("shop-prod")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadConfig(t, tc.config)
			objs, err := Generate(cfg, "monitoring", tc.opts...)
			assert.NilError(t, err)
			golden.Assert(t, string(objs.ServiceMonitor), filepath.Join(tc.name, "servicemonitor.yaml"))
			golden.Assert(t, string(objs.PrometheusRule), filepath.Join(tc.name, "prometheusrule.yaml"))
			golden.Assert(t, string(objs.Dashboard), filepath.Join(tc.name, "dashboard.json"))
			golden.Assert(t, string(objs.DashboardConfigMap), filepath.Join(tc.name, "dashboard-configmap.yaml"))

			// Each generator gives what Generate gives.
			sm, err := ServiceMonitor(cfg, tc.opts...)
			assert.NilError(t, err)
			assert.Equal(t, string(sm), string(objs.ServiceMonitor))
			pr, err := PrometheusRule(cfg, tc.opts...)
			assert.NilError(t, err)
			assert.Equal(t, string(pr), string(objs.PrometheusRule))
			db, err := Dashboard(cfg, tc.opts...)
			assert.NilError(t, err)
			assert.Equal(t, string(db), string(objs.Dashboard))
			cm, err := DashboardConfigMap(cfg, "monitoring", tc.opts...)
			assert.NilError(t, err)
			assert.Equal(t, string(cm), string(objs.DashboardConfigMap))
		})
	}
}

func TestInputErrors(t *testing.T) {
	cfg := loadConfig(t, "minimal.yaml")
	for _, tc := range []struct {
		name  string
		cfg   *config.Config
		opts  []Option
		ns    string // the ConfigMap's namespace
		field string
	}{
		{name: "nil config", cfg: nil, field: "config"},
		{name: "config not parsed", cfg: &config.Config{Name: "Hello"}, field: "config"},
		{name: "bad namespace", cfg: cfg, opts: []Option{WithNamespace("Payments_Dev")}, ns: "Payments_Dev", field: "namespace"},
		{name: "empty selector", cfg: cfg, opts: []Option{WithSelector(map[string]string{})}, field: "selector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for gen, f := range map[string]func() ([]byte, error){
				"ServiceMonitor":     func() ([]byte, error) { return ServiceMonitor(tc.cfg, tc.opts...) },
				"PrometheusRule":     func() ([]byte, error) { return PrometheusRule(tc.cfg, tc.opts...) },
				"Dashboard":          func() ([]byte, error) { return Dashboard(tc.cfg, tc.opts...) },
				"DashboardConfigMap": func() ([]byte, error) { return DashboardConfigMap(tc.cfg, tc.ns, tc.opts...) },
			} {
				out, err := f()
				var ie *InputError
				assert.Assert(t, errors.As(err, &ie), "%s: error is %T: %v", gen, err, err)
				assert.Equal(t, ie.Field, tc.field, gen)
				assert.Assert(t, out == nil, gen)
				assert.Assert(t, is.Contains(err.Error(), "observe: "+tc.field+": "), gen)
			}
		})
	}
}

func TestDashboardUID(t *testing.T) {
	seen := map[string]string{}
	long := strings.Repeat("a", 63)
	for _, name := range []string{"hello-api", "hello-api2", "a", long, long[:62] + "b", "x-" + strings.Repeat("y", 40) + "-z"} {
		for _, team := range []string{"payments", "ledger"} {
			uid := DashboardUID(team, name)
			assert.Assert(t, len(uid) <= MaxUIDLength, "%s/%s → %q", team, name, uid)
			assert.Assert(t, uidChars.MatchString(uid), "%s/%s → %q", team, name, uid)
			assert.Equal(t, DashboardUID(team, name), uid, "stable")
			other, dup := seen[uid]
			assert.Assert(t, !dup, "%s/%s and %s share uid %q", team, name, other, uid)
			seen[uid] = team + "/" + name
		}
	}
	assert.Assert(t, strings.HasPrefix(DashboardUID("payments", "hello-api"), "gp-hello-api-"), "readable: %s", DashboardUID("payments", "hello-api"))
}

// BenchmarkGenerate measures generating and checking every object of a
// service (target: well under 10ms, so the observe stage's cost is the
// cluster's, not ours).
func BenchmarkGenerate(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "golden-path.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse(data, "")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Generate(cfg, "monitoring", WithNamespace("payments-dev")); err != nil {
			b.Fatal(err)
		}
	}
}

// TestExampleService generates the objects of the template service from its
// own golden-path.yaml, slo section included.
func TestExampleService(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "fastapi-service", config.FileName))
	assert.NilError(t, err)
	cfg, err := config.Parse(data, config.FileName)
	assert.NilError(t, err)
	objs, err := Generate(cfg, "monitoring", WithNamespace(cfg.Team+"-dev"))
	assert.NilError(t, err)
	rules, err := Rules(cfg)
	assert.NilError(t, err)
	assert.Equal(t, len(rules), 5)
	assert.Assert(t, is.Contains(string(objs.PrometheusRule), "> "+formatFloat(cfg.SLO.ErrorRatio)+"\n"))
	assert.Assert(t, is.Contains(string(objs.ServiceMonitor), "path: "+cfg.Metrics.Path+"\n"))
}
