// Package trivydb writes a small Trivy vulnerability database (schema 2) of
// planted Debian 12 and Python (pip) advisories, and packages it as the OCI artifact Trivy
// downloads with --db-repository. Tests use it to make a real Trivy report
// known vulnerabilities offline, without the 700 MB public database.
//
// The layout is the one trivy-db v0.0.0-20260813095258-0e0340a01b57 (pinned
// by Trivy v0.74.0) writes; it is reproduced here with bbolt alone, since
// importing trivy-db would pull dozens of modules into the project.
package trivydb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// Ecosystems an advisory can be planted in.
const (
	// Debian is the default: a Debian 12 source package.
	Debian = "debian"
	// Pip is a Python distribution, as pip installs it (a *.dist-info
	// folder in site-packages): Trivy's python-pkg analyzer finds it, with
	// --pkg-types library.
	Pip = "pip"
)

// Advisory is one planted vulnerability of a Debian source package or a
// Python distribution.
type Advisory struct {
	// ID is the vulnerability ID, e.g. "CVE-2099-0001".
	ID string `yaml:"id"`
	// Ecosystem is Debian (the default, when empty) or Pip.
	Ecosystem string `yaml:"ecosystem"`
	// SourcePackage is the Debian source package it affects, e.g. "apt"
	// (which builds apt and libapt-pkg6.0): Trivy looks Debian advisories
	// up by source package and compares the source version. Debian only.
	SourcePackage string `yaml:"source_package"`
	// Package is the Python distribution it affects, e.g. "starlette",
	// as its METADATA names it (case, "_" and "-" do not matter). Pip only.
	Package string `yaml:"package"`
	// FixedVersion is the first version without the vulnerability. For
	// Debian, the source package's Debian version, empty when there is no
	// fix yet, which makes every installed version vulnerable. For pip, a
	// PEP 440 version, required: every version before it is vulnerable.
	FixedVersion string `yaml:"fixed_version"`
	// Severity is UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL.
	Severity string `yaml:"severity"`
	// Title is the one-line description Trivy reports.
	Title string `yaml:"title"`
	// Description is the longer description; optional.
	Description string `yaml:"description"`
}

// AdvisoriesError lists the problems of an advisories file.
type AdvisoriesError struct {
	// File names the file.
	File string
	// Problems say what is wrong and how to fix it, one per entry.
	Problems []string
}

// Error lists the problems, one per line, each prefixed with the file.
func (e *AdvisoriesError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.File + ": " + p
	}
	return strings.Join(lines, "\n")
}

// advisoriesFile is the YAML file of planted advisories.
type advisoriesFile struct {
	Advisories []Advisory `yaml:"advisories"`
}

// severities are Trivy's severity names, indexed by the number trivy-db
// stores in VendorSeverity.
var severities = []string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// severityNumber returns the number trivy-db stores for a severity name, or
// -1.
func severityNumber(name string) int {
	for i, s := range severities {
		if s == name {
			return i
		}
	}
	return -1
}

// ParseAdvisories reads a YAML file of planted advisories,
//
//	advisories:
//	  - id: CVE-2099-0001
//	    source_package: apt          # Debian source package name
//	    fixed_version: "2.6.1+gp1"   # empty: no fix yet
//	    severity: CRITICAL
//	    title: "planted test advisory"
//	  - id: CVE-2099-0002
//	    ecosystem: pip               # a Python distribution
//	    package: starlette
//	    fixed_version: "0.40.0"      # required: versions before it are vulnerable
//	    severity: HIGH
//
// file names the file in errors, which are *AdvisoriesError. Severities are upper-cased. Unknown keys,
// missing IDs or packages, a pip advisory without a fixed version, unknown ecosystems, unknown severities, an ID planted twice on the
// same package and an ID planted with two different severities, titles or
// descriptions are errors.
func ParseAdvisories(data []byte, file string) ([]Advisory, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f advisoriesFile
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, &AdvisoriesError{File: file, Problems: []string{fmt.Sprintf("%v (the file holds advisories: "+
			"followed by a list of entries with id, source_package, fixed_version, severity and title)", err)}}
	}
	var problems []string
	type pkgKey struct{ id, eco, pkg string }
	seen := map[pkgKey]int{}
	byID := map[string]int{}
	for i := range f.Advisories {
		a := &f.Advisories[i]
		where := fmt.Sprintf("advisories[%d]", i)
		a.ID, a.SourcePackage, a.Package = strings.TrimSpace(a.ID), strings.TrimSpace(a.SourcePackage), strings.TrimSpace(a.Package)
		a.Ecosystem = strings.ToLower(strings.TrimSpace(a.Ecosystem))
		a.Severity = strings.ToUpper(strings.TrimSpace(a.Severity))
		if a.Ecosystem == "" {
			a.Ecosystem = Debian
		}
		if a.ID == "" {
			problems = append(problems, where+": add an id, e.g. id: CVE-2099-0001")
		}
		pkg := a.SourcePackage
		switch a.Ecosystem {
		case Debian:
			if a.SourcePackage == "" {
				problems = append(problems, where+": add source_package: the Debian source package, "+
					"e.g. apt (see the Source field of dpkg -s, or dpkg-query -W -f '${source:Package}')")
			}
			if a.Package != "" {
				problems = append(problems, where+": package is for ecosystem: pip; a Debian advisory names its source_package")
			}
		case Pip:
			pkg = pipName(a.Package)
			if a.Package == "" {
				problems = append(problems, where+": add package: the Python distribution, e.g. starlette (the Name of its METADATA)")
			}
			if a.SourcePackage != "" {
				problems = append(problems, where+": source_package is for Debian advisories; a pip advisory names its package")
			}
			if a.FixedVersion == "" {
				problems = append(problems, where+": add fixed_version: the first PEP 440 version without the vulnerability, e.g. \"0.40.0\" (every version before it is vulnerable)")
			}
		default:
			problems = append(problems, fmt.Sprintf("%s: ecosystem %q is not one of %s, %s", where, a.Ecosystem, Debian, Pip))
			continue
		}
		if severityNumber(a.Severity) < 0 {
			problems = append(problems, fmt.Sprintf("%s: severity %q is not one of %s", where, a.Severity,
				strings.Join(severities, ", ")))
		}
		if a.ID == "" || pkg == "" {
			continue
		}
		if j, dup := seen[pkgKey{a.ID, a.Ecosystem, pkg}]; dup {
			problems = append(problems, fmt.Sprintf("%s: %s is already planted on %s in advisories[%d]; keep one",
				where, a.ID, pkg, j))
			continue
		}
		seen[pkgKey{a.ID, a.Ecosystem, pkg}] = i
		if j, ok := byID[a.ID]; ok {
			b := f.Advisories[j]
			if a.Severity != b.Severity || a.Title != b.Title || a.Description != b.Description {
				problems = append(problems, fmt.Sprintf("%s: %s has another severity, title or description "+
					"in advisories[%d]; a vulnerability has one of each: make them equal", where, a.ID, j))
			}
			continue
		}
		byID[a.ID] = i
	}
	if len(problems) > 0 {
		return nil, &AdvisoriesError{File: file, Problems: problems}
	}
	return f.Advisories, nil
}

// pipName is a Python distribution's name as trivy-db keys it: lower case,
// "_" as "-" (PEP 426: names compare case-insensitively, "_" and "-" alike).
func pipName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}
