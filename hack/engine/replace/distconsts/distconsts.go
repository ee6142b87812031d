// Package distconsts stands in for github.com/dagger/dagger/engine/distconsts,
// a nested module of dagger that the Go module proxy does not serve. It holds
// the constants dagger v0.21.8 reads from it; each value is the one dagger's
// own source and engine image rely on (see README.md).
package distconsts

// Where the engine and its clients meet.
const (
	// EngineContainerName is the container name the CLI falls back to for a
	// dev build without a version tag.
	EngineContainerName = "dagger-engine.dev"
	// DefaultEngineSockAddr is the engine's listening socket.
	DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"
)

// Paths inside the engine's root file system.
const (
	RuncPath              = "/usr/local/bin/runc"
	DaggerInitPath        = "/usr/local/bin/dagger-init"
	EngineDefaultStateDir = "/var/lib/dagger"
	// EngineCustomCACertsDir holds extra CA certificates the engine injects
	// into every container it runs.
	EngineCustomCACertsDir = "/usr/local/share/ca-certificates"
	// EngineContainerBuiltinContentDir is an OCI layout with the SDK images.
	EngineContainerBuiltinContentDir = "/usr/local/share/dagger/content"
)

// Engine environment variables naming each built-in SDK's manifest digest
// inside EngineContainerBuiltinContentDir.
const (
	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"
)

// Default images (resolved through the engine's docker.io mirror).
const (
	AlpineVersion  = "3.22.1"
	AlpineImage    = "alpine:" + AlpineVersion
	GolangVersion  = "1.26"
	GolangImage    = "golang:" + GolangVersion + "-alpine"
	BusyboxVersion = "1.37.0"
	BusyboxImage   = "busybox:" + BusyboxVersion
)

// OCIVersionAnnotation is the manifest annotation carrying an engine image's version.
const OCIVersionAnnotation = "org.opencontainers.image.version"
