// Publish a service's image, render its manifests per environment and check
// them against the platform's policies.
//
// The deploy stage of golden-path. Publish pushes the image to the team's
// registry (Azure Container Registry in production) under the commit SHA —
// an immutable tag — and returns the digest reference. Render runs kustomize
// over the service's k8s/ base and overlays with the image set to that
// digest and the names and labels of golden-path.yaml. Policy evaluates the
// rendered manifests with gator against the platform's Gatekeeper policy
// (policy/gatekeeper, compiled into this module), the one the cluster
// enforces, so a developer sees a violation in the pipeline, not at
// admission.
//
// Registry credentials come only as secrets. For ACR: on a laptop,
// `az acr login --name <acr> --expose-token` prints a token to pass as the
// password with the username 00000000-0000-0000-0000-000000000000; in GitHub
// Actions, `azure/login` with OIDC (federated credentials, no stored secret)
// followed by the same command gives a short-lived token.
package main

import (
	"dagger/deploy/internal/dagger"
)

// Deploy publishes, renders and checks one service's release.
type Deploy struct {
	// Registry host[:port] images are pushed to, e.g. myacr.azurecr.io.
	Registry string
	// Registry user name.
	Username string
	// Registry password or token.
	Password *dagger.Secret
	// A service reaching the registry when it is on the caller's loopback.
	RegistryTunnel *dagger.Service
	// The kubectl image that applies and verifies releases.
	KubectlImage string
	// The gator image that evaluates the platform's policy on rendered manifests.
	GatorImage string
}

// New returns the deploy stage for one registry.
func New(
	// Registry host[:port] images are pushed to, e.g. myacr.azurecr.io.
	// +optional
	registry string,
	// Registry user name; for an ACR token from `az acr login --expose-token`, 00000000-0000-0000-0000-000000000000.
	// +optional
	username string,
	// Registry password or token, e.g. env://ACR_TOKEN.
	// +optional
	password *dagger.Secret,
	// A service reaching the registry when it listens on the caller's loopback, e.g. tcp://localhost:5001;
	// the registry keeps its name (127.0.0.1:5001) in every reference.
	// +optional
	registryTunnel *dagger.Service,
	// The kubectl image that applies and verifies releases.
	// +optional
	// +default="bitnami/kubectl:1.33.13"
	kubectlImage string,
	// The gator image (OPA Gatekeeper's CLI) that evaluates the platform's policy on rendered manifests: the
	// release of the cluster's Gatekeeper.
	// +optional
	// +default="openpolicyagent/gator:v3.23.1"
	gatorImage string,
) *Deploy {
	return &Deploy{
		Registry: registry, Username: username, Password: password, RegistryTunnel: registryTunnel,
		KubectlImage: kubectlImage, GatorImage: gatorImage,
	}
}
