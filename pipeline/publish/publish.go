// Package publish pushes a service's image to its registry (Azure Container
// Registry in production) under the commit SHA, the way the golden path
// wants it: the SHA tag is immutable, a re-push of the same image is a no-op
// that succeeds, and the result is the digest reference that deploys use.
//
// It is plain Go over go-containerregistry: the Dagger deploy module hands it
// the image as a tarball and the credentials from a *dagger.Secret; tests run
// it against an in-process registry.
package publish

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// options are the settings of one push.
type options struct {
	auth      authn.Authenticator
	transport http.RoundTripper
	extraTags []string
	attempts  int
	backoff   time.Duration
	sleep     func(context.Context, time.Duration) error
}

// Option sets an option of Push.
type Option func(*options)

// WithBasicAuth authenticates as username with password (an ACR token or a
// service principal's secret). Neither ever appears in an error.
func WithBasicAuth(username, password string) Option {
	return func(o *options) { o.auth = &authn.Basic{Username: username, Password: password} }
}

// WithTransport sends the registry's requests through rt, e.g. one that dials
// a tunnel instead of the registry's address.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) { o.transport = rt }
}

// WithTags also points these tags at the image, e.g. "main". Unlike the
// commit SHA tag, they move to the new image when they exist.
func WithTags(tags ...string) Option {
	return func(o *options) { o.extraTags = append(o.extraTags, tags...) }
}

// WithRetry tries a push that cannot reach the registry up to attempts times
// in all, waiting backoff, then twice as long, and so on, between tries.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(o *options) { o.attempts, o.backoff = max(attempts, 1), backoff }
}

// Defaults of WithRetry: 4 tries, 0.5 s, 1 s and 2 s apart.
const (
	DefaultAttempts = 4
	DefaultBackoff  = 500 * time.Millisecond
)

var (
	shaTag = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	// The OCI distribution spec's tag grammar.
	validTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// ValidateCommit checks that sha is a git commit SHA (7 to 40 lowercase hex
// digits), the tag every golden-path image carries.
func ValidateCommit(sha string) error {
	if !shaTag.MatchString(sha) {
		return &InputError{Field: "commit", Value: sha,
			Fix: "pass the git commit SHA (7 to 40 lowercase hex digits), e.g. --commit $(git rev-parse HEAD) or ${{ github.sha }} in GitHub Actions"}
	}
	return nil
}

// Push pushes img to repository tagged with the commit SHA (and the tags of
// WithTags), then checks that the digest resolves in the registry.
//
// The SHA tag is immutable: when it already points to another digest, Push
// returns an *ImmutableTagError and uploads nothing, unless that image was
// built from the same source (pipeline.LabelSourceDigest): then it is the result
// (Existed and Reused), and the extra tags point to it. When the tag points
// to this digest, nothing is uploaded and the result says Existed. Rejected
// credentials give an *AuthError; a registry that cannot be reached after
// the retries, an *UnreachableError.
func Push(ctx context.Context, img v1.Image, repository, commit string, opts ...Option) (*pipeline.Published, error) {
	o := options{auth: authn.Anonymous, transport: remote.DefaultTransport, attempts: DefaultAttempts, backoff: DefaultBackoff, sleep: sleepCtx}
	for _, opt := range opts {
		opt(&o)
	}
	repo, err := name.NewRepository(repository, name.StrictValidation)
	if err != nil {
		return nil, &InputError{Field: "repository", Value: repository,
			Fix: "name it <registry>/<path>, e.g. myacr.azurecr.io/payments/hello-api (lowercase, no tag)"}
	}
	if err := ValidateCommit(commit); err != nil {
		return nil, err
	}
	tags := []name.Tag{repo.Tag(commit)}
	for _, t := range o.extraTags {
		if t == commit {
			continue
		}
		tag, err := name.NewTag(repo.Name()+":"+t, name.StrictValidation)
		if err != nil || !validTag.MatchString(t) {
			return nil, &InputError{Field: "tags", Value: t, Fix: "a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"}
		}
		tags = append(tags, tag)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("publish: cannot read the image to push: %w", err)
	}

	p := &pusher{o: o, registry: repo.RegistryStr()}
	res := &pipeline.Published{Digest: digest.String(), Ref: repo.Digest(digest.String()).String()}
	// The SHA tag first: refuse before uploading anything.
	existing, err := p.resolve(ctx, tags[0])
	if err != nil {
		return nil, err
	}
	switch {
	case existing == nil:
		if err := p.do(ctx, func(ro []remote.Option) error { return remote.Write(tags[0], img, ro...) }); err != nil {
			return nil, err
		}
	case *existing != digest:
		// The commit's image is already there: the same source rebuilt
		// differently is that image; another source is refused.
		prev, err := p.image(ctx, repo.Digest(existing.String()))
		if err != nil {
			return nil, err
		}
		ours, theirs := sourceDigest(img), sourceDigest(prev)
		if ours == "" || ours != theirs {
			return nil, &ImmutableTagError{Tag: tags[0].String(), Existing: existing.String(), Pushed: digest.String(),
				ExistingSource: theirs, PushedSource: ours}
		}
		img, digest = prev, *existing
		res.Digest, res.Ref, res.Existed, res.Reused = digest.String(), repo.Digest(digest.String()).String(), true, true
	default:
		res.Existed = true
	}
	res.Tags = append(res.Tags, tags[0].TagStr())
	for _, t := range tags[1:] {
		if err := p.do(ctx, func(ro []remote.Option) error { return remote.Tag(t, img, ro...) }); err != nil {
			return nil, err
		}
		res.Tags = append(res.Tags, t.TagStr())
	}
	// What deploys will pull: the digest, as the registry resolves it.
	got, err := p.resolve(ctx, repo.Digest(digest.String()))
	if err != nil {
		return nil, err
	}
	if got == nil || *got != digest {
		return nil, fmt.Errorf("publish: %s was pushed but the registry does not resolve it; check the registry's storage and retention policies", res.Ref)
	}
	res.Attempts = p.attempts
	return res, nil
}

// pusher runs registry calls with the push's auth, transport and retries.
type pusher struct {
	o        options
	registry string
	// attempts is the most tries any one call took.
	attempts int
}

func (p *pusher) remoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithAuth(p.o.auth), remote.WithTransport(p.o.transport),
		// Our own retries below; go-containerregistry's would hide how many there were.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1})}
}

