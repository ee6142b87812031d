// Scan container images for vulnerabilities with Trivy, and gate on them.
//
// The security gate of golden-path. Trivy runs in a container (no scanner in
// this module's build) against the image's tarball, once, to JSON; SARIF (for
// GitHub code scanning) and a CycloneDX SBOM are converted from that JSON
// without scanning again. The gate fails closed: a DB that cannot be fetched,
// a scanner error or an unreadable report fails it with the scanner's own
// message, worded apart from "vulnerabilities found". OS and library
// packages (Python distributions' *.dist-info, lock files) are scanned.
// Accepted findings are suppressed by Trivy itself (--ignorefile), after this
// module's own checks of the file (each entry with a statement and an expiry
// at most a year ahead), so the gate, the SARIF and the SBOM agree; the JSON
// keeps them, with their statement. ContainerReport and ImageReport return
// what the scan found and what the gate decided; a report does not fail on
// findings, its Check does (the gate).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"dagger/scan/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/vuln"

	"github.com/golden-path/golden-path/pipeline"
)

// Scan scans images with Trivy.
type Scan struct {
	// Trivy image to run.
	TrivyImage string
	// OCI repository Trivy fetches its vulnerability DB from.
	DbRepository string
	// A service reaching the DB's registry, bound as host "db-registry".
	DbRegistry *dagger.Service
	// Findings at or above this severity block: CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.
	Severity string
	// Leave out findings that have no fixed version yet.
	IgnoreUnfixed bool
	// Accepted findings: Trivy's .trivyignore.yaml, each entry with a statement and expired_at.
	IgnoreFile *dagger.File
}

// New returns a scanner with a severity threshold and an ignore file.
func New(
	// Trivy image to run.
	// +optional
	// +default="aquasec/trivy:0.74.0"
	trivyImage string,
	// OCI repository Trivy fetches its vulnerability DB from (Trivy appends :2 when no tag is given).
	// +optional
	// +default="mirror.gcr.io/aquasec/trivy-db:2"
	dbRepository string,
	// A service reaching the DB's registry, e.g. tcp://localhost:5000 from the CLI; it is bound as host
	// "db-registry", so name the repository db-registry:PORT/…; plain HTTP is then allowed.
	// +optional
	dbRegistry *dagger.Service,
	// Findings at or above this severity block: CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.
	// +optional
	// +default="CRITICAL"
	severity string,
	// Leave out findings that have no fixed version yet.
	// +optional
	ignoreUnfixed bool,
	// Accepted findings: Trivy's .trivyignore.yaml format, each entry with a statement (why) and expired_at.
	// +optional
	ignoreFile *dagger.File,
) (*Scan, error) {
	if _, err := vuln.ParseSeverity(severity); err != nil {
		return nil, fmt.Errorf("scan: --severity: %s", err.Error())
	}
	return &Scan{
		TrivyImage: trivyImage, DbRepository: dbRepository, DbRegistry: dbRegistry,
		Severity: strings.ToUpper(severity), IgnoreUnfixed: ignoreUnfixed, IgnoreFile: ignoreFile,
	}, nil
}

// ContainerReport scans a container's image and returns the report;
// findings do not make it fail (its Check does), a scan that could not run
// does.
// +cache="session"
func (s *Scan) ContainerReport(
	ctx context.Context,
	// The container whose image to scan.
	ctr *dagger.Container,
	// Name of the image in the report.
	// +optional
	// +default="image"
	name string,
) (*Report, error) {
	return s.scan(ctx, ctr.AsTarball(), name)
}

// ImageReport scans an image reference, pulled by the engine (with its
// registry mirrors and credentials), and returns the report like
// ContainerReport.
// +cache="session"
func (s *Scan) ImageReport(
	ctx context.Context,
	// Image reference, e.g. 127.0.0.1:5000/team/app@sha256:….
	ref string,
) (*Report, error) {
	return s.scan(ctx, dag.Container().From(ref).AsTarball(), ref)
}

const (
	cacheDir   = "/root/.cache/trivy"
	tarball    = "/scan/image.tar"
	ignoreFile = "/scan/.trivyignore.yaml" // Trivy reads a file named *.yaml in its YAML format
	reportJSON = "/out/report.json"
	reportSARF = "/out/report.sarif"
	sbomCDX    = "/out/sbom.cdx.json"
)

