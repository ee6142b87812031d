package vuln

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// dumpScanReport renders everything ParseTrivyJSON read, for golden files.
func dumpScanReport(r *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "artifact=%q\ntargets=%q\n", r.Artifact, r.Targets)
	counts := r.Counts()
	for _, s := range Severities() {
		fmt.Fprintf(&b, "%s=%d ", s, counts[s])
	}
	b.WriteString("\n")
	for _, v := range r.Vulnerabilities {
		fmt.Fprintf(&b, "\nid=%q severity=%s package=%q pkgid=%q installed=%q fixed=%q status=%q\n"+
			"  target=%q path=%q\n  title=%q\n  url=%q\n",
			v.ID, v.Severity, v.Package, v.PkgID, v.Installed, v.Fixed, v.Status, v.Target, v.Path, v.Title, v.URL)
	}
	for _, v := range r.Suppressed {
		fmt.Fprintf(&b, "\nsuppressed id=%q severity=%s package=%q installed=%q target=%q path=%q\n  statement=%q source=%q\n",
			v.ID, v.Severity, v.Package, v.Installed, v.Target, v.Path, v.Statement, v.Source)
	}
	return b.String()
}

// mustTrivyJSON parses testdata/trivy/<name>.json.
func mustTrivyJSON(t *testing.T, name string) *Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "trivy", name+".json"))
	assert.NilError(t, err)
	r, err := ParseTrivyJSON(data)
	assert.NilError(t, err)
	return r
}

// TestParseTrivyJSON parses each readable testdata/trivy/<name>.json and
// compares what was read with testdata/trivy/<name>.golden.
func TestParseTrivyJSON(t *testing.T) {
	for _, tc := range []struct {
		name       string
		vulns      int
		suppressed int
		targets    int
	}{
		{name: "findings", vulns: 8, targets: 2},
		{name: "clean", vulns: 0, targets: 2},
		// The findings, 3 of them suppressed by the ignore file Trivy was given (--show-suppressed).
		{name: "suppressed", vulns: 5, suppressed: 3, targets: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustTrivyJSON(t, tc.name)
			assert.Equal(t, len(r.Vulnerabilities), tc.vulns)
			assert.Equal(t, len(r.Suppressed), tc.suppressed)
			assert.Equal(t, len(r.Targets), tc.targets)
			golden.Assert(t, dumpScanReport(r), filepath.Join("trivy", tc.name+".golden"))
		})
	}
}

func TestParseTrivyJSONFields(t *testing.T) {
	r := mustTrivyJSON(t, "findings")
	assert.Equal(t, r.Artifact, "registry.local:5000/payments/hello-api:3f1e0b5")
	assert.DeepEqual(t, r.Vulnerabilities[0], Vulnerability{
		ID:        "CVE-2099-0001",
		Package:   "apt",
		PkgID:     "apt@2.6.1",
		Installed: "2.6.1",
		Fixed:     "2.6.1+gp1",
		Severity:  SeverityCritical,
		Status:    "fixed",
		Title:     "planted test advisory",
		URL:       "https://avd.aquasec.com/nvd/cve-2099-0001",
		Target:    "registry.local:5000/payments/hello-api:3f1e0b5 (debian 12.12)",
	})
	assert.DeepEqual(t, r.Counts(), map[Severity]int{
		SeverityCritical: 3, SeverityHigh: 2, SeverityMedium: 1, SeverityLow: 1, SeverityUnknown: 1,
	})
	// Suppressed findings are findings: the counts are the same whoever suppressed them.
	assert.DeepEqual(t, mustTrivyJSON(t, "suppressed").Counts(), r.Counts())
	assert.DeepEqual(t, mustTrivyJSON(t, "clean").Counts(), map[Severity]int{
		SeverityCritical: 0, SeverityHigh: 0, SeverityMedium: 0, SeverityLow: 0, SeverityUnknown: 0,
	})
}

// TestParseTrivyJSONUnreadable checks that every report that is not a
// complete Trivy JSON report fails closed with a *ParseError, whose
// message is in testdata/trivy/<name>.golden.
func TestParseTrivyJSONUnreadable(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string // a fragment of the reason
	}{
		{name: "empty", want: "the file is empty"},
		{name: "blank", want: "the file is empty"},
		{name: "truncated", want: "not valid JSON"},
		{name: "table", want: "not a JSON object"},
		{name: "fatal-log", want: "not a JSON object"},
		{name: "legacy-array", want: "before v0.20"},
		{name: "sarif", want: "SARIF"},
		{name: "no-schema", want: "no SchemaVersion"},
		{name: "schema-v3", want: "SchemaVersion is 3"},
		{name: "no-results", want: "no Results"},
		{name: "results-null", want: "no Results"},
		{name: "results-empty", want: "Results list is empty"},
		{name: "wrong-types", want: "shape of a Trivy report"},
		{name: "bad-severity", want: `"IMPORTANT"`},
		{name: "no-id", want: "Results[1].Vulnerabilities[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "trivy", tc.name+".json"))
			assert.NilError(t, err)
			r, err := ParseTrivyJSON(data)
			assert.Assert(t, r == nil)
			var se *ParseError
			assert.Assert(t, errors.As(err, &se), "error is %T: %v", err, err)
			assert.Assert(t, is.Contains(se.Reason, tc.want))
			golden.Assert(t, err.Error()+"\n", filepath.Join("trivy", tc.name+".golden"))
		})
	}
}

func TestParseTrivyJSONWrapsParseErrors(t *testing.T) {
	_, err := ParseTrivyJSON([]byte(`{"SchemaVersion": 2, "Results": [`))
	var se *ParseError
	assert.Assert(t, errors.As(err, &se))
	assert.Assert(t, se.Unwrap() != nil, "the JSON error is kept")
}

func TestParseSeverity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Severity
	}{
		{"UNKNOWN", SeverityUnknown},
		{"LOW", SeverityLow},
		{"MEDIUM", SeverityMedium},
		{"HIGH", SeverityHigh},
		{"CRITICAL", SeverityCritical},
		{" critical ", SeverityCritical},
		{"High", SeverityHigh},
	} {
		got, err := ParseSeverity(tc.in)
		assert.NilError(t, err, tc.in)
		assert.Equal(t, got, tc.want, tc.in)
	}
	for _, in := range []string{"", "SEVERE", "4", "CRITICAL!"} {
		_, err := ParseSeverity(in)
		var se *SeverityError
		assert.Assert(t, errors.As(err, &se), "%q: %v", in, err)
	}
	_, err := ParseSeverity("severe")
	assert.Error(t, err, `"severe" is not a severity: use one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL`)
}

func TestSeverityOrderAndNames(t *testing.T) {
	assert.Assert(t, SeverityUnknown < SeverityLow && SeverityLow < SeverityMedium &&
		SeverityMedium < SeverityHigh && SeverityHigh < SeverityCritical)
	var names []string
	for _, s := range Severities() {
		names = append(names, s.String())
		back, err := ParseSeverity(s.String())
		assert.NilError(t, err)
		assert.Equal(t, back, s)
	}
	assert.DeepEqual(t, names, []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"})
	assert.Equal(t, Severity(9).String(), "Severity(9)")
}
