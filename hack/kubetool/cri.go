package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criReadyCmd asks the CRI runtime its version once, as the kubelet does
// before it starts: containerd answers `ctr version` before its CRI plugin is
// initialized, and a kubelet started then exits ("server is not initialized
// yet"). Exit 0 when the runtime answers.
func criReadyCmd(args []string) error {
	ctx, rt, endpoint, done, err := criClient("cri-ready", args, 2*time.Second, "how long the one question may take")
	if err != nil {
		return err
	}
	defer done()
	v, err := rt.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		return fmt.Errorf("CRI endpoint %s: %w", endpoint, err)
	}
	if v.RuntimeApiVersion == "" {
		return fmt.Errorf("CRI endpoint %s: no runtime API version yet", endpoint)
	}
	return nil
}

// criClient parses a CRI command's flags (--endpoint, required, and
// --timeout, default timeout) and connects to the runtime: it returns a
// context bounded by the timeout, the client, the endpoint, and done, which
// closes the connection and the context.
func criClient(cmd string, args []string, timeout time.Duration, timeoutUsage string) (context.Context, runtimeapi.RuntimeServiceClient, string, func(), error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "CRI endpoint, unix:///path/to/containerd.sock")
	limit := fs.Duration("timeout", timeout, timeoutUsage)
	if err := fs.Parse(args); err != nil {
		return nil, nil, "", nil, err
	}
	if *endpoint == "" {
		return nil, nil, "", nil, errors.New("--endpoint is required")
	}
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, "", nil, fmt.Errorf("CRI endpoint %s: %w", *endpoint, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	return ctx, runtimeapi.NewRuntimeServiceClient(conn), *endpoint, func() { cancel(); _ = conn.Close() }, nil
}
