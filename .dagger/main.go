// The golden path: build, test, scan, publish, deploy and observe a service.
//
// golden-path is the delivery pipeline of the internal developer platform. A
// product team points `dagger call --source ./my-service ship` at its service
// and gets the whole path, the same on a laptop and in CI. Each stage is a
// module of its own under modules/; this root module composes them.
//
// The constructor's arguments are the service and its gates' settings (the
// Dockerfile, the vulnerability threshold, the Trivy DB, the service's folder
// in its repository): ship and report share them, so that after a red ship
// `report` runs the very same gates, e.g.
// `dagger call --source . report reports export --path reports`.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"dagger/golden-path/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/golden-path/golden-path/pipeline/lint"
	"github.com/golden-path/golden-path/pipeline/serve"
	"github.com/golden-path/golden-path/pipeline/testreport"
	"github.com/golden-path/golden-path/pipeline/vuln"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/rollout"
	"github.com/golden-path/golden-path/pipeline/tenancy"
	"golang.org/x/sync/errgroup"
)

// GoldenPath is the golden path for one service, with its gates' settings.
type GoldenPath struct {
	// The service's source folder: golden-path.yaml, Dockerfile, src/, tests/.
	Source *dagger.Directory
	// Path of the Dockerfile inside the source folder.
	Dockerfile string
	// The platform the runtime image is built for.
	Platform dagger.Platform
	// Vulnerabilities at or above this severity fail the scan gate.
	Severity string
	// OCI repository of Trivy's vulnerability DB.
	TrivyDbRepository string
	// A service reaching the DB's registry, bound as host "db-registry".
	TrivyDbRegistry *dagger.Service
	// The service's folder inside its git repository; empty when the service is the repository.
	RepoPath string
}

// New returns the golden path for the service in source, with the settings
// of its gates; ship and report both run with them.
func New(
	// The service's source folder: golden-path.yaml, Dockerfile, src/, tests/.
	// +defaultPath="/"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
	// Path of the Dockerfile inside the source folder.
	// +optional
	// +default="Dockerfile"
	dockerfile string,
	// The platform the runtime image is built for, whatever the machine that ships it: a re-run on another
	// machine builds the same image.
	// +optional
	// +default="linux/amd64"
	platform dagger.Platform,
	// Vulnerabilities at or above this severity fail the scan gate and stop a ship: CRITICAL, HIGH, MEDIUM,
	// LOW or UNKNOWN.
	// +optional
	// +default="CRITICAL"
	severity string,
	// OCI repository of Trivy's vulnerability DB.
	// +optional
	// +default="mirror.gcr.io/aquasec/trivy-db:2"
	trivyDbRepository string,
	// A service reaching the DB's registry, bound as host "db-registry" (e.g. tcp://localhost:5000; then
	// name the repository db-registry:5000/…).
	// +optional
	trivyDbRegistry *dagger.Service,
	// The service's folder inside its git repository, e.g. examples/fastapi-service: the reports' annotations
	// name files from the repository's root. Empty when the service is the repository.
	// +optional
	repoPath string,
) *GoldenPath {
	return &GoldenPath{Source: source, Dockerfile: dockerfile, Platform: platform, Severity: severity,
		TrivyDbRepository: trivyDbRepository, TrivyDbRegistry: trivyDbRegistry, RepoPath: repoPath}
}

// Version returns the golden-path release these modules belong to.
func (m *GoldenPath) Version() string {
	return pipeline.Version
}

