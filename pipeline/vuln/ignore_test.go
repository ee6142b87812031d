package vuln

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// dumpIgnoreFile renders the entries of an ignore file, for golden files.
func dumpIgnoreFile(f *IgnoreFile) string {
	var b strings.Builder
	fmt.Fprintf(&b, "file=%q entries=%d\n", f.File, len(f.Entries))
	for _, e := range f.Entries {
		fmt.Fprintf(&b, "line=%d id=%q expires=%s paths=%q\n  statement=%q\n",
			e.Line, e.ID, e.ExpiresAt.Format(time.RFC3339), e.Paths, e.Statement)
	}
	return b.String()
}

// mustIgnoreFile parses testdata/ignore/<name>.yaml.
func mustIgnoreFile(t *testing.T, name string) *IgnoreFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "ignore", name+".yaml"))
	assert.NilError(t, err)
	f, err := ParseIgnoreFile(data, IgnoreFileName)
	assert.NilError(t, err)
	return f
}

// problem is the expected position of one yamlfile.FieldError.
type problem struct {
	Line  int
	Field string
}

// TestParseIgnoreFile parses each testdata/ignore/<name>.yaml and compares
// the outcome with testdata/ignore/<name>.golden: the entries when valid,
// the error message otherwise.
func TestParseIgnoreFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries int
		want    []problem // nil: the file is valid
	}{
		{name: "valid", entries: 5},
		{name: "empty"},
		{name: "comments-only"},
		{name: "empty-list"},
		{name: "missing-statement", want: []problem{{5, "vulnerabilities[1].statement"}, {8, "vulnerabilities[2].statement"}}},
		{name: "missing-expiry", want: []problem{{2, "vulnerabilities[0].expired_at"}}},
		{name: "bad-date", want: []problem{
			{4, "vulnerabilities[0].expired_at"}, {7, "vulnerabilities[1].expired_at"}, {10, "vulnerabilities[2].expired_at"},
		}},
		{name: "unknown-key", want: []problem{{3, "vulnerabilities[0].statment"}, {5, "vulnerabilities[0].owner"}}},
		{name: "purls", want: []problem{{5, "vulnerabilities[0].purls"}}},
		{name: "duplicate-id", want: []problem{{8, "vulnerabilities[2].id"}}},
		{name: "plain-ids", want: []problem{{2, "vulnerabilities[0]"}, {3, "vulnerabilities[1]"}}},
		{name: "trivyignore-format", want: []problem{{2, ""}}},
		{name: "list-root", want: []problem{{1, ""}}},
		{name: "tab-indented", want: []problem{{3, ""}}},
		{name: "other-sections", want: []problem{{5, "misconfigurations"}, {9, "vulnerabilites"}}},
		{name: "bad-paths", want: []problem{
			{6, "vulnerabilities[0].paths[0]"}, {7, "vulnerabilities[0].paths[1]"}, {8, "vulnerabilities[0].paths[2]"},
			{9, "vulnerabilities[0].paths[3]"}, {10, "vulnerabilities[0].paths[4]"}, {14, "vulnerabilities[1].paths"},
		}},
		{name: "bad-ids", want: []problem{
			{2, "vulnerabilities[0].id"}, {5, "vulnerabilities[1].id"}, {8, "vulnerabilities[2].id"}, {10, "vulnerabilities[3].id"},
		}},
		{name: "two-documents", want: []problem{{5, ""}}},
		{name: "several-errors", want: []problem{
			{2, "vulnerabilities[0].statement"}, {2, "vulnerabilities[0].expired_at"},
			{5, "vulnerabilities[1].expired_at"}, {6, "vulnerabilities[1].expired_at"},
			{7, "vulnerabilities[2].id"}, {9, "vulnerabilities[2].statement"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "ignore", tc.name+".yaml"))
			assert.NilError(t, err)
			f, err := ParseIgnoreFile(data, IgnoreFileName)

			if tc.want == nil {
				assert.NilError(t, err)
				assert.Equal(t, len(f.Entries), tc.entries)
				golden.Assert(t, dumpIgnoreFile(f), filepath.Join("ignore", tc.name+".golden"))
				return
			}

			assert.Assert(t, f == nil)
			var ie *IgnoreFileError
			assert.Assert(t, errors.As(err, &ie), "error is %T: %v", err, err)
			var got []problem
			for _, fe := range ie.Errors {
				assert.Equal(t, fe.File, IgnoreFileName)
				assert.Assert(t, fe.Fix != "", "problem without a fix: %v", fe)
				got = append(got, problem{Line: fe.Line, Field: fe.Field})
			}
			assert.DeepEqual(t, got, tc.want)
			golden.Assert(t, err.Error()+"\n", filepath.Join("ignore", tc.name+".golden"))
		})
	}
}

