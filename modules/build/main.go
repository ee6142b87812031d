// Build, test and lint a service from its Dockerfile.
//
// The build stage of golden-path: Build turns the service's Dockerfile into a
// container, TestReport runs pytest in the Dockerfile's test stage and
// returns a typed report with the JUnit file, LintReport runs flake8 and
// returns typed findings. A report does not fail on what it found; its Check
// is the gate. Test and Lint are a report and its Check, and checks, so
// `dagger check` runs them.
package main

import (
	"context"
	"fmt"
	"strings"

	"dagger/build/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/dockerfile"
)

// Build builds, tests and lints one service.
type Build struct {
	// The service's source folder.
	Source *dagger.Directory
	// Path of the Dockerfile inside the source folder.
	Dockerfile string
	// The Dockerfile stage with the code, the tests, pytest and flake8.
	TestStage string
}

// New returns the build stage for a service's source folder.
func New(
	// The service's source folder: its Dockerfile, src/ and tests/.
	// +defaultPath="/"
	// +ignore=[".git", "**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc"]
	source *dagger.Directory,
	// Path of the Dockerfile inside the source folder.
	// +optional
	// +default="Dockerfile"
	dockerfile string,
	// The Dockerfile stage with the code, the tests, pytest and flake8: the tests and the linter run in it, and
	// the image Build makes by default is never it.
	// +optional
	// +default="test"
	testStage string,
) *Build {
	return &Build{Source: source, Dockerfile: dockerfile, TestStage: testStage}
}

// Build builds the Dockerfile into a container: its last stage unless a target
// is given. The image is labelled with the digest of the source folder
// (dev.golden-path.source-digest). The image of a service (any stage but the
// test stage) is refused when it would be the test stage: a Dockerfile whose
// last stage is the test stage.
func (b *Build) Build(
	ctx context.Context,
	// Dockerfile stage to build; the last stage when empty.
	// +optional
	target string,
	// Build arguments, each NAME=VALUE.
	// +optional
	buildArgs []string,
	// Platform to build for, e.g. linux/amd64; the engine's when empty.
	// +optional
	platform dagger.Platform,
) (*dagger.Container, error) {
	df, err := b.parseDockerfile(ctx)
	if err != nil {
		return nil, stageError("build", err)
	}
	if strings.EqualFold(target, b.TestStage) {
		err = df.CheckStage(target, "build.test")
	} else {
		err = df.CheckRuntime(b.TestStage, target, "build.test", "build.runtime")
	}
	if err != nil {
		return nil, stageError("build", fmt.Errorf("build: %w", err))
	}
	args, err := parseBuildArgs(buildArgs)
	if err != nil {
		return nil, err
	}
	ctr := b.Source.DockerBuild(dagger.DirectoryDockerBuildOpts{
		Dockerfile: b.Dockerfile,
		Target:     target,
		BuildArgs:  args,
		Platform:   platform,
	})
	ctr, err = ctr.Sync(ctx)
	if err != nil {
		return nil, stageError("build", b.dockerfileError(ctx, err))
	}
	// What the image was built from, so that a re-run of a commit can tell its own rebuild from other sources.
	source, err := b.Source.Digest(ctx)
	if err != nil {
		return nil, fmt.Errorf("build: cannot read the source folder's digest: %w", err)
	}
	return ctr.WithLabel(pipeline.LabelSourceDigest, source), nil
}

// BaseImageLine is the line of the Dockerfile's FROM that the image of a
// stage is built on, following stages built on earlier stages back to the
// FROM that names an image: the OS packages a scan finds come from there, so
// vulnerability reports point at it. 0 when there is no such FROM.
func (b *Build) BaseImageLine(
	ctx context.Context,
	// Dockerfile stage; the last stage when empty.
	// +optional
	target string,
) (int, error) {
	df, err := b.parseDockerfile(ctx)
	if err != nil {
		return 0, stageError("build", err)
	}
	return df.BaseImageLine(target), nil
}

// parseDockerfile reads and parses the Dockerfile; there must be one.
func (b *Build) parseDockerfile(ctx context.Context) (*dockerfile.Dockerfile, error) {
	if err := b.requireDockerfile(ctx); err != nil {
		return nil, err
	}
	src, err := b.Source.File(b.Dockerfile).Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("build: cannot read %s: %w", b.Dockerfile, err)
	}
	return dockerfile.Parse(b.Dockerfile, []byte(src)), nil
}

func (b *Build) requireDockerfile(ctx context.Context) error {
	ok, err := b.Source.Exists(ctx, b.Dockerfile, dagger.DirectoryExistsOpts{ExpectedType: dagger.ExistsTypeRegularType})
	if err != nil {
		return fmt.Errorf("build: cannot read the source folder: %w", err)
	}
	if !ok {
		return fmt.Errorf("build: no Dockerfile at %q in the source folder; add one there, or point to yours with --dockerfile=PATH", b.Dockerfile)
	}
	return nil
}

func parseBuildArgs(kvs []string) ([]dagger.BuildArg, error) {
	args := make([]dagger.BuildArg, 0, len(kvs))
	for _, kv := range kvs {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("build: build argument %q is not NAME=VALUE", kv)
		}
		args = append(args, dagger.BuildArg{Name: name, Value: value})
	}
	return args, nil
}

// Service runs the built image as a service on its port, e.g. to try it:
// `dagger call --source=. service up --ports=8000:8000`.
func (b *Build) Service(
	ctx context.Context,
	// Port the service listens on.
	// +optional
	// +default=8000
	port int,
	// Dockerfile stage to run; the last stage when empty.
	// +optional
	target string,
) (*dagger.Service, error) {
	ctr, err := b.Build(ctx, target, nil, "")
	if err != nil {
		return nil, err
	}
	return ctr.WithExposedPort(port).AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true}), nil
}
