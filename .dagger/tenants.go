package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"dagger/golden-path/internal/dagger"

	telemetry "github.com/dagger/otel-go"

	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/golden-path/golden-path/pipeline/rollout"
	"github.com/golden-path/golden-path/pipeline/tenancy"
	"github.com/golden-path/golden-path/platform"
)

// A team's environment may have tenant instances (the platform's teams file): a release of that environment
// goes to each, in waves, rather than to <team>-<environment>.

// readTeams reads and checks the platform's teams file, once per run: teams, or when nil the one this module
// was released with (platform/teams.yaml, compiled in). Its read is one folded span of the progress output
// (the file's contents are not printed).
func readTeams(ctx context.Context, teams *dagger.File) (_ *tenancy.Teams, rerr error) {
	if teams == nil {
		return tenancy.Parse(platform.Teams, tenancy.File)
	}
	ctx, span := dagger.Tracer().Start(ctx, "teams file", telemetry.Encapsulate())
	defer telemetry.EndWithCause(span, &rerr)
	data, err := teams.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("the teams file cannot be read (%s): pass the platform's, e.g. --teams platform/teams.yaml", err.Error())
	}
	return tenancy.Parse([]byte(data), tenancy.File)
}

// instances are where a release of environment goes: each tenant of fleet, or, when nil, the environment's
// namespace.
func instances(environment string, fleet *tenancy.Fleet) []*checked {
	if fleet == nil {
		return []*checked{{env: environment}}
	}
	var out []*checked
	for _, t := range fleet.Tenants() {
		out = append(out, &checked{env: environment, tenant: t})
	}
	return out
}

// placement is where the render stage renders: environments (every one the service has when nil), each
// into its namespace or, where the platform's teams file gives the team tenants there, for each tenant
// (those pick keeps: by name, and in the cluster the kubeconfig reaches).
type placement struct {
	teams *tenancy.Teams
	team  string
	envs  []string
	pick  tenancy.Pick
}

// fleets are the placement's tenants in each environment of envs that has tenants, and its instances.
func (p placement) fleets(envs []string) (map[string]*tenancy.Fleet, []*checked, error) {
	fleets := map[string]*tenancy.Fleet{}
	var all []*checked
	for _, env := range envs {
		var fleet *tenancy.Fleet
		switch {
		case p.teams != nil:
			var err error
			if fleet, err = p.teams.Fleet(p.team, env, p.pick); err != nil {
				return nil, nil, err
			}
		case len(p.pick.Tenants) > 0:
			return nil, nil, fmt.Errorf("--tenant %s: no teams file was given, so there are no tenants", strings.Join(p.pick.Tenants, ","))
		}
		if fleet != nil {
			fleets[env] = fleet
		}
		all = append(all, instances(env, fleet)...)
	}
	return fleets, all, nil
}

// namespaces are where environment's release serves: its namespace, or each of its tenants'.
func (p placement) namespaces(cfg *config.Config, environment string) ([]string, error) {
	_, all, err := p.fleets([]string{environment})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range all {
		if c.tenant.Namespace != "" {
			out = append(out, c.tenant.Namespace)
		} else {
			out = append(out, cfg.Namespace(environment))
		}
	}
	return out, nil
}

