package vuln

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// GateResult is the decision of the vulnerability gate on one scan report.
type GateResult struct {
	// Artifact is what was scanned.
	Artifact string
	// Threshold is the lowest severity that blocks.
	Threshold Severity
	// Counts is the number of findings of each severity in the report,
	// ignored ones included.
	Counts map[Severity]int
	// IgnoreFile names the ignore file, IgnoreFileName when there was none.
	IgnoreFile string
	// Blocking are the findings at or above Threshold that no live ignore
	// entry covers, most severe first. They include the findings of
	// Expired. The gate passes only when there are none.
	Blocking []Vulnerability
	// Ignored are the findings that a live ignore entry suppresses, at any
	// severity, by ID.
	Ignored []IgnoredFinding
	// Expired are the findings at or above Threshold whose ignore entry has
	// expired: the entry no longer suppresses them, so they block again.
	Expired []IgnoredFinding
	// noReport is set when Evaluate had no report: the gate is closed.
	noReport bool
}

// IgnoredFinding is a finding with the ignore entry about it.
type IgnoredFinding struct {
	// Vulnerability is the finding.
	Vulnerability
	// Entry is the ignore entry that matches the finding.
	Entry IgnoreEntry
}

// Evaluate decides the vulnerability gate: every finding of r at or above
// threshold blocks unless it is suppressed. When Trivy was given the ignore
// file (r.IgnoreFile set), the findings it suppressed (r.Suppressed) are
// the ignored ones, and ignores only names their entries and the expired
// entries of findings that block again; otherwise a finding is suppressed
// when an entry of ignores (nil: none) that has not expired at now matches it. A nil report gives a result whose Err says
// there is no report. A threshold that is not a Severity counts as
// SeverityUnknown: everything blocks.
func Evaluate(r *Report, threshold Severity, ignores *IgnoreFile, now time.Time) *GateResult {
	if !threshold.valid() {
		threshold = SeverityUnknown
	}
	g := &GateResult{Threshold: threshold, IgnoreFile: IgnoreFileName}
	if ignores != nil && ignores.File != "" {
		g.IgnoreFile = ignores.File
	}
	if r == nil {
		g.noReport = true
		g.Counts = (&Report{}).Counts()
		return g
	}
	g.Artifact, g.Counts = r.Artifact, r.Counts()
	for _, v := range r.Vulnerabilities {
		entry, matched := ignores.Match(v)
		expired := matched && entry.Expired(now)
		switch {
		case matched && !expired && r.IgnoreFile == "":
			g.Ignored = append(g.Ignored, IgnoredFinding{Vulnerability: v, Entry: entry})
		case v.Severity < threshold:
			// Below the threshold: reported in the counts only.
		case expired:
			g.Expired = append(g.Expired, IgnoredFinding{Vulnerability: v, Entry: entry})
			g.Blocking = append(g.Blocking, v)
		default:
			// Trivy reported it although it was given the ignore file: not suppressed.
			g.Blocking = append(g.Blocking, v)
		}
	}
	for _, s := range r.Suppressed {
		entry, matched := ignores.Match(s.Vulnerability)
		if !matched {
			entry = IgnoreEntry{ID: s.ID, Statement: s.Statement}
		}
		g.Ignored = append(g.Ignored, IgnoredFinding{Vulnerability: s.Vulnerability, Entry: entry})
	}
	slices.SortStableFunc(g.Blocking, compareFindings)
	for _, list := range [][]IgnoredFinding{g.Ignored, g.Expired} {
		slices.SortStableFunc(list, func(a, b IgnoredFinding) int { return compareFindings(a.Vulnerability, b.Vulnerability) })
	}
	return g
}

// compareFindings orders findings most severe first, then by ID, package
// and target.
func compareFindings(a, b Vulnerability) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(a.ID, b.ID),
		cmp.Compare(a.Package, b.Package),
		cmp.Compare(a.Installed, b.Installed),
		cmp.Compare(a.Target, b.Target),
	)
}

// Err is the vulnerability gate: a *GateError when some
// finding blocks, a *ParseError when Evaluate had no report, nil when
// the image may ship.
func (g *GateResult) Err() error {
	if g.noReport {
		return &ParseError{Reason: "there is no scan report (the scan did not run or its report was lost)"}
	}
	if len(g.Blocking) == 0 {
		return nil
	}
	return &GateError{
		Artifact:   g.Artifact,
		Threshold:  g.Threshold,
		Blocking:   g.Blocking,
		Expired:    g.Expired,
		IgnoreFile: g.IgnoreFile,
	}
}

// GateError is returned by GateResult.Err when the scan found
// vulnerabilities at or above the threshold that are not ignored: the
// scanner worked, and the image must not ship as it is.
type GateError struct {
	// Artifact is what was scanned.
	Artifact string
	// Threshold is the lowest severity that blocks.
	Threshold Severity
	// Blocking are the findings that block, most severe first.
	Blocking []Vulnerability
	// Expired are the blocking findings whose ignore entry has expired.
	Expired []IgnoredFinding
	// IgnoreFile names the ignore file, for the fix.
	IgnoreFile string
}

// maxErrorFindings caps the findings GateError.Error lists; the
// markdown report has the rest.
const maxErrorFindings = 50

// Error lists each blocking finding, then each expired ignore entry, one per
// line, and says how to unblock.
func (e *GateError) Error() string {
	var b strings.Builder
	artifact := ""
	if e.Artifact != "" {
		artifact = " in " + e.Artifact
	}
	fmt.Fprintf(&b, "%s at or above %s found%s:",
		markdown.Plural(len(e.Blocking), "vulnerability", "vulnerabilities"), e.Threshold, artifact)
	for i, v := range e.Blocking {
		if i == maxErrorFindings {
			fmt.Fprintf(&b, "\n  …and %d more (see the scan report)", len(e.Blocking)-maxErrorFindings)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(v.summary())
	}
	for _, entry := range expiredEntries(e.Expired) {
		fmt.Fprintf(&b, "\n  ignore entry for %s expired on %s: renew it with a new reason or fix the package (%s:%d)",
			entry.ID, entry.expiry(), e.ignoreFile(), entry.Line)
	}
	fmt.Fprintf(&b, "\nupgrade these packages to a fixed version (often by rebuilding on an updated base image); "+
		"if a finding cannot affect the service, add it to %s with a statement saying why "+
		"and an expired_at date at most a year ahead", e.ignoreFile())
	return b.String()
}

func (e *GateError) ignoreFile() string {
	if e.IgnoreFile == "" {
		return IgnoreFileName
	}
	return e.IgnoreFile
}

// summary is the finding on one line:
// "CVE-… (CRITICAL) in pkg 1.0, fixed in 1.1".
func (v Vulnerability) summary() string {
	fix := "no fix yet"
	if v.Fixed != "" {
		fix = "fixed in " + v.Fixed
	}
	return fmt.Sprintf("%s (%s) in %s %s, %s", v.ID, v.Severity, v.Package, v.Installed, fix)
}

// expiredEntries returns the distinct entries of findings, in order.
func expiredEntries(findings []IgnoredFinding) []IgnoreEntry {
	var entries []IgnoreEntry
	seen := map[string]bool{}
	for _, f := range findings {
		if !seen[f.Entry.ID] {
			seen[f.Entry.ID] = true
			entries = append(entries, f.Entry)
		}
	}
	return entries
}