// ShipResult is what a ship run produced.
type ShipResult struct {
	// The service's name, from golden-path.yaml.
	Service string
	// The team that owns the service, from golden-path.yaml.
	Team string
	// The service's runtime image, built from its Dockerfile.
	Image *dagger.Container
	// What pytest found.
	Tests *TestSummary
	// What the linter found.
	Lint *LintSummary
	// What the vulnerability scan found.
	Scan *ScanSummary
	// The published image by digest, <registry>/<repository>@sha256:…; empty when nothing was published.
	Published string
	// The manifests rendered for the environment, policy-checked (with tenants, the first tenant's); nil when
	// nothing was published.
	Manifests *dagger.File
	// The rollout's outcome; empty when nothing was deployed.
	Rollout string
	// The URL the smoke test called; empty when nothing was deployed.
	SmokeURL string
	// The service's Grafana dashboard; empty without --grafana-url.
	DashboardURL string
	// The service's scrape targets Prometheus has up; empty without --prometheus-url.
	Targets []string
	// What became of the release in each tenant instance of the environment, when it has tenants (the
	// platform's teams file), in the order of the waves.
	Tenants []*TenantRelease
	// Every stage in the order it ran, with its outcome and time.
	Stages []*Stage
	// Whether every stage passed.
	Ok bool
	// Each failed stage with what to fix.
	Problems []*Problem
	// The markdown step summary of the run.
	Summary string
	// The reports for CI: summary.md, and junit.xml, lint.txt, scan.sarif, sbom.cdx.json when their stage ran.
	Reports *dagger.Directory
}

// Problem is a failed stage with what to fix.
type Problem struct {
	// The stage that failed.
	Stage string
	// What failed and how to fix it.
	Message string
	// The file at fault, relative to the service's folder; empty when the problem is about no one file.
	File string
	// The line of the problem in File; 0 when unknown.
	Line int
}

// TestSummary is the test stage's outcome.
type TestSummary struct {
	// Tests that ran.
	Total int
	// Tests that passed.
	Passed int
	// Tests whose assertions failed.
	Failed int
	// Tests that errored before or outside their assertions, e.g. in a fixture.
	Errors int
	// Tests that were skipped.
	Skipped int
	// The JUnit XML report pytest wrote.
	Junit *dagger.File
}

// LintSummary is the lint stage's outcome.
type LintSummary struct {
	// The linter's command.
	Tool string
	// Each finding as file:line:col: CODE message.
	Findings []string
}

// ScanSummary is the scan stage's outcome.
type ScanSummary struct {
	// CRITICAL findings.
	Critical int
	// HIGH findings.
	High int
	// MEDIUM findings.
	Medium int
	// LOW findings.
	Low int
	// Markdown: counts by severity and the blocking findings.
	Summary string
	// The findings as SARIF 2.1.0, for GitHub code scanning.
	Sarif *dagger.File
	// The image's packages as a CycloneDX SBOM.
	Sbom *dagger.File
}

// Stage is one stage of a ship run.
type Stage struct {
	// The stage's name: config, build, test, lint, scan, publish, render, observability, policy, deploy or observe.
	Name string
	// passed, failed or skipped.
	Status string
	// How long the stage took, in seconds.
	Seconds float64
	// A one-line note, e.g. "2 of 13 tests failed".
	Detail string
}

