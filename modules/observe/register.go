package main

import (
	"context"
	"fmt"

	"dagger/observe/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/grafana"
)

// Registration is the dashboard as Grafana saved it.
type Registration struct {
	// The dashboard's absolute URL in Grafana.
	Url string
	// The dashboard's uid.
	Uid string
	// The uid of the team's folder.
	Folder string
	// The dashboard's version in Grafana.
	Version int
	// "success", or "unchanged" when Grafana already had this dashboard.
	Status string
}

// Register upserts the dashboard into the team's folder of Grafana (made if
// missing) through Grafana's HTTP API. It is idempotent: an unchanged
// dashboard is not saved again. Without --overwrite, a dashboard someone
// changed in Grafana since (a 412 version mismatch) or another dashboard with
// the same title fails the stage instead of being replaced.
// +cache="never"
func (o *Objects) Register(
	ctx context.Context,
	// Grafana's base URL, e.g. https://grafana.example.com.
	url string,
	// A Grafana service account token with the Editor role, e.g. env://GRAFANA_TOKEN.
	token *dagger.Secret,
	// A service reaching Grafana when it listens on the caller's loopback, e.g. tcp://localhost:3000.
	// +optional
	grafanaTunnel *dagger.Service,
	// Replace the dashboard even if it was changed in Grafana.
	// +optional
	// +default=true
	overwrite bool,
	// The version message in Grafana's history, e.g. the commit SHA and the run's URL.
	// +optional
	message string,
) (*Registration, error) {
	plain, err := token.Plaintext(ctx)
	if err != nil {
		return nil, fmt.Errorf("observe: register: cannot read the --token secret: %s", err.Error())
	}
	hc, err := tunnelClient(ctx, grafanaTunnel, "--grafana-tunnel")
	if err != nil {
		return nil, fmt.Errorf("observe: register: %s", err.Error())
	}
	c, err := grafana.New(url, plain, grafana.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	dash, err := o.Dashboard.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("observe: register: cannot read the dashboard: %s", err.Error())
	}
	if message == "" {
		message = "golden-path: " + o.Service
	}
	res, err := c.UpsertTeamDashboard(ctx, o.Team, grafana.Upsert{Dashboard: []byte(dash), Overwrite: overwrite, Message: message})
	if err != nil {
		return nil, err
	}
	return &Registration{Url: res.URL, Uid: res.UID, Folder: grafana.FolderUID(o.Team), Version: res.Version, Status: res.Status}, nil
}
