package policy

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Enforcement actions of a Gatekeeper Constraint.
const (
	EnforceDeny   = "deny"
	EnforceDryRun = "dryrun"
	EnforceWarn   = "warn"
)

// ConstraintOption configures Constraints.
type ConstraintOption func(*constraintOptions)

type constraintOptions struct {
	action     string
	namespaces []string
}

// WithEnforcementAction sets what the cluster does with a violating object:
// EnforceDeny (the default) refuses it, EnforceWarn admits it with a
// warning, EnforceDryRun only records it in the Constraint's status.
func WithEnforcementAction(action string) ConstraintOption {
	return func(o *constraintOptions) { o.action = action }
}

// WithNamespaces limits the Constraints to these namespaces (e.g. a team's
// payments-dev, payments-staging, payments-prod). By default they apply to
// every namespace but the cluster's own (kube-system, gatekeeper-system...).
func WithNamespaces(namespaces ...string) ConstraintOption {
	return func(o *constraintOptions) { o.namespaces = slices.Clone(namespaces) }
}

// excludedNamespaces are the cluster's own namespaces, which the
// Constraints leave alone unless WithNamespaces names namespaces.
var excludedNamespaces = []string{"gatekeeper-system", "kube-node-lease", "kube-public", "kube-system"}

// labelledKinds are the kinds golden-path deploys, which rule GP003 checks
// in the cluster: the render's objects and the pods they create. Not
// ConfigMap: Kubernetes itself creates kube-root-ca.crt, unlabelled, in
// every namespace.
var labelledKinds = []kindMatch{
	{APIGroups: []string{""}, Kinds: []string{"Pod", "Service", "ServiceAccount"}},
	{APIGroups: []string{"apps"}, Kinds: []string{"Deployment", "StatefulSet", "DaemonSet"}},
	{APIGroups: []string{"batch"}, Kinds: []string{"Job", "CronJob"}},
	{APIGroups: []string{"networking.k8s.io"}, Kinds: []string{"Ingress", "NetworkPolicy"}},
	{APIGroups: []string{"policy"}, Kinds: []string{"PodDisruptionBudget"}},
	{APIGroups: []string{"monitoring.coreos.com"}, Kinds: []string{"ServiceMonitor", "PodMonitor", "PrometheusRule"}},
	{APIGroups: []string{"secrets-store.csi.x-k8s.io"}, Kinds: []string{"SecretProviderClass"}},
}

type kindMatch struct {
	APIGroups []string `yaml:"apiGroups"`
	Kinds     []string `yaml:"kinds"`
}

type constraint struct {
	APIVersion string             `yaml:"apiVersion"`
	Kind       string             `yaml:"kind"`
	Metadata   constraintMetadata `yaml:"metadata"`
	Spec       constraintSpec     `yaml:"spec"`
}

type constraintMetadata struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type constraintSpec struct {
	EnforcementAction string         `yaml:"enforcementAction"`
	Match             match          `yaml:"match"`
	Parameters        map[string]any `yaml:"parameters,omitempty"`
}

type match struct {
	Kinds              []kindMatch `yaml:"kinds"`
	Namespaces         []string    `yaml:"namespaces,omitempty"`
	ExcludedNamespaces []string    `yaml:"excludedNamespaces,omitempty"`
}

// ConstraintError is returned by Constraints for an invalid option.
type ConstraintError struct {
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *ConstraintError) Error() string {
	return "policy: cannot render the Gatekeeper constraints: " + e.Reason
}

// Constraints renders Rules as OPA Gatekeeper Constraints, one YAML
// document per rule, so the cluster refuses what the gate refuses. They use
// the ConstraintTemplates of the gatekeeper-library (Rule.Gatekeeper names
// each), which must be installed in the cluster first.
func Constraints(opts ...ConstraintOption) ([]byte, error) {
	o := constraintOptions{action: EnforceDeny}
	for _, opt := range opts {
		opt(&o)
	}
	switch o.action {
	case EnforceDeny, EnforceDryRun, EnforceWarn:
	default:
		return nil, &ConstraintError{Reason: fmt.Sprintf("unknown enforcement action %q: use %s, %s or %s",
			o.action, EnforceDeny, EnforceWarn, EnforceDryRun)}
	}
	for _, ns := range o.namespaces {
		if ns == "" || strings.ContainsAny(ns, " /*") {
			return nil, &ConstraintError{Reason: fmt.Sprintf("%q is not a namespace name", ns)}
		}
	}

	var buf bytes.Buffer
	for i, rule := range Rules {
		c := constraint{
			APIVersion: "constraints.gatekeeper.sh/v1beta1",
			Kind:       rule.Gatekeeper.Kind,
			Metadata: constraintMetadata{
				Name:   constraintName(rule),
				Labels: map[string]string{LabelPartOf: PartOf, LabelManagedBy: ManagedBy},
				Annotations: map[string]string{
					"golden-path/rule":     rule.ID,
					"golden-path/title":    rule.Title,
					"golden-path/fix":      strings.ReplaceAll(rule.Fix, "`", ""),
					"golden-path/template": "gatekeeper-library " + rule.Gatekeeper.Template,
				},
			},
			Spec: constraintSpec{
				EnforcementAction: o.action,
				Match:             match{Kinds: labelledKinds},
				Parameters:        rule.Gatekeeper.Parameters,
			},
		}
		if rule.Gatekeeper.Pods {
			c.Spec.Match.Kinds = []kindMatch{{APIGroups: []string{""}, Kinds: []string{"Pod"}}}
		}
		if len(o.namespaces) > 0 {
			c.Spec.Match.Namespaces = o.namespaces
		} else {
			c.Spec.Match.ExcludedNamespaces = excludedNamespaces
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		fmt.Fprintf(&buf, "# %s %s: %s.\n", rule.ID, rule.Title, rule.Why)
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(c); err != nil {
			return nil, fmt.Errorf("policy: cannot serialize the constraint of %s: %w", rule.ID, err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("policy: cannot serialize the constraint of %s: %w", rule.ID, err)
		}
	}
	return buf.Bytes(), nil
}

// constraintName is the Constraint's name: the rule ID and title, as a
// DNS name, e.g. "gp001-no-privileged-container".
func constraintName(r Rule) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(r.ID + " " + r.Title) {
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}
