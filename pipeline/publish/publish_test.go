package publish

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

const (
	user     = "golden-path"
	password = "s3cret-Pa55word-never-shown"
	commit   = "0123456789abcdef0123456789abcdef01234567"
)

// acr is an in-process registry behind basic auth, like ACR with a token;
// failFirst requests answer 503 before it serves.
type acr struct {
	srv       *httptest.Server
	requests  atomic.Int64
	failFirst int64
}

func newACR(t *testing.T) *acr {
	a := &acr{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.requests.Add(1) <= a.failFirst {
			http.Error(w, "restarting", http.StatusServiceUnavailable)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="acr"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *acr) repo() string { return strings.TrimPrefix(a.srv.URL, "http://") + "/payments/hello-api" }

// tagDigest reads what a tag points to, as a deploy would, or "" when absent.
func (a *acr) tagDigest(t *testing.T, tag string) string {
	t.Helper()
	ref, err := name.NewTag(a.repo() + ":" + tag)
	assert.NilError(t, err)
	desc, err := remote.Head(ref, remote.WithAuth(&authn.Basic{Username: user, Password: password}))
	if isNotFound(err) {
		return ""
	}
	assert.NilError(t, err)
	return desc.Digest.String()
}

func image(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	assert.NilError(t, err)
	return img
}

func digestOf(t *testing.T, img v1.Image) string {
	t.Helper()
	h, err := img.Digest()
	assert.NilError(t, err)
	return h.String()
}

// noSleep records the waits instead of sleeping.
func noSleep(waits *[]time.Duration) Option {
	return func(o *options) {
		o.sleep = func(_ context.Context, d time.Duration) error { *waits = append(*waits, d); return nil }
	}
}

func TestPushTagsTheCommitAndReturnsTheDigestRef(t *testing.T) {
	a := newACR(t)
	img := image(t)
	res, err := Push(context.Background(), img, a.repo(), commit, WithBasicAuth(user, password), WithTags("main"))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.Ref, a.repo()+"@"+digestOf(t, img)))
	assert.Check(t, is.DeepEqual(res.Tags, []string{commit, "main"}))
	assert.Check(t, !res.Existed)
	assert.Check(t, is.Equal(a.tagDigest(t, commit), digestOf(t, img)))
	assert.Check(t, is.Equal(a.tagDigest(t, "main"), digestOf(t, img)))
}

func TestRePushOfTheSameDigestSucceedsWithoutUpload(t *testing.T) {
	a := newACR(t)
	img := image(t)
	_, err := Push(context.Background(), img, a.repo(), commit, WithBasicAuth(user, password))
	assert.NilError(t, err)
	before := a.requests.Load()
	res, err := Push(context.Background(), img, a.repo(), commit, WithBasicAuth(user, password))
	assert.NilError(t, err)
	assert.Check(t, res.Existed && !res.Reused)
	assert.Check(t, is.Contains(res.Summary(), "already published"))
	assert.Check(t, is.Equal(res.Ref, a.repo()+"@"+digestOf(t, img)))
	// A HEAD of the tag and one of the digest (each after an auth ping), no upload.
	assert.Check(t, a.requests.Load()-before <= 4, "requests: %d", a.requests.Load()-before)
}

func TestACommitTagIsNeverMoved(t *testing.T) {
	a := newACR(t)
	first, second := image(t), image(t)
	_, err := Push(context.Background(), first, a.repo(), commit, WithBasicAuth(user, password))
	assert.NilError(t, err)

	_, err = Push(context.Background(), second, a.repo(), commit, WithBasicAuth(user, password), WithTags("main"))
	var immutable *ImmutableTagError
	assert.Assert(t, errors.As(err, &immutable), "got %v", err)
	assert.Check(t, is.Equal(immutable.Existing, digestOf(t, first)))
	assert.Check(t, is.Equal(immutable.Pushed, digestOf(t, second)))
	assert.Check(t, is.ErrorContains(err, "Commit tags are immutable, so nothing was pushed and the tag did not move"))
	assert.Check(t, is.ErrorContains(err, "built from an unknown source (no "+pipeline.LabelSourceDigest+" label)"))
	assert.Check(t, is.Equal(a.tagDigest(t, commit), digestOf(t, first)))
	assert.Check(t, is.Equal(a.tagDigest(t, "main"), ""), "no other tag moves either")
}

// fromSource is img labelled as built from the source folder with digest src.
func fromSource(t *testing.T, img v1.Image, src string) v1.Image {
	t.Helper()
	img, err := mutate.Config(img, v1.Config{Labels: map[string]string{pipeline.LabelSourceDigest: src}})
	assert.NilError(t, err)
	return img
}

// A re-run of a commit rebuilds it; when the rebuild differs (a moved base
// image tag) but the source is the same, the published image is the result
// and the tag stays.
func TestARerunOfTheSameSourceReusesThePublishedImage(t *testing.T) {
	a := newACR(t)
	first, rebuilt := fromSource(t, image(t), "sha256:5a5a"), fromSource(t, image(t), "sha256:5a5a")
	assert.Assert(t, digestOf(t, first) != digestOf(t, rebuilt))
	_, err := Push(context.Background(), first, a.repo(), commit, WithBasicAuth(user, password))
	assert.NilError(t, err)

	res, err := Push(context.Background(), rebuilt, a.repo(), commit, WithBasicAuth(user, password), WithTags("main"))
	assert.NilError(t, err)
	assert.Check(t, res.Reused && res.Existed)
	assert.Check(t, is.Contains(res.Summary(), "reused the image published for this commit"))
	assert.Check(t, is.Equal(res.Digest, digestOf(t, first)))
	assert.Check(t, is.Equal(res.Ref, a.repo()+"@"+digestOf(t, first)))
	assert.Check(t, is.Equal(a.tagDigest(t, commit), digestOf(t, first)))
	assert.Check(t, is.Equal(a.tagDigest(t, "main"), digestOf(t, first)), "the extra tags point to the published image")
}

