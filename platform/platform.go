// Package platform holds the platform team's own files: the teams file
// (teams.yaml), which the local platform reads to make each team's
// namespaces and deployer, and which the golden path compiles in (Teams), so
// that a release goes where the platform's version says, whatever the
// service's repository holds.
package platform

import _ "embed"

// Teams is teams.yaml: the teams, their namespaces and, per environment,
// their tenant instances (pipeline/tenancy reads it).
//
//go:embed teams.yaml
var Teams []byte
