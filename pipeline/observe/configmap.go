package observe

import (
	"fmt"

	"github.com/golden-path/golden-path/pipeline/config"
)

// Grafana's dashboard sidecar (kube-prometheus-stack's default settings)
// loads the dashboards of ConfigMaps labelled DashboardLabel=DashboardLabelValue,
// into the folder named by annotation FolderAnnotation.
const (
	DashboardLabel      = "grafana_dashboard"
	DashboardLabelValue = "1"
	FolderAnnotation    = "grafana_folder"
)

// maxConfigMapData is the most a ConfigMap holds.
const maxConfigMapData = 1 << 20

type configMap struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta        `yaml:"metadata"`
	Data     map[string]string `yaml:"data"`
}

// DashboardConfigMapName is the name of the ConfigMap holding the service's
// dashboard.
func DashboardConfigMapName(cfg *config.Config) string { return cfg.Name + "-dashboard" }

// DashboardConfigMap returns the YAML of a ConfigMap in namespace (none when
// empty) holding the service's dashboard as <name>.json, labelled for
// Grafana's dashboard sidecar and annotated with the team's folder. Give the
// namespace the sidecar watches, usually Grafana's own.
func DashboardConfigMap(cfg *config.Config, namespace string, opts ...Option) ([]byte, error) {
	o, err := newOptions(cfg, append(opts, WithNamespace(namespace)))
	if err != nil {
		return nil, err
	}
	return o.dashboardConfigMap(cfg)
}

func (o *options) dashboardConfigMap(cfg *config.Config) ([]byte, error) {
	js, err := o.dashboardJSON(cfg)
	if err != nil {
		return nil, err
	}
	if len(js) > maxConfigMapData {
		return nil, &DashboardError{UID: DashboardUID(cfg.Team, cfg.Name), Reason: fmt.Sprintf(
			"its JSON is %d bytes, more than the %d a ConfigMap holds", len(js), maxConfigMapData)}
	}
	meta := o.meta(DashboardConfigMapName(cfg), cfg)
	meta.Labels[DashboardLabel] = DashboardLabelValue
	meta.Annotations = map[string]string{FolderAnnotation: cfg.Team}
	return marshalYAML(configMap{
		typeMeta: typeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		Metadata: meta,
		Data:     map[string]string{cfg.Name + ".json": string(js)},
	})
}
