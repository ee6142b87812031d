package observe

import "github.com/golden-path/golden-path/pipeline/config"

// ServiceMonitor is a monitoring.coreos.com/v1 ServiceMonitor, the fields
// golden-path sets.
type serviceMonitor struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta         `yaml:"metadata"`
	Spec     serviceMonitorSpec `yaml:"spec"`
}

type serviceMonitorSpec struct {
	Selector          labelSelector      `yaml:"selector"`
	NamespaceSelector *namespaceSelector `yaml:"namespaceSelector,omitempty"`
	Endpoints         []endpoint         `yaml:"endpoints"`
}

type labelSelector struct {
	MatchLabels      map[string]string  `yaml:"matchLabels,omitempty"`
	MatchExpressions []labelRequirement `yaml:"matchExpressions,omitempty"`
}

type labelRequirement struct {
	Key      string   `yaml:"key"`
	Operator string   `yaml:"operator"`
	Values   []string `yaml:"values,omitempty"`
}

type namespaceSelector struct {
	Any        bool     `yaml:"any,omitempty"`
	MatchNames []string `yaml:"matchNames,omitempty"`
}

type endpoint struct {
	Port     string `yaml:"port"`
	Path     string `yaml:"path,omitempty"`
	Interval string `yaml:"interval,omitempty"`
}

// ServiceMonitor returns the YAML of the ServiceMonitor that has Prometheus
// scrape the service: the Service selected by SelectorLabels (or
// WithSelector), its port PortName, at metrics.path, every ScrapeInterval.
func ServiceMonitor(cfg *config.Config, opts ...Option) ([]byte, error) {
	o, err := newOptions(cfg, opts)
	if err != nil {
		return nil, err
	}
	return marshalYAML(o.serviceMonitor(cfg))
}

func (o *options) serviceMonitor(cfg *config.Config) serviceMonitor {
	return serviceMonitor{
		typeMeta: typeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "ServiceMonitor"},
		Metadata: o.meta(cfg.Name, cfg),
		Spec: serviceMonitorSpec{
			Selector: labelSelector{MatchLabels: o.selector},
			Endpoints: []endpoint{{
				Port:     PortName,
				Path:     cfg.Metrics.Path,
				Interval: ScrapeInterval,
			}},
		},
	}
}
