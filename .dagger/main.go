// The golden path: build, test, scan, publish, deploy and observe a service.
//
// golden-path is the delivery pipeline of the internal developer platform. A
// product team points `dagger call ship` at its service and gets the whole
// path, the same on a laptop and in CI. Each stage is a module of its own under
// modules/; this root module composes them.
package main

import (
	"context"
	"errors"
	"fmt"

	"dagger/golden-path/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"golang.org/x/sync/errgroup"
)

// GoldenPath is the golden path for one service.
type GoldenPath struct{}

// Version returns the golden-path release these modules belong to.
func (m *GoldenPath) Version() string {
	return pipeline.Version
}

// ShipResult is what a ship run produced.
type ShipResult struct {
	// Service and team, from golden-path.yaml.
	Service, Team string
	// The service's runtime image, built from its Dockerfile.
	Image *dagger.Container
	// What pytest found.
	Tests *TestSummary
	// What the linter found.
	Lint *LintSummary
	// What the vulnerability scan found.
	Scan *ScanSummary
	// Every stage in the order it ran, with its outcome and time.
	Stages []*Stage
	// The markdown step summary of the run.
	Summary string
}

// TestSummary is the test stage's outcome.
type TestSummary struct {
	Total, Passed, Failed, Errors, Skipped int
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
	// Findings per severity.
	Critical, High, Medium, Low int
	// Markdown: counts by severity and the blocking findings.
	Summary string
	// The findings as SARIF 2.1.0, for GitHub code scanning.
	Sarif *dagger.File
	// The image's packages as a CycloneDX SBOM.
	Sbom *dagger.File
}

