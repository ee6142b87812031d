package main

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"dagger/golden-path/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// target is where a release goes (ship's and promote's flags after the render): the cluster, the rollout's
// bounds, and the observe stage's Prometheus and Grafana.
type target struct {
	kubeconfig       *dagger.Secret
	kubeApi          *dagger.Service
	runId            string
	smokePath        string
	rolloutTimeout   int
	observe          observeArgs
	onObserveFailure string
}

// flags are the release's flags, which were given, with more of the caller's (e.g. ship's publish flags),
// to be checked before anything runs.
func (t target) flags(more map[string]bool) shipFlags {
	given := map[string]bool{
		"--kubeconfig": t.kubeconfig != nil, "--kube-api": t.kubeApi != nil, "--run-id": t.runId != "", "--smoke-path": t.smokePath != "",
		"--prometheus-url": t.observe.prometheusUrl != "", "--prometheus-tunnel": t.observe.prometheusTunnel != nil,
		"--grafana-url": t.observe.grafanaUrl != "", "--grafana-token": t.observe.grafanaToken != nil,
		"--grafana-tunnel": t.observe.grafanaTunnel != nil, "--on-observe-failure": t.onObserveFailure != "rollback",
	}
	maps.Copy(given, more)
	return shipFlags{given: given, rolloutTimeout: t.rolloutTimeout, scrapeTimeout: t.observe.scrapeTimeout, onObserveFailure: t.onObserveFailure}
}

// observes says whether the observe stage runs: Prometheus or Grafana was given.
func (t target) observes() bool { return t.observe.prometheusUrl != "" || t.observe.grafanaUrl != "" }

// observeArgs are ship's flags for the observe stage.
type observeArgs struct {
	prometheusUrl    string
	prometheusTunnel *dagger.Service
	scrapeTimeout    int
	grafanaUrl       string
	grafanaToken     *dagger.Secret
	grafanaTunnel    *dagger.Service
	commit           string
}

// rollOut runs the deploy and observe stages of a checked release: apply, wait for the rollout, smoke-test
// (a failure rolls back), then Prometheus scrapes it and its dashboard is registered; a release Prometheus
// was seen scraping is marked observed (promotable). A failed stage is in run.
func (m *GoldenPath) rollOut(ctx context.Context, run *shipRun, res *ShipResult, deploy *dagger.Deploy, c *checked, t target) {
	deployStart := time.Now()
	var deployed rollout.Outcome
	if err := run.stage(ctx, "deploy", func(ctx context.Context) (string, error) {
		out, err := deployRelease(ctx, c.release, t)
		if err != nil {
			return "", err
		}
		deployed = out
		res.Rollout, res.SmokeURL = out.Result, out.SmokeURL
		run.summary.SmokeURL = res.SmokeURL
		return fmt.Sprintf("%s, revision %d: %s", out.Namespace, out.Revision, out.Result), nil
	}); err != nil {
		return
	}
	if !t.observes() {
		return
	}
	_ = run.stage(ctx, "observe", func(ctx context.Context) (string, error) {
		seen, err := m.observeRelease(ctx, deploy, c.obs, deployed, t, deployStart)
		res.Targets, res.DashboardURL, run.summary.Dashboard = seen.targets, seen.dashboard, seen.dashboard
		if seen.rollback != "" {
			res.Rollout = seen.rollback
		}
		return seen.detail, err
	})
}

// deployRelease deploys a checked release: apply, rollout, smoke test; a failure is rolled back by the
// deploy module, and is its error.
func deployRelease(ctx context.Context, release *dagger.DeployRelease, t target) (rollout.Outcome, error) {
	// One query, one deploy: every query of the deploy's fields would deploy again.
	data, err := release.Deploy(t.kubeconfig, dagger.DeployReleaseDeployOpts{
		KubeAPI: t.kubeApi, RunID: t.runId, SmokePath: t.smokePath, Timeout: t.rolloutTimeout,
	}).Outcome(ctx)
	if err != nil {
		return rollout.Outcome{}, err
	}
	return readOutcome(data)
}

// seen is what the observe stage saw of one deployed release.
type seen struct {
	targets   []string
	dashboard string
	detail    string
	// rollback is the rollback's result when the stage failed and put back the release before.
	rollback string
}

