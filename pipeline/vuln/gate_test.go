package vuln

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golden-path/golden-path/pipeline/internal/reporttest"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// gateNow is the date the gate tests run at: CVE-2025-4802's entry in
// testdata/ignore/valid.yaml (2026-01-31) has expired, the others have not.
var gateNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// dumpGate renders the decision, the gate error and the markdown, for
// golden files.
func dumpGate(g *GateResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "threshold=%s\n", g.Threshold)
	for _, v := range g.Blocking {
		fmt.Fprintf(&b, "blocking %s %s %s\n", v.ID, v.Severity, v.Package)
	}
	for _, f := range g.Ignored {
		fmt.Fprintf(&b, "ignored  %s %s %s (line %d)\n", f.ID, f.Severity, f.Package, f.Entry.Line)
	}
	for _, f := range g.Expired {
		fmt.Fprintf(&b, "expired  %s %s %s (line %d)\n", f.ID, f.Severity, f.Package, f.Entry.Line)
	}
	reporttest.WriteGate(&b, g)
	return b.String()
}

// TestEvaluate decides the gate on the testdata reports and compares the
// outcome with testdata/vulngate/<name>.golden.
func TestEvaluate(t *testing.T) {
	findings := mustTrivyJSON(t, "findings")
	ignores := mustIgnoreFile(t, "valid")
	criticalOnly, err := ParseIgnoreFile([]byte(`vulnerabilities:
  - id: CVE-2099-0001
    statement: "apt is removed from the final image in the next release (JIRA SEC-99)"
    expired_at: 2026-12-15
  - id: CVE-2023-45853
    statement: "Not reachable: MiniZip is not used (JIRA SEC-42)"
    expired_at: 2027-03-31
`), "hello-api/.trivyignore.yaml")
	assert.NilError(t, err)

	for _, tc := range []struct {
		name      string
		report    *Report
		threshold Severity
		ignores   *IgnoreFile
		// blocking, ignored and expired count the findings of each list.
		blocking, ignored, expired int
	}{
		{name: "high-no-ignores", report: findings, threshold: SeverityHigh, blocking: 5},
		{name: "high-with-ignores", report: findings, threshold: SeverityHigh, ignores: ignores, blocking: 3, ignored: 3, expired: 1},
		{name: "critical-with-ignores", report: findings, threshold: SeverityCritical, ignores: ignores, blocking: 2, ignored: 3},
		{name: "critical-all-ignored", report: findings, threshold: SeverityCritical, ignores: criticalOnly, ignored: 3},
		{name: "unknown-threshold", report: findings, threshold: SeverityUnknown, blocking: 8},
		{name: "clean", report: mustTrivyJSON(t, "clean"), threshold: SeverityHigh, ignores: ignores},
		{name: "no-report", report: nil, threshold: SeverityHigh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Evaluate(tc.report, tc.threshold, tc.ignores, gateNow)
			assert.Equal(t, len(g.Blocking), tc.blocking, "blocking")
			assert.Equal(t, len(g.Ignored), tc.ignored, "ignored")
			assert.Equal(t, len(g.Expired), tc.expired, "expired")

			err := g.Err()
			var ge *GateError
			var se *ParseError
			switch {
			case tc.report == nil:
				assert.Assert(t, errors.As(err, &se), "Err() = %v", err)
			case tc.blocking > 0:
				assert.Assert(t, errors.As(err, &ge), "Err() = %v", err)
				assert.Equal(t, len(ge.Blocking), tc.blocking)
			default:
				assert.NilError(t, err)
			}
			golden.Assert(t, dumpGate(g), filepath.Join("vulngate", tc.name+".golden"))
		})
	}
}

// TestEvaluateTrivySuppressed: when Trivy applied the ignore file, the gate
// decides as it would have applying the file itself (the same golden), the
// entries only naming the ignored findings' lines and the expired ones.
func TestEvaluateTrivySuppressed(t *testing.T) {
	r := mustTrivyJSON(t, "suppressed")
	r.IgnoreFile = ".trivyignore.yaml"
	g := Evaluate(r, SeverityHigh, mustIgnoreFile(t, "valid"), gateNow)
	golden.Assert(t, dumpGate(g), filepath.Join("vulngate", "high-with-ignores.golden"))

	// Without the file at hand, Trivy's statement is the entry.
	g = Evaluate(r, SeverityHigh, nil, gateNow)
	assert.Equal(t, len(g.Ignored), 3)
	assert.Equal(t, g.Ignored[0].Entry.Statement, "Not reachable: MiniZip is not used, we never call zipOpenNewFileInZip4_64 (JIRA SEC-42)")
	assert.Equal(t, len(g.Expired), 0)
	assert.Equal(t, len(g.Blocking), 3) // apt, libapt-pkg6.0, libc6 (Trivy dropped the expired entry)
}