// TestParseIgnoreFileMessages pins the fixes the brief asks for, beyond the
// golden files.
func TestParseIgnoreFileMessages(t *testing.T) {
	for name, want := range map[string]string{
		"missing-statement": ".trivyignore.yaml:5: vulnerabilities[1].statement: the entry for CVE-2025-4802 has no statement; " +
			"add a statement: why this is safe to ignore",
		"missing-expiry": ".trivyignore.yaml:2: vulnerabilities[0].expired_at: the entry for CVE-2023-45853 has no expiry date; " +
			"add expired_at: YYYY-MM-DD, at most a year ahead",
		"unknown-key":  `.trivyignore.yaml:3: vulnerabilities[0].statment: not a known key; did you mean "statement"?`,
		"duplicate-id": ".trivyignore.yaml:8: vulnerabilities[2].id: CVE-2023-45853 is already listed in vulnerabilities[0] (line 2); merge",
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "ignore", name+".yaml"))
			assert.NilError(t, err)
			_, err = ParseIgnoreFile(data, "")
			assert.Assert(t, is.Contains(err.Error(), want))
		})
	}
}

func TestParseIgnoreFileNamesTheFile(t *testing.T) {
	_, err := ParseIgnoreFile([]byte("vulnerabilities:\n  - id: CVE-2023-1\n"), "services/api/.trivyignore.yaml")
	assert.Assert(t, is.Contains(err.Error(), "services/api/.trivyignore.yaml:2: vulnerabilities[0].statement: "))

	f, err := ParseIgnoreFile(nil, "")
	assert.NilError(t, err)
	assert.Equal(t, f.File, IgnoreFileName)
	assert.Equal(t, len(f.Entries), 0)
}

func TestIgnoreEntryExpired(t *testing.T) {
	e := IgnoreEntry{ID: "CVE-2023-1", ExpiresAt: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{now: time.Date(2026, 1, 30, 23, 59, 59, 0, time.UTC), want: false},
		{now: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), want: true},
		{now: time.Date(2026, 1, 31, 18, 0, 0, 0, time.UTC), want: true},
		{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), want: true},
		// 23:30 on the 30th in New York is already the 31st in UTC.
		{now: time.Date(2026, 1, 30, 23, 30, 0, 0, time.FixedZone("EST", -5*3600)), want: true},
	} {
		assert.Equal(t, e.Expired(tc.now), tc.want, "now=%s", tc.now)
	}
}

