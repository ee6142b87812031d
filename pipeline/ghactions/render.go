package ghactions

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sethvargo/go-githubactions"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/vuln"
)

// The files Render returns, by the names the reports folder gives them.
const (
	SummaryFile     = "summary.md"
	AnnotationsFile = "annotations.txt"
	OutputsFile     = "outputs.env"
	// SARIFFile is the scan's SARIF report in the reports folder; Render
	// does not write it (the scan does), sarif-path names it.
	SARIFFile = "scan.sarif"
)

// Report is what a ship run produced, as far as GitHub Actions shows it.
type Report struct {
	// Summary holds the service, team, published image (Summary.Image, by
	// digest), the smoke-tested URL (Summary.SmokeURL), the dashboard
	// (Summary.Dashboard), the stages with their outcome and time, and the
	// test and lint reports (nil when they did not run).
	Summary pipeline.ShipSummary
	// Ok says whether every stage passed; it must agree with Problems and
	// the stages.
	Ok bool
	// Problems are the failed stages with what to fix, and the file and
	// line at fault where there is one (annotated there).
	Problems []pipeline.Problem
	// Scan is the vulnerability gate's decision; nil when the scan did not
	// run.
	Scan *vuln.GateResult
	// Dockerfile is the service's Dockerfile, relative to the service's
	// folder; "Dockerfile" when empty.
	Dockerfile string
	// BaseImageLine is the line of the Dockerfile's FROM that the runtime
	// image's packages come from (dockerfile.Dockerfile.BaseImageLine),
	// where vulnerability annotations point; 0 means line 1.
	BaseImageLine int
}

// Files are the rendered reports.
type Files struct {
	// Summary is the markdown step summary (summary.md).
	Summary []byte
	// Annotations are the workflow commands (annotations.txt).
	Annotations []byte
	// Outputs are the step outputs (outputs.env).
	Outputs []byte
}

// ByName returns the files by their names in the reports folder.
func (f *Files) ByName() map[string][]byte {
	return map[string][]byte{SummaryFile: f.Summary, AnnotationsFile: f.Annotations, OutputsFile: f.Outputs}
}

// Render renders r as the GitHub Actions reports: the step summary, the
// annotations and the outputs. A report whose fields contradict each other,
// or a bad option, gives an *InputError; an output the runner could not read
// back, an *OutputError; a temporary file that cannot be written, a
// *WriteError. The result depends only on r and the options.
func Render(r Report, opts ...Option) (*Files, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	outs, err := r.outputs(o)
	if err != nil {
		return nil, err
	}

	// go-githubactions writes the step summary and the outputs to the files
	// GITHUB_STEP_SUMMARY and GITHUB_OUTPUT name: point its getenv at files
	// of a private folder, and read them back.
	dir, err := os.MkdirTemp(o.tempDir, "ghactions-")
	if err != nil {
		return nil, &WriteError{File: "a temporary folder", Err: err}
	}
	defer os.RemoveAll(dir)
	env := map[string]string{
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, SummaryFile),
		"GITHUB_OUTPUT":       filepath.Join(dir, OutputsFile),
	}
	var annotations bytes.Buffer
	action := githubactions.New(
		githubactions.WithWriter(&annotations),
		githubactions.WithGetenv(func(k string) string { return env[k] }),
	)
	if err := issue(func() {
		action.AddStepSummary(r.markdown())
		for _, a := range r.annotations(o) {
			a.issue(action)
		}
		for _, out := range outs {
			action.SetOutput(out.name, out.value)
		}
	}); err != nil {
		return nil, err
	}

	f := &Files{Annotations: annotations.Bytes()}
	for name, dst := range map[string]*[]byte{SummaryFile: &f.Summary, OutputsFile: &f.Outputs} {
		if *dst, err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			return nil, &WriteError{File: name, Err: err}
		}
	}
	return f, nil
}

// issue runs fn, which calls go-githubactions; the library panics when it
// cannot write an environment file, which becomes a *WriteError.
func issue(fn func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			e, ok := p.(error)
			if !ok {
				e = fmt.Errorf("%v", p)
			}
			err = &WriteError{File: "the environment files", Err: e}
		}
	}()
	fn()
	return nil
}

// check refuses a report whose verdict contradicts its stages.
func (r Report) check() error {
	failed := r.firstFailed()
	switch {
	case r.Ok && len(r.Problems) > 0:
		return &InputError{Field: "Ok", Reason: fmt.Sprintf("the report is ok but lists %d problem(s); a run with problems is not ok", len(r.Problems))}
	case r.Ok && failed != nil:
		return &InputError{Field: "Ok", Reason: "the report is ok but stage " + strconv.Quote(failed.Name) + " failed"}
	case !r.Ok && len(r.Problems) == 0 && failed == nil:
		return &InputError{Field: "Ok", Reason: "the report is not ok but names no problem and no failed stage; say what failed in Problems"}
	case r.BaseImageLine < 0:
		return &InputError{Field: "BaseImageLine", Reason: fmt.Sprintf("%d is not a line number; give the FROM's 1-based line, or 0 for line 1", r.BaseImageLine)}
	}
	if _, err := repoPath("Dockerfile", r.Dockerfile); err != nil {
		return err
	}
	return nil
}

// detailed reports whether the summary and the annotations detail the
// failure of stage item by item (failing tests, lint findings, blocking
// vulnerabilities), so its problem text need not be repeated.
func (r Report) detailed(stage string) bool {
	switch stage {
	case "test":
		return r.Summary.Tests != nil && len(r.Summary.Tests.Failures()) > 0
	case "lint":
		return r.Summary.Lint != nil && len(r.Summary.Lint.Findings) > 0
	case "scan":
		return r.Scan != nil && len(r.Scan.Blocking) > 0
	}
	return false
}

// undetailed are the problems that detailed does not cover.
func (r Report) undetailed() []pipeline.Problem {
	var out []pipeline.Problem
	for _, p := range r.Problems {
		if !r.detailed(p.Stage) {
			out = append(out, p)
		}
	}
	return out
}

func (r Report) dockerfile() string {
	if r.Dockerfile == "" {
		return "Dockerfile"
	}
	return r.Dockerfile
}

func quote(s string) string { return strconv.Quote(s) }

// firstFailed returns the first failed stage, or nil.
func (r Report) firstFailed() *pipeline.StageResult {
	for i := range r.Summary.Stages {
		if r.Summary.Stages[i].Status == pipeline.StageFailed {
			return &r.Summary.Stages[i]
		}
	}
	return nil
}
