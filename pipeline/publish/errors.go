package publish

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// InputError is a bad argument: nothing was sent to the registry.
type InputError struct {
	// Field is the argument, Value what it was.
	Field, Value string
	// Fix says what to pass instead.
	Fix string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("publish: --%s %q is not valid: %s", e.Field, e.Value, e.Fix)
}

// ImmutableTagError refuses to move a commit SHA tag: an image tagged with a
// commit must always be the image built from that commit.
type ImmutableTagError struct {
	// Tag is the full tag reference.
	Tag string
	// Existing is the digest the tag points to, Pushed the one refused.
	Existing, Pushed string
	// ExistingSource and PushedSource are the digests of the source folders
	// the two images were built from ("" when an image does not say).
	ExistingSource, PushedSource string
}

func (e *ImmutableTagError) Error() string {
	source := func(s string) string {
		if s == "" {
			return "an unknown source (no " + pipeline.LabelSourceDigest + " label)"
		}
		return "source " + s
	}
	return fmt.Sprintf("publish: %s already points to %s, built from %s; this build is %s, built from %s. "+
		"Commit tags are immutable, so nothing was pushed and the tag did not move. "+
		"The source differs from what was published for this commit (e.g. uncommitted changes in the working tree): "+
		"commit the change and ship the new commit, or ship the commit's own tree again (a re-run of the same source deploys the published image)",
		e.Tag, e.Existing, source(e.ExistingSource), e.Pushed, source(e.PushedSource))
}

// AuthError is a registry that rejected the credentials: nothing was pushed.
type AuthError struct {
	// Registry is the registry's host[:port].
	Registry string
	// Status is the HTTP status: 401 (who are you) or 403 (not allowed).
	Status int
}

func (e *AuthError) Error() string {
	if e.Status == http.StatusForbidden {
		return fmt.Sprintf("publish: %s refused the push (403 Forbidden): the identity has no push right on this repository; "+
			"give it the AcrPush role (or a token with content/write on the repository)", e.Registry)
	}
	return fmt.Sprintf("publish: %s rejected the credentials (401 Unauthorized), nothing was pushed: check --username and --password "+
		"(on a laptop: az acr login --name <acr> --expose-token; in GitHub Actions: azure/login with OIDC, then the same command)", e.Registry)
}

// UnreachableError is a registry that could not be reached, even after
// retries: nothing was pushed, or the push is incomplete and can be re-run.
type UnreachableError struct {
	Registry string
	// Attempts is how many times it was tried.
	Attempts int
	// Err is the last error.
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("publish: cannot reach the registry %s after %d attempts: %v; check the registry address and that it is up, then re-run (pushing is idempotent)",
		e.Registry, e.Attempts, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// RegistryError is any other error the registry answered.
type RegistryError struct {
	Registry string
	Err      error
}

func (e *RegistryError) Error() string {
	return fmt.Sprintf("publish: the registry %s refused the request: %v", e.Registry, e.Err)
}

func (e *RegistryError) Unwrap() error { return e.Err }

func isNotFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

func authStatus(err error) (int, bool) {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return te.StatusCode, true
	}
	return 0, false
}

// retryable is a registry that is down, restarting or overloaded: refused
// or dropped connections (a proxy or tunnel in front of a registry that is
// down accepts, then closes), time-outs, 5xx and 429.
func retryable(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.Temporary() || te.StatusCode >= 500
	}
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout())
}
