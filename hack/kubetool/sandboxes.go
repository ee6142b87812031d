package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func rmSandboxesCmd(args []string) error {
	ctx, rt, _, done, err := criClient("rm-sandboxes", args, 2*time.Minute, "give up after this long")
	if err != nil {
		return err
	}
	defer done()
	n, err := removeAll(ctx, rt)
	fmt.Fprintf(os.Stderr, "removed %d pod sandboxes and %d containers\n", n.sandboxes, n.containers)
	return err
}

type removed struct{ sandboxes, containers int }

// removeAll stops and removes every pod sandbox (with its containers, network
// and mounts), then any container left without one. It goes on after an error
// and returns them all.
func removeAll(ctx context.Context, rt runtimeapi.RuntimeServiceClient) (removed, error) {
	var n removed
	var errs []error
	sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return n, fmt.Errorf("listing pod sandboxes: %w", err)
	}
	for _, sb := range sbs.Items {
		what := fmt.Sprintf("pod sandbox %s (%s/%s)", sb.Id, sb.GetMetadata().GetNamespace(), sb.GetMetadata().GetName())
		if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			errs = append(errs, fmt.Errorf("stopping %s: %w", what, err))
			continue
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", what, err))
			continue
		}
		n.sandboxes++
	}
	cs, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return n, errors.Join(append(errs, fmt.Errorf("listing containers: %w", err))...)
	}
	for _, c := range cs.Containers {
		if _, err := rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: c.Id, Timeout: 10}); err != nil {
			errs = append(errs, fmt.Errorf("stopping container %s: %w", c.Id, err))
			continue
		}
		if _, err := rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: c.Id}); err != nil {
			errs = append(errs, fmt.Errorf("removing container %s: %w", c.Id, err))
			continue
		}
		n.containers++
	}
	return n, errors.Join(errs...)
}
