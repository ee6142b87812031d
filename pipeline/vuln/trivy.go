package vuln

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// TrivySchemaVersion is the SchemaVersion of the Trivy JSON reports
// ParseTrivyJSON reads (Trivy v0.74.0 writes it).
const TrivySchemaVersion = 2

// Report is the result of a vulnerability scan of one artifact, read from
// Trivy's JSON report.
type Report struct {
	// Artifact is what was scanned, as Trivy names it: an image reference,
	// an archive or a folder.
	Artifact string
	// Vulnerabilities are the findings, in report order: one per
	// vulnerability and installed package.
	Vulnerabilities []Vulnerability
	// Targets are the parts of the artifact Trivy scanned, in report order:
	// the OS ("img (debian 12.5)") and each language package file.
	Targets []string
	// Suppressed are the findings Trivy left out of Vulnerabilities because
	// the ignore file it was given covers them (its
	// ExperimentalModifiedFindings, written with --show-suppressed), in
	// report order.
	Suppressed []Suppressed
	// IgnoreFile names the ignore file Trivy was given (--ignorefile), ""
	// when none; the scanner sets it, the JSON does not say. When set,
	// what is suppressed is Trivy's decision: Evaluate suppresses no
	// finding of Vulnerabilities, so the gate, the SARIF and the SBOM
	// converted from the report agree.
	IgnoreFile string
}

// Suppressed is a finding an ignore file suppressed in the scanner.
type Suppressed struct {
	// Vulnerability is the finding.
	Vulnerability
	// Statement is the ignore entry's statement, as Trivy copied it.
	Statement string
	// Source is the file that suppressed it, as Trivy names it.
	Source string
}

// Vulnerability is one finding of a scan: a known vulnerability in one
// installed package.
type Vulnerability struct {
	// ID is the vulnerability's identifier, e.g. "CVE-2023-1234" or
	// "GHSA-xxxx-xxxx-xxxx".
	ID string
	// Package is the installed package's name, e.g. "libapt-pkg6.0".
	Package string
	// PkgID is Trivy's package identifier, e.g. "apt@2.6.1"; it may be empty.
	PkgID string
	// Path is the file the package was found in, for language packages
	// (e.g. "app/requirements.txt"); empty for OS packages.
	Path string
	// Installed is the installed version.
	Installed string
	// Fixed is the version that fixes it (Trivy may list several,
	// separated by commas); empty when there is no fix yet.
	Fixed string
	// Severity is how bad it is.
	Severity Severity
	// Status is Trivy's fix status, e.g. "fixed", "affected", "will_not_fix".
	Status string
	// Title is a one-line description; it may be empty.
	Title string
	// URL is the advisory's web page; it may be empty.
	URL string
	// Target is the scanned part of the artifact the package belongs to.
	Target string
}

// Counts returns how many findings the report has of each severity,
// suppressed ones included, with an entry (possibly 0) for every severity.
func (r *Report) Counts() map[Severity]int {
	counts := make(map[Severity]int, len(severityNames))
	for _, s := range Severities() {
		counts[s] = 0
	}
	for _, v := range r.Vulnerabilities {
		counts[v.Severity]++
	}
	for _, v := range r.Suppressed {
		counts[v.Severity]++
	}
	return counts
}

// ParseError says a vulnerability scan report could not be read. An
// unreadable report means the scan has not passed: the gate fails closed.
type ParseError struct {
	// Reason says what is wrong with the report.
	Reason string
	// Err is the underlying parse error, if any.
	Err error
}

// Error implements error.
func (e *ParseError) Error() string {
	msg := "the vulnerability scan report is unreadable: " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "; the image cannot be counted as scanned, so it does not ship. " +
		"Check that trivy ran to the end (its exit status and log) with --format json, " +
		"and that the report file holds its output and nothing else"
}

// Unwrap returns the underlying parse error.
func (e *ParseError) Unwrap() error { return e.Err }

// trivyReport is the part of Trivy's --format json report golden-path
// reads. Trivy's Go types are deliberately not imported: the JSON is the
// contract.
type trivyReport struct {
	SchemaVersion int
	ArtifactName  string
	Results       []trivyResult
}

type trivyResult struct {
	Target          string
	Class           string
	Type            string
	Vulnerabilities []trivyVulnerability
	// Modified are the findings an ignore file (or VEX) changed: with
	// --show-suppressed, those it suppressed.
	Modified []trivyModifiedFinding `json:"ExperimentalModifiedFindings"`
}

// trivyModifiedFinding is one of a result's ExperimentalModifiedFindings;
// Finding is a vulnerability when Type is "vulnerability".
type trivyModifiedFinding struct {
	Type      string
	Status    string
	Statement string
	Source    string
	Finding   trivyVulnerability
}

type trivyVulnerability struct {
	VulnerabilityID  string
	PkgName          string
	PkgID            string
	PkgPath          string
	InstalledVersion string
	FixedVersion     string
	Severity         string
	Status           string
	Title            string
	PrimaryURL       string
}

