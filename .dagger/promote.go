package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"dagger/golden-path/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/rollout"
	"github.com/golden-path/golden-path/pipeline/tenancy"
	"golang.org/x/sync/errgroup"
)

// Promote deploys to an environment the release that serves verified in
// another (e.g. staging to prod): the same image, by digest, with no
// rebuild and no push. The source environment's release records say what
// serves there; it is refused, naming why, when that release failed, was
// rolled back or replaced, or was never verified (rollout, smoke test, and
// Prometheus seen scraping it). The target environment's manifests are
// rendered with its overlay and checked (observability, policy with the
// target's enforcement), then deployed and observed as ship does; the
// release keeps its commit and commit time, so its lead time runs from the
// commit. The summary names what was promoted from where.
// +cache="never"
func (m *GoldenPath) Promote(
	ctx context.Context,
	// The environment whose verified release is promoted, e.g. staging.
	from string,
	// The environment to deploy it to, e.g. prod: an overlay in k8s/overlays.
	to string,
	// Kubeconfig of the cluster, with its credential in the file (as ship's --kubeconfig).
	kubeconfig *dagger.Secret,
	// The platform's teams file (as ship's; the one this module was released with when not given): where --from
	// has tenants, each must serve the release verified; where --to has tenants, the release goes to them in
	// waves.
	// +optional
	teams *dagger.File,
	// Promote to these tenants of --to only (by name); every tenant when empty.
	// +optional
	tenant []string,
	// The cluster --kubeconfig reaches, as the teams file names it (as ship's): the tenants of --from and --to
	// that live there; empty: the environments' own cluster.
	// +optional
	cluster string,
	// The image to promote, by digest; the one that serves in --from when empty. It must be the one that serves.
	// +optional
	image string,
	// The commit this checkout is (in GitHub Actions, ${{ github.sha }}): the promotion is refused when --from
	// serves another commit, so that a job promotes the commit it was started for.
	// +optional
	commit string,
	// A service reaching the API server on the caller's loopback, e.g. tcp://localhost:6443, bound as host "kube-api".
	// +optional
	kubeApi *dagger.Service,
	// Identifies this pipeline run in the Deployment's annotations, e.g. the GitHub Actions run URL.
	// +optional
	runId string,
	// A request the smoke test makes after the health checks, e.g. /greet/smoke; it must answer 2xx.
	// +optional
	smokePath string,
	// How long the rollout may take, in seconds, before it is rolled back.
	// +optional
	// +default=180
	rolloutTimeout int,
	// Prometheus' URL; after the deploy, promote waits until it scrapes the service.
	// +optional
	prometheusUrl string,
	// A service reaching Prometheus on the caller's loopback, e.g. tcp://localhost:9090.
	// +optional
	prometheusTunnel *dagger.Service,
	// How long to wait for Prometheus to scrape the service, in seconds.
	// +optional
	// +default=120
	scrapeTimeout int,
	// Grafana's URL; after the deploy, the service's dashboard is upserted into the team's folder.
	// +optional
	grafanaUrl string,
	// A Grafana service account token (Editor), e.g. env://GRAFANA_TOKEN.
	// +optional
	grafanaToken *dagger.Secret,
	// A service reaching Grafana on the caller's loopback, e.g. tcp://localhost:3000.
	// +optional
	grafanaTunnel *dagger.Service,
	// What a failed observe stage does: rollback (the default) or warn, as ship's.
	// +optional
	// +default="rollback"
	onObserveFailure string,
	// Return the result of a red run (ok false) instead of failing, as ship's.
	// +optional
	noFail bool,
) (*ShipResult, error) {
	dest := target{
		kubeconfig: kubeconfig, kubeApi: kubeApi, runId: runId, smokePath: smokePath, rolloutTimeout: rolloutTimeout,
		observe: observeArgs{
			prometheusUrl: prometheusUrl, prometheusTunnel: prometheusTunnel, scrapeTimeout: scrapeTimeout,
			grafanaUrl: grafanaUrl, grafanaToken: grafanaToken, grafanaTunnel: grafanaTunnel,
		},
		onObserveFailure: onObserveFailure,
	}
	flags := dest.flags(nil) // no publish flags: the promoted image is published
	flags.fn = "promote"
	if err := flags.check(); err != nil {
		return nil, err
	}
	if from == "" || to == "" || from == to {
		return nil, fmt.Errorf("promote: --from %q --to %q: give the environment whose release serves verified and another to deploy it to, e.g. --from staging --to prod", from, to)
	}
	platform, err := readTeams(ctx, teams)
	if err != nil {
		return nil, err
	}
	run := &shipRun{repoPath: m.RepoPath}
	run.summary.Verb = pipeline.VerbPromote
	res := &ShipResult{}
	cfg, err := m.config(ctx, run, res)
	if err != nil {
		return run.end(ctx, res, noFail)
	}
	deploy := dag.Deploy()

	// promote: what serves verified in --from (in each of its tenants, when it has tenants), by the release
	// records; nothing is built or pushed.
	var p rollout.Promotion
	if err := run.stage(ctx, "promote", func(ctx context.Context) (string, error) {
		sources, err := placement{teams: platform, team: cfg.Team, pick: tenancy.Pick{Cluster: cluster}}.namespaces(cfg, from)
		if err != nil {
			return "", err
		}
		found := make([]rollout.Promotion, len(sources))
		var g errgroup.Group
		for i, ns := range sources {
			g.Go(func() error {
				data, err := deploy.Promotable(ctx, kubeconfig, ns, cfg.Name, dagger.DeployPromotableOpts{Image: image, Commit: commit, KubeAPI: kubeApi})
				if err != nil {
					return err
				}
				if err := json.Unmarshal([]byte(data), &found[i]); err != nil {
					return fmt.Errorf("the promotable release is not readable (%s): rebuild the deploy module at the version of this one", err.Error())
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return "", err
		}
		p = found[0]
		if err := rollout.SameRelease(found); err != nil {
			return "", err
		}
		run.summary.Image, res.Published = p.Image, p.Image
		where := cfg.Namespace(from)
		if len(found) > 1 {
			where = fmt.Sprintf("%s (%d tenants)", from, len(found))
		}
		return fmt.Sprintf("%s revision %d, commit %s, verified %s: %s", where, p.Revision, rollout.ShortCommit(p.Commit),
			p.Verified.UTC().Format(time.RFC3339), p.Image), nil
	}); err != nil {
		return run.end(ctx, res, noFail)
	}
	commitTime := ""
	if !p.CommitTime.IsZero() {
		commitTime = p.CommitTime.UTC().Format(time.RFC3339)
	}
	// render → observability → policy of the target environment, then its release gets the promoted image.
	fleets, releases, err := m.checkManifests(ctx, run, deploy, placement{teams: platform, team: cfg.Team, envs: []string{to},
		pick: tenancy.Pick{Tenants: tenant, Cluster: cluster}},
		p.Commit, commitTime)
	if err != nil {
		return run.end(ctx, res, noFail)
	}
	for _, c := range releases {
		c.release = c.release.WithImage(p.Image)
	}
	res.Manifests = releases[0].release.Manifests()
	dest.observe.commit = p.Commit
	if fleet := fleets[to]; fleet != nil {
		m.fanOut(ctx, run, res, deploy, fleet, releases, dest)
	} else {
		m.rollOut(ctx, run, res, deploy, releases[0], dest)
	}
	if !run.passed() {
		return run.end(ctx, res, noFail)
	}
	return run.result(ctx, res), nil
}
