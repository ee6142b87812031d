package main

import (
	"context"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/workdir"
)

// workdirFile returns data as a file called name, written to the module's
// working directory: its contents travel as a file, not as a call's
// argument. It is read at once, whatever the module does next.
func workdirFile(ctx context.Context, name string, data []byte) (*dagger.File, error) {
	rel, err := workdir.Write(workdir.Scratch, name, data)
	if err != nil {
		return nil, err
	}
	return dag.CurrentModule().WorkdirFile(rel).Sync(ctx)
}
