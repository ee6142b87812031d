package main

import (
	"context"
	"fmt"
	"slices"

	"dagger/build/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/testreport"

	"github.com/golden-path/golden-path/pipeline"
)

const junitPath = "/tmp/golden-path/junit.xml"

// TestReport is what a pytest run found.
type TestReport struct {
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
	// Wall time of the tests, in seconds.
	Duration float64
	// Failing and erroring tests, with their assertion messages.
	Failures []*TestFailure
	// The JUnit XML report pytest wrote.
	Junit *dagger.File
	// The pytest command's output (its last lines).
	Output string
	// A markdown section for a step summary.
	Summary string
	// Whether the gate passes: no failing test, and at least one ran.
	Ok bool
	// Why the gate fails, naming each failing test; empty when Ok.
	Problem string
	// The decision and the whole report as JSON (a pipeline.Verdict of a testreport.Report): what the
	// golden path's root module reads, so that it never parses the JUnit file again.
	Verdict dagger.JSON
}

// TestFailure is one test that failed or errored.
type TestFailure struct {
	// pytest node id, e.g. tests/test_main.py::test_health.
	TestID string
	// The test's file, when pytest reported it.
	File string
	// The test's line in that file, when pytest reported it; 0 otherwise.
	Line int
	// The assertion or error message.
	Message string
}

// TestReport runs pytest and returns its report; failing tests do not make
// it fail (its Check and Test do). It fails only when pytest could not report
// at all.
func (b *Build) TestReport(
	ctx context.Context,
	// Dockerfile stage that has the tests, pytest and the dependencies; the test stage when empty.
	// +optional
	target string,
	// Image to run pytest in instead of the Dockerfile stage, with the source at /app.
	// +optional
	image string,
	// Extra arguments to pytest, e.g. ["-k", "health"].
	// +optional
	args []string,
	// The command that runs pytest, with the team's own options or paths; the module adds the options of its
	// JUnit report.
	// +optional
	// +default=["python3", "-m", "pytest"]
	command []string,
) (*TestReport, error) {
	ctr, err := b.testContainer(ctx, target, image)
	if err != nil {
		return nil, err
	}
	cmd := slices.Concat(command, []string{"-o", "junit_family=xunit1", "--junitxml=" + junitPath, "-rfE"}, args)
	ran := ctr.
		WithEnvVariable("PYTHONDONTWRITEBYTECODE", "1").
		WithExec(cmd, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := ran.ExitCode(ctx)
	if err != nil {
		return nil, fmt.Errorf("test: pytest did not run: %s", err.Error())
	}
	out, _ := ran.CombinedOutput(ctx)
	junit := ran.File(junitPath)
	xml, err := junit.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("test: pytest exited with %d and wrote no JUnit report; its output:\n%s", code, pipeline.LastLines(out, 30))
	}
	rep, err := testreport.ParseJUnit([]byte(xml))
	if err != nil {
		return nil, fmt.Errorf("test: %s", err.Error())
	}
	return newTestReport(rep, junit, out)
}

// Test runs pytest and fails when a test fails or none ran: TestReport, then
// its Check.
// +check
func (b *Build) Test(
	ctx context.Context,
	// Dockerfile stage that has the tests, pytest and the dependencies; the test stage when empty.
	// +optional
	target string,
	// Image to run pytest in instead of the Dockerfile stage, with the source at /app.
	// +optional
	image string,
) (*TestReport, error) {
	r, err := b.TestReport(ctx, target, image, nil, []string{"python3", "-m", "pytest"})
	if err != nil {
		return nil, err
	}
	return r.Check()
}

// Check fails when a test failed or none ran, naming each failing test; it
// returns the report when the tests pass.
func (r *TestReport) Check() (*TestReport, error) {
	if !r.Ok {
		return nil, fmt.Errorf("test: %s", r.Problem)
	}
	return r, nil
}

// testContainer is the container the tests and the linter run in: image
// with the source at /app, or the Dockerfile's stage target (the test stage
// when empty).
func (b *Build) testContainer(ctx context.Context, target, image string) (*dagger.Container, error) {
	if image != "" {
		return dag.Container().From(image).WithDirectory("/app", b.Source).WithWorkdir("/app"), nil
	}
	if target == "" {
		target = b.TestStage
	}
	return b.Build(ctx, target, nil, "")
}

func newTestReport(rep *testreport.Report, junit *dagger.File, out string) (*TestReport, error) {
	v := pipeline.NewVerdict(rep, rep.Err())
	data, err := v.JSON()
	if err != nil {
		return nil, fmt.Errorf("test: %s", err.Error())
	}
	r := &TestReport{
		Total: rep.Total, Passed: rep.Passed, Failed: rep.Failed, Errors: rep.Errors, Skipped: rep.Skipped,
		Duration: rep.Duration, Junit: junit, Output: pipeline.LastLines(out, 40), Summary: rep.Markdown(),
		Ok: v.Ok, Problem: v.Problem, Verdict: dagger.JSON(data),
	}
	for _, c := range rep.Failures() {
		r.Failures = append(r.Failures, &TestFailure{TestID: c.ID, File: c.File, Line: c.Line, Message: c.Message})
	}
	return r, nil
}
