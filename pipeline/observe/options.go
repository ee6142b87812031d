package observe

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"

	"github.com/golden-path/golden-path/pipeline/config"
)

// PortName is the name of the Service port the ServiceMonitor scrapes: the
// port the render gives the service's container and Service.
const PortName = "http"

// ScrapeInterval is how often Prometheus scrapes the service.
const ScrapeInterval = "15s"

// RateWindow is the range of the rate() in alert expressions: long enough to
// hold several scrapes at ScrapeInterval.
const RateWindow = "5m"

// DefaultRunbookURL is the placeholder base of the runbook_url annotation of
// every alert; the alert's name is appended as a fragment.
const DefaultRunbookURL = "https://runbooks.example.com/golden-path"

// Option configures the generators.
type Option func(*options)

type options struct {
	namespace string
	selector  map[string]string
	labels    map[string]string
	runbook   string
}

// WithNamespace puts the ServiceMonitor, the PrometheusRule and the dashboard
// ConfigMap in namespace ns and scopes the alert expressions to it (one
// Prometheus usually scrapes every environment). Empty leaves the objects
// without a namespace, for kubectl or the render to set.
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithSelector sets the labels the ServiceMonitor selects the Service by;
// the default is SelectorLabels(cfg). Pass the render's selector labels when
// several instances of the service share a namespace.
func WithSelector(labels map[string]string) Option {
	return func(o *options) { o.selector = maps.Clone(labels) }
}

// WithLabels adds labels to the metadata of every generated object, e.g. the
// label a Prometheus' ruleSelector or serviceMonitorSelector requires
// (release: kube-prometheus-stack).
func WithLabels(labels map[string]string) Option {
	return func(o *options) {
		if o.labels == nil {
			o.labels = map[string]string{}
		}
		maps.Copy(o.labels, labels)
	}
}

// WithRunbookURL sets the base of the alerts' runbook_url annotation
// (DefaultRunbookURL otherwise).
func WithRunbookURL(base string) Option { return func(o *options) { o.runbook = base } }

// SelectorLabels are the labels the deploy stage puts on the service's
// Service that the ServiceMonitor selects it by: app.kubernetes.io/name, the
// same key the render uses (policy.LabelName).
func SelectorLabels(cfg *config.Config) map[string]string {
	return map[string]string{labelName: cfg.Name}
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// newOptions applies opts and checks them with cfg; a problem is an
// *InputError naming the argument.
func newOptions(cfg *config.Config, opts []Option) (*options, error) {
	if cfg == nil {
		return nil, &InputError{Field: "config", Reason: "it is nil; load golden-path.yaml with config.Load first"}
	}
	if !dnsLabel.MatchString(cfg.Name) || !dnsLabel.MatchString(cfg.Team) {
		return nil, &InputError{Field: "config", Reason: fmt.Sprintf(
			"name %q and team %q must be DNS labels; load golden-path.yaml with config.Load, which checks them", cfg.Name, cfg.Team)}
	}
	// golden-path.yaml's monitoring settings first: an option given by the caller wins.
	o := &options{runbook: cmp.Or(cfg.Monitoring.Runbook, DefaultRunbookURL), labels: maps.Clone(cfg.Monitoring.Labels)}
	for _, opt := range opts {
		opt(o)
	}
	if o.namespace != "" && (!dnsLabel.MatchString(o.namespace) || len(o.namespace) > 63) {
		return nil, &InputError{Field: "namespace", Reason: fmt.Sprintf(
			"%q is not a Kubernetes namespace name: use lowercase letters, digits and '-', like payments-dev", o.namespace)}
	}
	if o.selector == nil {
		o.selector = SelectorLabels(cfg)
	}
	if len(o.selector) == 0 {
		return nil, &InputError{Field: "selector", Reason: "it is empty and would select every Service of the namespace; pass the Service's labels, e.g. app.kubernetes.io/name: " + cfg.Name}
	}
	return o, nil
}

// objectLabels are the labels of every generated object.
func (o *options) objectLabels(cfg *config.Config) map[string]string {
	l := map[string]string{
		labelName:      cfg.Name,
		labelTeam:      cfg.Team,
		labelPartOf:    partOf,
		labelManagedBy: managedBy,
	}
	maps.Copy(l, o.labels)
	return l
}

func (o *options) meta(name string, cfg *config.Config) objectMeta {
	return objectMeta{Name: name, Namespace: o.namespace, Labels: o.objectLabels(cfg)}
}
