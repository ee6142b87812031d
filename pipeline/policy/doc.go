// Package policy is the policy gate of the deploy stage: it reads what
// gator found when it evaluated the platform's Gatekeeper policy
// (policy/gatekeeper, the security team's ConstraintTemplates and
// Constraints, which the cluster enforces too) on rendered manifests, and
// lists every violation with its rule, object, container, field, problem
// and fix, and whether the release's environment enforces it (deny) or only
// reports it (warn, dryrun).
//
// The rules are written once, in Rego, in policy/gatekeeper; Rules maps
// each Constraint kind to its ID, title and why for the report. Namespaces
// gives gator the release's namespaces labelled as the platform labels them
// (tenancy.Namespace), so the same Constraints select them as in the
// cluster; Evaluate reads `gator test -o json`.
package policy
