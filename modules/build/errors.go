package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"dagger/build/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/dockerfile"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// stageError is err as the stage's problem: its message, and the file and
// line it is about carried in the error's extensions, which reach the
// module's caller (the golden path annotates them in its reports).
func stageError(stage string, err error) error {
	p := pipeline.ProblemOf(stage, err)
	return &gqlerror.Error{Message: p.String(), Extensions: p.Extensions()}
}

// dockerfileError explains a failed Dockerfile build with the Dockerfile line
// it failed on. It never wraps the engine's error: the SDK would then report
// the engine's bare message instead of ours.
func (b *Build) dockerfileError(ctx context.Context, err error) error {
	src, rerr := b.Source.File(b.Dockerfile).Contents(ctx)
	if rerr != nil {
		return fmt.Errorf("build: %s: %s", b.Dockerfile, err.Error())
	}
	df := dockerfile.Parse(b.Dockerfile, []byte(src))
	var ee *dagger.ExecError
	if errors.As(err, &ee) {
		return fmt.Errorf("build: %w", df.RunError(ee.Cmd, ee.ExitCode, strings.TrimSpace(ee.Stdout+"\n"+ee.Stderr)))
	}
	if pe := df.ParseErrorAt(err.Error()); pe != nil {
		pe.Reason += "; fix this instruction (see https://docs.docker.com/reference/dockerfile/)"
		return fmt.Errorf("build: %w", pe)
	}
	return fmt.Errorf("build: %s: %s", b.Dockerfile, err.Error())
}
