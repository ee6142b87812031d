package observe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// promql parses PromQL the way Prometheus does by default (no experimental
// functions).
var promql = parser.NewParser(parser.Options{})

// CheckRules parses every expression of the PrometheusRule in ruleYAML with
// Prometheus' PromQL parser and every "for" as a Prometheus duration. Each
// problem is a *PromQLError naming the rule; they are joined.
func CheckRules(ruleYAML []byte) error {
	var r prometheusRule
	if err := yaml.Unmarshal(ruleYAML, &r); err != nil {
		return &ManifestError{What: "PrometheusRule", Reason: "not valid YAML: " + err.Error()}
	}
	if r.Kind != "PrometheusRule" {
		return &ManifestError{What: "PrometheusRule", Reason: fmt.Sprintf("the document is a %q, not a PrometheusRule", r.Kind)}
	}
	object := "PrometheusRule " + r.Metadata.Name
	var errs []error
	for _, g := range r.Spec.Groups {
		for i, rule := range g.Rules {
			name := rule.Alert
			if name == "" {
				name = fmt.Sprintf("group %s, rule %d", g.Name, i+1)
				errs = append(errs, &PromQLError{Object: object, Rule: name, Field: "alert", Expr: rule.Expr, Msg: "the rule has no alert name"})
			}
			if err := checkExpr(rule.Expr, true); err != nil {
				errs = append(errs, &PromQLError{Object: object, Rule: name, Field: "expr", Expr: rule.Expr, Msg: err.Error()})
			}
			if rule.For != "" {
				if _, err := model.ParseDuration(rule.For); err != nil {
					errs = append(errs, &PromQLError{Object: object, Rule: name, Field: "for", Expr: rule.For, Msg: err.Error()})
				}
			}
		}
	}
	return errors.Join(errs...)
}

// checkExpr parses expr; an alert's expression must give an instant vector
// or a scalar.
func checkExpr(expr string, alert bool) error {
	if strings.TrimSpace(expr) == "" {
		return errors.New("the expression is empty")
	}
	e, err := promql.ParseExpr(expr)
	if err != nil {
		return err
	}
	if t := e.Type(); alert && t != parser.ValueTypeVector && t != parser.ValueTypeScalar {
		kind := map[parser.ValueType]string{parser.ValueTypeMatrix: "range vector", parser.ValueTypeString: "string"}[t]
		return fmt.Errorf("it gives a %s, and an alert needs an instant vector", kind)
	}
	return nil
}

var registerPlugins sync.Once

// uidChars are the characters of a Grafana uid.
var uidChars = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// grafanaVariable matches a Grafana variable in a query: $name or ${name}.
var grafanaVariable = regexp.MustCompile(`\$\{?(\w+)\}?`)

// CheckDashboard checks the dashboard JSON in data: it must read into the
// Grafana Foundation SDK's Dashboard type and write back to the same JSON
// (so no field is unknown to the SDK), pass the SDK's validation, have a title and
// a uid Grafana accepts, and every Prometheus query must parse (Grafana
// variables replaced by sample values).
func CheckDashboard(data []byte) error {
	registerPlugins.Do(func() {
		rt := cog.NewRuntime()
		rt.RegisterPanelcfgVariant(timeseries.VariantConfig())
		rt.RegisterDataqueryVariant(prometheus.VariantConfig())
	})
	// Not UnmarshalJSONStrict: in SDK v0.0.22 it drops every panel (a
	// typed nil error from Panel.UnmarshalJSONStrict reads as a failure).
	// A field the SDK does not know shows in the round trip instead: it is
	// dropped.
	var d dashboard.Dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return &DashboardError{UID: jsonUID(data), Reason: "does not read as a Grafana dashboard: " + err.Error()}
	}
	uid := ""
	if d.Uid != nil {
		uid = *d.Uid
	}
	if err := sdkError(d.Validate()); err != nil {
		return &DashboardError{UID: uid, Reason: "the Grafana SDK finds it invalid: " + err.Error()}
	}
	again, err := json.Marshal(d)
	if err != nil {
		return &DashboardError{UID: uid, Reason: "cannot be written back as JSON: " + err.Error()}
	}
	if diff := jsonDiff(data, again); diff != "" {
		return &DashboardError{UID: uid, Reason: "changes in a round trip through the Grafana SDK's types: " + diff}
	}
	switch {
	case uid == "":
		return &DashboardError{UID: uid, Reason: "it has no uid; Grafana would make one up and the next deploy would create a second dashboard"}
	case len(uid) > MaxUIDLength:
		return &DashboardError{UID: uid, Reason: fmt.Sprintf("the uid is %d characters long, more than the %d Grafana accepts", len(uid), MaxUIDLength)}
	case d.Title == nil || strings.TrimSpace(*d.Title) == "":
		return &DashboardError{UID: uid, Reason: "it has no title; Grafana refuses a dashboard without one"}
	}
	var errs []error
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue
		}
		title := ""
		if p.Panel.Title != nil {
			title = *p.Panel.Title
		}
		for _, t := range p.Panel.Targets {
			q, ok := t.(*prometheus.Dataquery)
			if !ok {
				continue
			}
			ref := ""
			if q.RefId != nil {
				ref = *q.RefId
			}
			expr := grafanaVariable.ReplaceAllStringFunc(q.Expr, sampleVariable)
			if err := checkExpr(expr, false); err != nil {
				errs = append(errs, &PromQLError{Object: "dashboard " + uid, Field: "expr", Rule: fmt.Sprintf("panel %q, query %s", title, ref), Expr: q.Expr, Msg: err.Error()})
			}
		}
	}
	return errors.Join(errs...)
}