func (s *Scan) scan(ctx context.Context, image *dagger.File, name string) (*Report, error) {
	threshold, err := vuln.ParseSeverity(s.Severity)
	if err != nil {
		return nil, fmt.Errorf("scan: --severity: %s", err.Error())
	}
	now := time.Now().UTC()
	ignores, err := s.ignores(ctx, now)
	if err != nil {
		return nil, err
	}

	args := []string{"trivy", "image", "--input", tarball,
		"--format", "json", "--output", reportJSON, "--list-all-pkgs",
		"--scanners", "vuln", "--pkg-types", "os,library",
		"--skip-version-check", "--disable-telemetry", "--no-progress", "--quiet",
		"--cache-dir", cacheDir, "--cache-backend", "memory",
		"--db-repository", s.DbRepository}
	if s.IgnoreUnfixed {
		args = append(args, "--ignore-unfixed")
	}
	if ignores != nil {
		// Trivy suppresses the accepted findings itself, so the SARIF and the SBOM converted from its JSON leave
		// them out as the gate does; the JSON keeps them, with their statement (--show-suppressed).
		args = append(args, "--ignorefile", ignoreFile, "--show-suppressed")
	}
	trivy := dag.Container().From(s.TrivyImage).
		// One DB cache per repository, shared by concurrent scans one at a time.
		WithMountedCache(cacheDir, dag.CacheVolume("trivy-db-"+shortHash(s.DbRepository)),
			dagger.ContainerWithMountedCacheOpts{Sharing: dagger.CacheSharingModeLocked}).
		WithMountedFile(tarball, image).
		With(func(c *dagger.Container) *dagger.Container {
			if ignores != nil {
				c = c.WithMountedFile(ignoreFile, s.IgnoreFile)
			}
			return c
		}).
		WithDirectory("/out", dag.Directory()).
		WithEnvVariable("TRIVY_CACHE_BUST", now.Format(time.DateOnly))
	if s.DbRegistry != nil {
		trivy = trivy.WithServiceBinding("db-registry", s.DbRegistry)
		args = append(args, "--insecure")
	}
	ran := trivy.WithExec(args, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := ran.ExitCode(ctx)
	if err != nil {
		return nil, fmt.Errorf("scan: Trivy did not run (image %s): %s", s.TrivyImage, err.Error())
	}
	if code != 0 {
		stderr, _ := ran.Stderr(ctx)
		return nil, fmt.Errorf("scan: the scanner failed, so %s was NOT scanned (exit code %d); Trivy said:\n%s",
			name, code, pipeline.LastLines(strings.TrimSpace(stderr), 20))
	}
	data, err := ran.File(reportJSON).Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("scan: Trivy wrote no report, so %s was NOT scanned: %s", name, err.Error())
	}
	rep, err := vuln.ParseTrivyJSON([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("scan: %s", err.Error())
	}
	rep.Artifact = name
	if ignores != nil {
		rep.IgnoreFile = ignores.File
	}
	gate := vuln.Evaluate(rep, threshold, ignores, now)

	// SARIF and SBOM from the same JSON: no second scan, no DB.
	converted := ran.
		WithExec([]string{"trivy", "convert", "--format", "sarif", "--output", reportSARF, reportJSON}).
		WithExec([]string{"trivy", "convert", "--format", "cyclonedx", "--output", sbomCDX, reportJSON})
	return newReport(gate, rep, ran.File(reportJSON), converted.File(reportSARF), converted.File(sbomCDX))
}

// ignores parses the ignore file, if any, and refuses entries that accept a
// risk for too long.
func (s *Scan) ignores(ctx context.Context, now time.Time) (*vuln.IgnoreFile, error) {
	if s.IgnoreFile == nil {
		return nil, nil
	}
	name, err := s.IgnoreFile.Name(ctx)
	if err != nil {
		return nil, fmt.Errorf("scan: cannot read the ignore file: %s", err.Error())
	}
	data, err := s.IgnoreFile.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("scan: cannot read the ignore file %s: %s", name, err.Error())
	}
	f, err := vuln.ParseIgnoreFile([]byte(data), name)
	if err != nil {
		return nil, fmt.Errorf("scan: %s", err.Error())
	}
	if err := f.CheckExpiry(now); err != nil {
		return nil, fmt.Errorf("scan: %s", err.Error())
	}
	return f, nil
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}
