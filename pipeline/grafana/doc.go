// Package grafana registers dashboards with Grafana through its HTTP API:
// it ensures the owning team's folder (a stable uid derived from the team's
// name) and creates or updates the dashboard by its uid, so running it again
// changes nothing (an unchanged dashboard is not saved again).
//
// Authentication is a service account token sent as a Bearer token. The
// token never appears in an error, a log line or a return value.
//
// Failures are typed: *APIError for an HTTP error answer (errors.Is finds
// ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict or ErrBadRequest),
// *UnreachableError when Grafana cannot be reached. Both name the URL; the
// message says what to do.
//
// Package grafanatest holds a fake Grafana for tests.
package grafana
