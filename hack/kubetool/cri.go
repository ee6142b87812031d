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
	fs := flag.NewFlagSet("cri-ready", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "CRI endpoint, unix:///path/to/containerd.sock")
	timeout := fs.Duration("timeout", 2*time.Second, "how long the one question may take")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *endpoint == "" {
		return errors.New("--endpoint is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("CRI endpoint %s: %w", *endpoint, err)
	}
	defer conn.Close()
	v, err := runtimeapi.NewRuntimeServiceClient(conn).Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		return fmt.Errorf("CRI endpoint %s: %w", *endpoint, err)
	}
	if v.RuntimeApiVersion == "" {
		return fmt.Errorf("CRI endpoint %s: no runtime API version yet", *endpoint)
	}
	return nil
}
