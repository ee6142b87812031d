package main

import (
	"fmt"

	"dagger/scan/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/vuln"

	"github.com/golden-path/golden-path/pipeline"
)

// Report is what one scan found and what the gate decided.
type Report struct {
	// The scanned image's name.
	Artifact string
	// The gate's threshold.
	Threshold string
	// CRITICAL findings.
	Critical int
	// HIGH findings.
	High int
	// MEDIUM findings.
	Medium int
	// LOW findings.
	Low int
	// Findings of unknown severity.
	Unknown int
	// Every finding, suppressed ones included, in the scanner's order.
	Findings []*Finding
	// Findings at or above the threshold that no valid ignore entry covers.
	Blocking []*Finding
	// Findings the ignore file suppressed: in the JSON (with their statement), not in the SARIF or the SBOM.
	Suppressed []*Finding
	// Whether the gate passes.
	Ok bool
	// Why the gate fails, naming each blocking finding; empty when Ok.
	Problem string
	// Markdown: counts by severity, blocking findings with package, installed and fixed version.
	Summary string
	// Trivy's JSON report.
	Json *dagger.File
	// The same report as SARIF 2.1.0, for GitHub code scanning.
	Sarif *dagger.File
	// The image's packages as a CycloneDX SBOM.
	Sbom *dagger.File
	// The decision and the gate's whole result as JSON (a pipeline.Verdict of a vuln.GateResult): what
	// the golden path's root module reads, so that it never reads the scan's inputs or decides again.
	Verdict dagger.JSON
}

// Finding is one vulnerability in one package.
type Finding struct {
	// The vulnerability's ID, e.g. CVE-2023-1234 or GHSA-xxxx-xxxx-xxxx.
	VulnerabilityID string
	// CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.
	Severity string
	// The affected package, as Trivy names it (binary package for Debian).
	PkgName string
	// The package's installed version.
	Installed string
	// The version that fixes it; empty when there is none yet.
	Fixed string
	// A one-line description; it may be empty.
	Title string
	// The advisory's web page; it may be empty.
	URL string
	// The scanned part of the image the package belongs to, e.g. its OS packages.
	Target string
}

// Check fails when findings at or above the threshold remain after the
// ignore file, naming each one; it returns the report when none does.
func (r *Report) Check() (*Report, error) {
	if !r.Ok {
		return nil, fmt.Errorf("scan: %s", r.Problem)
	}
	return r, nil
}

func newReport(gate *vuln.GateResult, rep *vuln.Report, json, sarif, sbom *dagger.File) (*Report, error) {
	v := pipeline.NewVerdict(gate, gate.Err())
	data, err := v.JSON()
	if err != nil {
		return nil, fmt.Errorf("scan: %s", err.Error())
	}
	counts := rep.Counts()
	r := &Report{
		Artifact:  rep.Artifact,
		Threshold: gate.Threshold.String(),
		Critical:  counts[vuln.SeverityCritical],
		High:      counts[vuln.SeverityHigh],
		Medium:    counts[vuln.SeverityMedium],
		Low:       counts[vuln.SeverityLow],
		Unknown:   counts[vuln.SeverityUnknown],
		Ok:        v.Ok,
		Problem:   v.Problem,
		Summary:   gate.Markdown(),
		Json:      json, Sarif: sarif, Sbom: sbom,
		Verdict: dagger.JSON(data),
	}
	for _, v := range rep.Vulnerabilities {
		r.Findings = append(r.Findings, newFinding(v))
	}
	for _, s := range rep.Suppressed {
		r.Findings = append(r.Findings, newFinding(s.Vulnerability))
		r.Suppressed = append(r.Suppressed, newFinding(s.Vulnerability))
	}
	for _, v := range gate.Blocking {
		r.Blocking = append(r.Blocking, newFinding(v))
	}
	return r, nil
}

func newFinding(v vuln.Vulnerability) *Finding {
	return &Finding{
		VulnerabilityID: v.ID, Severity: v.Severity.String(), PkgName: v.Package,
		Installed: v.Installed, Fixed: v.Fixed, Title: v.Title, URL: v.URL, Target: v.Target,
	}
}
