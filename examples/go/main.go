// Examples of the golden-path module, as the Daggerverse shows them.
//
// Each example runs the golden path on a service's source folder: by default
// the example service, examples/fastapi-service in this repository. Without
// --registry nothing is published or deployed: the gates run (config, build,
// then test, lint and scan in parallel). Trivy needs its vulnerability DB: by
// default the official one; without internet, serve one from a local registry
// and pass --trivy-db-registry tcp://localhost:5000
// --trivy-db-repository db-registry:5000/aquasec/trivy-db.
package main

import (
	"context"

	"dagger/examples/internal/dagger"
)

// Examples of the golden-path module.
type Examples struct{}

// GoldenPathShip runs ship's gates on a service and returns the markdown
// summary; a failed gate fails the call, naming what to fix.
func (m *Examples) GoldenPathShip(
	ctx context.Context,
	// The service's source folder: golden-path.yaml, Dockerfile, src/, tests/.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
	// OCI repository of Trivy's vulnerability DB.
	// +optional
	// +default="mirror.gcr.io/aquasec/trivy-db:2"
	trivyDbRepository string,
	// A service reaching the DB's registry, bound as host "db-registry", e.g. tcp://localhost:5000.
	// +optional
	trivyDbRegistry *dagger.Service,
) (string, error) {
	return dag.GoldenPath(dagger.GoldenPathOpts{
		Source: source, TrivyDbRepository: trivyDbRepository, TrivyDbRegistry: trivyDbRegistry,
	}).Ship().Summary(ctx)
}

// GoldenPathReport runs the same gates without failing and returns the
// reports CI exports after a red ship: summary.md, junit.xml, lint.txt,
// scan.sarif and sbom.cdx.json.
func (m *Examples) GoldenPathReport(
	// The service's source folder: golden-path.yaml, Dockerfile, src/, tests/.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
	// OCI repository of Trivy's vulnerability DB.
	// +optional
	// +default="mirror.gcr.io/aquasec/trivy-db:2"
	trivyDbRepository string,
	// A service reaching the DB's registry, bound as host "db-registry", e.g. tcp://localhost:5000.
	// +optional
	trivyDbRegistry *dagger.Service,
) *dagger.Directory {
	return dag.GoldenPath(dagger.GoldenPathOpts{
		Source: source, TrivyDbRepository: trivyDbRepository, TrivyDbRegistry: trivyDbRegistry,
	}).Report().Reports()
}

// GoldenPathInit writes a new service from the template, named orders and
// owned by payments unless told otherwise: export it with
// `dagger call golden-path-init export --path ./orders`.
func (m *Examples) GoldenPathInit(
	// The new service's name.
	// +optional
	// +default="orders"
	name string,
	// The team that owns it.
	// +optional
	// +default="payments"
	team string,
) *dagger.Directory {
	return dag.GoldenPath().Init(name, team)
}