// ParseTrivyJSON reads the report Trivy writes with --format json
// (SchemaVersion 2). Anything that is not such a report gives a
// *ParseError, never a passing report: an empty or truncated file, other
// JSON, another schema version, a report without Results (Trivy found
// nothing to scan) or a finding without an ID or with an unknown severity.
// A report whose Results hold no vulnerabilities is a clean scan.
func ParseTrivyJSON(data []byte) (*Report, error) {
	var raw trivyReport
	if err := checkTrivyJSON(data, &raw); err != nil {
		return nil, err
	}
	r := &Report{Artifact: raw.ArtifactName}
	for i, res := range raw.Results {
		r.Targets = append(r.Targets, res.Target)
		for j, v := range res.Vulnerabilities {
			found, err := v.finding(fmt.Sprintf("Results[%d].Vulnerabilities[%d]", i, j), res.Target)
			if err != nil {
				return nil, err
			}
			r.Vulnerabilities = append(r.Vulnerabilities, found)
		}
		for j, m := range res.Modified {
			if m.Type != "vulnerability" || m.Status != "ignored" {
				continue // misconfigurations, secrets, licenses: not scanned; VEX: not used
			}
			found, err := m.Finding.finding(fmt.Sprintf("Results[%d].ExperimentalModifiedFindings[%d]", i, j), res.Target)
			if err != nil {
				return nil, err
			}
			r.Suppressed = append(r.Suppressed, Suppressed{Vulnerability: found, Statement: m.Statement, Source: m.Source})
		}
	}
	return r, nil
}

// finding checks and converts one finding of target; where says where it
// is in the report, for errors.
func (v trivyVulnerability) finding(where, target string) (Vulnerability, error) {
	where = fmt.Sprintf("%s (target %q, package %q)", where, target, v.PkgName)
	if v.VulnerabilityID == "" {
		return Vulnerability{}, &ParseError{Reason: where + " has no VulnerabilityID"}
	}
	sev, err := ParseSeverity(v.Severity)
	if err != nil {
		return Vulnerability{}, &ParseError{Reason: fmt.Sprintf("%s: %s has severity %q, which is not one of Trivy's "+
			"(UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)", where, v.VulnerabilityID, v.Severity)}
	}
	return Vulnerability{
		ID:        v.VulnerabilityID,
		Package:   v.PkgName,
		PkgID:     v.PkgID,
		Path:      v.PkgPath,
		Installed: v.InstalledVersion,
		Fixed:     v.FixedVersion,
		Severity:  sev,
		Status:    v.Status,
		Title:     v.Title,
		URL:       v.PrimaryURL,
		Target:    target,
	}, nil
}

// checkTrivyJSON decodes data into raw after checking that it is a Trivy
// JSON report of the supported schema with Results.
func checkTrivyJSON(data []byte, raw *trivyReport) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return &ParseError{Reason: "the file is empty (trivy probably did not finish, or wrote its report elsewhere)"}
	}
	if trimmed[0] == '[' {
		return &ParseError{Reason: "it is a JSON list, the report format of Trivy releases before v0.20 " +
			"(scan with a release that writes SchemaVersion 2, such as v0.74.0)"}
	}
	if trimmed[0] != '{' {
		return &ParseError{Reason: "it is not a JSON object (is it trivy's table output or its log " +
			"rather than the --format json report?)"}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return &ParseError{Reason: "it is not valid JSON (was it cut short?)", Err: err}
	}
	if format := otherReportFormat(top); format != "" {
		return &ParseError{Reason: fmt.Sprintf("it is a %s document, not Trivy's JSON report "+
			"(scan with --format json; convert that report to other formats with trivy convert)", format)}
	}
	version, ok := top["SchemaVersion"]
	if !ok {
		return &ParseError{Reason: "it has no SchemaVersion, so it is not a report of trivy --format json"}
	}
	var v int
	if err := json.Unmarshal(version, &v); err != nil || v != TrivySchemaVersion {
		return &ParseError{Reason: fmt.Sprintf("its SchemaVersion is %s, but golden-path reads version %d "+
			"(scan with a Trivy release that writes it, such as v0.74.0)", version, TrivySchemaVersion)}
	}
	if results, ok := top["Results"]; !ok || string(results) == "null" {
		return &ParseError{Reason: "it has no Results: trivy found nothing it could scan " +
			"(no OS or language packages detected) or the report was cut short, and a scan that scanned nothing does not pass"}
	}
	if err := json.Unmarshal(trimmed, raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &ParseError{Reason: fmt.Sprintf("it does not have the shape of a Trivy report: "+
				"%s holds a JSON %s where Trivy writes %s", te.Field, te.Value, jsonKind(te.Type))}
		}
		return &ParseError{Reason: "it does not have the shape of a Trivy report", Err: err}
	}
	if len(raw.Results) == 0 {
		return &ParseError{Reason: "its Results list is empty: trivy scanned no target " +
			"(trivy omits Results rather than writing an empty list, so something else wrote this report)"}
	}
	return nil
}

// jsonKind names the JSON value that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "a list"
	case reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "a number"
	}
	return "something else"
}

// otherReportFormat names the security report format of a JSON object that
// is not Trivy's own, or returns "".
func otherReportFormat(top map[string]json.RawMessage) string {
	switch {
	case top["runs"] != nil || (top["$schema"] != nil && bytes.Contains(top["$schema"], []byte("sarif"))):
		return "SARIF"
	case top["bomFormat"] != nil:
		return "CycloneDX"
	case top["spdxVersion"] != nil:
		return "SPDX"
	}
	return ""
}