// fanOut runs the deploy stage of a release to the fleet's tenants (rollout.FanOut): the canary wave
// alone, then the others, the fleet's parallelism at a time; each tenant's release is deployed, then
// observed as a release of one namespace is (a tenant that fails either is rolled back). A failed tenant
// stops the waves, and the updated tenants keep the release or are put back, as the teams file says. The
// summary has a row per tenant. The lock is the deploy's: per service and namespace, so per tenant.
func (m *GoldenPath) fanOut(ctx context.Context, run *shipRun, res *ShipResult, deploy *dagger.Deploy, fleet *tenancy.Fleet,
	releases []*checked, t target) {
	byTenant := map[string]*checked{}
	for _, c := range releases {
		byTenant[c.tenant.Name] = c
	}
	var mu sync.Mutex // res, between the tenants' goroutines
	_ = run.stage(ctx, "deploy", func(ctx context.Context) (string, error) {
		results, err := rollout.FanOut{
			Waves: fleet.Waves, Parallelism: fleet.Parallelism, OnFailure: fleet.OnFailure, Now: time.Now,
			Deploy: func(ctx context.Context, tenant tenancy.Tenant) (rollout.TenantResult, error) {
				c := byTenant[tenant.Name]
				start := time.Now()
				out, err := deployRelease(ctx, c.release, t)
				if err != nil {
					return rollout.TenantResult{}, err
				}
				r := rollout.TenantResult{Revision: out.Revision, Previous: out.Previous, Image: out.Image, Detail: out.Result}
				if out.Unchanged {
					r.Outcome = rollout.TenantUnchanged
				}
				if !t.observes() {
					return r, nil
				}
				s, err := m.observeRelease(ctx, deploy, c.obs, out, t, start)
				mu.Lock()
				res.Targets = append(res.Targets, s.targets...)
				if s.dashboard != "" {
					res.DashboardURL = s.dashboard // one per service: the summary gives it once
				}
				mu.Unlock()
				var w stageWarning
				switch {
				case errors.As(err, &w):
					r.Detail += "; observe warned: " + w.Error()
				case err != nil:
					return r, fmt.Errorf("observe: %s", err.Error())
				case t.observe.prometheusUrl != "":
					r.Detail += fmt.Sprintf("; %d target(s) up", len(s.targets))
				}
				return r, nil
			},
			Undo: func(ctx context.Context, tenant tenancy.Tenant, r rollout.TenantResult) (string, error) {
				data, err := deploy.Rollback(t.kubeconfig, tenant.Namespace, res.Service, dagger.DeployRollbackOpts{
					KubeAPI: t.kubeApi, ToRevision: r.Previous, RunID: t.runId, Timeout: t.rolloutTimeout,
					Failed: "put back with the fleet: another tenant failed (onFailure: rollback)",
				}).Outcome(ctx)
				if err != nil {
					return "", err
				}
				back, err := readOutcome(data)
				return back.Result, err
			},
		}.Run(ctx)
		run.mu.Lock()
		run.summary.Tenants, run.summary.Dashboard = results, res.DashboardURL
		run.mu.Unlock()
		for _, r := range results {
			res.Tenants = append(res.Tenants, &TenantRelease{Tenant: r.Tenant, Namespace: r.Namespace, Wave: r.Wave, Revision: r.Revision,
				Image: r.Image, Outcome: string(r.Outcome), Seconds: r.Took.Seconds(), Detail: r.Detail})
		}
		res.Rollout = fleetDetail(fleet, results)
		return res.Rollout, err
	})
}

// fleetDetail is the deploy stage's line for a fan-out: how many tenants, in how many waves, and what
// became of them.
func fleetDetail(fleet *tenancy.Fleet, results []rollout.TenantResult) string {
	count := rollout.Tally(results)
	var parts []string
	for _, o := range []rollout.TenantOutcome{rollout.TenantUpdated, rollout.TenantUnchanged, rollout.TenantFailed, rollout.TenantRolledBack, rollout.TenantNotStarted} {
		if count[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[o], o))
		}
	}
	waves := fmt.Sprintf("%d waves", len(fleet.Waves))
	if len(fleet.Waves) == 1 {
		waves = "one wave"
	}
	return fmt.Sprintf("%d tenants of %s in %s (parallelism %d, onFailure %s): %s", len(results), fleet.Environment,
		waves, fleet.Parallelism, fleet.OnFailure, strings.Join(parts, ", "))
}

// TenantRelease is what became of a release in one tenant instance.
type TenantRelease struct {
	// The tenant's name, as the platform's teams file gives it.
	Tenant string
	// The tenant's namespace.
	Namespace string
	// The wave the tenant is in: 1 is the canary wave.
	Wave int
	// The release's revision there; 0 when none was made.
	Revision int
	// The image deployed there, by digest; empty when none was.
	Image string
	// updated, unchanged (it served the release already), failed (and rolled back), rolled back (with the
	// fleet) or not started.
	Outcome string
	// How long its deploy (and rollback) took, in seconds.
	Seconds float64
	// What happened there.
	Detail string
}
