package trivydb

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestParseAdvisories(t *testing.T) {
	got, err := ParseAdvisories([]byte(`advisories:
  - id: CVE-2099-0001
    source_package: apt
    fixed_version: "2.6.1+gp1"
    severity: critical
    title: "planted test advisory"
  - id: CVE-2099-0001
    source_package: glibc
    fixed_version: 2.36-9+deb12u99
    severity: CRITICAL
    title: "planted test advisory"
  - id: CVE-2099-0002
    source_package: zlib
    severity: LOW
  - id: CVE-2099-0003
    ecosystem: PIP
    package: Gp_Demo
    fixed_version: "2.0"
    severity: critical
`), "planted.yaml")
	assert.NilError(t, err)
	assert.DeepEqual(t, got, []Advisory{
		{ID: "CVE-2099-0001", Ecosystem: Debian, SourcePackage: "apt", FixedVersion: "2.6.1+gp1", Severity: "CRITICAL", Title: "planted test advisory"},
		{ID: "CVE-2099-0001", Ecosystem: Debian, SourcePackage: "glibc", FixedVersion: "2.36-9+deb12u99", Severity: "CRITICAL", Title: "planted test advisory"},
		{ID: "CVE-2099-0002", Ecosystem: Debian, SourcePackage: "zlib", Severity: "LOW"},
		{ID: "CVE-2099-0003", Ecosystem: Pip, Package: "Gp_Demo", FixedVersion: "2.0", Severity: "CRITICAL"},
	})

	none, err := ParseAdvisories(nil, "empty.yaml")
	assert.NilError(t, err)
	assert.Equal(t, len(none), 0)
}

func TestParseAdvisoriesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		problems int
	}{
		{
			name:     "unknown key",
			in:       "advisories:\n  - id: CVE-2099-0001\n    pkg: apt\n    severity: HIGH\n",
			want:     []string{"planted.yaml: yaml: unmarshal errors:\n  line 3: field pkg not found"},
			problems: 1,
		},
		{
			name: "missing fields",
			in:   "advisories:\n  - fixed_version: \"1\"\n",
			want: []string{
				"planted.yaml: advisories[0]: add an id",
				"planted.yaml: advisories[0]: add source_package",
				`planted.yaml: advisories[0]: severity "" is not one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL`,
			},
			problems: 3,
		},
		{
			name: "pip without package or fix",
			in:   "advisories:\n  - {id: CVE-2099-0001, ecosystem: pip, severity: HIGH}\n",
			want: []string{
				"planted.yaml: advisories[0]: add package: the Python distribution",
				"planted.yaml: advisories[0]: add fixed_version: the first PEP 440 version",
			},
			problems: 2,
		},
		{
			name: "packages of the other ecosystem",
			in: "advisories:\n  - {id: CVE-2099-0001, ecosystem: pip, source_package: apt, package: x, fixed_version: '1', severity: HIGH}\n" +
				"  - {id: CVE-2099-0001, package: x, source_package: apt, severity: HIGH}\n",
			want: []string{
				"advisories[0]: source_package is for Debian advisories; a pip advisory names its package",
				"advisories[1]: package is for ecosystem: pip; a Debian advisory names its source_package",
			},
			problems: 2,
		},
		{
			name:     "unknown ecosystem",
			in:       "advisories:\n  - {id: CVE-2099-0001, ecosystem: npm, package: x, severity: HIGH}\n",
			want:     []string{`advisories[0]: ecosystem "npm" is not one of debian, pip`},
			problems: 1,
		},
		{
			name: "planted twice on one distribution",
			in: "advisories:\n  - {id: CVE-2099-0001, ecosystem: pip, package: Gp_Demo, fixed_version: '1', severity: HIGH}\n" +
				"  - {id: CVE-2099-0001, ecosystem: pip, package: gp-demo, fixed_version: '2', severity: HIGH}\n",
			want:     []string{"advisories[1]: CVE-2099-0001 is already planted on gp-demo in advisories[0]; keep one"},
			problems: 1,
		},
		{
			name:     "bad severity",
			in:       "advisories:\n  - id: CVE-2099-0001\n    source_package: apt\n    severity: IMPORTANT\n",
			want:     []string{`advisories[0]: severity "IMPORTANT" is not one of`},
			problems: 1,
		},
		{
			name: "planted twice",
			in: "advisories:\n  - {id: CVE-2099-0001, source_package: apt, severity: HIGH}\n" +
				"  - {id: CVE-2099-0001, source_package: apt, severity: HIGH}\n",
			want:     []string{"advisories[1]: CVE-2099-0001 is already planted on apt in advisories[0]; keep one"},
			problems: 1,
		},
		{
			name: "conflicting severity",
			in: "advisories:\n  - {id: CVE-2099-0001, source_package: apt, severity: HIGH}\n" +
				"  - {id: CVE-2099-0001, source_package: zlib, severity: LOW}\n",
			want:     []string{"advisories[1]: CVE-2099-0001 has another severity, title or description in advisories[0]"},
			problems: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAdvisories([]byte(tc.in), "planted.yaml")
			assert.Assert(t, got == nil)
			var ae *AdvisoriesError
			assert.Assert(t, errors.As(err, &ae), "error is %T: %v", err, err)
			for _, w := range tc.want {
				assert.Assert(t, is.Contains(err.Error(), w))
			}
			assert.Equal(t, len(ae.Problems), tc.problems)
		})
	}
}
