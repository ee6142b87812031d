package policy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/golden-path/golden-path/pipeline/tenancy"
)

// The gate's rules are the ConstraintTemplates of policy/gatekeeper, the
// security team's folder, which the cluster's Gatekeeper enforces too. The
// pipeline evaluates them with gator (`gator test -o json`) on the rendered
// manifests and the Namespace objects of Namespaces; Evaluate reads what
// gator found into a Result.

// Namespaces returns the Namespace object of every namespace the manifests'
// objects name, as the platform labels it (tenancy.Namespace): team is the
// release's team; when it is empty, each namespace gets the first team
// label (LabelTeam) of its objects. environment is the release's; when it
// is empty, <environment> of a namespace <team>-<environment>. gator selects the Constraints of a
// namespace by these labels, as the cluster does.
func Namespaces(manifests []byte, team, environment string) ([]byte, error) {
	list, err := parseManifests(manifests)
	if err != nil {
		return nil, err
	}
	var order []string
	teams := map[string]string{}
	for _, m := range list {
		ns := m.Metadata.Namespace
		if ns == "" || m.Kind == "Namespace" {
			continue
		}
		if _, ok := teams[ns]; !ok {
			order = append(order, ns)
			teams[ns] = team
		}
		if teams[ns] == "" {
			teams[ns] = m.Metadata.Labels[LabelTeam]
		}
	}
	var b bytes.Buffer
	for i, ns := range order {
		if i > 0 {
			b.WriteString("---\n")
		}
		env := environment
		if env == "" {
			env = tenancy.Team{Name: teams[ns]}.Environment(ns)
		}
		b.Write(tenancy.Namespace(ns, teams[ns], env))
	}
	return b.Bytes(), nil
}

// gatorResult is one result of `gator test -o json`: a violation of one
// Constraint by one object.
type gatorResult struct {
	Msg      string `json:"msg"`
	Metadata struct {
		Details gatorDetails `json:"details"`
	} `json:"metadata"`
	Constraint struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	} `json:"constraint"`
	EnforcementAction string   `json:"enforcementAction"`
	ScopedActions     []string `json:"scopedActions"`
	ViolatingObject   struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	} `json:"violatingObject"`
}

// gatorDetails are the details every template of policy/gatekeeper gives a
// violation: the container, the field (in the object the template saw: the
// Pod of a workload), what is wrong with it and how to fix it.
type gatorDetails struct {
	Container string `json:"container"`
	Field     string `json:"field"`
	Problem   string `json:"problem"`
	Fix       string `json:"fix"`
}

// impliedPrefix starts the message of a violation that Gatekeeper found in
// the Pod a workload creates (an ExpansionTemplate), reported on the
// workload.
const impliedPrefix = "[Implied by "

// GatorError is returned by Evaluate when gator's output cannot be read.
type GatorError struct {
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *GatorError) Error() string {
	return "policy: cannot read gator's results: " + e.Reason
}

// Evaluate reads the JSON that `gator test -o json` printed for manifests
// into the gate's Result: each violation named by its rule (the Constraint
// kind's, RuleByKind), object, container and field (a workload's path to
// its pod template for what Gatekeeper found in the Pod it creates), with
// the problem and fix of the template and the enforcement action of the
// Constraint that matched the namespace. The error is a *ManifestsError or
// a *GatorError.
func Evaluate(manifests, gatorJSON []byte) (*Result, error) {
	list, err := parseManifests(manifests)
	if err != nil {
		return nil, err
	}
	var results []gatorResult
	if err := json.Unmarshal(bytes.TrimSpace(gatorJSON), &results); err != nil {
		return nil, &GatorError{Reason: err.Error()}
	}
	r := &Result{}
	index := map[Object]int{}
	for i, m := range list {
		r.Objects = append(r.Objects, m.ref())
		index[m.ref()] = i
	}
	type keyed struct {
		v         Violation
		object    int
		container int
	}
	var found []keyed
	for _, g := range results {
		if g.Constraint.Kind == "" || g.ViolatingObject.Kind == "" {
			return nil, &GatorError{Reason: fmt.Sprintf("a result without its constraint or object: %q", g.Msg)}
		}
		obj := Object{Kind: g.ViolatingObject.Kind, Namespace: g.ViolatingObject.Metadata.Namespace, Name: g.ViolatingObject.Metadata.Name}
		i, ok := index[obj]
		if !ok {
			i = len(list)
		}
		d := g.Metadata.Details
		v := Violation{
			Rule: g.Constraint.Kind, Object: obj, Container: d.Container, Field: d.Field,
			Problem: d.Problem, Fix: d.Fix, Action: action(g),
		}
		if rule, ok := RuleByKind(g.Constraint.Kind); ok {
			v.Rule = rule.ID
		}
		if v.Problem == "" {
			// A template without our details: its message is all there is.
			v.Problem = strings.TrimSpace(g.Msg)
		}
		if v.Fix == "" {
			if rule, ok := RuleByKind(g.Constraint.Kind); ok {
				v.Fix = strings.ReplaceAll(rule.Fix, "`", "")
			}
		}
		k := keyed{v: v, object: i}
		if ok {
			m := list[i]
			if strings.HasPrefix(g.Msg, impliedPrefix) {
				k.v.Field = workloadField(m, d.Field)
			}
			k.container = m.containerIndex(d.Container)
		}
		found = append(found, k)
	}
	slices.SortStableFunc(found, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.object, b.object), strings.Compare(a.v.Rule, b.v.Rule),
			cmp.Compare(a.container, b.container), strings.Compare(a.v.Field, b.v.Field))
	})
	for _, k := range found {
		r.Violations = append(r.Violations, k.v)
	}
	return r, nil
}

// action is the enforcement action of g's Constraint; a scoped one is deny
// when any of its actions is.
func action(g gatorResult) string {
	if g.EnforcementAction == "scoped" && slices.Contains(g.ScopedActions, EnforceDeny) {
		return EnforceDeny
	}
	return g.EnforcementAction
}

// workloadField maps field, a path in the Pod that workload m creates, to
// the path in m: spec.… is in its pod template's spec, metadata.… in the
// template's metadata.
func workloadField(m manifest, field string) string {
	if m.pod == nil || m.podPath == "spec" {
		return field
	}
	template := strings.TrimSuffix(m.podPath, ".spec")
	switch {
	case strings.HasPrefix(field, "spec."):
		return m.podPath + strings.TrimPrefix(field, "spec")
	case strings.HasPrefix(field, "metadata."):
		return template + "." + field
	}
	return field
}
