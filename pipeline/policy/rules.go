package policy

// Rule is one rule of the policy gate.
type Rule struct {
	// ID is the rule's stable identifier, e.g. "GP001".
	ID string
	// Title says what the rule requires, in a few words.
	Title string
	// Why says what could go wrong without it, for a developer who does not
	// know Kubernetes.
	Why string
	// Fix says how to comply in general; each violation carries the fix for
	// its own case.
	Fix string
	// Kind is the Constraint kind of the rule's ConstraintTemplate in
	// policy/gatekeeper, e.g. "GP001PrivilegedContainer": how a result of
	// gator (or of the cluster) is mapped back to the rule.
	Kind string
}

// The rule IDs.
const (
	RulePrivileged          = "GP001"
	RulePrivilegeEscalation = "GP002"
	RuleRequiredLabels      = "GP003"
	RuleResources           = "GP004"
	RuleRunAsNonRoot        = "GP005"
	RuleImageDigest         = "GP006"
	RuleProbes              = "GP007"
)

// Rules are the rules of the policy gate, by ID.
var Rules = []Rule{
	{
		ID:    RulePrivileged,
		Title: "no privileged container",
		Why:   "a privileged container has full control of the machine (node) it runs on and of every other service there",
		Fix:   "remove `privileged: true` from the container's securityContext; a web service never needs it",
		Kind:  "GP001PrivilegedContainer",
	},
	{
		ID:    RulePrivilegeEscalation,
		Title: "no privilege escalation",
		Why:   "unless it is forbidden, a process in the container can gain more rights than it started with (through setuid programs)",
		Fix:   "set `allowPrivilegeEscalation: false` in the container's securityContext",
		Kind:  "GP002PrivilegeEscalation",
	},
	{
		ID:    RuleRequiredLabels,
		Title: "the golden-path labels on every object",
		Why:   "the labels tell who owns an object, which service and release it belongs to; dashboards, alerts and cost reports rely on them",
		Fix:   "deploy through the golden-path render, which sets them from golden-path.yaml; do not remove them in an overlay",
		Kind:  "GP003RequiredLabels",
	},
	{
		ID:    RuleResources,
		Title: "CPU and memory requests and limits on every container",
		Why:   "without requests the cluster cannot find room for the service; without limits one service can starve the others on the same machine",
		Fix:   "set resources.requests and resources.limits (cpu and memory) in golden-path.yaml for the service's container, in the manifest for any other container",
		Kind:  "GP004Resources",
	},
	{
		ID:    RuleRunAsNonRoot,
		Title: "containers run as a non-root user",
		Why:   "a process running as root that breaks out of its container is root on the machine",
		Fix:   "set `runAsNonRoot: true` (and a non-zero runAsUser, e.g. 10001, the user of the golden-path Dockerfile) in the pod's or the container's securityContext",
		Kind:  "GP005RunAsNonRoot",
	},
	{
		ID:    RuleImageDigest,
		Title: "images pinned by digest",
		Why:   "a tag (and above all latest) can be moved to another image, so the cluster could run code that was never tested or scanned",
		Fix:   "refer to images as <registry>/<repository>@sha256:<digest>; the golden-path render does it for the service's image",
		Kind:  "GP006ImageDigest",
	},
	{
		ID:    RuleProbes,
		Title: "liveness and readiness probes on every container",
		Why:   "without a liveness probe a hung service is never restarted; without a readiness probe it gets traffic before it can answer",
		Fix:   "set health.liveness and health.readiness in golden-path.yaml (the render adds the probes to the service's container); add both probes to any other container",
		Kind:  "GP007Probes",
	},
}

// RuleByKind returns the rule whose ConstraintTemplate defines the
// Constraint kind kind.
func RuleByKind(kind string) (Rule, bool) {
	for _, r := range Rules {
		if r.Kind == kind {
			return r, true
		}
	}
	return Rule{}, false
}

// RuleByID returns the rule with the ID id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
