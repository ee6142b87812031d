package promapi

import (
	"fmt"
	"net/http"
	"strings"
)

// APIError is an error answer of Prometheus' API, or an answer that is not
// its API's.
type APIError struct {
	// Op says what the client was doing: "list targets", "query up{…}".
	Op string
	// URL is the request's URL without its query.
	URL string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Type is Prometheus' errorType: bad_data, execution, timeout, ...
	Type string
	// Message is Prometheus' error.
	Message string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prometheus: %s: %s: %d %s", e.Op, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Type != "" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		b.WriteString("; the token is missing, wrong or not allowed to query: pass a valid one")
	}
	return b.String()
}

// UnreachableError is a request that got no answer.
type UnreachableError struct {
	Op  string
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("prometheus: %s: cannot reach Prometheus at %s: %v; check the URL and that Prometheus is up and reachable from here",
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

func (e *InputError) Error() string { return fmt.Sprintf("prometheus: %s: %s", e.Field, e.Reason) }
