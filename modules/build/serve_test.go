package main

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestExitReasonDropsTheTraceID(t *testing.T) {
	for in, want := range map[string]string{
		"exit code: 3 [traceparent:3b3063957f2213cad7fb4a1aa3d214e8-78665cacf09ee857]": "exit code: 3",
		"exit code: 1\nstderr: boom": "exit code: 1",
		"process did not start":      "process did not start",
	} {
		assert.Check(t, is.Equal(exitReason(errors.New(in)), want))
	}
}
