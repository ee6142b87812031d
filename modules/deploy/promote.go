package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// Promotable reads a service's release records in a namespace and returns
// the release that may be promoted from there, as JSON (a
// rollout.Promotion: image by digest, commit and its time, revision): the
// release that serves, verified by its rollout, its smoke test and the
// observe stage; or, given --image, that image's latest release, which
// must be the one that serves. It fails, saying why, when there is none,
// or when that release failed, was rolled back or replaced, never finished
// its deploy, or was never observed, or is of another commit than
// --commit. It changes nothing.
// +cache="never"
func (d *Deploy) Promotable(
	ctx context.Context,
	// Kubeconfig of the cluster.
	kubeconfig *dagger.Secret,
	// The namespace the release serves in: <team>-<environment>.
	namespace string,
	// The service's name, as in golden-path.yaml.
	service string,
	// The image to promote, by digest (<registry>/<repository>@sha256:…); the one that serves when empty.
	// +optional
	image string,
	// The commit the release must be of (e.g. the one a CI job was started for); any when empty.
	// +optional
	commit string,
	// A service reaching the API server when it is on the caller's loopback, e.g. tcp://localhost:6443.
	// +optional
	kubeApi *dagger.Service,
) (dagger.JSON, error) {
	if namespace == "" || service == "" {
		return "", fmt.Errorf("promotable: give --namespace and --service (the namespace is <team>-<environment> of golden-path.yaml)")
	}
	k, err := connect(ctx, d.KubectlImage, kubeconfig, kubeApi, "promotable-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		return "", err
	}
	dep := &deployment{k: k, r: &Release{Namespace: namespace, Service: service}}
	records, err := dep.records(ctx)
	if err != nil {
		return "", stageError("promote", err)
	}
	p, err := rollout.Promotable(records, image, commit)
	if err != nil {
		return "", stageError("promote", fmt.Errorf("promote: %s in %s: %w", service, namespace, err))
	}
	data, err := json.Marshal(p)
	return dagger.JSON(data), err
}

// Observed marks a service's release as observed now: the observe stage saw
// Prometheus scrape it. A release is promotable only once observed. The
// golden path marks it after its observe stage passes.
// +cache="never"
func (d *Deploy) Observed(
	ctx context.Context,
	// Kubeconfig of the cluster.
	kubeconfig *dagger.Secret,
	// The namespace of the release: <team>-<environment>.
	namespace string,
	// The service's name, as in golden-path.yaml.
	service string,
	// The release's revision (see history).
	revision int,
	// A service reaching the API server when it is on the caller's loopback, e.g. tcp://localhost:6443.
	// +optional
	kubeApi *dagger.Service,
) error {
	if namespace == "" || service == "" || revision <= 0 {
		return fmt.Errorf("observed: give --namespace, --service and --revision (a revision from history)")
	}
	now := time.Now()
	k, err := connect(ctx, d.KubectlImage, kubeconfig, kubeApi, "observed-"+strconv.FormatInt(now.UnixNano(), 36))
	if err != nil {
		return err
	}
	dep := &deployment{k: k, r: &Release{Namespace: namespace, Service: service}}
	records, err := dep.records(ctx)
	if err != nil {
		return err
	}
	found := false
	for _, r := range records {
		if r.Revision == revision {
			found = r.Status == rollout.StatusDeployed
			if !found {
				return fmt.Errorf("observed: revision %d of %s in %s %s: only the release that serves is observed", revision, service, namespace, r.Status)
			}
		}
	}
	if !found {
		return fmt.Errorf("observed: %s has no revision %d in %s (see history)", service, revision, namespace)
	}
	patch, err := rollout.ObservedPatch(namespace, service, revision, now)
	if err != nil {
		return err
	}
	if err := dep.mount(ctx, statusPath, patch); err != nil {
		return err
	}
	_, err = k.run(ctx, "mark the release observed", "", "apply", "--server-side",
		"--field-manager="+rollout.ObservedFieldManager, "--force-conflicts", "-f", statusPath)
	return err
}
