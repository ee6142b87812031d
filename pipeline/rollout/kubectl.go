// Package rollout holds the plain-Go parts of deploying to Kubernetes: what
// kubectl's errors mean for a developer, the pipeline's annotations on a
// release, the deploy lock, and the diagnosis of a failed rollout from the
// pods and events the API server reports. The deploy module runs kubectl in
// a container and hands its output here.
package rollout

import (
	"fmt"
	"regexp"
	"strings"
)

// ErrorKind is what went wrong talking to the cluster.
type ErrorKind string

// The kinds of cluster errors a developer is told apart.
const (
	// Unreachable: no connection to the API server.
	Unreachable ErrorKind = "unreachable"
	// Unauthorized: the credentials were refused (wrong or expired token).
	Unauthorized ErrorKind = "unauthorized"
	// Expired: the kubeconfig's client certificate (or the server's) has expired.
	Expired ErrorKind = "expired"
	// Forbidden: authenticated, but not allowed.
	Forbidden ErrorKind = "forbidden"
	// Rejected: the API server refused an object (invalid, unknown kind, conflict).
	Rejected ErrorKind = "rejected"
	// Failed: anything else kubectl reported.
	Failed ErrorKind = "failed"
)

// ClusterError is a kubectl failure explained.
type ClusterError struct {
	Kind ErrorKind
	// Server is the API server's URL from the kubeconfig.
	Server string
	// Action is what was being done, e.g. "apply the manifests".
	Action string
	// Detail is kubectl's own message, trimmed.
	Detail string
}

func (e *ClusterError) Error() string {
	var what, fix string
	switch e.Kind {
	case Unreachable:
		what, fix = "cannot reach the API server "+e.Server, "check the kubeconfig's server address and that the cluster is up (for AKS: the cluster is running and its API server is reachable from this runner)"
	case Unauthorized:
		what, fix = "the API server "+e.Server+" rejected the kubeconfig's credentials (401 Unauthorized): the token is wrong or has expired", "get a fresh kubeconfig (AKS: az aks get-credentials, then a fresh Entra ID token in place of its exec plugin, as the template's workflow does)"
	case Expired:
		what, fix = "the kubeconfig's certificate has expired", "get a fresh kubeconfig (AKS: az aks get-credentials)"
	case Forbidden:
		what, fix = "the kubeconfig's identity is not allowed to "+e.Action, "a team's deployer acts only in its team's namespaces, which the platform creates from its teams file (platform/teams.yaml): check that golden-path.yaml names your team, and ask the platform team to list this namespace for it"
	case Rejected:
		what, fix = "the API server refused the manifests", "fix the object named above in k8s/ (or golden-path.yaml)"
	default:
		what, fix = "kubectl failed to "+e.Action, "see kubectl's message above"
	}
	msg := "deploy: " + what + "; nothing was changed by this step."
	if e.Kind == Rejected || e.Kind == Failed {
		msg = "deploy: " + what + " while trying to " + e.Action + "."
	}
	if e.Detail != "" {
		msg += "\n" + e.Detail
	}
	return msg + "\nFix: " + fix
}

var (
	unreachable = regexp.MustCompile(`(?i)connection refused|connection to the server .* was refused|no such host|i/o timeout|unable to connect to the server|dial tcp|connection reset|EOF$|server misbehaving|TLS handshake timeout`)
	expired     = regexp.MustCompile(`(?i)certificate has expired|certificate is not yet valid`)
	unauthz     = regexp.MustCompile(`(?i)\bUnauthorized\b|provide credentials|token has expired|invalid bearer token`)
	forbidden   = regexp.MustCompile(`(?i)\(Forbidden\)|is forbidden`)
	rejected    = regexp.MustCompile(`(?i)\((Invalid|BadRequest|Conflict|NotFound|AlreadyExists|UnsupportedMediaType)\)|no matches for kind|is invalid|conflict with|Apply failed with`)
)

// Classify explains kubectl's stderr from a failed action.
func Classify(action, server, stderr string) *ClusterError {
	detail := strings.TrimSpace(stderr)
	e := &ClusterError{Kind: Failed, Server: server, Action: action, Detail: lastLines(detail, 15)}
	switch {
	case expired.MatchString(detail):
		e.Kind = Expired
	case unauthz.MatchString(detail):
		e.Kind = Unauthorized
	case forbidden.MatchString(detail):
		e.Kind = Forbidden
	case rejected.MatchString(detail):
		e.Kind = Rejected
	case unreachable.MatchString(detail):
		e.Kind = Unreachable
	}
	return e
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