// Ship runs the golden path on a service: it reads golden-path.yaml, builds
// the Dockerfile, then runs the tests, the linter and the vulnerability scan
// in parallel. A failed gate stops the run with a non-zero exit that names
// what to fix; nothing after it runs, so nothing is pushed. When they pass,
// the manifests are rendered and checked (observability objects, policy):
// every environment's without a registry (a pull request), else the
// environment to deploy to, whose image is then published under the commit
// SHA.
// Accepted vulnerabilities go in the source's .trivyignore.yaml, each with a
// statement and an expiry date. A failed deploy, or a release Prometheus
// cannot scrape, is rolled back whole. With --no-fail a red run returns its
// result (ok false) instead of failing, so that CI exports the reports of
// that very run: `ship --no-fail ... reports export --path reports`.
// +cache="never"
func (m *GoldenPath) Ship(
	ctx context.Context,
	// Registry to publish to, e.g. myacr.azurecr.io; without it nothing is published.
	// +optional
	registry string,
	// Repository inside the registry; <team>/<name> from golden-path.yaml when empty.
	// +optional
	repository string,
	// The git commit SHA being shipped: the image's immutable tag (in GitHub Actions, ${{ github.sha }}).
	// +optional
	commit string,
	// When the commit was made, RFC 3339 (`git log -1 --format=%cI`): kept in the release record; the summary
	// gives the release's lead time (commit to verified live), and the deploy module's dora reads it.
	// +optional
	commitTime string,
	// Registry user name (for an ACR token: 00000000-0000-0000-0000-000000000000).
	// +optional
	username string,
	// Registry password or token, e.g. env://ACR_TOKEN.
	// +optional
	password *dagger.Secret,
	// A service reaching a registry on the caller's loopback, e.g. tcp://localhost:5001.
	// +optional
	registryTunnel *dagger.Service,
	// URL of the repository the commit is in, e.g. https://github.com/acme/orders: a label of the published image.
	// +optional
	sourceUrl string,
	// Environment to deploy to: an overlay in k8s/overlays (dev, staging, prod); without --registry every
	// environment is rendered and checked.
	// +optional
	// +default="dev"
	environment string,
	// The platform's teams file: the namespaces of each team and, per environment, its tenant instances, to
	// which a release goes in waves (the canary wave alone, then the others, so many at once); the one this
	// module was released with (platform/teams.yaml) when not given.
	// +optional
	teams *dagger.File,
	// Deploy to these tenants of the environment only (by name; the teams file's), e.g. the one that failed,
	// once fixed; every tenant when empty.
	// +optional
	tenant []string,
	// The cluster --kubeconfig reaches, as the teams file names it: only the environment's tenants that live
	// there get the release (a fleet across clusters goes out one cluster, one job, at a time); empty: the
	// environment's own cluster.
	// +optional
	cluster string,
	// Kubeconfig of the cluster to deploy to, with its credential in the file (kubectl runs in a container with
	// no exec plugin such as kubelogin: for AKS, an Entra ID token in place of the exec, as the template's
	// workflow writes it); without it nothing is deployed.
	// +optional
	kubeconfig *dagger.Secret,
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
	// Prometheus' URL; after the deploy, ship waits until it scrapes the service (e.g.
	// http://prometheus-operated.monitoring:9090).
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
	// What a failed observe stage does: rollback (the release that served before is put back, whole, and ship
	// fails: a release Prometheus cannot scrape is not done) or warn (the release stays, the stage is marked
	// warned, and ship passes).
	// +optional
	// +default="rollback"
	onObserveFailure string,
	// Return the result of a red run (ok false, the stage that failed and why, what was published and what was
	// rolled back) instead of failing: CI exports this run's own reports, then fails the job when ok is false.
	// +optional
	noFail bool,
) (*ShipResult, error) {
	to := target{
		kubeconfig: kubeconfig, kubeApi: kubeApi, runId: runId, smokePath: smokePath, rolloutTimeout: rolloutTimeout,
		observe: observeArgs{
			prometheusUrl: prometheusUrl, prometheusTunnel: prometheusTunnel, scrapeTimeout: scrapeTimeout,
			grafanaUrl: grafanaUrl, grafanaToken: grafanaToken, grafanaTunnel: grafanaTunnel, commit: commit,
		},
		onObserveFailure: onObserveFailure,
	}
	flags := to.flags(map[string]bool{
		"--registry": registry != "", "--repository": repository != "", "--commit": commit != "",
		"--username": username != "", "--password": password != nil, "--registry-tunnel": registryTunnel != nil, "--source-url": sourceUrl != "",
	})
	if err := flags.check(); err != nil {
		return nil, err
	}
	platform, err := readTeams(ctx, teams)
	if err != nil {
		return nil, err
	}
	deploy := dag.Deploy(dagger.DeployOpts{
		Registry: registry, Username: username, Password: password, RegistryTunnel: registryTunnel,
	})
	if registry == "" {
		return m.pullRequest(ctx, deploy, platform, tenancy.Pick{Tenants: tenant, AnyCluster: true}, noFail)
	}
	run, res := m.gates(ctx)
	if !run.passed() {
		return run.end(ctx, res, noFail)
	}
	// render → observability → policy, before anything is pushed: the manifests of the environment to deploy
	// to (of each of its tenants, when it has tenants), rendered with a placeholder image and checked; its
	// releases then get the published image.
	fleets, releases, err := m.checkManifests(ctx, run, deploy, placement{teams: platform, team: res.Team, envs: []string{environment},
		pick: tenancy.Pick{Tenants: tenant, Cluster: cluster}},
		commit, commitTime)
	if err != nil {
		return run.end(ctx, res, noFail)
	}
	if err := run.stage(ctx, "publish", func(ctx context.Context) (string, error) {
		if repository == "" {
			repository = res.Team + "/" + res.Service
		}
		// One query, one push: each field query would push again.
		data, err := deploy.Publish(res.Image, repository, commit, dagger.DeployPublishOpts{SourceURL: sourceUrl}).Result(ctx)
		if err != nil {
			return "", err
		}
		var pushed pipeline.Published
		if err := json.Unmarshal([]byte(data), &pushed); err != nil {
			return "", fmt.Errorf("the publish result is not readable (%s): rebuild the deploy module at the version of this one", err.Error())
		}
		run.summary.Image, res.Published = pushed.Ref, pushed.Ref
		for _, c := range releases {
			c.release = c.release.WithImage(pushed.Ref)
			if _, err := c.release.Image(ctx); err != nil {
				return "", err
			}
		}
		res.Manifests = releases[0].release.Manifests()
		return pushed.Summary(), nil
	}); err != nil {
		return run.end(ctx, res, noFail)
	}
	if kubeconfig == nil {
		return run.result(ctx, res), nil
	}
	if fleet := fleets[environment]; fleet != nil {
		m.fanOut(ctx, run, res, deploy, fleet, releases, to)
	} else {
		m.rollOut(ctx, run, res, deploy, releases[0], to)
	}
	if !run.passed() {
		return run.end(ctx, res, noFail)
	}
	return run.result(ctx, res), nil
}

