package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"dagger/observe/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/observe"
)

// Objects are a service's generated observability objects.
type Objects struct {
	// The service's name, from golden-path.yaml.
	Service string
	// The team: the Grafana folder and the alerts' team label.
	Team string
	// The namespace of the objects; empty when generated without one.
	Namespace string
	// The dashboard's uid, stable for the team and the service's name.
	DashboardUid string
	// The dashboard's title.
	DashboardTitle string
	// The ServiceMonitor: Prometheus scrapes the Service's port "http" at metrics.path.
	ServiceMonitor *dagger.File
	// The PrometheusRule with the RED alerts.
	PrometheusRule *dagger.File
	// The Grafana dashboard's JSON model.
	Dashboard *dagger.File
	// The dashboard in a ConfigMap labelled grafana_dashboard: "1", for Grafana's sidecar.
	DashboardConfigMap *dagger.File
	// The three manifests in one multi-document YAML, to apply with the release.
	Manifests *dagger.File
}

// Generate makes the ServiceMonitor, the PrometheusRule and the dashboard of
// the service described by golden-path.yaml, and checks the rules and the
// dashboard.
func (m *Observe) Generate(
	ctx context.Context,
	// The service's source folder: golden-path.yaml.
	// +defaultPath="/"
	// +ignore=["*", "!golden-path.yaml"]
	source *dagger.Directory,
	// The namespace the service is deployed to, e.g. payments-dev; the alerts are scoped to it. Empty leaves the
	// objects without a namespace.
	// +optional
	namespace string,
) (*Objects, error) {
	cfg, err := pipeline.ReadConfig(func(name string) (string, error) { return source.File(name).Contents(ctx) })
	if err != nil {
		return nil, fmt.Errorf("observe: %s", err.Error())
	}
	objs, err := observe.Generate(cfg, namespace, observe.WithNamespace(namespace))
	if err != nil {
		return nil, err
	}
	manifests := strings.Join([]string{string(objs.ServiceMonitor), string(objs.PrometheusRule), string(objs.DashboardConfigMap)}, "---\n")
	o := &Objects{
		Service: cfg.Name, Team: cfg.Team, Namespace: namespace,
		DashboardUid: objs.DashboardUID, DashboardTitle: observe.DashboardTitle(cfg),
	}
	for _, f := range []struct {
		to   **dagger.File
		name string
		data []byte
	}{
		{&o.ServiceMonitor, "servicemonitor.yaml", objs.ServiceMonitor},
		{&o.PrometheusRule, "prometheusrule.yaml", objs.PrometheusRule},
		{&o.Dashboard, "dashboard.json", objs.Dashboard},
		{&o.DashboardConfigMap, "dashboard-configmap.yaml", objs.DashboardConfigMap},
		{&o.Manifests, "observe.yaml", []byte(manifests)},
	} {
		if *f.to, err = workdirFile(ctx, f.name, f.data); err != nil {
			return nil, fmt.Errorf("observe: %s", err.Error())
		}
	}
	return o, nil
}

// Check proves the objects before a deploy: every PromQL expression of the
// rules parses and gives what an alert needs, the dashboard round-trips
// through the Grafana SDK's types, and the ServiceMonitor selects a Service of
// the rendered manifests by its labels and port. Every problem is named.
func (o *Objects) Check(
	ctx context.Context,
	// The release's rendered manifests, with the Service the ServiceMonitor must select.
	manifests *dagger.File,
) error {
	read := func(f *dagger.File, what string) ([]byte, error) {
		s, err := f.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("observe: cannot read the %s: %s", what, err.Error())
		}
		return []byte(s), nil
	}
	rules, err := read(o.PrometheusRule, "PrometheusRule")
	if err != nil {
		return err
	}
	dash, err := read(o.Dashboard, "dashboard")
	if err != nil {
		return err
	}
	sm, err := read(o.ServiceMonitor, "ServiceMonitor")
	if err != nil {
		return err
	}
	rendered, err := read(manifests, "rendered manifests")
	if err != nil {
		return err
	}
	return errors.Join(observe.CheckRules(rules), observe.CheckDashboard(dash), observe.CheckSelects(sm, rendered))
}

// Lint generates the service's observability objects and checks the rules and
// the dashboard, without a cluster or rendered manifests.
// +check
func (m *Observe) Lint(
	ctx context.Context,
	// The service's source folder: golden-path.yaml.
	// +defaultPath="/"
	// +ignore=["*", "!golden-path.yaml"]
	source *dagger.Directory,
) error {
	_, err := m.Generate(ctx, source, "")
	return err
}
