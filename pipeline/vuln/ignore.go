package vuln

import (
	"fmt"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/yamlfile"
)

// IgnoreFileName is the usual name of the ignore file, in the service's
// source directory: Trivy's .trivyignore.yaml format, with a statement and
// an expiry date required for every entry.
const IgnoreFileName = ".trivyignore.yaml"

// dateLayout is how expiry dates are written: YYYY-MM-DD.
const dateLayout = "2006-01-02"

// IgnoreFile is a parsed ignore file: the vulnerabilities a team has
// decided, for a stated reason and until a date, not to block on.
type IgnoreFile struct {
	// File names the file, as given to ParseIgnoreFile.
	File string
	// Entries are the file's entries, in file order; no two have the same
	// ID.
	Entries []IgnoreEntry
}

// IgnoreEntry is one entry of an ignore file.
type IgnoreEntry struct {
	// ID is the vulnerability's identifier, as Trivy reports it, e.g.
	// "CVE-2023-1234".
	ID string
	// Statement says why the vulnerability is safe to ignore.
	Statement string
	// ExpiresAt is the start (00:00 UTC) of the expired_at day: from then
	// on the entry no longer suppresses anything.
	ExpiresAt time.Time
	// Paths, when set, limit the entry to findings whose target or package
	// file matches one of these patterns (path.Match syntax per segment,
	// plus "**" for any number of segments), e.g. "usr/lib/**". OS
	// packages have no file: their target is the OS, like
	// "img (debian 12.5)".
	Paths []string
	// Line is the 1-based line of the entry in the file.
	Line int
}

// Expired reports whether the entry has expired at now: now is on or after
// its expired_at day (in UTC), as Trivy itself reads expired_at.
func (e IgnoreEntry) Expired(now time.Time) bool {
	return !now.Before(e.ExpiresAt)
}

// Matches reports whether the entry is about v: same ID and, when the entry
// has Paths, v's Target or Path matches one of them. It ignores expiry.
func (e IgnoreEntry) Matches(v Vulnerability) bool {
	if e.ID != v.ID {
		return false
	}
	if len(e.Paths) == 0 {
		return true
	}
	for _, p := range e.Paths {
		if matchPathPattern(p, v.Target) || (v.Path != "" && matchPathPattern(p, v.Path)) {
			return true
		}
	}
	return false
}

// expiry formats the entry's expiry day.
func (e IgnoreEntry) expiry() string {
	return e.ExpiresAt.Format(dateLayout)
}

// Match returns the entry about v, expired or not. A nil file has none.
func (f *IgnoreFile) Match(v Vulnerability) (IgnoreEntry, bool) {
	if f == nil {
		return IgnoreEntry{}, false
	}
	for _, e := range f.Entries {
		if e.Matches(v) {
			return e, true
		}
	}
	return IgnoreEntry{}, false
}

// maxIgnoreYears is how far ahead an entry may expire: every decision to
// ignore a vulnerability is looked at again at least this often.
const maxIgnoreYears = 1

// CheckExpiry checks what ParseIgnoreFile cannot without a clock: that no
// entry expires more than a year after now. It returns an *IgnoreFileError
// naming each entry that does, or nil. A nil file passes.
func (f *IgnoreFile) CheckExpiry(now time.Time) error {
	if f == nil {
		return nil
	}
	y, m, d := now.UTC().Date()
	limit := time.Date(y+maxIgnoreYears, m, d, 0, 0, 0, 0, time.UTC)
	var errs []*yamlfile.FieldError
	for i, e := range f.Entries {
		if e.ExpiresAt.After(limit) {
			errs = append(errs, &yamlfile.FieldError{
				File:   f.File,
				Line:   e.Line,
				Field:  fmt.Sprintf("vulnerabilities[%d].expired_at", i),
				Reason: fmt.Sprintf("the entry for %s expires on %s, more than a year ahead", e.ID, e.expiry()),
				Fix: fmt.Sprintf("set expired_at to %s or earlier, so the decision is reviewed at least once a year",
					limit.Format(dateLayout)),
			})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &IgnoreFileError{File: f.File, Errors: errs}
}

// IgnoreFileError lists every problem found in an ignore file. An ignore
// file with problems suppresses nothing: fix it before the scan can pass.
type IgnoreFileError struct {
	// File is the ignore file.
	File string
	// Errors holds the problems, ordered by line; each names its entry
	// ("vulnerabilities[2].statement") and says how to fix it.
	Errors []*yamlfile.FieldError
}

// Error lists the problems, one per line.
func (e *IgnoreFileError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so errors.As finds a *yamlfile.FieldError.
func (e *IgnoreFileError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		errs[i] = fe
	}
	return errs
}
