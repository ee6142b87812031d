// Examples of the deploy module, as the Daggerverse shows them.
//
// The examples need no registry and no cluster: they render the golden-path
// example service (examples/fastapi-service in this repository) for an
// environment, evaluate the manifests with gator against the platform's
// policy, and return that policy (the Gatekeeper folder the cluster applies). Publish needs a registry and
// Release.deploy a cluster: `dagger call -m ./modules/deploy publish --help`
// and `... render --help` show their arguments.
package main

import (
	"context"

	"dagger/examples/internal/dagger"
)

// Examples of the deploy module.
type Examples struct{}

const (
	// An image by digest, as publish returns it.
	exampleImage = "myacr.azurecr.io/payments/hello-api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	// The commit the image was built from.
	exampleCommit = "3f2a9c1d5e7b8a6f4c3d2e1f0a9b8c7d6e5f4a3b"
)

// DeployRender renders the service's k8s/ base and the environment's overlay
// with the image set to its digest, and returns the manifests.
func (m *Examples) DeployRender(
	// The service's source folder: golden-path.yaml and k8s/.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=["*", "!golden-path.yaml", "!k8s/**"]
	source *dagger.Directory,
	// Environment to render: an overlay in k8s/overlays (dev, staging, prod).
	// +optional
	// +default="prod"
	environment string,
) *dagger.File {
	return dag.Deploy().
		Render(dagger.DeployRenderOpts{Source: source, Image: exampleImage, Commit: exampleCommit, Environment: environment}).
		Manifests()
}

// DeployPolicyReport renders the service for an environment and checks the
// manifests against the platform's rules; it returns the markdown report,
// every violation with its fix.
func (m *Examples) DeployPolicyReport(
	ctx context.Context,
	// The service's source folder: golden-path.yaml and k8s/.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=["*", "!golden-path.yaml", "!k8s/**"]
	source *dagger.Directory,
	// Environment to render: an overlay in k8s/overlays (dev, staging, prod).
	// +optional
	// +default="dev"
	environment string,
) (string, error) {
	release := dag.Deploy().Render(dagger.DeployRenderOpts{Source: source, Image: exampleImage, Commit: exampleCommit, Environment: environment})
	return release.PolicyReport().Summary(ctx)
}

// DeployPolicy returns the platform's policy the deploy module evaluates:
// the Gatekeeper ConstraintTemplates and Constraints the cluster applies.
func (m *Examples) DeployPolicy() *dagger.Directory {
	return dag.Deploy().Policy()
}