// Stage is one stage of a ship run.
type Stage struct {
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
// what to fix; nothing after it runs. Accepted vulnerabilities go in the
// source's .trivyignore.yaml, each with a statement and an expiry date.
func (m *GoldenPath) Ship(
	ctx context.Context,
	// The service's source folder: golden-path.yaml, Dockerfile, src/, tests/.
	// +defaultPath="/"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
	// Path of the Dockerfile inside the source folder.
	// +optional
	// +default="Dockerfile"
	dockerfile string,
	// Vulnerabilities at or above this severity stop the ship: CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.
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
) (*ShipResult, error) {
	run := &shipRun{}

	// config: the one file a team edits.
	var cfg *pipeline.Config
	if err := run.stage("config", func() (string, error) {
		data, err := source.File(pipeline.ConfigFile).Contents(ctx)
		if err != nil {
			return "", fmt.Errorf("no %s in the source folder: copy the one in examples/fastapi-service and set your service's name and team", pipeline.ConfigFile)
		}
		if cfg, err = pipeline.ParseConfig([]byte(data), pipeline.ConfigFile); err != nil {
			return "", err
		}
		return cfg.Name + " (team " + cfg.Team + ")", nil
	}); err != nil {
		return nil, run.fail(err)
	}
	run.summary.Service, run.summary.Team = cfg.Name, cfg.Team

	b := dag.Build(dagger.BuildOpts{Source: source, Dockerfile: dockerfile})
	var image *dagger.Container
	if err := run.stage("build", func() (string, error) {
		var err error
		image, err = b.Build().Sync(ctx)
		return dockerfile, err
	}); err != nil {
		return nil, run.fail(err)
	}

	// test ∥ lint ∥ scan: three gates on the same build, side by side.
	var tests *pipeline.TestReport
	var testReport *dagger.BuildTestReport
	var lint *pipeline.LintReport
	// Not errgroup.WithContext: one failed gate must not cancel the others,
	// so that the run reports every gate that fails.
	var g errgroup.Group
	g.Go(func() error {
		return run.stage("test", func() (string, error) {
			testReport = b.Tests()
			xml, err := testReport.Junit().Contents(ctx)
			if err != nil {
				return "", err
			}
			if tests, err = pipeline.ParseJUnit([]byte(xml)); err != nil {
				return "", err
			}
			return testDetail(tests), tests.Err()
		})
	})
	g.Go(func() error {
		return run.stage("lint", func() (string, error) {
			r := b.Findings()
			tool, err := r.Tool(ctx)
			if err != nil {
				return "", err
			}
			lint = &pipeline.LintReport{Tool: tool}
			fs, err := r.Findings(ctx)
			if err != nil {
				return "", err
			}
			for _, f := range fs {
				pf, err := lintFinding(ctx, &f)
				if err != nil {
					return "", err
				}
				lint.Findings = append(lint.Findings, pf)
			}
			return fmt.Sprintf("%d findings", len(lint.Findings)), lint.Err()
		})
	})
	var scan *ScanSummary
	g.Go(func() error {
		return run.stage("scan", func() (string, error) {
			var err error
			scan, err = scanStage(ctx, source, image, cfg.Name, dagger.ScanOpts{
				Severity: severity, DbRepository: trivyDbRepository, DbRegistry: trivyDbRegistry,
			})
			return scanDetail(scan), err
		})
	})
	gateErr := g.Wait()
	run.summary.Tests, run.summary.Lint = tests, lint
	if gateErr != nil {
		// Report both gates, not just the first to fail.
		return nil, run.fail(gateErr)
	}

	res := &ShipResult{
		Service: cfg.Name,
		Team:    cfg.Team,
		Image:   image,
		Tests: &TestSummary{
			Total: tests.Total, Passed: tests.Passed, Failed: tests.Failed, Errors: tests.Errors, Skipped: tests.Skipped,
			Junit: testReport.Junit(),
		},
		Lint:    &LintSummary{Tool: lint.Tool},
		Scan:    scan,
		Summary: run.summary.Markdown() + "\n" + scan.Summary,
	}
	for _, f := range lint.Findings {
		res.Lint.Findings = append(res.Lint.Findings, f.String())
	}
	for _, st := range run.summary.Stages {
		res.Stages = append(res.Stages, &Stage{Name: st.Name, Status: string(st.Status), Seconds: st.Duration.Seconds(), Detail: st.Detail})
	}
	return res, nil
}

func testDetail(r *pipeline.TestReport) string {
	if n := len(r.Failures()); n > 0 {
		return fmt.Sprintf("%d of %d tests failed", n, r.Total)
	}
	return fmt.Sprintf("%d passed, %d skipped", r.Passed, r.Skipped)
}

func lintFinding(ctx context.Context, f *dagger.BuildLintFinding) (pipeline.Finding, error) {
	var pf pipeline.Finding
	var err error
	if pf.File, err = f.File(ctx); err != nil {
		return pf, err
	}
	if pf.Line, err = f.Line(ctx); err != nil {
		return pf, err
	}
	if pf.Column, err = f.Column(ctx); err != nil {
		return pf, err
	}
	if pf.Code, err = f.Code(ctx); err != nil {
		return pf, err
	}
	pf.Message, err = f.Message(ctx)
	return pf, err
}

// scanStage scans the image with the scan module; a scanner failure is an
// error (fail closed), and so are findings the gate blocks.
func scanStage(ctx context.Context, source *dagger.Directory, image *dagger.Container, name string, opts dagger.ScanOpts) (*ScanSummary, error) {
	if ok, err := source.Exists(ctx, pipeline.IgnoreFileName); err == nil && ok {
		opts.IgnoreFile = source.File(pipeline.IgnoreFileName)
	}
	r := dag.Scan(opts).Container(image, dagger.ScanContainerOpts{Name: name})
	// The first field read runs the scan: its error is the scanner's.
	ok, err := r.Ok(ctx)
	if err != nil {
		return nil, err
	}
	s := &ScanSummary{Sarif: r.Sarif(), Sbom: r.Sbom()}
	for _, f := range []struct {
		n   *int
		get func(context.Context) (int, error)
	}{{&s.Critical, r.Critical}, {&s.High, r.High}, {&s.Medium, r.Medium}, {&s.Low, r.Low}} {
		if *f.n, err = f.get(ctx); err != nil {
			return nil, err
		}
	}
	if s.Summary, err = r.Summary(ctx); err != nil {
		return nil, err
	}
	if !ok {
		problem, err := r.Problem(ctx)
		if err != nil {
			return nil, err
		}
		return s, errors.New(problem)
	}
	return s, nil
}

func scanDetail(s *ScanSummary) string {
	if s == nil {
		return "not scanned"
	}
	return fmt.Sprintf("%d critical, %d high, %d medium, %d low", s.Critical, s.High, s.Medium, s.Low)
}
