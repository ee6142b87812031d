package policy

import (
	"fmt"
	"strings"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// Object identifies a checked object.
type Object struct {
	Kind      string
	Namespace string
	Name      string
}

// String returns Kind/namespace/name (Kind/name without a namespace).
func (o Object) String() string {
	switch {
	case o.Kind == "":
		return o.Name
	case o.Namespace == "":
		return o.Kind + "/" + o.Name
	default:
		return o.Kind + "/" + o.Namespace + "/" + o.Name
	}
}

// Violation is one breach of a rule.
type Violation struct {
	// Rule is the ID of the rule broken, e.g. "GP001".
	Rule string
	// Object is the object at fault.
	Object Object
	// Container is the container at fault; empty for rules about the object
	// itself.
	Container string
	// Field is the path of the field at fault, e.g.
	// "spec.template.spec.containers[app].securityContext.privileged".
	Field string
	// Problem says what is wrong with the field.
	Problem string
	// Fix says how to comply.
	Fix string
	// Action is what the platform does with it in the release's
	// environment: EnforceDeny blocks the release, EnforceWarn and
	// EnforceDryRun only report it.
	Action string
}

// Enforcement actions of a Gatekeeper Constraint: what a violation does.
const (
	EnforceDeny   = "deny"
	EnforceWarn   = "warn"
	EnforceDryRun = "dryrun"
)

// Blocks reports whether the violation blocks the release: any action but
// warn and dryrun does (an action this gate does not know fails closed).
func (v Violation) Blocks() bool {
	return v.Action != EnforceWarn && v.Action != EnforceDryRun
}

// String returns the violation on one line.
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Rule + " " + v.Object.String())
	if v.Container != "" {
		b.WriteString(", container " + v.Container)
	}
	fmt.Fprintf(&b, ": %s %s; fix: %s", v.Field, v.Problem, v.Fix)
	return b.String()
}

// Result is the decision of the policy gate on a set of manifests.
type Result struct {
	// Objects are the objects checked, in the order of the manifests.
	Objects []Object
	// Violations are all the violations found, by object then rule: those
	// that block (Blocking) and those the environment's enforcement only
	// reports (Warnings).
	Violations []Violation
}

// Blocking returns the violations that block the release.
func (r *Result) Blocking() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Blocks() {
			out = append(out, v)
		}
	}
	return out
}

// Warnings returns the violations reported without blocking (enforcement
// warn or dryrun in the release's environment).
func (r *Result) Warnings() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if !v.Blocks() {
			out = append(out, v)
		}
	}
	return out
}

// Err is the gate: a *ViolationsError listing every violation, nil when
// the manifests may be deployed.
func (r *Result) Err() error {
	blocking := r.Blocking()
	if len(blocking) == 0 {
		return nil
	}
	return &ViolationsError{Violations: blocking, Objects: len(r.Objects)}
}

// ViolationsError is returned by Result.Err when some object breaks a rule
// that is enforced (deny) in the release's environment.
type ViolationsError struct {
	// Violations are the blocking violations.
	Violations []Violation
	// Objects is the number of objects checked.
	Objects int
}

// Error lists every violation, one per line.
func (e *ViolationsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy: %s of the golden-path rules in %s block the deploy:",
		markdown.Plural(len(e.Violations), "violation", "violations"),
		markdown.Plural(countObjects(e.Violations), "object", "objects"))
	for _, v := range e.Violations {
		b.WriteString("\n  " + v.String())
	}
	return b.String()
}

// countObjects counts the distinct objects of violations.
func countObjects(violations []Violation) int {
	seen := map[Object]bool{}
	for _, v := range violations {
		seen[v.Object] = true
	}
	return len(seen)
}
