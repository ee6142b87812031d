package main

import (
	"context"
	"fmt"
	"time"

	"dagger/observe/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/observe"
	"github.com/golden-path/golden-path/pipeline/promapi"
)

// Verification is what Prometheus showed of the service.
type Verification struct {
	// The service's scrape targets, all up.
	Targets []string
	// How much the request counter grew after --since.
	Increase float64
	// When Prometheus last scraped the service, RFC 3339.
	LastScrape string
}

// Verify asks Prometheus until every target of the service is up and its
// request counter moved after --since (the smoke test's start), and fails with
// what was missing when --timeout runs out: no target (with the endpoints
// Prometheus dropped), a target down (with its scrape error), the counter
// absent or flat. The objects must have a namespace (generate --environment).
// +cache="never"
func (o *Objects) Verify(
	ctx context.Context,
	// Prometheus' base URL, e.g. http://prometheus-operated.monitoring:9090.
	prometheusUrl string,
	// A service reaching Prometheus when it listens on the caller's loopback, e.g. tcp://localhost:9090.
	// +optional
	prometheusTunnel *dagger.Service,
	// A bearer token for a Prometheus behind authentication, e.g. env://PROMETHEUS_TOKEN.
	// +optional
	token *dagger.Secret,
	// The counter must have moved after this time, RFC 3339; the start of verify when empty.
	// +optional
	since string,
	// How long to wait for the targets and the counter, in seconds.
	// +optional
	// +default=120
	timeout int,
) (*Verification, error) {
	if o.Namespace == "" {
		return nil, fmt.Errorf("observe: verify: the objects have no namespace; generate them with --environment, the environment the service is deployed to")
	}
	e := observe.Expect{Namespace: o.Namespace, Service: o.Service, Counter: o.RequestCounter}
	if since != "" {
		t, err := time.Parse(time.RFC3339Nano, since)
		if err != nil {
			return nil, fmt.Errorf("observe: verify: --since %q is not an RFC 3339 time like 2026-01-02T15:04:05Z", since)
		}
		e.Since = t
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("observe: verify: --timeout must be a positive number of seconds")
	}
	hc, err := tunnelClient(ctx, prometheusTunnel, "--prometheus-tunnel")
	if err != nil {
		return nil, fmt.Errorf("observe: verify: %s", err.Error())
	}
	opts := []promapi.Option{promapi.WithHTTPClient(hc)}
	if token != nil {
		plain, err := token.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("observe: verify: cannot read the --token secret: %s", err.Error())
		}
		opts = append(opts, promapi.WithBearerToken(plain))
	}
	c, err := promapi.New(prometheusUrl, opts...)
	if err != nil {
		return nil, err
	}
	s, err := observe.VerifyScraped(ctx, c, e, observe.WithTimeout(time.Duration(timeout)*time.Second))
	if err != nil {
		return nil, err
	}
	return &Verification{Targets: s.Targets, Increase: s.Increase, LastScrape: s.LastScrape.UTC().Format(time.RFC3339)}, nil
}
