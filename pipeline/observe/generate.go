package observe

import "github.com/golden-path/golden-path/pipeline/config"

// Objects are the generated objects of a service.
type Objects struct {
	// ServiceMonitor and PrometheusRule are YAML, in the service's
	// namespace (WithNamespace).
	ServiceMonitor []byte
	PrometheusRule []byte
	// Dashboard is the dashboard model's JSON; DashboardUID its uid.
	Dashboard    []byte
	DashboardUID string
	// DashboardConfigMap is YAML, in the namespace given to Generate.
	DashboardConfigMap []byte
}

// Generate returns every observability object of the service and checks
// them (CheckRules, CheckDashboard) before returning them: a generator bug
// or an slo value Prometheus cannot take fails here, not in the cluster.
// dashboardNamespace is the namespace of the dashboard ConfigMap.
func Generate(cfg *config.Config, dashboardNamespace string, opts ...Option) (*Objects, error) {
	o, err := newOptions(cfg, opts)
	if err != nil {
		return nil, err
	}
	var objs Objects
	if objs.ServiceMonitor, err = marshalYAML(o.serviceMonitor(cfg)); err != nil {
		return nil, err
	}
	if objs.PrometheusRule, err = marshalYAML(o.prometheusRule(cfg)); err != nil {
		return nil, err
	}
	if objs.Dashboard, err = o.dashboardJSON(cfg); err != nil {
		return nil, err
	}
	objs.DashboardUID = DashboardUID(cfg.Team, cfg.Name)
	cm, err := newOptions(cfg, append(opts, WithNamespace(dashboardNamespace)))
	if err != nil {
		return nil, err
	}
	if objs.DashboardConfigMap, err = cm.dashboardConfigMap(cfg); err != nil {
		return nil, err
	}
	if err := CheckRules(objs.PrometheusRule); err != nil {
		return nil, err
	}
	if err := CheckDashboard(objs.Dashboard); err != nil {
		return nil, err
	}
	return &objs, nil
}
