package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"dagger/golden-path/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/rollout"
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
	run := &shipRun{repoPath: m.RepoPath}
	run.summary.Verb = pipeline.VerbPromote
	res := &ShipResult{}
	cfg, err := m.config(ctx, run, res)
	if err != nil {
		return run.end(ctx, res, noFail)
	}
	deploy := dag.Deploy()

	// promote: what serves verified in --from, by its release records; nothing is built or pushed.
	var p rollout.Promotion
	if err := run.stage(ctx, "promote", func(ctx context.Context) (string, error) {
		data, err := deploy.Promotable(ctx, kubeconfig, cfg.Namespace(from), cfg.Name,
			dagger.DeployPromotableOpts{Image: image, KubeAPI: kubeApi})
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return "", fmt.Errorf("the promotable release is not readable (%s): rebuild the deploy module at the version of this one", err.Error())
		}
		if commit != "" && commit != p.Commit {
			return "", fmt.Errorf("promote: %s serves commit %s (revision %d), not %s, this checkout's: promote from a run of that commit, or ship %s to %s first",
				cfg.Namespace(from), p.Commit, p.Revision, commit, commit, from)
		}
		run.summary.Image, res.Published = p.Image, p.Image
		return fmt.Sprintf("%s revision %d, commit %s, verified %s: %s", cfg.Namespace(from), p.Revision, short(p.Commit),
			p.Verified.UTC().Format(time.RFC3339), p.Image), nil
	}); err != nil {
		return run.end(ctx, res, noFail)
	}
	commitTime := ""
	if !p.CommitTime.IsZero() {
		commitTime = p.CommitTime.UTC().Format(time.RFC3339)
	}
	// render → observability → policy of the target environment, then its release gets the promoted image.
	release, obs, err := m.checkManifests(ctx, run, deploy, []string{to}, to, p.Commit, commitTime)
	if err != nil {
		return run.end(ctx, res, noFail)
	}
	release = release.WithImage(p.Image)
	res.Manifests = release.Manifests()
	dest.observe.commit = p.Commit
	m.rollOut(ctx, run, res, deploy, release, obs, dest)
	if !run.passed() {
		return run.end(ctx, res, noFail)
	}
	return run.result(ctx, res), nil
}

// short is a commit SHA as people read it.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
