package main

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/golden-path/golden-path/pipeline"
)

// shipRun records the stages of one ship run for its summary.
type shipRun struct {
	mu      sync.Mutex
	summary pipeline.ShipSummary
	failed  []string
}

// stage runs fn as the named stage and records its outcome; fn returns a
// one-line detail and the stage's error.
func (r *shipRun) stage(name string, fn func() (string, error)) error {
	start := time.Now()
	detail, err := fn()
	st := pipeline.StageResult{Name: name, Status: pipeline.StagePassed, Duration: time.Since(start), Detail: detail}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		st.Status = pipeline.StageFailed
		msg := err.Error()
		if !strings.HasPrefix(msg, name+": ") { // modules name their stage already
			msg = name + ": " + msg
		}
		r.failed = append(r.failed, msg)
	}
	r.summary.Stages = append(r.summary.Stages, st)
	return err
}

// fail is the error a failed run returns: each failed stage with what to fix,
// then the summary. It never wraps the engine's errors, whose bare message the
// SDK would report instead.
func (r *shipRun) fail(error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	service := r.summary.Service
	if service == "" {
		service = "(service)"
	}
	return errors.New("ship " + service + " failed:\n" + strings.Join(r.failed, "\n") + "\n\n" + r.summary.Markdown())
}