// TestEvaluateTrivyDecides: a finding Trivy reported although it was given the
// ignore file blocks, even if this package's reading of an entry would have
// suppressed it: the SARIF and the SBOM list it, so the gate does too.
func TestEvaluateTrivyDecides(t *testing.T) {
	r := &Report{IgnoreFile: ".trivyignore.yaml", Vulnerabilities: []Vulnerability{
		{ID: "CVE-2023-45853", Package: "zlib1g", Severity: SeverityCritical},
	}}
	g := Evaluate(r, SeverityCritical, mustIgnoreFile(t, "valid"), gateNow)
	assert.Equal(t, len(g.Blocking), 1)
	assert.Equal(t, len(g.Ignored), 0)
	assert.Assert(t, g.Err() != nil)

	r.IgnoreFile = "" // Trivy was not given the file: the entry suppresses it here.
	g = Evaluate(r, SeverityCritical, mustIgnoreFile(t, "valid"), gateNow)
	assert.Equal(t, len(g.Blocking), 0)
	assert.Equal(t, len(g.Ignored), 1)
}

func TestVulnerabilityGateErrorMessage(t *testing.T) {
	g := Evaluate(mustTrivyJSON(t, "findings"), SeverityHigh, mustIgnoreFile(t, "valid"), gateNow)
	msg := g.Err().Error()
	for _, want := range []string{
		"3 vulnerabilities at or above HIGH found in registry.local:5000/payments/hello-api:3f1e0b5:",
		"\n  CVE-2099-0001 (CRITICAL) in apt 2.6.1, fixed in 2.6.1+gp1\n",
		"\n  CVE-2099-0001 (CRITICAL) in libapt-pkg6.0 2.6.1, fixed in 2.6.1+gp1\n",
		"\n  CVE-2025-4802 (HIGH) in libc6 2.36-9+deb12u10, fixed in 2.36-9+deb12u11\n",
		"\n  ignore entry for CVE-2025-4802 expired on 2026-01-31: renew it with a new reason or fix the package (.trivyignore.yaml:8)\n",
	} {
		assert.Assert(t, is.Contains(msg, want))
	}

	g = Evaluate(mustTrivyJSON(t, "findings"), SeverityCritical, nil, gateNow)
	assert.Assert(t, is.Contains(g.Err().Error(), "\n  CVE-2023-45853 (CRITICAL) in zlib1g 1:1.2.13.dfsg-1, no fix yet\n"))
}

// TestGateErrorsReadDifferently makes sure a broken scan cannot be mistaken
// for vulnerabilities found, nor the other way round.
func TestGateErrorsReadDifferently(t *testing.T) {
	gateErr := Evaluate(mustTrivyJSON(t, "findings"), SeverityHigh, nil, gateNow).Err()
	_, scanErr := ParseTrivyJSON(nil)
	noReport := Evaluate(nil, SeverityHigh, nil, gateNow).Err()

	assert.Assert(t, !errors.As(gateErr, new(*ParseError)))
	assert.Assert(t, !errors.As(scanErr, new(*GateError)))
	assert.Assert(t, !errors.As(noReport, new(*GateError)))
	for _, err := range []error{scanErr, noReport} {
		assert.Assert(t, strings.HasPrefix(err.Error(), "the vulnerability scan report is unreadable: "))
		assert.Assert(t, !strings.Contains(err.Error(), "at or above"))
	}
	assert.Assert(t, !strings.Contains(gateErr.Error(), "unreadable"))
}

