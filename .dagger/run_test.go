package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/golden-path/golden-path/pipeline/dockerfile"

	telemetry "github.com/dagger/otel-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline"
)

// spans records the spans the run makes (the progress output's rows).
func spans(t *testing.T) *tracetest.SpanRecorder {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	return rec
}

// The stages record their outcome in order, each one span that folds its
// calls unless it fails; a failed stage's problem keeps its file and line.
func TestStagesRecordOutcomes(t *testing.T) {
	rec := spans(t)
	ctx := context.Background()
	run := &shipRun{}
	run.summary.Service = "hello-api"
	assert.NilError(t, run.stage(ctx, "config", func(context.Context) (string, error) { return "hello-api (team payments)", nil }))
	assert.Check(t, run.passed())
	located := &dockerfile.Error{File: "Dockerfile", Line: 9, Instruction: "RUN false", Reason: "RUN failed with exit code 1"}
	err := run.stage(ctx, "build", func(context.Context) (string, error) { return "Dockerfile", fmt.Errorf("build: %w", located) })
	assert.Check(t, is.ErrorIs(err, located), "the stage's own error is returned")
	assert.Check(t, !run.passed())

	assert.Check(t, is.Len(run.summary.Stages, 2))
	assert.Check(t, is.Equal(run.summary.Stages[0].Status, pipeline.StagePassed))
	assert.Check(t, is.Equal(run.summary.Stages[0].Detail, "hello-api (team payments)"))
	assert.Check(t, is.Equal(run.summary.Stages[1].Status, pipeline.StageFailed))
	assert.Check(t, is.DeepEqual(run.failed, []pipeline.Problem{{Stage: "build", Message: located.Error(), File: "Dockerfile", Line: 9}}))

	ended := rec.Ended()
	assert.Assert(t, is.Len(ended, 2))
	for i, name := range []string{"config", "build"} {
		assert.Check(t, is.Equal(ended[i].Name(), name))
		var encapsulated bool
		for _, a := range ended[i].Attributes() {
			if string(a.Key) == telemetry.UIEncapsulateAttr {
				encapsulated = a.Value.AsBool()
			}
		}
		assert.Check(t, encapsulated, "the %s span does not fold its calls", name)
	}
	assert.Check(t, is.Equal(ended[0].Status().Code, codes.Ok))
	assert.Check(t, is.Equal(ended[1].Status().Code, codes.Error), "a failed stage's span is failed: the progress output unfolds it")
}

// The calls a stage makes are children of its span.
func TestStageCallsAreItsChildren(t *testing.T) {
	rec := spans(t)
	run := &shipRun{}
	assert.NilError(t, run.stage(context.Background(), "deploy", func(ctx context.Context) (string, error) {
		_, call := otel.Tracer("test").Start(ctx, "DeployRelease.deploy")
		call.End()
		return "", nil
	}))
	ended := rec.Ended()
	assert.Assert(t, is.Len(ended, 2))
	assert.Check(t, is.Equal(ended[0].Name(), "DeployRelease.deploy"))
	assert.Check(t, is.Equal(ended[0].Parent().SpanID(), ended[1].SpanContext().SpanID()))
}

// Gates that run side by side each record their outcome.
func TestStagesSideBySide(t *testing.T) {
	run := &shipRun{}
	var wg sync.WaitGroup
	for _, name := range []string{"test", "lint", "scan"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run.stage(context.Background(), name, func(context.Context) (string, error) {
				if name == "lint" {
					return "", errors.New("lint: flake8 found 1 problem")
				}
				return "", nil
			})
		}()
	}
	wg.Wait()
	assert.Check(t, is.Len(run.summary.Stages, 3))
	assert.Check(t, is.DeepEqual(run.failed, []pipeline.Problem{{Stage: "lint", Message: "flake8 found 1 problem"}}))
}

// A failed run's error names each failed stage with what to fix, then the summary.
func TestFailNamesEachProblem(t *testing.T) {
	run := &shipRun{}
	ctx := context.Background()
	run.stage(ctx, "test", func(context.Context) (string, error) { return "", errors.New("test: 1 of 13 tests failed") })
	run.stage(ctx, "scan", func(context.Context) (string, error) { return "", errors.New("cannot reach the DB") })
	msg := run.fail().Error()
	assert.Check(t, strings.HasPrefix(msg, "ship (service) failed:\ntest: 1 of 13 tests failed\nscan: cannot reach the DB\n\n"), msg)
	assert.Check(t, is.Contains(msg, "| test | ❌ failed |"))

	run.summary.Service = "hello-api"
	assert.Check(t, strings.HasPrefix(run.fail().Error(), "ship hello-api failed:\n"))
}
