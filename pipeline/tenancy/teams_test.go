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
