package observe

import (
	"fmt"
	"sort"
	"strings"
)

// InputError is a bad argument to a generator: nothing is generated.
type InputError struct {
	// Field names the argument: "config", "namespace", "selector".
	Field string
	// Reason says what is wrong and how to fix it.
	Reason string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("observe: %s: %s", e.Field, e.Reason)
}

// PromQLError is an alert or dashboard query whose PromQL does not parse, or
// that does not return what an alert needs.
type PromQLError struct {
	// Object names what holds the expression: "PrometheusRule hello-api" or
	// "dashboard hello-api".
	Object string
	// Rule is the alert's name, or the panel's title for a dashboard query.
	Rule string
	// Field is the rule's field at fault: "expr", or "for" for a duration
	// Prometheus does not read.
	Field string
	// Expr is the field's value.
	Expr string
	// Msg is the parser's message.
	Msg string
}

func (e *PromQLError) Error() string {
	if e.Field == "for" {
		return fmt.Sprintf("observe: %s: %s: for: %s; write a Prometheus duration such as 5m or 1h30m",
			e.Object, e.Rule, e.Msg)
	}
	return fmt.Sprintf("observe: %s: %s: the PromQL expression does not parse: %s; fix the expression %q",
		e.Object, e.Rule, e.Msg, e.Expr)
}

// SelectError is a ServiceMonitor that scrapes nothing: no Service of the
// rendered manifests matches its selector, or none has its port.
type SelectError struct {
	// ServiceMonitor is the ServiceMonitor's name; Namespace its namespace.
	ServiceMonitor string
	Namespace      string
	// Selector is the selector, written as label=value pairs.
	Selector string
	// Port is the endpoint's port name.
	Port string
	// Services describes each Service of the manifests: name, namespace,
	// labels and ports, and why it is not selected.
	Services []string
}

func (e *SelectError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "observe: ServiceMonitor %s", e.ServiceMonitor)
	if e.Namespace != "" {
		fmt.Fprintf(&b, " (namespace %s)", e.Namespace)
	}
	fmt.Fprintf(&b, " selects Services labelled {%s} with a port named %q, and the manifests have none", e.Selector, e.Port)
	if len(e.Services) == 0 {
		b.WriteString(": they hold no Service at all; add the service's Service to k8s/")
		return b.String()
	}
	b.WriteString(": ")
	b.WriteString(strings.Join(e.Services, "; "))
	b.WriteString("; make the ServiceMonitor's namespace, selector and port agree with the Service's")
	return b.String()
}

// ManifestError is YAML a check cannot read.
type ManifestError struct {
	// What names the input: "ServiceMonitor", "rendered manifests", ...
	What string
	// Reason says what is wrong.
	Reason string
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("observe: %s: %s", e.What, e.Reason)
}

// DashboardError is a dashboard that does not survive a round trip through
// the Grafana Foundation SDK's types, or misses what Grafana needs.
type DashboardError struct {
	// UID is the dashboard's uid.
	UID string
	// Reason says what is wrong.
	Reason string
}

func (e *DashboardError) Error() string {
	return fmt.Sprintf("observe: dashboard %s: %s", e.UID, e.Reason)
}

// formatLabels writes labels as sorted k=v pairs.
func formatLabels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ", ")
}