// checked is where a release goes, its manifests rendered and checked: an environment's namespace, or
// one tenant instance of it.
type checked struct {
	env     string
	tenant  tenancy.Tenant // none: the environment's own namespace
	release *dagger.DeployRelease
	obs     *dagger.ObserveObjects
	note    string
}

// name is the instance as the stages' lines give it: dev, or prod/acme.
func (c *checked) name() string {
	if c.tenant.Name != "" {
		return c.env + "/" + c.tenant.Name
	}
	return c.env
}

// checkManifests runs the render, observability and policy stages on the
// manifests of each instance of the placement, rendered with a placeholder
// image, side by side; a stage that fails in one instance fails. It returns
// the fleets of the environments with tenants, and the instances with their
// releases and observability objects checked.
func (m *GoldenPath) checkManifests(ctx context.Context, run *shipRun, deploy *dagger.Deploy, where placement, commit, commitTime string) (map[string]*tenancy.Fleet, []*checked, error) {
	source := m.Source
	var all []*checked
	var fleets map[string]*tenancy.Fleet
	// each runs fn on every environment at once and returns their notes, or the first environment's error.
	each := func(ctx context.Context, fn func(context.Context, *checked) error) ([]string, error) {
		var g errgroup.Group
		errs := make([]error, len(all))
		for i, c := range all {
			g.Go(func() error { errs[i] = fn(ctx, c); return nil })
		}
		_ = g.Wait()
		var notes []string
		for i, c := range all {
			if errs[i] != nil {
				return nil, errs[i]
			}
			notes = append(notes, c.note)
		}
		return notes, nil
	}
	if err := run.stage(ctx, "render", func(ctx context.Context) (string, error) {
		envs := where.envs
		if envs == nil {
			var err error
			if envs, err = deploy.Environments(ctx, dagger.DeployEnvironmentsOpts{Source: source}); err != nil {
				return "", err
			}
		}
		var err error
		if fleets, all, err = where.fleets(envs); err != nil {
			return "", err
		}
		notes, err := each(ctx, func(ctx context.Context, c *checked) error {
			c.release = deploy.Render(dagger.DeployRenderOpts{Source: source, Environment: c.env, Commit: commit, CommitTime: commitTime,
				Tenant: c.tenant.Name, Namespace: c.tenant.Namespace})
			ns, err := c.release.Namespace(ctx)
			c.note = c.name() + " → namespace " + ns
			return err
		})
		return abridge(notes), err
	}); err != nil {
		return nil, nil, err
	}
	names := ""
	if len(all) > 1 {
		var each []string
		for _, c := range all {
			each = append(each, c.name())
		}
		names = " (" + abridge(each) + ")"
	}
	if err := run.stage(ctx, "observability", func(ctx context.Context) (string, error) {
		notes, err := each(ctx, func(ctx context.Context, c *checked) error {
			c.obs = dag.Observe().Generate(dagger.ObserveGenerateOpts{Source: source, Environment: c.env, Namespace: c.tenant.Namespace})
			if err := c.obs.Check(ctx, c.release.Manifests()); err != nil {
				return err
			}
			c.release = c.release.WithManifests(c.obs.Manifests())
			uid, err := c.obs.DashboardUID(ctx)
			c.note = "dashboard " + uid // one per service, whatever the environment
			return err
		})
		if err != nil {
			return "", err
		}
		return "ServiceMonitor, PrometheusRule, " + notes[0] + names, nil
	}); err != nil {
		return nil, nil, err
	}
	if err := run.stage(ctx, "policy", func(ctx context.Context) (string, error) {
		notes, err := each(ctx, func(ctx context.Context, c *checked) error {
			c.note = ""
			if _, err := c.release.Check().Namespace(ctx); err != nil { // reading a field runs the check
				return err
			}
			// What the environment only warns of (its enforcement, set by the platform) passes, and is told.
			warnings, err := c.release.PolicyReport().Warnings(ctx)
			if len(warnings) > 0 {
				c.note = fmt.Sprintf("%s: %d warning(s), not enforced there yet: %s", c.name(), len(warnings), strings.Join(warnings, "; "))
			}
			return err
		})
		if err != nil {
			return "", err
		}
		warned := slices.DeleteFunc(notes, func(n string) bool { return n == "" })
		if len(warned) > 0 {
			return "nothing enforced is broken" + names + "; " + strings.Join(warned, "; "), nil
		}
		return "all rules pass" + names, nil
	}); err != nil {
		return nil, nil, err
	}
	return fleets, all, nil
}

