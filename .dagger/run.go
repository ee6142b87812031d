package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"dagger/golden-path/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/vuln"

	telemetry "github.com/dagger/otel-go"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/ghactions"
)

// shipRun records the stages of one ship run for its summary.
type shipRun struct {
	mu      sync.Mutex
	summary pipeline.ShipSummary
	failed  []pipeline.Problem
	// For the GitHub Actions reports: the scan gate's decision, the Dockerfile and the line of the FROM its
	// runtime image's packages come from, and the service's folder in its repository.
	gate          *vuln.GateResult
	dockerfile    string
	baseImageLine int
	repoPath      string
}

// stage runs fn as the named stage and records its outcome; fn returns a
// one-line detail and the stage's error. The stage is one span of the run's
// progress output: its inner calls (the modules' containers and their logs)
// show only when it fails, so a green run's log is its stages, and a red
// run's log shows the failing stage's own output.
func (r *shipRun) stage(ctx context.Context, name string, fn func(context.Context) (string, error)) (err error) {
	ctx, span := dagger.Tracer().Start(ctx, name, telemetry.Encapsulate())
	defer telemetry.EndWithCause(span, &err)
	start := time.Now()
	detail, err := fn(ctx)
	st := pipeline.StageResult{Name: name, Status: pipeline.StagePassed, Duration: time.Since(start), Detail: detail}
	r.mu.Lock()
	defer r.mu.Unlock()
	var w stageWarning
	var skip stageSkipped
	switch {
	case errors.As(err, &w):
		st.Status, st.Detail, err = pipeline.StageWarned, w.Error(), nil
	case errors.As(err, &skip):
		st.Status, st.Detail, err = pipeline.StageSkipped, skip.reason, nil
	case err != nil:
		p := pipeline.ProblemOf(name, err)
		st.Status = pipeline.StageFailed
		if st.Detail == "" {
			st.Detail = p.Detail
		}
		r.failed = append(r.failed, p)
	}
	r.summary.Stages = append(r.summary.Stages, st)
	return err
}

// detailedError is a stage's error with one line for the stage table
// (a pipeline.Detailed error).
type detailedError struct {
	error
	detail string
}

func (e detailedError) Detail() string { return e.detail }

// locatedError is a stage's error at a file of the service and a line of it
// (0: the file as a whole), a pipeline.Located error.
type locatedError struct {
	error
	file string
	line int
}

func (e locatedError) Location() (string, int) { return e.file, e.line }

// stageWarning is a stage's failure that the caller chose to only warn
// about: the stage is "warned", with the error's first line as its detail,
// and the run goes on.
type stageWarning struct{ error }

func (w stageWarning) Error() string { return firstLine(w.error.Error()) }

// stageSkipped is a stage that could not run because of another stage's
// failure, which is reported there: the stage is "skipped", with reason as
// its detail, and is not a problem of its own.
type stageSkipped struct{ reason string }

func (s stageSkipped) Error() string { return s.reason }

// passed is true while no stage has failed.
func (r *shipRun) passed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.failed) == 0
}

// markdown is the run's step summary, with the scan's when it ran.
func (r *shipRun) markdown(res *ShipResult) string {
	md := r.summary.Markdown()
	if res.Scan != nil {
		md += "\n" + res.Scan.Summary
	}
	return md
}

// fail is the error a failed run returns: each failed stage with what to fix,
// then the summary. It never wraps the engine's errors, whose bare message the
// SDK would report instead.
func (r *shipRun) fail() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	service := r.summary.Service
	if service == "" {
		service = "(service)"
	}
	var failed []string
	for _, p := range r.failed {
		failed = append(failed, p.String())
	}
	verb := "ship"
	if r.summary.Verb != "" {
		verb = strings.ToLower(r.summary.Verb)
	}
	return errors.New(verb + " " + service + " failed:\n" + strings.Join(failed, "\n") + "\n\n" + r.summary.Markdown())
}

// end ends a red run: its error, or with noFail its result (Ok false).
func (r *shipRun) end(ctx context.Context, res *ShipResult, noFail bool) (*ShipResult, error) {
	if noFail {
		return r.result(ctx, res), nil
	}
	return nil, r.fail()
}

// result completes res with the run's stages, verdict, summary and reports.
func (r *shipRun) result(ctx context.Context, res *ShipResult) *ShipResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	res.Ok, res.Problems, res.Stages = len(r.failed) == 0, nil, nil
	for _, p := range r.failed {
		res.Problems = append(res.Problems, &Problem{Stage: p.Stage, Message: p.Message, File: p.File, Line: p.Line})
	}
	for _, st := range r.summary.Stages {
		res.Stages = append(res.Stages, &Stage{Name: st.Name, Status: string(st.Status), Seconds: st.Duration.Seconds(), Detail: st.Detail})
	}
	res.Summary = r.markdown(res)
	reports := dag.Directory()
	files, err := ghactions.Render(ghactions.Report{
		Summary: r.summary, Ok: res.Ok, Problems: r.failed, Scan: r.gate,
		Dockerfile: r.dockerfile, BaseImageLine: r.baseImageLine,
	}, ghactions.WithServiceDir(r.repoPath))
	if err != nil {
		// Not expected (the report is consistent by construction): the summary as before with the reason,
		// and empty annotations and outputs, so that the workflow's steps still find their files.
		files = &ghactions.Files{Summary: []byte(res.Summary + "\n> ⚠️ The GitHub Actions reports could not be rendered: " +
			strings.ReplaceAll(err.Error(), "\n", " ") + "\n")}
	} else {
		res.Summary = string(files.Summary)
	}
	for name, data := range files.ByName() {
		reports = reports.WithNewFile(name, string(data))
	}
	if res.Tests != nil {
		reports = reports.WithFile("junit.xml", res.Tests.Junit)
	}
	if res.Lint != nil {
		reports = reports.WithNewFile("lint.txt", strings.Join(append(res.Lint.Findings, ""), "\n"))
	}
	if res.Scan != nil {
		reports = reports.WithFile("scan.sarif", res.Scan.Sarif).WithFile("sbom.cdx.json", res.Scan.Sbom)
	}
	// Made here, in a span of its own, rather than when the result is returned: the progress output shows
	// one line for the reports, not each file with its contents.
	ctx, span := dagger.Tracer().Start(ctx, "reports", telemetry.Encapsulate())
	synced, err := reports.Sync(ctx)
	telemetry.EndWithCause(span, &err)
	if err == nil {
		reports = synced
	}
	res.Reports = reports
	return res
}
