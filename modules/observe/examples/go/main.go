// Examples of the observe module, as the Daggerverse shows them.
//
// The examples need no cluster: they generate the golden-path example
// service's ServiceMonitor, PrometheusRule and Grafana dashboard from its
// golden-path.yaml (examples/fastapi-service in this repository) and check
// them. Verify and Register need Prometheus and Grafana.
package main

import (
	"context"

	"dagger/examples/internal/dagger"
)

// Examples of the observe module.
type Examples struct{}

// ObserveGenerate returns the service's ServiceMonitor, PrometheusRule and
// dashboard ConfigMap for an environment's namespace, as one multi-document
// YAML to apply with the release.
func (m *Examples) ObserveGenerate(
	// The service's source folder: golden-path.yaml.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=["*", "!golden-path.yaml"]
	source *dagger.Directory,
	// The environment the service is deployed to: the objects go to <team>-<environment>.
	// +optional
	// +default="dev"
	environment string,
) *dagger.File {
	return dag.Observe().Generate(dagger.ObserveGenerateOpts{Source: source, Environment: environment}).Manifests()
}

// ObserveGenerate_Dashboard returns the service's Grafana dashboard as JSON,
// to import into Grafana by hand.
func (m *Examples) ObserveGenerate_Dashboard(
	// The service's source folder: golden-path.yaml.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=["*", "!golden-path.yaml"]
	source *dagger.Directory,
) *dagger.File {
	return dag.Observe().Generate(dagger.ObserveGenerateOpts{Source: source}).Dashboard()
}

// ObserveLint checks the service's alert rules and dashboard without a
// cluster; it returns the dashboard's stable uid.
func (m *Examples) ObserveLint(
	ctx context.Context,
	// The service's source folder: golden-path.yaml.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=["*", "!golden-path.yaml"]
	source *dagger.Directory,
) (string, error) {
	if err := dag.Observe().Lint(ctx, dagger.ObserveLintOpts{Source: source}); err != nil {
		return "", err
	}
	return dag.Observe().Generate(dagger.ObserveGenerateOpts{Source: source}).DashboardUID(ctx)
}
