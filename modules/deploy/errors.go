package main

import (
	"github.com/golden-path/golden-path/pipeline"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// stageError is err as the stage's problem: its message, and the file and
// line it is about carried in the error's extensions, which reach the
// module's caller (the golden path annotates them in its reports).
func stageError(stage string, err error) error {
	p := pipeline.ProblemOf(stage, err)
	return &gqlerror.Error{Message: p.String(), Extensions: p.Extensions()}
}

// releaseError is a release that failed: what happened, and one line on
// what serves now for the stage table (a pipeline.Detailed error).
type releaseError struct{ msg, detail string }

func (e *releaseError) Error() string  { return e.msg }
func (e *releaseError) Detail() string { return e.detail }
