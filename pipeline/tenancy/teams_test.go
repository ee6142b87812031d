package tenancy

import (
	"errors"
	"os"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

func TestParsePlatformFile(t *testing.T) {
	data, err := os.ReadFile("../../" + File)
	assert.NilError(t, err)
	teams, err := Parse(data, File)
	assert.NilError(t, err)
	payments, ok := teams.Team("payments")
	assert.Assert(t, ok, "the example's team is on the platform")
	assert.Check(t, is.DeepEqual(payments.Namespaces, []string{"payments-dev", "payments-staging", "payments-prod"}))
	_, ok = teams.Team("ledger")
	assert.Check(t, !ok)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{name: "unknown key", in: "teams:\n  - name: a\n    namespace: [a-dev]\n", want: []string{"field namespace not found"}},
		{name: "missing", in: "teams:\n  - {}\n", want: []string{"teams[0]: add name", "teams[0]: add namespaces"}},
		{name: "not names", in: "teams:\n  - {name: Payments, namespaces: [pay_dev]}\n",
			want: []string{`name "Payments" is not a Kubernetes name`, `namespace "pay_dev" is not a Kubernetes name`}},
		{name: "reserved", in: "teams:\n  - {name: kube, namespaces: [kube-system, default, monitoring]}\n",
			want: []string{"namespace kube-system: kube-system is Kubernetes' own", "namespace default: default is reserved",
				"namespace monitoring: monitoring is reserved"}},
		{name: "shared namespace", in: "teams:\n  - {name: a, namespaces: [shared]}\n  - {name: b, namespaces: [shared]}\n",
			want: []string{"teams[1]: namespace shared is team a's already"}},
		{name: "twice", in: "teams:\n  - {name: a, namespaces: [a-dev]}\n  - {name: a, namespaces: [a-prod]}\n",
			want: []string{"teams[1]: team a is listed twice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in), "platform/teams.yaml")
			assert.Check(t, got == nil)
			var te *Error
			assert.Assert(t, errors.As(err, &te), "%T: %v", err, err)
			assert.Check(t, is.Len(te.Problems, len(tc.want)), "%v", te.Problems)
			for _, w := range tc.want {
				assert.Check(t, is.Contains(err.Error(), "platform/teams.yaml: "), "the file is named")
				assert.Check(t, is.Contains(err.Error(), w))
			}
		})
	}
}

func TestManifests(t *testing.T) {
	team := Team{Name: "payments", Namespaces: []string{"payments-dev", "payments-prod"}}
	assert.Check(t, is.Equal(team.Deployer(), "golden-path-deployer:payments"))
	golden.Assert(t, string(team.Manifests()), "payments.golden")
}

const withTenants = `teams:
  - name: payments
    namespaces: [payments-dev, payments-prod]
    tenants:
      prod:
        canary: [acme]
        parallelism: 2
        instances:
          - {name: acme, namespace: payments-prod-acme}
          - {name: globex, namespace: payments-prod-globex, cluster: aks-weu-2}
          - {name: initech, namespace: payments-prod-initech}
  - name: ledger
    namespaces: [ledger-dev]
`

// A team's prod has three tenant instances: the canary wave, then the two
// others; their namespaces are the team's, labelled with their environment.
func TestParseTenants(t *testing.T) {
	teams, err := Parse([]byte(withTenants), File)
	assert.NilError(t, err)
	payments, ok := teams.Team("payments")
	assert.Assert(t, ok)
	prod := payments.Tenants["prod"]
	assert.Check(t, is.Equal(prod.Parallelism, 2))
	assert.Check(t, is.Equal(prod.OnFailure, OnFailureKeep), "the default")
	waves := payments.Waves("prod")
	assert.Assert(t, is.Len(waves, 2))
	assert.Check(t, is.DeepEqual(waves[0], []Tenant{{Name: "acme", Namespace: "payments-prod-acme"}}))
	assert.Check(t, is.Len(waves[1], 2))
	assert.Check(t, is.Equal(waves[1][0].Cluster, "aks-weu-2"))
	assert.Check(t, is.Len(payments.Waves("dev"), 0), "no tenants: the environment's namespace")
	assert.Check(t, is.Equal(payments.Environment("payments-prod-globex"), "prod"))
	assert.Check(t, is.Equal(payments.Environment("payments-dev"), "dev"))
	assert.Check(t, is.Equal(payments.Environment("elsewhere"), ""))
	assert.Check(t, is.DeepEqual(payments.AllNamespaces(), []string{"payments-dev", "payments-prod",
		"payments-prod-acme", "payments-prod-globex", "payments-prod-initech"}))
	golden.Assert(t, string(payments.Manifests()), "payments-tenants.golden")
}

func TestParseTenantErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{name: "unknown environment", in: "teams:\n  - name: a\n    namespaces: [a-dev]\n    tenants:\n      prod:\n" +
			"        canary: [x]\n        instances: [{name: x, namespace: a-prod-x}]\n",
			want: []string{"teams[0].tenants.prod: prod is not an environment of team a (its namespaces give dev): name one of those, or add a-prod to its namespaces"}},
		{name: "a namespace for two tenants", in: "teams:\n  - name: a\n    namespaces: [a-prod]\n    tenants:\n      prod:\n" +
			"        canary: [x]\n        instances: [{name: x, namespace: a-prod-x}, {name: y, namespace: a-prod-x}]\n",
			want: []string{"teams[0].tenants.prod.instances[1]: namespace a-prod-x is team a's tenant x's already"}},
		{name: "another team's namespace", in: "teams:\n  - name: b\n    namespaces: [b-prod]\n  - name: a\n    namespaces: [a-prod]\n" +
			"    tenants:\n      prod:\n        canary: [x]\n        instances: [{name: x, namespace: b-prod}]\n",
			want: []string{"teams[1].tenants.prod.instances[0]: namespace b-prod is team b's already"}},
		{name: "settings", in: "teams:\n  - name: a\n    namespaces: [a-prod]\n    tenants:\n      prod:\n" +
			"        canary: [z]\n        parallelism: 99\n        onFailure: retry\n        instances: [{name: x, namespace: a-prod-x}, {name: x, namespace: a-prod-y}]\n",
			want: []string{"instances[1]: tenant x is listed twice in prod", "canary z is not one of its instances",
				"parallelism 99: give 1 to 50", `onFailure "retry": give keep`}},
		{name: "empty", in: "teams:\n  - name: a\n    namespaces: [a-prod]\n    tenants:\n      prod: {}\n",
			want: []string{"teams[0].tenants.prod: add instances"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in), File)
			assert.Check(t, got == nil)
			var te *Error
			assert.Assert(t, errors.As(err, &te), "%T: %v", err, err)
			assert.Check(t, is.Len(te.Problems, len(tc.want)), "%v", te.Problems)
			for _, w := range tc.want {
				assert.Check(t, is.Contains(err.Error(), w))
			}
		})
	}
}

// A release's fleet: the environment's tenants in waves, some of them when
// named, none where the environment has no tenants or the team is not
// listed; what the file does not give is an error naming it.
func TestFleet(t *testing.T) {
	teams, err := Parse([]byte(withTenants), File)
	assert.NilError(t, err)
	f, err := teams.Fleet("payments", "prod", Pick{})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(f, &Fleet{Environment: "prod", Parallelism: 2, OnFailure: OnFailureKeep, Waves: [][]Tenant{
		{{Name: "acme", Namespace: "payments-prod-acme"}},
		{{Name: "initech", Namespace: "payments-prod-initech"}},
	}}), "the environment's own cluster's")
	assert.Check(t, is.Len(f.Tenants(), 2))
	f, err = teams.Fleet("payments", "prod", Pick{Cluster: "aks-weu-2"})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(f.Waves, [][]Tenant{{{Name: "globex", Namespace: "payments-prod-globex", Cluster: "aks-weu-2"}}}),
		"another cluster's, its first wave the first left")

	f, err = teams.Fleet("payments", "prod", Pick{AnyCluster: true})
	assert.NilError(t, err)
	assert.Check(t, is.Len(f.Tenants(), 3), "a pull request's: every cluster's")

	f, err = teams.Fleet("payments", "prod", Pick{Tenants: []string{"initech"}})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(f.Waves, [][]Tenant{{{Name: "initech", Namespace: "payments-prod-initech"}}}), "the named tenant alone")

	for _, none := range [][2]string{{"payments", "dev"}, {"ledger", "dev"}, {"unlisted", "prod"}} {
		f, err := teams.Fleet(none[0], none[1], Pick{})
		assert.Check(t, err)
		assert.Check(t, f == nil, "%s %s: one namespace, no tenants", none[0], none[1])
	}

	for _, tc := range []struct {
		team, env string
		pick      Pick
		want      string
	}{
		{"payments", "prod", Pick{Tenants: []string{"acme", "hooli"}}, "platform/teams.yaml: team payments has no tenant hooli in prod (its tenants there: acme, globex, initech)"},
		{"payments", "qa", Pick{}, "platform/teams.yaml: team payments has no namespace payments-qa and no tenants in qa (its environments: dev, prod): deploy to one of those"},
		{"payments", "dev", Pick{Tenants: []string{"acme"}}, "team payments has no tenants in dev (asked for acme): a release of dev goes to payments-dev"},
		{"unlisted", "prod", Pick{Tenants: []string{"acme"}}, "team unlisted is not listed, so it has no tenants (asked for acme)"},
		{"payments", "prod", Pick{Tenants: []string{"acme", "globex"}}, "team payments's tenants in prod: globex lives in cluster aks-weu-2, not the environment's own cluster: deploy them with that cluster's kubeconfig and --cluster"},
		{"payments", "prod", Pick{Cluster: "aks-neu-1"}, "team payments has no tenants of prod in cluster aks-neu-1 (they live in the environment's own cluster, cluster aks-weu-2)"},
	} {
		f, err := teams.Fleet(tc.team, tc.env, tc.pick)
		assert.Check(t, f == nil)
		assert.Check(t, is.ErrorContains(err, tc.want))
	}
}
