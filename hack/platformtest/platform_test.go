// Package platformtest checks the local platform that hack/platform provides:
// the Dagger engine built from source, the docker.io mirror with its stand-in
// images, publishing to the local registry, and the project's own modules.
// It talks to the running engine; `make test` starts it first.
package platformtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/internal/daggertest"
	"github.com/golden-path/golden-path/pipeline"
)

func token(t *testing.T) string {
	b := make([]byte, 8)
	_, err := rand.Read(b)
	assert.NilError(t, err)
	return hex.EncodeToString(b)
}

// (a) The mirrored python:3.12-slim stand-in has the template's dependencies.
func TestMirroredPythonImageHasFastAPI(t *testing.T) {
	c := daggertest.Connect(t)
	ctx := context.Background()
	out, err := c.Container().From("python:3.12-slim").
		WithExec([]string{"sh", "-c", "python -c " +
			"'import fastapi, uvicorn, prometheus_client, pytest, httpx; print(\"fastapi\", fastapi.__version__)'" +
			" && flake8 --version"}).
		Stdout(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Regexp(`(?m)^fastapi \d+\.\d+`, out))
	assert.Check(t, is.Regexp(`(?m)^\d+\.\d+\.\d+ \(.*pyflakes`, out))
}

// The engine injects no CA into the containers it runs: the machine's extra
// CAs are the engine's system CAs, so no exec pays for update-ca-certificates
// before and after it (seconds of CPU each); the Go SDK's runtime, the one
// container that downloads, has them built in.
func TestEngineInjectsNoCAs(t *testing.T) {
	c := daggertest.Connect(t)
	ctx := context.Background()
	out, err := c.Container().From("python:3.12-slim").
		WithEnvVariable("CACHE_BUST", token(t)).
		WithExec([]string{"sh", "-c", "ls -A /usr/local/share/ca-certificates; echo end"}).
		Stdout(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(out, "end\n"), "certificates the engine injected into the container")
}

// (b) A service is reached through a binding.
func TestServiceBinding(t *testing.T) {
	c := daggertest.Connect(t)
	ctx := context.Background()
	want := token(t)
	svc := c.Container().From("python:3.12-slim").
		WithNewFile("/srv/index.html", want).
		WithWorkdir("/srv").
		WithExposedPort(8080).
		AsService(dagger.ContainerAsServiceOpts{Args: []string{"python3", "-m", "http.server", "8080"}})
	got, err := c.Container().From("python:3.12-slim").
		WithServiceBinding("web", svc).
		WithEnvVariable("CACHE_BUST", want).
		WithExec([]string{"python3", "-c", "import urllib.request; print(urllib.request.urlopen('http://web:8080/index.html').read().decode(), end='')"}).
		Stdout(ctx)
	assert.NilError(t, err)
	assert.Equal(t, got, want)
}

// (c) An image is published to the local registry and pulled back by digest.
func TestPublishAndPullByDigest(t *testing.T) {
	c := daggertest.Connect(t)
	ctx := context.Background()
	want := token(t)
	ref := daggertest.RegistryAddr() + "/golden-path-test/platform:" + want
	digestRef, err := c.Container().From("debian:bookworm-slim").
		WithNewFile("/token", want).
		Publish(ctx, ref)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(digestRef, "@sha256:"))

	// The registry itself serves that digest (checked from the host, not the engine).
	r, err := name.ParseReference(digestRef, name.Insecure)
	assert.NilError(t, err)
	desc, err := remote.Head(r, remote.WithContext(ctx))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(desc.Digest.String(), r.Identifier()))

	got, err := c.Container().From(digestRef).File("/token").Contents(ctx)
	assert.NilError(t, err)
	assert.Equal(t, got, want)
}

// (d) `dagger call` on the project's own Go SDK module returns its output.
func TestDaggerCallRootModule(t *testing.T) {
	out := daggertest.MustCLI(t, daggertest.RepoRoot(t), "call", "version")
	assert.Equal(t, strings.TrimSpace(out), pipeline.Version)
}

