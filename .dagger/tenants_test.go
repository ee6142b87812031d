package main

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/golden-path/golden-path/pipeline/rollout"
	"github.com/golden-path/golden-path/pipeline/tenancy"
)

const tenantsFile = `teams:
  - name: payments
    namespaces: [payments-dev, payments-prod]
    tenants:
      prod:
        canary: [acme]
        parallelism: 3
        onFailure: rollback
        instances:
          - {name: acme, namespace: payments-prod-acme}
          - {name: globex, namespace: payments-prod-globex}
`

// Where the render stage renders: each tenant of an environment with tenants, the namespace of one
// without, every instance of every environment for a pull request.
func TestPlacement(t *testing.T) {
	teams, err := tenancy.Parse([]byte(tenantsFile), tenancy.File)
	assert.NilError(t, err)
	names := func(all []*checked) []string {
		var out []string
		for _, c := range all {
			out = append(out, c.name()+" "+c.tenant.Namespace)
		}
		return out
	}

	fleets, all, err := placement{teams: teams, team: "payments"}.fleets([]string{"dev", "prod"})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(names(all), []string{"dev ", "prod/acme payments-prod-acme", "prod/globex payments-prod-globex"}))
	assert.Check(t, is.Len(fleets, 1))
	assert.Check(t, is.Equal(fleets["prod"].OnFailure, tenancy.OnFailureRollback))

	_, all, err = placement{teams: teams, team: "payments", pick: tenancy.Pick{Tenants: []string{"globex"}}}.fleets([]string{"prod"})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(names(all), []string{"prod/globex payments-prod-globex"}))

	_, all, err = placement{team: "payments"}.fleets([]string{"prod"})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(names(all), []string{"prod "}), "no teams file: the environment's namespace")

	_, _, err = placement{teams: teams, team: "payments", pick: tenancy.Pick{Tenants: []string{"hooli"}}}.fleets([]string{"prod"})
	assert.Check(t, is.ErrorContains(err, "team payments has no tenant hooli in prod (its tenants there: acme, globex)"))
	_, _, err = placement{teams: teams, team: "payments"}.fleets([]string{"qa"})
	assert.Check(t, is.ErrorContains(err, "team payments has no namespace payments-qa and no tenants in qa"))
	_, _, err = placement{team: "payments", pick: tenancy.Pick{Tenants: []string{"acme"}}}.fleets([]string{"prod"})
	assert.Check(t, is.ErrorContains(err, "--tenant acme: no teams file was given"))

	cfg := &config.Config{Name: "hello-api", Team: "payments"}
	ns, err := placement{teams: teams, team: "payments"}.namespaces(cfg, "prod")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(ns, []string{"payments-prod-acme", "payments-prod-globex"}))
	ns, err = placement{teams: teams, team: "payments"}.namespaces(cfg, "dev")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(ns, []string{"payments-dev"}))
}

func TestFleetDetail(t *testing.T) {
	fleet := &tenancy.Fleet{Environment: "prod", Parallelism: 3, OnFailure: tenancy.OnFailureKeep,
		Waves: [][]tenancy.Tenant{{{Name: "a"}}, {{Name: "b"}, {Name: "c"}, {Name: "d"}}}}
	got := fleetDetail(fleet, []rollout.TenantResult{
		{Outcome: rollout.TenantUpdated, Took: time.Second}, {Outcome: rollout.TenantUpdated},
		{Outcome: rollout.TenantFailed}, {Outcome: rollout.TenantNotStarted},
	})
	assert.Check(t, is.Equal(got, "4 tenants of prod in 2 waves (parallelism 3, onFailure keep): 2 updated, 1 failed, 1 not started"))
}

func TestAbridge(t *testing.T) {
	assert.Check(t, is.Equal(abridge([]string{"dev", "staging", "prod"}), "dev, staging, prod"))
	assert.Check(t, is.Equal(abridge([]string{"a", "b", "c", "d", "e"}), "a, b, …, e (5)"))
}
