// Make a service observable, and prove it is observed.
//
// The observe stage of golden-path. Generate turns golden-path.yaml into a
// ServiceMonitor (Prometheus scrapes the service), a PrometheusRule (the RED
// alerts at the thresholds of its slo section) and a Grafana dashboard (request
// rate, errors, latency percentiles, pod CPU, memory and restarts) with a
// stable uid, also wrapped in a ConfigMap for Grafana's dashboard sidecar,
// and checks them: every PromQL expression parses with Prometheus' parser,
// the dashboard round-trips through the Grafana Foundation SDK's types.
// Check proves, before anything is deployed, that the ServiceMonitor selects
// the Service it is rendered with. After the deploy, Verify asks Prometheus
// until the service's targets are up and its request counter moved, and
// Register upserts the dashboard into the team's Grafana folder.
//
// Prometheus and Grafana are reached by URL; when they listen on the caller's
// loopback (a port-forward, a local platform), pass a tunnel service too, e.g.
// --prometheus-tunnel tcp://localhost:9090: the module dials it while the URLs
// it returns keep their host. The Grafana token is a secret and appears in no
// log, error or returned value.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"dagger/observe/internal/dagger"
)

// Observe generates, checks, registers and verifies a service's observability.
type Observe struct{}

// New returns the observe stage.
func New() *Observe { return &Observe{} }

// tunnelClient is an HTTP client whose every connection goes to the tunnel's
// endpoint (nil: the default client); what names the argument for errors.
func tunnelClient(ctx context.Context, tunnel *dagger.Service, what string) (*http.Client, error) {
	if tunnel == nil {
		return http.DefaultClient, nil
	}
	svc, err := tunnel.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot start the %s: %s", what, err.Error())
	}
	endpoint, err := svc.Endpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("the %s has no endpoint: %s", what, err.Error())
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	var dialer net.Dialer
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, endpoint)
	}
	return &http.Client{Transport: tr}, nil
}