// sdkError returns err, or nil when err is an empty cog.BuildErrors: the
// SDK returns its error list as an error even when it is empty.
func sdkError(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// sampleVariable stands in for a Grafana variable in a query: a duration for
// Grafana's interval variables, a name otherwise.
func sampleVariable(v string) string {
	name := strings.Trim(v, "${}")
	switch name {
	case "__rate_interval", "__interval", "__range":
		return "5m"
	case "__interval_ms", "__range_ms", "__range_s":
		return "300000"
	}
	return "sample"
}

// jsonUID returns the uid field of a JSON object, for messages.
func jsonUID(data []byte) string {
	var v struct {
		UID string `json:"uid"`
	}
	_ = json.Unmarshal(data, &v)
	return v.UID
}

// jsonDiff describes the first difference between two JSON documents, or
// returns "" when they hold the same values.
func jsonDiff(a, b []byte) string {
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		return "the original is not JSON: " + err.Error()
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		return "the SDK's output is not JSON: " + err.Error()
	}
	return firstDiff("", va, vb)
}

func firstDiff(path string, a, b any) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	at := func(p string) string {
		if p == "" {
			return "the document"
		}
		return p
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, dup := x[k]; !dup {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			va, inA := x[k]
			vb, inB := y[k]
			p := path + "." + k
			switch {
			case !inB:
				return fmt.Sprintf("%s is dropped", p)
			case !inA:
				return fmt.Sprintf("%s is added (%s)", p, short(vb))
			}
			if d := firstDiff(p, va, vb); d != "" {
				return d
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok {
			break
		}
		if len(x) != len(y) {
			return fmt.Sprintf("%s has %d items, then %d", at(path), len(x), len(y))
		}
		for i := range x {
			if d := firstDiff(path+"["+strconv.Itoa(i)+"]", x[i], y[i]); d != "" {
				return d
			}
		}
	}
	return fmt.Sprintf("%s changes from %s to %s", at(path), short(a), short(b))
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

// k8sObject is what CheckSelects reads of a manifest.
type k8sObject struct {
	Kind     string     `yaml:"kind"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Ports []struct {
			Name string `yaml:"name"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

// CheckSelects checks that every ServiceMonitor in serviceMonitorYAML
// scrapes something: a Service among renderedYAML's manifests lies in a
// namespace it looks in, carries the labels it selects and has the port its
// endpoints name. When none does, the error is a *SelectError naming the
// ServiceMonitor, what it selects and each Service with why it is not
// selected.
func CheckSelects(serviceMonitorYAML, renderedYAML []byte) error {
	monitors, err := decodeAll[serviceMonitor](serviceMonitorYAML, "ServiceMonitor")
	if err != nil {
		return err
	}
	objects, err := decodeAll[k8sObject](renderedYAML, "rendered manifests")
	if err != nil {
		return err
	}
	var services []k8sObject
	for _, o := range objects {
		if o.Kind == "Service" {
			services = append(services, o)
		}
	}
	var errs []error
	found := false
	for _, sm := range monitors {
		if sm.Kind != "ServiceMonitor" {
			continue
		}
		found = true
		if err := checkSelects(sm, services); err != nil {
			errs = append(errs, err)
		}
	}
	if !found {
		return &ManifestError{What: "ServiceMonitor", Reason: "the YAML holds no ServiceMonitor"}
	}
	return errors.Join(errs...)
}

func checkSelects(sm serviceMonitor, services []k8sObject) error {
	var ports []string
	for _, e := range sm.Spec.Endpoints {
		if e.Port != "" {
			ports = append(ports, e.Port)
		}
	}
	e := &SelectError{
		ServiceMonitor: sm.Metadata.Name,
		Namespace:      sm.Metadata.Namespace,
		Selector:       formatSelector(sm.Spec.Selector),
		Port:           strings.Join(ports, ", "),
	}
	for _, svc := range services {
		why := whyNotSelected(sm, svc, ports)
		if why == "" {
			return nil
		}
		var names []string
		for _, p := range svc.Spec.Ports {
			names = append(names, p.Name)
		}
		desc := fmt.Sprintf("Service %s", svc.Metadata.Name)
		if svc.Metadata.Namespace != "" {
			desc += " (namespace " + svc.Metadata.Namespace + ")"
		}
		desc += fmt.Sprintf(" has labels {%s} and ports [%s]: %s", formatLabels(svc.Metadata.Labels), strings.Join(names, ", "), why)
		e.Services = append(e.Services, desc)
	}
	return e
}

// whyNotSelected says why sm does not scrape svc, or returns "" when it
// does.
func whyNotSelected(sm serviceMonitor, svc k8sObject, ports []string) string {
	if why := namespaceMismatch(sm, svc.Metadata.Namespace); why != "" {
		return why
	}
	labels := svc.Metadata.Labels
	keys := make([]string, 0, len(sm.Spec.Selector.MatchLabels))
	for k := range sm.Spec.Selector.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := sm.Spec.Selector.MatchLabels[k]
		got, ok := labels[k]
		switch {
		case !ok:
			return fmt.Sprintf("it has no label %s", k)
		case got != want:
			return fmt.Sprintf("its label %s is %q, not %q", k, got, want)
		}
	}
	for _, r := range sm.Spec.Selector.MatchExpressions {
		if why := unmet(r, labels); why != "" {
			return why
		}
	}
	for _, p := range ports {
		has := false
		for _, sp := range svc.Spec.Ports {
			has = has || sp.Name == p
		}
		if !has {
			return fmt.Sprintf("it has no port named %q", p)
		}
	}
	return ""
}

func namespaceMismatch(sm serviceMonitor, ns string) string {
	sel := sm.Spec.NamespaceSelector
	switch {
	case sel != nil && sel.Any:
		return ""
	case sel != nil && len(sel.MatchNames) > 0:
		for _, n := range sel.MatchNames {
			if n == ns {
				return ""
			}
		}
		return fmt.Sprintf("it is in namespace %q, not in %s", ns, strings.Join(sel.MatchNames, ", "))
	case sm.Metadata.Namespace != "" && ns != "" && ns != sm.Metadata.Namespace:
		return fmt.Sprintf("it is in namespace %q and the ServiceMonitor looks only in its own, %q", ns, sm.Metadata.Namespace)
	}
	return ""
}

// unmet says why labels do not meet requirement r, or returns "".
func unmet(r labelRequirement, labels map[string]string) string {
	v, ok := labels[r.Key]
	in := false
	for _, x := range r.Values {
		in = in || (ok && v == x)
	}
	switch r.Operator {
	case "In":
		if !in {
			return fmt.Sprintf("its label %s is not one of %s", r.Key, strings.Join(r.Values, ", "))
		}
	case "NotIn":
		if in {
			return fmt.Sprintf("its label %s is %q, which the selector excludes", r.Key, v)
		}
	case "Exists":
		if !ok {
			return fmt.Sprintf("it has no label %s", r.Key)
		}
	case "DoesNotExist":
		if ok {
			return fmt.Sprintf("it has the label %s, which the selector excludes", r.Key)
		}
	default:
		return fmt.Sprintf("the selector's operator %q is not one Kubernetes knows (In, NotIn, Exists, DoesNotExist)", r.Operator)
	}
	return ""
}

func formatSelector(s labelSelector) string {
	parts := []string{}
	if len(s.MatchLabels) > 0 {
		parts = append(parts, formatLabels(s.MatchLabels))
	}
	for _, r := range s.MatchExpressions {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", r.Key, r.Operator, strings.Join(r.Values, ", ")))
	}
	if len(parts) == 0 {
		return "everything"
	}
	return strings.Join(parts, ", ")
}

// decodeAll decodes every YAML document of data into a T; what names data
// in errors.
func decodeAll[T any](data []byte, what string) ([]T, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []T
	for i := 1; ; i++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, &ManifestError{What: what, Reason: fmt.Sprintf("document %d is not valid YAML: %v", i, err)}
		}
		if len(node.Content) == 0 || (node.Content[0].Kind == yaml.ScalarNode && node.Content[0].Tag == "!!null") {
			continue
		}
		var v T
		if err := node.Decode(&v); err != nil {
			return nil, &ManifestError{What: what, Reason: fmt.Sprintf("document %d: %v", i, err)}
		}
		out = append(out, v)
	}
}
