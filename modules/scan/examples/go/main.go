// Examples of the scan module, as the Daggerverse shows them.
//
// Each example scans an image with Trivy through the scan module. Trivy needs
// its vulnerability DB: by default the official one,
// mirror.gcr.io/aquasec/trivy-db:2. Without internet, serve a DB from a local
// registry and pass it, e.g. `--trivy-db-registry tcp://localhost:5000
// --trivy-db-repository db-registry:5000/aquasec/trivy-db`.
package main

import (
	"context"

	"dagger/examples/internal/dagger"
)

// Examples of the scan module.
type Examples struct{}

// ScanContainerReport scans a container's image and returns the markdown summary:
// counts by severity and the findings that would block. Findings do not make
// it fail.
func (m *Examples) ScanContainerReport(
	ctx context.Context,
	// The image to scan.
	// +optional
	// +default="debian:bookworm-slim"
	image string,
	// OCI repository of Trivy's vulnerability DB.
	// +optional
	// +default="mirror.gcr.io/aquasec/trivy-db:2"
	trivyDbRepository string,
	// A service reaching the DB's registry, bound as host "db-registry", e.g. tcp://localhost:5000.
	// +optional
	trivyDbRegistry *dagger.Service,
) (string, error) {
	scanner := dag.Scan(dagger.ScanOpts{DbRepository: trivyDbRepository, DbRegistry: trivyDbRegistry})
	return scanner.ContainerReport(dag.Container().From(image), dagger.ScanContainerReportOpts{Name: image}).Summary(ctx)
}

// ScanContainerReport_Check fails when the image has findings at or above the severity that
// the ignore file does not accept, naming each one; it returns the SARIF
// report for GitHub code scanning.
func (m *Examples) ScanContainerReport_Check(
	// The image to scan.
	// +optional
	// +default="debian:bookworm-slim"
	image string,
	// Findings at or above this severity block: CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.
	// +optional
	// +default="CRITICAL"
	severity string,
	// Accepted findings: Trivy's .trivyignore.yaml, each entry with a statement and expired_at.
	// +optional
	ignoreFile *dagger.File,
	// OCI repository of Trivy's vulnerability DB.
	// +optional
	// +default="mirror.gcr.io/aquasec/trivy-db:2"
	trivyDbRepository string,
	// A service reaching the DB's registry, bound as host "db-registry", e.g. tcp://localhost:5000.
	// +optional
	trivyDbRegistry *dagger.Service,
) *dagger.File {
	scanner := dag.Scan(dagger.ScanOpts{
		Severity: severity, IgnoreFile: ignoreFile, DbRepository: trivyDbRepository, DbRegistry: trivyDbRegistry,
	})
	return scanner.ContainerReport(dag.Container().From(image), dagger.ScanContainerReportOpts{Name: image}).Check().Sarif()
}

// ScanContainerReport_Sbom returns the image's packages as a CycloneDX SBOM,
// converted from the same scan.
func (m *Examples) ScanContainerReport_Sbom(
	// The image to scan.
	// +optional
	// +default="debian:bookworm-slim"
	image string,
	// OCI repository of Trivy's vulnerability DB.
	// +optional
	// +default="mirror.gcr.io/aquasec/trivy-db:2"
	trivyDbRepository string,
	// A service reaching the DB's registry, bound as host "db-registry", e.g. tcp://localhost:5000.
	// +optional
	trivyDbRegistry *dagger.Service,
) *dagger.File {
	scanner := dag.Scan(dagger.ScanOpts{DbRepository: trivyDbRepository, DbRegistry: trivyDbRegistry})
	return scanner.ContainerReport(dag.Container().From(image), dagger.ScanContainerReportOpts{Name: image}).Sbom()
}