// Another source under a published commit (a dirty working tree) is refused,
// naming both images and both sources; nothing moves.
func TestAnotherSourceUnderAPublishedCommitIsRefused(t *testing.T) {
	a := newACR(t)
	first, dirty := fromSource(t, image(t), "sha256:5a5a"), fromSource(t, image(t), "sha256:d1d1")
	_, err := Push(context.Background(), first, a.repo(), commit, WithBasicAuth(user, password))
	assert.NilError(t, err)

	_, err = Push(context.Background(), dirty, a.repo(), commit, WithBasicAuth(user, password), WithTags("main"))
	var immutable *ImmutableTagError
	assert.Assert(t, errors.As(err, &immutable), "got %v", err)
	assert.Check(t, is.Equal(immutable.ExistingSource, "sha256:5a5a"))
	assert.Check(t, is.Equal(immutable.PushedSource, "sha256:d1d1"))
	assert.Check(t, is.ErrorContains(err, "already points to "+digestOf(t, first)+", built from source sha256:5a5a; this build is "+
		digestOf(t, dirty)+", built from source sha256:d1d1"))
	assert.Check(t, is.Equal(a.tagDigest(t, commit), digestOf(t, first)))
	assert.Check(t, is.Equal(a.tagDigest(t, "main"), ""))
}

func TestWrongPasswordIsAnAuthErrorAndPushesNothing(t *testing.T) {
	a := newACR(t)
	_, err := Push(context.Background(), image(t), a.repo(), commit, WithBasicAuth(user, "wrong-"+password))
	var auth *AuthError
	assert.Assert(t, errors.As(err, &auth), "got %v", err)
	assert.Check(t, is.Equal(auth.Status, http.StatusUnauthorized))
	assert.Check(t, is.ErrorContains(err, a.srv.Listener.Addr().String()+" rejected the credentials"))
	assert.Check(t, !strings.Contains(err.Error(), password), "the password leaked into the error")
	assert.Check(t, is.Equal(a.tagDigest(t, commit), ""))
}

func TestUnreachableRegistryIsRetriedWithBackoff(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := l.Addr().String()
	assert.NilError(t, l.Close()) // nothing listens there now

	var waits []time.Duration
	_, err = Push(context.Background(), image(t), addr+"/payments/hello-api", commit,
		WithBasicAuth(user, password), WithRetry(3, time.Second), noSleep(&waits))
	var down *UnreachableError
	assert.Assert(t, errors.As(err, &down), "got %v", err)
	assert.Check(t, is.Equal(down.Attempts, 3))
	assert.Check(t, is.DeepEqual(waits, []time.Duration{time.Second, 2 * time.Second}))
	assert.Check(t, is.ErrorContains(err, "cannot reach the registry "+addr+" after 3 attempts"))
	assert.Check(t, !strings.Contains(err.Error(), password))
}

// A tunnel or proxy in front of a registry that is down accepts the
// connection, then closes it.
func TestDroppedConnectionsAreRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var waits []time.Duration
	_, err = Push(context.Background(), image(t), l.Addr().String()+"/payments/hello-api", commit,
		WithBasicAuth(user, password), noSleep(&waits))
	var down *UnreachableError
	assert.Assert(t, errors.As(err, &down), "got %v", err)
	assert.Check(t, is.Equal(down.Attempts, DefaultAttempts))
	assert.Check(t, is.Len(waits, DefaultAttempts-1))
}

func TestRegistryRestartingIsRetried(t *testing.T) {
	a := newACR(t)
	a.failFirst = 2
	var waits []time.Duration
	res, err := Push(context.Background(), image(t), a.repo(), commit, WithBasicAuth(user, password), noSleep(&waits))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.Attempts, 3))
	assert.Check(t, is.DeepEqual(waits, []time.Duration{DefaultBackoff, 2 * DefaultBackoff}))
}

func TestBadInputSendsNothing(t *testing.T) {
	a := newACR(t)
	for _, tc := range []struct {
		name, repo, commit string
		opts               []Option
		want               string
	}{
		{"tag in repository", a.repo() + ":v1", commit, nil, `--repository "` + a.repo() + `:v1" is not valid`},
		{"uppercase repository", strings.ToUpper(a.repo()), commit, nil, "--repository"},
		{"branch instead of SHA", a.repo(), "main", nil, `--commit "main" is not valid: pass the git commit SHA`},
		{"bad extra tag", a.repo(), commit, []Option{WithTags("-bad")}, `--tags "-bad" is not valid`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Push(context.Background(), image(t), tc.repo, tc.commit, append(tc.opts, WithBasicAuth(user, password))...)
			var in *InputError
			assert.Assert(t, errors.As(err, &in), "got %v", err)
			assert.Check(t, is.ErrorContains(err, tc.want))
		})
	}
	assert.Check(t, is.Equal(a.requests.Load(), int64(0)))
}