func TestEvaluateExpiryDay(t *testing.T) {
	r := &Report{Vulnerabilities: []Vulnerability{
		{ID: "CVE-2025-4802", Package: "libc6", Severity: SeverityHigh},
	}}
	ignores := mustIgnoreFile(t, "valid") // CVE-2025-4802 expires on 2026-01-31
	for _, tc := range []struct {
		now     time.Time
		expired bool
	}{
		{now: time.Date(2026, 1, 30, 23, 59, 59, 0, time.UTC), expired: false},
		{now: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), expired: true},
	} {
		g := Evaluate(r, SeverityHigh, ignores, tc.now)
		if tc.expired {
			assert.Equal(t, len(g.Expired), 1, "now=%s", tc.now)
			assert.Equal(t, len(g.Blocking), 1, "now=%s", tc.now)
			assert.Assert(t, g.Err() != nil)
		} else {
			assert.Equal(t, len(g.Ignored), 1, "now=%s", tc.now)
			assert.NilError(t, g.Err(), "now=%s", tc.now)
		}
	}
}

func TestEvaluateExpiredBelowThresholdDoesNotBlock(t *testing.T) {
	r := &Report{Vulnerabilities: []Vulnerability{
		{ID: "CVE-2025-4802", Package: "libc6", Severity: SeverityHigh},
	}}
	g := Evaluate(r, SeverityCritical, mustIgnoreFile(t, "valid"), gateNow)
	assert.Equal(t, len(g.Expired), 0)
	assert.Equal(t, len(g.Ignored), 0)
	assert.NilError(t, g.Err())
}

func TestEvaluateInvalidThresholdBlocksEverything(t *testing.T) {
	r := &Report{Vulnerabilities: []Vulnerability{{ID: "TEMP-1", Package: "bash", Severity: SeverityUnknown}}}
	g := Evaluate(r, Severity(42), nil, gateNow)
	assert.Equal(t, g.Threshold, SeverityUnknown)
	assert.Equal(t, len(g.Blocking), 1)
}

func TestVulnerabilityGateErrorCapsFindings(t *testing.T) {
	r := &Report{}
	for i := range maxErrorFindings + 7 {
		r.Vulnerabilities = append(r.Vulnerabilities,
			Vulnerability{ID: fmt.Sprintf("CVE-2099-%04d", i), Package: "p", Installed: "1", Severity: SeverityHigh})
	}
	msg := Evaluate(r, SeverityHigh, nil, gateNow).Err().Error()
	assert.Assert(t, is.Contains(msg, fmt.Sprintf("CVE-2099-%04d", maxErrorFindings-1)))
	assert.Assert(t, !strings.Contains(msg, fmt.Sprintf("CVE-2099-%04d", maxErrorFindings)))
	assert.Assert(t, is.Contains(msg, "…and 7 more (see the scan report)"))
}

func TestGateMarkdownEscapesReportText(t *testing.T) {
	r := &Report{
		Artifact: "img|`x`",
		Vulnerabilities: []Vulnerability{
			{ID: "CVE-2099-1", Package: "a|b", Installed: "1`2", Fixed: "3|4", Severity: SeverityCritical,
				URL: "javascript:alert(1)"},
			{ID: "CVE-2099-2", Package: "c", Installed: "1", Severity: SeverityCritical,
				URL: "https://example.com/x) [y](https://evil.example"},
			{ID: "CVE-2099-3", Package: "d", Installed: "1", Severity: SeverityCritical,
				URL: "https://avd.aquasec.com/nvd/cve-2099-3"},
		},
	}
	md := Evaluate(r, SeverityHigh, nil, gateNow).Markdown()
	assert.Assert(t, is.Contains(md, "| `CVE-2099-1` | CRITICAL | `a\\|b` | ``1`2`` | `3\\|4` |"))
	assert.Assert(t, is.Contains(md, "| `CVE-2099-2` | CRITICAL | `c` | `1` | no fix yet |"))
	assert.Assert(t, is.Contains(md, "| [CVE-2099-3](https://avd.aquasec.com/nvd/cve-2099-3) | CRITICAL |"))
	assert.Assert(t, !strings.Contains(md, "javascript:"))
	assert.Assert(t, !strings.Contains(md, "evil.example"))
}

func TestGateMarkdownCapsRows(t *testing.T) {
	r := &Report{}
	for i := range 5 {
		r.Vulnerabilities = append(r.Vulnerabilities,
			Vulnerability{ID: fmt.Sprintf("CVE-2099-%04d", i), Package: "p", Installed: "1", Severity: SeverityHigh})
	}
	md := Evaluate(r, SeverityHigh, nil, gateNow).markdown(3)
	assert.Assert(t, is.Contains(md, "CVE-2099-0002"))
	assert.Assert(t, !strings.Contains(md, "CVE-2099-0003"))
	assert.Assert(t, is.Contains(md, "…and 2 more."))
}
