package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// Rollout is a release applied to a cluster and verified.
type Rollout struct {
	// The namespace the release was applied to.
	Namespace string
	// The service's Deployment.
	Deployment string
	// The image now serving, by digest.
	Image string
	// The Deployment's revision after the rollout.
	Revision string
	// The URL the smoke test called last.
	SmokeUrl string
	// What happened: e.g. "3/3 pods ready, smoke test passed".
	Result string
	// All of the above as one JSON object (a rollout.Outcome of the golden-path pipeline): each query runs the
	// deploy again, so a caller that needs several fields reads this one.
	Outcome dagger.JSON
}

// kubectl runs kubectl steps in a container with the kubeconfig mounted as a
// secret file, which never lands in a layer or a log.
type kubectl struct {
	ctr    *dagger.Container
	server string
	step   int
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
	k.step++
	ctr := k.ctr.WithEnvVariable("GP_STEP", strconv.Itoa(k.step)).
		WithExec(append([]string{"kubectl"}, args...), dagger.ContainerWithExecOpts{Stdin: stdin, Expect: dagger.ReturnTypeAny})
	code, err := ctr.ExitCode(ctx)
	if err != nil {
		return "", "", 0, fmt.Errorf("deploy: kubectl did not run: %s", err.Error())
	}
	out, _ := ctr.Stdout(ctx)
	stderr, _ := ctr.Stderr(ctx)
	return out, stderr, code, nil
}

// Deploy applies the release to the cluster (server-side apply, one field
// manager), waits for the rollout, then smoke-tests the live service through
// the API server. When the rollout times out or the smoke test fails, the
// previous revision is restored and waited for, and Deploy fails with the
// reason, the failing pods' events and their last log lines. Deploys of one
// service are serialized by a Lease in its namespace. Every query deploys (a
// side effect is never answered from a cache): read one field, Outcome when
// you need several.
// +cache="never"
func (r *Release) Deploy(
	ctx context.Context,
	// Kubeconfig of the cluster (for AKS: az aks get-credentials, then kubelogin convert-kubeconfig -l workloadidentity in GitHub Actions).
	kubeconfig *dagger.Secret,
	// A service reaching the API server when it is on the caller's loopback, e.g. tcp://localhost:6443; it is
	// bound as host "kube-api", the server name the kubeconfig must use.
	// +optional
	kubeApi *dagger.Service,
	// Identifies this pipeline run in the Deployment's annotations, e.g. a GitHub Actions run URL.
	// +optional
	runId string,
	// How long the rollout may take, in seconds, before it is rolled back.
	// +optional
	// +default=180
	timeout int,
	// A request the smoke test makes after the health paths, e.g. /greet/smoke; it must answer 2xx.
	// +optional
	smokePath string,
) (*Rollout, error) {
	run := runId
	if run == "" {
		run = "run-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	// Every kubectl step of this deploy is its own exec: GP_DEPLOY (unique per
	// deploy, whatever the run id) and GP_STEP keep the engine from answering a
	// step that changes the cluster from the cache of an earlier deploy.
	ctr := dag.Container().From(r.KubectlImage).
		WithMountedSecret("/gp/kubeconfig", kubeconfig).
		WithEnvVariable("KUBECONFIG", "/gp/kubeconfig").
		WithEnvVariable("GP_RUN", run).
		WithEnvVariable("GP_DEPLOY", strconv.FormatInt(time.Now().UnixNano(), 36))
	if kubeApi != nil {
		ctr = ctr.WithServiceBinding("kube-api", kubeApi)
	}
	k := &kubectl{ctr: ctr}
	server, _, _, err := k.try(ctx, "", "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	if err != nil {
		return nil, err
	}
	k.server = strings.TrimSpace(server)
	if k.server == "" {
		return nil, fmt.Errorf("deploy: the kubeconfig has no current cluster: pass a kubeconfig whose current-context names a cluster")
	}
	// Reachable and authenticated, before anything changes.
	if _, err := k.run(ctx, "read the cluster's version", "", "version", "-o", "json", "--request-timeout=20s"); err != nil {
		return nil, err
	}
	d := &deployment{k: k, r: r, run: run, timeout: time.Duration(timeout) * time.Second}
	return d.deploy(ctx, smokePath)
}
