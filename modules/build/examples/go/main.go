// Examples of the build module, as the Daggerverse shows them.
//
// Each example calls the build module on a service's source folder: by
// default the golden-path example service, examples/fastapi-service in this
// repository (a FastAPI app with a multi-stage Dockerfile whose "test" stage
// has pytest and flake8). Run one with, e.g.,
// `dagger call -m github.com/golden-path/golden-path/modules/build/examples/go build-test`.
package main

import (
	"context"

	"dagger/examples/internal/dagger"
)

// Examples of the build module.
type Examples struct{}

// BuildBuild builds a service's Dockerfile into its runtime image.
func (m *Examples) BuildBuild(
	// The service's source folder: Dockerfile, src/ and tests/.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
) *dagger.Container {
	return dag.Build(dagger.BuildOpts{Source: source}).Build()
}

// BuildTest runs the service's tests with pytest in the Dockerfile's test
// stage; it fails when a test fails, and returns the markdown summary.
func (m *Examples) BuildTest(
	ctx context.Context,
	// The service's source folder: Dockerfile, src/ and tests/.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
) (string, error) {
	return dag.Build(dagger.BuildOpts{Source: source}).Test().Summary(ctx)
}

// BuildLint runs flake8 on the service; it fails on any finding, and returns
// the markdown summary.
func (m *Examples) BuildLint(
	ctx context.Context,
	// The service's source folder: Dockerfile, src/ and tests/.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
) (string, error) {
	return dag.Build(dagger.BuildOpts{Source: source}).Lint().Summary(ctx)
}

// BuildService runs the built image as a service on port 8000: try it with
// `dagger call -m ./modules/build/examples/go build-service up --ports 8000:8000`.
func (m *Examples) BuildService(
	// The service's source folder: Dockerfile, src/ and tests/.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
) *dagger.Service {
	return dag.Build(dagger.BuildOpts{Source: source}).Service()
}