// abridge lists items for a stage's line: all of them when few, else the first two, the last and how many
// (a fleet of tenants).
func abridge(items []string) string {
	if len(items) <= 4 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s, %s, …, %s (%d)", items[0], items[1], items[len(items)-1], len(items))
}

// readOutcome decodes a deploy module's outcome.
func readOutcome(data dagger.JSON) (rollout.Outcome, error) {
	var out rollout.Outcome
	if err := json.Unmarshal([]byte(data), &out); err != nil {
		return out, fmt.Errorf("the deploy's outcome is not readable (%s): rebuild the deploy module at the version of this one", err.Error())
	}
	return out, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Gates runs what a pull request runs: ship without a registry (config,
// build, test ∥ lint ∥ serve ∥ scan, then every environment's manifests
// rendered and checked for observability and policy), publishing and
// deploying nothing, and fails naming what to fix; it returns the step
// summary. A check: in a service's repository that installed the golden path
// as a toolchain, `dagger check` runs it (golden-path:gates), with the
// constructor's arguments from the repository's .env.
// +check
func (m *GoldenPath) Gates(ctx context.Context) (string, error) {
	platform, err := readTeams(ctx, nil)
	if err != nil {
		return "", err
	}
	res, err := m.pullRequest(ctx, dag.Deploy(), platform, tenancy.Pick{AnyCluster: true}, false)
	if err != nil {
		return "", err
	}
	return res.Summary, nil
}

// pullRequest is ship without a registry: the gates, then every environment's manifests (with the service's
// ServiceMonitor, PrometheusRule and dashboard ConfigMap) rendered with a placeholder image and checked for
// observability and policy. Nothing is published or deployed.
func (m *GoldenPath) pullRequest(ctx context.Context, deploy *dagger.Deploy, platform *tenancy.Teams, pick tenancy.Pick, noFail bool) (*ShipResult, error) {
	run, res := m.gates(ctx)
	if !run.passed() {
		return run.end(ctx, res, noFail)
	}
	if _, _, err := m.checkManifests(ctx, run, deploy, placement{teams: platform, team: res.Team, pick: pick}, "", ""); err != nil {
		return run.end(ctx, res, noFail)
	}
	return run.result(ctx, res), nil
}

// Report runs ship's gates (config, build, test ∥ lint ∥ serve ∥ scan) like ship does,
// but returns their result instead of failing, and publishes nothing, e.g.
// `dagger call --source . report reports export --path reports`. (A CI job
// that ships runs `ship --no-fail`, whose result reports every stage.) Its result
// is kept for the session only: the vulnerability DB changes daily, and a
// cached report must not contradict a ship that failed on a new finding.
// +cache="session"
func (m *GoldenPath) Report(ctx context.Context) *ShipResult {
	run, res := m.gates(ctx)
	return run.result(ctx, res)
}

// gates runs config, build, then test ∥ lint ∥ serve ∥ scan, recording each stage;
// the result's Ok says whether they all passed. It never fails: a failed
// stage is in the run.
func (m *GoldenPath) gates(ctx context.Context) (*shipRun, *ShipResult) {
	run := &shipRun{repoPath: m.RepoPath}
	res := &ShipResult{}
	source, dockerfile := m.Source, m.Dockerfile

	cfg, err := m.config(ctx, run, res)
	if err != nil {
		return run, res
	}

	b := dag.Build(dagger.BuildOpts{Source: source, Dockerfile: dockerfile, TestStage: cfg.Build.Test})
	if err := run.stage(ctx, "build", func(ctx context.Context) (string, error) {
		// Vulnerability annotations point at the FROM line the runtime image's packages come from.
		run.dockerfile = dockerfile
		if line, err := b.BaseImageLine(ctx, dagger.BuildBaseImageLineOpts{Target: cfg.Build.Runtime}); err == nil {
			run.baseImageLine = line
		}
		var err error
		res.Image, err = b.Build(dagger.BuildBuildOpts{Target: cfg.Build.Runtime, Platform: m.Platform}).Sync(ctx)
		return dockerfile, err
	}); err != nil {
		return run, res
	}

	// test ∥ lint ∥ serve ∥ scan: four gates on the same build, side by side.
	var tests *testreport.Report
	var lints *lint.Report
	// Not errgroup.WithContext: one failed gate must not cancel the others,
	// so that the run reports every gate that fails.
	var g errgroup.Group
	g.Go(func() error {
		return run.stage(ctx, "test", func(ctx context.Context) (string, error) {
			r := b.TestReport(dagger.BuildTestReportOpts{Command: cfg.Test.Args()})
			v, err := verdict[*testreport.Report](ctx, "test", r.Verdict)
			if err != nil {
				return "", err
			}
			tests = v.Report
			res.Tests = &TestSummary{
				Total: tests.Total, Passed: tests.Passed, Failed: tests.Failed, Errors: tests.Errors, Skipped: tests.Skipped,
				Junit: r.Junit(),
			}
			return testDetail(tests), v.Err()
		})
	})
	g.Go(func() error {
		return run.stage(ctx, "lint", func(ctx context.Context) (string, error) {
			v, err := verdict[*lint.Report](ctx, "lint", b.LintReport(dagger.BuildLintReportOpts{Command: cfg.Lint.Args()}).Verdict)
			if pipeline.StageOf(err) == "build" {
				// The test stage did not build: the test stage's failure says why, once.
				return "", stageSkipped{"the " + cfg.Build.Test + " stage of the Dockerfile did not build: see the test stage"}
			}
			if err != nil {
				return "", err
			}
			lints = v.Report
			res.Lint = &LintSummary{Tool: lints.Tool}
			for _, f := range lints.Findings {
				res.Lint.Findings = append(res.Lint.Findings, f.String())
			}
			return fmt.Sprintf("%d findings", len(lints.Findings)), v.Err()
		})
	})
	g.Go(func() error {
		// The runtime image started as the cluster will start it, asked what its probes and Prometheus will ask.
		return run.stage(ctx, "serve", func(ctx context.Context) (string, error) {
			v, err := verdict[*serve.Report](ctx, "serve", b.ServeReport(dagger.BuildServeReportOpts{
				Ctr: res.Image, Port: cfg.Port, Liveness: cfg.Health.Liveness, Readiness: cfg.Health.Readiness, Metrics: cfg.Metrics.Path,
				Series: []string{cfg.Metrics.Requests, cfg.Metrics.Duration},
			}).Verdict)
			if err != nil {
				return "", err
			}
			if err := v.Err(); err != nil {
				// At the setting of golden-path.yaml the failure points at (its line when the file gives it).
				if key := v.Report.Setting(); key != "" {
					return v.Report.Detail(), locatedError{err, config.FileName, cfg.Line(key)}
				}
				return v.Report.Detail(), err
			}
			return v.Report.Detail(), nil
		})
	})
	var gate *vuln.GateResult
	g.Go(func() error {
		return run.stage(ctx, "scan", func(ctx context.Context) (string, error) {
			var err error
			res.Scan, gate, err = scanStage(ctx, source, res.Image, cfg.Name, dagger.ScanOpts{
				Severity: m.Severity, DbRepository: m.TrivyDbRepository, DbRegistry: m.TrivyDbRegistry,
			})
			return scanDetail(res.Scan), err
		})
	})
	_ = g.Wait() // each failure is recorded in run
	run.summary.Tests, run.summary.Lint, run.gate = tests, lints, gate
	return run, res
}

// config is the run's config stage: golden-path.yaml, the one file a team edits, read once per run; the
// service and team go into res and the summary.
func (m *GoldenPath) config(ctx context.Context, run *shipRun, res *ShipResult) (*config.Config, error) {
	var cfg *config.Config
	if err := run.stage(ctx, "config", func(ctx context.Context) (string, error) {
		var err error
		if cfg, err = config.Read(func(name string) (string, error) { return m.Source.File(name).Contents(ctx) }); err != nil {
			return "", err
		}
		return cfg.Name + " (team " + cfg.Team + ")", nil
	}); err != nil {
		return nil, err
	}
	res.Service, res.Team = cfg.Name, cfg.Team
	run.summary.Service, run.summary.Team = cfg.Name, cfg.Team
	return cfg, nil
}

func testDetail(r *testreport.Report) string {
	if n := len(r.Failures()); n > 0 {
		return fmt.Sprintf("%d of %d tests failed", n, r.Total)
	}
	return fmt.Sprintf("%d passed, %d skipped", r.Passed, r.Skipped)
}

// verdict reads a stage module's verdict in one query and decodes it: the module decided, the root reads.
// The query's error is the module's own (e.g. "test: pytest did not run: …").
func verdict[R any](ctx context.Context, stage string, query func(context.Context) (dagger.JSON, error)) (pipeline.Verdict[R], error) {
	data, err := query(ctx)
	if err != nil {
		return pipeline.Verdict[R]{}, err
	}
	return pipeline.DecodeVerdict[R](stage, string(data))
}

// scanStage scans the image with the scan module, which decides the gate; a scanner failure is an error
// (fail closed), and so are findings the gate blocks.
func scanStage(ctx context.Context, source *dagger.Directory, image *dagger.Container, name string, opts dagger.ScanOpts) (*ScanSummary, *vuln.GateResult, error) {
	if ok, err := source.Exists(ctx, vuln.IgnoreFileName); err == nil && ok {
		opts.IgnoreFile = source.File(vuln.IgnoreFileName)
	}
	r := dag.Scan(opts).ContainerReport(image, dagger.ScanContainerReportOpts{Name: name})
	// Reading the verdict runs the scan: its error is the scanner's.
	v, err := verdict[*vuln.GateResult](ctx, "scan", r.Verdict)
	if err != nil {
		return nil, nil, err
	}
	gate := v.Report
	s := &ScanSummary{
		Critical: gate.Counts[vuln.SeverityCritical], High: gate.Counts[vuln.SeverityHigh],
		Medium: gate.Counts[vuln.SeverityMedium], Low: gate.Counts[vuln.SeverityLow],
		Summary: gate.Markdown(), Sarif: r.Sarif(), Sbom: r.Sbom(),
	}
	return s, gate, v.Err()
}

func scanDetail(s *ScanSummary) string {
	if s == nil {
		return "not scanned"
	}
	return fmt.Sprintf("%d critical, %d high, %d medium, %d low", s.Critical, s.High, s.Medium, s.Low)
}
