package grafana

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors an *APIError matches with errors.Is, by status code.
var (
	// ErrUnauthorized: 401, the token is missing, wrong, expired or revoked.
	ErrUnauthorized = errors.New("token rejected")
	// ErrForbidden: 403, the token's service account may not do this.
	ErrForbidden = errors.New("insufficient permissions")
	// ErrNotFound: 404.
	ErrNotFound = errors.New("not found")
	// ErrConflict: 409 or 412, the object exists or changed meanwhile.
	ErrConflict = errors.New("conflict")
	// ErrBadRequest: 400, Grafana refuses the content.
	ErrBadRequest = errors.New("refused")
)

// APIError is an error answer of Grafana's HTTP API.
type APIError struct {
	// Op says what the client was doing: "read folder payments", ...
	Op string
	// Method and URL are the request's; the URL holds no credentials.
	Method string
	URL    string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Status is Grafana's status field ("version-mismatch", "name-exists",
	// ...), when the answer has one.
	Status string
	// Message is Grafana's message.
	Message string
	// Fix says what to do.
	Fix string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "grafana: %s: %s %s: %d %s", e.Op, e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Status != "" {
		fmt.Fprintf(&b, " (%s)", e.Status)
	}
	if e.Fix != "" {
		fmt.Fprintf(&b, "; %s", e.Fix)
	}
	return b.String()
}

// Unwrap returns the sentinel error of the status code, if any.
func (e *APIError) Unwrap() error {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		return ErrConflict
	case http.StatusBadRequest:
		return ErrBadRequest
	}
	return nil
}

// UnreachableError is a request that got no answer from Grafana.
type UnreachableError struct {
	// Op says what the client was doing.
	Op string
	// URL is the request's URL, without credentials.
	URL string
	// Err is the transport's error.
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("grafana: %s: cannot reach Grafana at %s: %v; check the URL and that Grafana is up and reachable from here",
		e.Op, e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// InputError is a bad argument: nothing was sent.
type InputError struct {
	// Field names the argument.
	Field string
	// Reason says what is wrong and how to fix it.
	Reason string
}

func (e *InputError) Error() string { return fmt.Sprintf("grafana: %s: %s", e.Field, e.Reason) }

// redact returns err, or, when its message holds secret, an error with the
// same message and secret replaced. The original is dropped on purpose:
// unwrapping it would show the secret.
func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[REDACTED]"))
}