func TestIgnoreEntryMatches(t *testing.T) {
	osPkg := Vulnerability{ID: "CVE-2023-45853", Package: "zlib1g", Target: "img (debian 12.12)"}
	py := Vulnerability{ID: "CVE-2024-47874", Package: "starlette", Target: "Python",
		Path: "usr/local/lib/python3.12/site-packages/starlette-0.37.2.dist-info/METADATA"}
	for _, tc := range []struct {
		name  string
		entry IgnoreEntry
		v     Vulnerability
		want  bool
	}{
		{"same id", IgnoreEntry{ID: "CVE-2023-45853"}, osPkg, true},
		{"other id", IgnoreEntry{ID: "CVE-2023-45854"}, osPkg, false},
		{"id is case-sensitive", IgnoreEntry{ID: "cve-2023-45853"}, osPkg, false},
		{"path matches package file", IgnoreEntry{ID: "CVE-2024-47874", Paths: []string{"usr/local/lib/python3.12/**"}}, py, true},
		{"path matches target", IgnoreEntry{ID: "CVE-2024-47874", Paths: []string{"opt/**", "Python"}}, py, true},
		{"path matches neither", IgnoreEntry{ID: "CVE-2024-47874", Paths: []string{"opt/**"}}, py, false},
		{"os package has no file", IgnoreEntry{ID: "CVE-2023-45853", Paths: []string{"usr/lib/**"}}, osPkg, false},
		{"os target glob", IgnoreEntry{ID: "CVE-2023-45853", Paths: []string{"img (debian *)"}}, osPkg, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.entry.Matches(tc.v), tc.want)
		})
	}

	var none *IgnoreFile
	_, ok := none.Match(osPkg)
	assert.Assert(t, !ok, "a nil ignore file matches nothing")
}

func TestMatchPathPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"usr/lib/**", "usr/lib/x/y/z.so", true},
		{"usr/lib/**", "usr/lib", true},
		{"usr/lib/**", "usr/libx/a", false},
		{"**/METADATA", "usr/local/lib/starlette.dist-info/METADATA", true},
		{"**/METADATA", "METADATA", true},
		{"usr/**/site-packages/*/METADATA", "usr/local/lib/python3.12/site-packages/a.dist-info/METADATA", true},
		{"usr/**/site-packages/*/METADATA", "usr/local/lib/python3.12/site-packages/a/b/METADATA", false},
		{"usr/lib/*.so", "usr/lib/libz.so", true},
		{"usr/lib/*.so", "usr/lib/x/libz.so", false},
		{"app/requirements.txt", "app/requirements.txt", true},
		{"app/requirements.txt", "app/requirements.txt.bak", false},
		{"usr/lib/python3.1?/**", "usr/lib/python3.12/a", true},
	} {
		assert.Equal(t, matchPathPattern(tc.pattern, tc.name), tc.want, "%q ~ %q", tc.pattern, tc.name)
		assert.Equal(t, checkPathPatternOK(tc.pattern), true, tc.pattern)
	}
}

func checkPathPatternOK(p string) bool {
	reason, _ := checkPathPattern(p)
	return reason == ""
}

func TestIgnoreFileCheckExpiry(t *testing.T) {
	f := mustIgnoreFile(t, "valid")
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	assert.NilError(t, f.CheckExpiry(now))

	f.Entries[1].ExpiresAt = time.Date(2027, 11, 25, 0, 0, 0, 0, time.UTC) // exactly a year: fine
	f.Entries[2].ExpiresAt = time.Date(2027, 11, 26, 0, 0, 0, 0, time.UTC) // a day more
	f.Entries[4].ExpiresAt = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	err := f.CheckExpiry(now)
	var ie *IgnoreFileError
	assert.Assert(t, errors.As(err, &ie), "error is %T: %v", err, err)
	assert.Equal(t, len(ie.Errors), 2)
	assert.Error(t, err, ".trivyignore.yaml:14: vulnerabilities[2].expired_at: the entry for CVE-2024-47874 "+
		"expires on 2027-11-26, more than a year ahead; set expired_at to 2027-11-25 or earlier, "+
		"so the decision is reviewed at least once a year\n"+
		".trivyignore.yaml:25: vulnerabilities[4].expired_at: the entry for CVE-2025-54121 "+
		"expires on 2099-01-01, more than a year ahead; set expired_at to 2027-11-25 or earlier, "+
		"so the decision is reviewed at least once a year")

	var none *IgnoreFile
	assert.NilError(t, none.CheckExpiry(now))
}
