package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/dora"
	"github.com/golden-path/golden-path/pipeline/rollout"
	"github.com/golden-path/golden-path/pipeline/tenancy"
	"github.com/golden-path/golden-path/platform"
)

// DoraReport is a team's or a service's delivery metrics over a window.
type DoraReport struct {
	// Markdown: one row per service and environment.
	Markdown string
	// The same figures as JSON: a list of {service, environment, deployments, deploymentsPerDay,
	// leadTimeNanoseconds, leadTimes, changes, failures, changeFailureRate, timeToRestoreNanoseconds, restores,
	// unrestored}.
	Json dagger.JSON
}

// Dora reads the release records of namespaces (a team's, or a service's)
// and returns, per service and environment over the window, the delivery
// metrics: deployment frequency (changes verified live), lead time for
// changes (commit time, as Render was given it, to verified live), change
// failure rate (changes that failed their deploy or were rolled back after
// it) and time to restore (a failed change to the next verified release).
// The records hold the last 10 releases of each service.
// +cache="never"
func (d *Deploy) Dora(
	ctx context.Context,
	// Kubeconfig of the cluster.
	kubeconfig *dagger.Secret,
	// The namespaces to read, e.g. payments-dev,payments-prod; or give --team.
	// +optional
	namespaces []string,
	// The team whose namespaces to read, as the platform's teams file lists them (its environments' and its
	// tenants').
	// +optional
	team string,
	// The platform's teams file (for --team); the one this module was released with (platform/teams.yaml) when
	// not given.
	// +optional
	teams *dagger.File,
	// Only this service's releases; every service's when empty.
	// +optional
	service string,
	// The window, a Go duration back from now, e.g. 720h (30 days).
	// +optional
	// +default="720h"
	since string,
	// A service reaching the API server when it is on the caller's loopback, e.g. tcp://localhost:6443.
	// +optional
	kubeApi *dagger.Service,
) (*DoraReport, error) {
	window, err := time.ParseDuration(since)
	if err != nil || window <= 0 {
		return nil, fmt.Errorf("dora: --since %q: give a positive duration, e.g. 720h (30 days) or 168h (a week)", since)
	}
	switch {
	case team != "" && len(namespaces) > 0:
		return nil, fmt.Errorf("dora: give --team or --namespaces, not both")
	case team != "":
		if namespaces, err = teamNamespaces(ctx, teams, team); err != nil {
			return nil, err
		}
	case len(namespaces) == 0:
		return nil, fmt.Errorf("dora: give --team (its namespaces from the platform's teams file) or --namespaces, e.g. payments-dev,payments-prod")
	}
	now := time.Now() // the report's one clock
	k, err := connect(ctx, d.KubectlImage, kubeconfig, kubeApi, "dora-"+strconv.FormatInt(now.UnixNano(), 36))
	if err != nil {
		return nil, err
	}
	selector := rollout.LabelReleaseOf
	if service != "" {
		selector += "=" + service
	}
	var records []rollout.StoredRecord
	for _, ns := range namespaces {
		out, err := k.run(ctx, "read the release records of "+ns, "", "get", "configmaps", "-n", ns, "-l", selector, "-o", "json")
		if err != nil {
			return nil, err
		}
		recs, err := rollout.ParseRecords([]byte(out), service)
		if err != nil {
			return nil, err
		}
		records = append(records, recs...)
	}
	metrics, err := dora.Compute(dora.FromRecords(records), now, window)
	if err != nil {
		return nil, err
	}
	if metrics == nil {
		metrics = []dora.Metrics{} // JSON [], not null
	}
	data, err := json.Marshal(metrics)
	if err != nil {
		return nil, fmt.Errorf("dora: %s", err.Error())
	}
	return &DoraReport{Markdown: dora.Markdown(metrics, window), Json: dagger.JSON(data)}, nil
}

// teamNamespaces are team's namespaces in the teams file: its environments'
// and its tenants'.
func teamNamespaces(ctx context.Context, teams *dagger.File, team string) ([]string, error) {
	data := platform.Teams
	if teams != nil {
		contents, err := teams.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("dora: the teams file cannot be read: %s", err.Error())
		}
		data = []byte(contents)
	}
	file, err := tenancy.Parse(data, tenancy.File)
	if err != nil {
		return nil, fmt.Errorf("dora: %w", err)
	}
	t, ok := file.Team(team)
	if !ok {
		var names []string
		for _, t := range file.Teams {
			names = append(names, t.Name)
		}
		return nil, fmt.Errorf("dora: %s lists no team %s (its teams: %s)", tenancy.File, team, strings.Join(names, ", "))
	}
	return t.AllNamespaces(), nil
}