// resolve returns the digest ref points to, or nil when it does not exist.
func (p *pusher) resolve(ctx context.Context, ref name.Reference) (*v1.Hash, error) {
	var h *v1.Hash
	err := p.do(ctx, func(ro []remote.Option) error {
		desc, err := remote.Head(ref, ro...)
		if isNotFound(err) {
			h = nil
			return nil
		}
		if err != nil {
			return err
		}
		h = &desc.Digest
		return nil
	})
	return h, err
}

// image reads the image ref names from the registry.
func (p *pusher) image(ctx context.Context, ref name.Reference) (v1.Image, error) {
	var img v1.Image
	err := p.do(ctx, func(ro []remote.Option) error {
		var err error
		img, err = remote.Image(ref, ro...)
		return err
	})
	return img, err
}

// sourceDigest is img's pipeline.LabelSourceDigest; "" when it has none or its
// config cannot be read.
func sourceDigest(img v1.Image) string {
	cfg, err := img.ConfigFile()
	if err != nil || cfg == nil {
		return ""
	}
	return cfg.Config.Labels[pipeline.LabelSourceDigest]
}

// do runs call, retrying with backoff while the registry cannot be reached
// or answers 5xx/429, and turns registry errors into our typed errors.
func (p *pusher) do(ctx context.Context, call func([]remote.Option) error) error {
	wait := p.o.backoff
	for attempt := 1; ; attempt++ {
		p.attempts = max(p.attempts, attempt)
		err := call(p.remoteOptions(ctx))
		if err == nil {
			return nil
		}
		if status, ok := authStatus(err); ok {
			return &AuthError{Registry: p.registry, Status: status}
		}
		if !retryable(err) {
			return &RegistryError{Registry: p.registry, Err: err}
		}
		if attempt >= p.o.attempts {
			return &UnreachableError{Registry: p.registry, Attempts: attempt, Err: err}
		}
		if err := p.o.sleep(ctx, wait); err != nil {
			return &UnreachableError{Registry: p.registry, Attempts: attempt, Err: err}
		}
		wait *= 2
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
