// Package policy is the policy gate of the deploy stage: it checks rendered
// Kubernetes manifests against the platform's rules before anything reaches
// a cluster, and lists every violation with the object, the container, the
// field and the fix.
//
// The rules are written once, as data (Rules): the gate checks them in Go
// over the rendered YAML (plain structs, no k8s.io/api), and Constraints
// emits the same rules for the cluster as OPA Gatekeeper Constraints of the
// gatekeeper-library templates, so what the pipeline refuses the cluster
// refuses too.
package policy