// (e) Regenerating every module's code (the examples modules' too) changes
// nothing: the committed generated code is what `dagger develop` writes.
func TestDaggerDevelopLeavesNoDiff(t *testing.T) {
	root := daggertest.RepoRoot(t)
	mods, err := filepath.Glob(filepath.Join(root, "modules", "*", "dagger.json"))
	assert.NilError(t, err)
	examples, err := filepath.Glob(filepath.Join(root, "modules", "*", "examples", "go", "dagger.json"))
	assert.NilError(t, err)
	mods = append(append(mods, examples...), filepath.Join(root, "examples", "go", "dagger.json"), filepath.Join(root, "dagger.json"))
	// dagger develop rewrites every file of a module's context in place (the pipeline/ package too): it runs in
	// a copy, so that the tests that read the checkout meanwhile never see a half-written file.
	work := copyCheckout(t, root)
	for _, m := range mods {
		rel, _ := filepath.Rel(root, filepath.Dir(m))
		dir := filepath.Join(work, rel)
		t.Run(rel, func(t *testing.T) {
			// The generated code is committed, so a clean checkout builds.
			src := rel
			if rel == "." {
				src = ".dagger"
			}
			for _, gen := range []string{"dagger.gen.go", "internal/dagger/dagger.gen.go"} {
				out, err := exec.Command("git", "-C", root, "ls-files", "--error-unmatch", filepath.Join(src, gen)).CombinedOutput()
				assert.Check(t, err, "%s is not committed: %s", filepath.Join(src, gen), out)
			}
			before := worktreeState(t, work, rel)
			daggertest.MustCLI(t, dir, "develop")
			assert.Equal(t, worktreeState(t, work, rel), before,
				"dagger develop changed files in %s: commit the regenerated code", rel)
		})
	}
}

// worktreeState is everything git sees differ from HEAD under rel: on a clean
// checkout, nothing.
// copyCheckout copies the files of the checkout at root that git sees (tracked
// and untracked, not ignored), as they are in the working tree, to a new git
// repository in a temporary folder, committed; it returns the folder.
func copyCheckout(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	assert.NilError(t, err)
	work := t.TempDir()
	for _, rel := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src, dst := filepath.Join(root, rel), filepath.Join(work, rel)
		fi, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		assert.NilError(t, err)
		assert.NilError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(src)
			assert.NilError(t, err)
			assert.NilError(t, os.Symlink(target, dst))
			continue
		}
		data, err := os.ReadFile(src)
		assert.NilError(t, err)
		assert.NilError(t, os.WriteFile(dst, data, fi.Mode().Perm()))
	}
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "-A"},
		{"-c", "user.name=platformtest", "-c", "user.email=platformtest@localhost", "commit", "-q", "-m", "copy of the checkout"},
	} {
		out, err := exec.Command("git", append([]string{"-C", work}, args...)...).CombinedOutput()
		assert.NilError(t, err, "git %s: %s", strings.Join(args, " "), out)
	}
	return work
}

func worktreeState(t *testing.T, root, rel string) string {
	t.Helper()
	var b strings.Builder
	for _, args := range [][]string{
		{"status", "--porcelain", "--untracked-files=all", "--", rel},
		{"diff", "HEAD", "--", rel},
	} {
		out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput()
		assert.NilError(t, err, string(out))
		b.Write(out)
	}
	return b.String()
}

// (f) On a terminal the CLI, whose live TUI this build lacks, still finishes
// with the right exit code and prints the result instead of crashing.
func TestCLIOnATerminal(t *testing.T) {
	daggertest.RequireEngine(t)
	root := daggertest.RepoRoot(t)
	cli := os.Getenv("_EXPERIMENTAL_DAGGER_CLI_BIN")
	run := func(args string) (string, int) {
		// script(1) gives the CLI a pseudo-terminal, as a developer's shell would.
		cmd := exec.Command("script", "-qec", cli+" "+args, "/dev/null")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		assert.NilError(t, err)
		return string(out), 0
	}
	out, code := run("call version")
	assert.Check(t, is.Equal(code, 0), out)
	assert.Check(t, is.Contains(out, pipeline.Version))
	assert.Check(t, !strings.Contains(out, "panic"), out)

	out, code = run("call no-such-function")
	assert.Check(t, code != 0, out)
	assert.Check(t, !strings.Contains(out, "panic"), out)
}
