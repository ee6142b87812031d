package tests

import (
	"archive/tar"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// newCommit is a random commit SHA, so that every run tags afresh in the
// registry, which outlives the tests.
func newCommit(t *testing.T) string {
	b := make([]byte, 20)
	_, err := rand.Read(b)
	assert.NilError(t, err)
	return hex.EncodeToString(b)
}

// publishArgs is `dagger call -m modules/deploy … publish` of image to the
// platform's "ACR" through a tunnel, with the password from the environment.
func publishArgs(acr daggertest.Registry, image, repo, commit string) []string {
	return []string{"call", "-m", "modules/deploy",
		"--registry", acr.Addr, "--username", acr.Username, "--password", "env://GP_TEST_ACR_PASSWORD",
		"--registry-tunnel", "tcp://localhost:" + acr.Port(),
		"publish", "--ctr", image, "--repository", repo, "--commit", commit, "ref"}
}

// acrEnv is the environment of a dagger run that passes the registry's
// password as env://GP_TEST_ACR_PASSWORD.
func acrEnv(acr daggertest.Registry) []string {
	return []string{"GP_TEST_ACR_PASSWORD=" + acr.Password}
}

// tagDigest is what the tag points to in the registry, read from the host.
func tagDigest(t *testing.T, acr daggertest.Registry, ref string) (string, error) {
	t.Helper()
	r, err := name.ParseReference(ref)
	assert.NilError(t, err)
	desc, err := remote.Head(r, remote.WithAuth(&authn.Basic{Username: acr.Username, Password: acr.Password}))
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

func notFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == 404
}

// Publish pushes with good credentials and returns a digest reference that
// resolves; a re-push of the same image succeeds; another image under the
// same commit is refused; a wrong password pushes nothing. The password
// appears in no log, no returned value and nowhere in the pushed image.
func TestPublish(t *testing.T) {
	t.Parallel()
	acr := daggertest.ACR(t)
	root := daggertest.RepoRoot(t)
	repo, commit := "tests/publish", newCommit(t)
	var logs strings.Builder
	callEnv := func(env []string, args ...string) daggertest.Result {
		r := daggertest.CLIEnv(t, root, env, args...)
		logs.WriteString(r.Stdout + r.Stderr)
		return r
	}
	call := func(args ...string) daggertest.Result { return callEnv(acrEnv(acr), args...) }

	first := call(publishArgs(acr, "python:3.12-slim", repo, commit)...)
	assert.Assert(t, first.ExitCode == 0, first.ErrorText())
	ref := strings.TrimSpace(first.Stdout)
	assert.Assert(t, is.Regexp(`^`+acr.Addr+`/`+repo+`@sha256:[0-9a-f]{64}$`, ref))
	digest := ref[strings.Index(ref, "@")+1:]
	got, err := tagDigest(t, acr, ref)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got, digest), "the digest reference resolves")
	got, err = tagDigest(t, acr, acr.Addr+"/"+repo+":"+commit)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got, digest), "the commit tag points to it")

	t.Run("re-push of the same image", func(t *testing.T) {
		again := call(publishArgs(acr, "python:3.12-slim", repo, commit)...)
		assert.Assert(t, again.ExitCode == 0, again.ErrorText())
		assert.Check(t, is.Equal(strings.TrimSpace(again.Stdout), ref))
	})

	t.Run("another image under the same commit", func(t *testing.T) {
		other := call(publishArgs(acr, "debian:bookworm-slim", repo, commit)...)
		assert.Check(t, other.ExitCode != 0)
		assert.Check(t, is.Contains(other.ErrorText(), acr.Addr+"/"+repo+":"+commit+" already points to "+digest))
		assert.Check(t, is.Contains(other.ErrorText(), "Commit tags are immutable, so nothing was pushed"))
		got, err := tagDigest(t, acr, acr.Addr+"/"+repo+":"+commit)
		assert.NilError(t, err)
		assert.Check(t, is.Equal(got, digest), "the tag did not move")
	})

	t.Run("wrong password", func(t *testing.T) {
		fresh := newCommit(t)
		bad := callEnv([]string{"GP_TEST_ACR_PASSWORD=wrong-" + acr.Password}, publishArgs(acr, "python:3.12-slim", repo, fresh)...)
		assert.Check(t, bad.ExitCode != 0)
		assert.Check(t, is.Contains(bad.ErrorText(), acr.Addr+" rejected the credentials (401 Unauthorized), nothing was pushed"))
		_, err := tagDigest(t, acr, acr.Addr+"/"+repo+":"+fresh)
		assert.Check(t, notFound(err), "a tag was pushed with a wrong password: %v", err)
	})

	t.Run("registry down", func(t *testing.T) {
		down := call("call", "-m", "modules/deploy", "--registry", "127.0.0.1:1", "--username", acr.Username,
			"--password", "env://GP_TEST_ACR_PASSWORD", "--registry-tunnel", "tcp://localhost:1",
			"publish", "--ctr", "python:3.12-slim", "--repository", repo, "--commit", newCommit(t), "ref")
		assert.Check(t, down.ExitCode != 0)
		assert.Check(t, is.Regexp(`cannot (reach the registry 127\.0\.0\.1:1 after \d attempts|start the --registry-tunnel)`, down.ErrorText()))
	})

	t.Run("the password is nowhere", func(t *testing.T) {
		assert.Check(t, !strings.Contains(logs.String(), acr.Password), "the password is in a log or a returned value")
		r, err := name.ParseReference(ref)
		assert.NilError(t, err)
		img, err := remote.Image(r, remote.WithAuth(&authn.Basic{Username: acr.Username, Password: acr.Password}))
		assert.NilError(t, err)
		cfg, err := img.RawConfigFile()
		assert.NilError(t, err)
		assert.Check(t, !strings.Contains(string(cfg), acr.Password), "the password is in the image config")
		layers, err := img.Layers()
		assert.NilError(t, err)
		for _, l := range layers {
			rc, err := l.Uncompressed()
			assert.NilError(t, err)
			assert.Check(t, !tarContains(t, rc, acr.Password), "the password is in a layer")
			rc.Close()
		}
	})
}

// tarContains reports whether any file of the tar stream contains s.
func tarContains(t *testing.T, r io.Reader, s string) bool {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return false
		}
		assert.NilError(t, err)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		assert.NilError(t, err)
		if strings.Contains(string(data), s) || strings.Contains(h.Name, s) {
			return true
		}
	}
}

// ship publishes the example once its gates pass, under <team>/<name> and
// the commit, and returns the digest reference (the shared release).
func TestShipPublishes(t *testing.T) {
	t.Parallel()
	acr := daggertest.ACR(t)
	r := sharedRelease(t)
	repo := acr.Addr + "/" + r.team + "/hello-api"
	ref := r.outputs["image"]
	assert.Assert(t, is.Regexp(`^`+regexp.QuoteMeta(repo)+`@sha256:[0-9a-f]{64}$`, ref))
	got, err := tagDigest(t, acr, repo+":"+r.commit)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(repo+"@"+got, ref))
	assert.Check(t, is.Equal(r.outputs["digest"], got))
	assert.Check(t, is.Contains(r.summary, "**Image:** `"+ref+"`"), "the summary names the published image")
	assert.Check(t, is.Regexp(`\| publish \| ✅ passed \|[^\n]*\| pushed, tags `+r.commit+` \|`, r.summary), "the publish row says what was pushed")
}
