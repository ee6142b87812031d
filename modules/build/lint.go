package main

import (
	"cmp"
	"context"
	"fmt"

	"dagger/build/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/lint"

	"github.com/golden-path/golden-path/pipeline"
)

// LintReport is what the linter found.
type LintReport struct {
	// The linter's command.
	Tool string
	// Findings, each with file, line, column, code and message.
	Findings []*LintFinding
	// A markdown section for a step summary.
	Summary string
	// Whether the gate passes: no findings.
	Ok bool
	// The findings as file:line:col: CODE message lines; empty when Ok.
	Problem string
	// The decision and the whole report as JSON (a pipeline.Verdict of a lint.Report): what the
	// golden path's root module reads in one query.
	Verdict dagger.JSON
}

// LintFinding is one problem the linter reported.
type LintFinding struct {
	// The file, relative to the source folder, e.g. src/main.py.
	File string
	// The line of the finding, from 1.
	Line int
	// The column of the finding, from 1.
	Column int
	// The linter's code, e.g. F401.
	Code string
	// What the linter says is wrong.
	Message string
}

// LintReport runs the linter (flake8 by default) in the Dockerfile's test
// stage and returns its findings; findings do not make it fail (its Check and
// Lint do).
func (b *Build) LintReport(
	ctx context.Context,
	// Linter command; the default lints every Python file of the stage's working folder. A flake8 command gets the
	// options the module reads its output with (--format=default --no-show-source --benchmark, whatever a team's
	// .flake8 says), so a run that checked no file fails; another linter must print flake8's format.
	// +optional
	// +default=["flake8", "."]
	command []string,
	// Dockerfile stage that has the linter; the test stage when empty.
	// +optional
	target string,
	// Image to lint in instead of the Dockerfile stage, with the source at /app.
	// +optional
	image string,
) (*LintReport, error) {
	ctr, err := b.testContainer(ctx, target, image)
	if err != nil {
		return nil, err
	}
	command = lint.PinFlake8(command)
	ran := ctr.WithExec(command, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := ran.ExitCode(ctx)
	if err != nil {
		return nil, fmt.Errorf("lint: %v did not run: %s", command, err.Error())
	}
	out, err := ran.Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("lint: %s", err.Error())
	}
	out, files, counted := lint.SplitBenchmark(out)
	if counted && files == 0 {
		where := "the " + cmp.Or(target, b.TestStage) + " stage's working folder"
		if image != "" {
			where = "/app in " + image
		}
		return nil, fmt.Errorf("lint: %v checked no Python file: %s holds none; copy the code and tests there "+
			"(the template's Dockerfile: COPY src/ src/ and COPY tests/ tests/ in its test stage)", command, where)
	}
	findings, err := lint.ParseFlake8(out)
	if err != nil {
		return nil, fmt.Errorf("lint: cannot read the output of %v: %s", command, err.Error())
	}
	if code != 0 && len(findings) == 0 {
		// Fail closed: a linter that failed without findings did not lint.
		stderr, _ := ran.Stderr(ctx)
		return nil, fmt.Errorf("lint: %v exited with %d and reported nothing:\n%s", command, code, pipeline.LastLines(stderr, 20))
	}
	rep := &lint.Report{Tool: command[0], Findings: findings}
	v := pipeline.NewVerdict(rep, rep.Err())
	data, err := v.JSON()
	if err != nil {
		return nil, fmt.Errorf("lint: %s", err.Error())
	}
	r := &LintReport{Tool: command[0], Summary: rep.Markdown(), Ok: v.Ok, Problem: v.Problem, Verdict: dagger.JSON(data)}
	for _, f := range findings {
		r.Findings = append(r.Findings, &LintFinding{File: f.File, Line: f.Line, Column: f.Column, Code: f.Code, Message: f.Message})
	}
	return r, nil
}

// Lint runs the linter and fails on any finding, naming file:line:col and
// code: LintReport, then its Check.
// +check
func (b *Build) Lint(
	ctx context.Context,
	// Linter command; the default lints every Python file of the stage's working folder. A flake8 command gets the
	// options the module reads its output with (--format=default --no-show-source --benchmark, whatever a team's
	// .flake8 says), so a run that checked no file fails; another linter must print flake8's format.
	// +optional
	// +default=["flake8", "."]
	command []string,
) (*LintReport, error) {
	r, err := b.LintReport(ctx, command, "", "")
	if err != nil {
		return nil, err
	}
	return r.Check()
}

// Check fails on any finding, naming file:line:col and code; it returns the
// report when there is none.
func (r *LintReport) Check() (*LintReport, error) {
	if !r.Ok {
		return nil, fmt.Errorf("lint: %s", r.Problem)
	}
	return r, nil
}
