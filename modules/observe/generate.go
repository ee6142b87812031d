package main

import (
	"context"
	"fmt"
	"strings"

	"dagger/observe/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/config"

	"github.com/golden-path/golden-path/pipeline/observe"
)

// Objects are a service's generated observability objects.
type Objects struct {
	// The service's name, from golden-path.yaml.
	Service string
	// The team: the Grafana folder and the alerts' team label.
	Team string
	// The environment the objects were generated for; empty when generated without one.
	Environment string
	// The namespace of the objects: <team>-<environment>, or a tenant's; empty without an environment.
	Namespace string
	// The counter of the service's requests (golden-path.yaml's metrics.requests): what verify waits to see move.
	RequestCounter string
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
	// The environment the service is deployed to (dev, staging, prod): the objects go to its namespace,
	// <team>-<environment>, and the alerts are scoped to it. Empty leaves the objects without a namespace.
	// +optional
	environment string,
	// The namespace the objects go to, when not <team>-<environment>: a tenant instance's (platform/teams.yaml).
	// +optional
	namespace string,
) (*Objects, error) {
	cfg, err := config.Read(func(name string) (string, error) { return source.File(name).Contents(ctx) })
	if err != nil {
		return nil, fmt.Errorf("observe: %s", err.Error())
	}
	if namespace == "" && environment != "" {
		namespace = cfg.Namespace(environment)
	}
	objs, err := observe.Generate(cfg, namespace, observe.WithNamespace(namespace))
	if err != nil {
		return nil, err
	}
	manifests := strings.Join([]string{string(objs.ServiceMonitor), string(objs.PrometheusRule), string(objs.DashboardConfigMap)}, "---\n")
	o := &Objects{
		Service: cfg.Name, Team: cfg.Team, Environment: environment, Namespace: namespace, RequestCounter: cfg.Metrics.Requests,
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

// Check proves, before a deploy, that the ServiceMonitor selects a Service
// of the rendered manifests by its labels and port (Generate already checked
// every PromQL expression of the rules and the dashboard). Every problem is
// named.
func (o *Objects) Check(
	ctx context.Context,
	// The release's rendered manifests, with the Service the ServiceMonitor must select.
	manifests *dagger.File,
) error {
	sm, err := o.ServiceMonitor.Contents(ctx)
	if err != nil {
		return fmt.Errorf("observe: cannot read the ServiceMonitor: %s", err.Error())
	}
	rendered, err := manifests.Contents(ctx)
	if err != nil {
		return fmt.Errorf("observe: cannot read the rendered manifests: %s", err.Error())
	}
	return observe.CheckSelects([]byte(sm), []byte(rendered))
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
	_, err := m.Generate(ctx, source, "", "")
	return err
}
