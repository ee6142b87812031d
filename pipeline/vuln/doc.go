// Package vuln reads Trivy's JSON report (Report) and the service's
// .trivyignore.yaml (IgnoreFile), and decides the vulnerability gate once
// (Evaluate): what blocks at the threshold, what the team accepted until when,
// and what acceptance has expired.
package vuln
