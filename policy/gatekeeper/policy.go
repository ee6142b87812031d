// Package gatekeeper holds the platform's policy, the security team's
// folder: OPA Gatekeeper ConstraintTemplates (templates/), the
// ExpansionTemplates that check workloads as the Pods they create
// (expansion/) and the Constraints with each environment's enforcement
// (constraints/). The cluster's Gatekeeper applies the folder; the deploy
// module compiles it in (FS) and evaluates it with gator, so a release is
// checked against the policy of the platform's own version, whatever the
// service's repository holds.
package gatekeeper

import "embed"

// FS holds templates/, expansion/ and constraints/ (not the tests).
//
//go:embed templates expansion constraints
var FS embed.FS