// observeRelease is the observe stage of one deployed release: Prometheus scrapes it (its counter moved
// after the smoke test) and its dashboard is in Grafana; a release seen scraped is marked observed
// (promotable; a mark that fails is a warning). When a check fails the release that served before comes
// back (--on-observe-failure=rollback), or the release stays and the error is a stageWarning (warn).
func (m *GoldenPath) observeRelease(ctx context.Context, deploy *dagger.Deploy, obs *dagger.ObserveObjects, deployed rollout.Outcome,
	t target, since time.Time) (seen, error) {
	s, err := observe(ctx, obs, t.observe, since)
	if err == nil && t.observe.prometheusUrl != "" {
		// Seen scraped: the release may be promoted. A mark that fails leaves it serving, not promotable.
		if err := deploy.Observed(ctx, t.kubeconfig, deployed.Namespace, deployed.Deployment, deployed.Revision,
			dagger.DeployObservedOpts{KubeAPI: t.kubeApi}); err != nil {
			return s, stageWarning{fmt.Errorf("%s; but its record could not be marked observed, so it cannot be promoted until shipped again: %s",
				s.detail, firstLine(err.Error()))}
		}
	}
	if err == nil {
		return s, nil
	}
	if t.onObserveFailure == "warn" {
		return s, stageWarning{err}
	}
	// A release that Prometheus cannot scrape is not done: the one that served before comes back.
	data, rbErr := deploy.Rollback(t.kubeconfig, deployed.Namespace, deployed.Deployment, dagger.DeployRollbackOpts{
		KubeAPI: t.kubeApi, ToRevision: deployed.Previous, Failed: "the observe stage failed: " + firstLine(err.Error()),
		RunID: t.runId, Timeout: t.rolloutTimeout,
	}).Outcome(ctx)
	if rbErr != nil {
		return s, detailedError{fmt.Errorf("%s\nThe release stays live: rolling it back failed too: %s", err.Error(), rbErr.Error()),
			fmt.Sprintf("revision %d stays live: its rollback failed", deployed.Revision)}
	}
	back, rbErr := readOutcome(data)
	if rbErr != nil {
		return s, fmt.Errorf("%s\nThe release was rolled back; %s", err.Error(), rbErr.Error())
	}
	s.rollback = back.Result
	note := fmt.Sprintf("revision %d rolled back: revision %d serves again as revision %d", deployed.Revision, deployed.Previous, back.Revision)
	if deployed.Previous == 0 {
		note = fmt.Sprintf("revision %d removed: there was no previous release", deployed.Revision)
	}
	return s, detailedError{fmt.Errorf("%s\nThe release was rolled back: %s (pass --on-observe-failure=warn to keep a release Prometheus cannot scrape)",
		err.Error(), back.Result), note}
}

// observe checks that Prometheus scrapes the deployed service (its counter moved after the smoke test
// that ran after since) and registers its dashboard in Grafana.
func observe(ctx context.Context, obs *dagger.ObserveObjects, a observeArgs, since time.Time) (seen, error) {
	var s seen
	var detail []string
	if a.prometheusUrl != "" {
		v := obs.Verify(a.prometheusUrl, dagger.ObserveObjectsVerifyOpts{
			PrometheusTunnel: a.prometheusTunnel, Since: since.UTC().Format(time.RFC3339Nano), Timeout: a.scrapeTimeout,
		})
		var err error
		if s.targets, err = v.Targets(ctx); err != nil {
			return s, err
		}
		detail = append(detail, fmt.Sprintf("%d target(s) up", len(s.targets)))
	}
	if a.grafanaUrl != "" {
		reg := obs.Register(a.grafanaUrl, a.grafanaToken, dagger.ObserveObjectsRegisterOpts{
			GrafanaTunnel: a.grafanaTunnel, Overwrite: true, Message: "golden-path ship " + a.commit,
		})
		var err error
		if s.dashboard, err = reg.URL(ctx); err != nil {
			return s, err
		}
		detail = append(detail, "dashboard "+s.dashboard)
	}
	s.detail = strings.Join(detail, ", ")
	return s, nil
}
