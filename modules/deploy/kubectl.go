package main

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// releasePath is where kubectl finds the release's manifests.
const releasePath = "/gp/release.yaml"

// kubectl runs kubectl steps in a container with the kubeconfig mounted as a
// secret file, which never lands in a layer or a log.
type kubectl struct {
	ctr    *dagger.Container
	server string
	// step numbers the steps (the lock's renewals run beside the others).
	step atomic.Int64
}

// run runs kubectl with args (stdin optional) and returns its output; a
// failure is explained as a *rollout.ClusterError naming action.
func (k *kubectl) run(ctx context.Context, action, stdin string, args ...string) (string, error) {
	out, stderr, code, err := k.try(ctx, stdin, args...)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", rollout.Classify(action, k.server, stderr)
	}
	return out, nil
}

// try runs kubectl and returns stdout, stderr and the exit code.
func (k *kubectl) try(ctx context.Context, stdin string, args ...string) (string, string, int, error) {
	ctr := k.ctr.WithEnvVariable("GP_STEP", strconv.FormatInt(k.step.Add(1), 10)).
		WithExec(append([]string{"kubectl"}, args...), dagger.ContainerWithExecOpts{Stdin: stdin, Expect: dagger.ReturnTypeAny})
	code, err := ctr.ExitCode(ctx)
	if err != nil {
		return "", "", 0, fmt.Errorf("deploy: kubectl did not run: %s", err.Error())
	}
	out, _ := ctr.Stdout(ctx)
	stderr, _ := ctr.Stderr(ctx)
	return out, stderr, code, nil
}
