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
	// Gatekeeper is the gatekeeper-library constraint enforcing the same rule
	// in the cluster.
	Gatekeeper Gatekeeper
}

// Gatekeeper names a gatekeeper-library ConstraintTemplate and the
// parameters of the Constraint that enforces a rule.
type Gatekeeper struct {
	// Template is the ConstraintTemplate's name in the gatekeeper-library,
	// e.g. "k8spspprivilegedcontainer".
	Template string
	// Kind is the Constraint kind the template defines, e.g.
	// "K8sPSPPrivilegedContainer".
	Kind string
	// Pods is set when the template checks Pods (the pods a Deployment
	// creates); otherwise it checks every object golden-path deploys.
	Pods bool
	// Parameters are the Constraint's parameters, nil when it has none.
	Parameters map[string]any
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
		Gatekeeper: Gatekeeper{
			Template: "k8spspprivilegedcontainer", Kind: "K8sPSPPrivilegedContainer", Pods: true,
		},
	},
	{
		ID:    RulePrivilegeEscalation,
		Title: "no privilege escalation",
		Why:   "unless it is forbidden, a process in the container can gain more rights than it started with (through setuid programs)",
		Fix:   "set `allowPrivilegeEscalation: false` in the container's securityContext",
		Gatekeeper: Gatekeeper{
			Template: "k8spspallowprivilegeescalationcontainer", Kind: "K8sPSPAllowPrivilegeEscalationContainer", Pods: true,
		},
	},
	{
		ID:    RuleRequiredLabels,
		Title: "the golden-path labels on every object",
		Why:   "the labels tell who owns an object, which service and release it belongs to; dashboards, alerts and cost reports rely on them",
		Fix:   "deploy through the golden-path render, which sets them from golden-path.yaml; do not remove them in an overlay",
		Gatekeeper: Gatekeeper{
			Template: "k8srequiredlabels", Kind: "K8sRequiredLabels",
			Parameters: map[string]any{"labels": labelParameters()},
		},
	},
	{
		ID:    RuleResources,
		Title: "CPU and memory requests and limits on every container",
		Why:   "without requests the cluster cannot find room for the service; without limits one service can starve the others on the same machine",
		Fix:   "set resources.requests and resources.limits (cpu and memory) in golden-path.yaml for the service's container, in the manifest for any other container",
		Gatekeeper: Gatekeeper{
			Template: "k8srequiredresources", Kind: "K8sRequiredResources", Pods: true,
			Parameters: map[string]any{"limits": []string{"cpu", "memory"}, "requests": []string{"cpu", "memory"}},
		},
	},
	{
		ID:    RuleRunAsNonRoot,
		Title: "containers run as a non-root user",
		Why:   "a process running as root that breaks out of its container is root on the machine",
		Fix:   "set `runAsNonRoot: true` (and a non-zero runAsUser, e.g. 10001, the user of the golden-path Dockerfile) in the pod's or the container's securityContext",
		Gatekeeper: Gatekeeper{
			Template: "k8spspallowedusers", Kind: "K8sPSPAllowedUsers", Pods: true,
			Parameters: map[string]any{"runAsUser": map[string]any{"rule": "MustRunAsNonRoot"}},
		},
	},
	{
		ID:    RuleImageDigest,
		Title: "images pinned by digest",
		Why:   "a tag (and above all latest) can be moved to another image, so the cluster could run code that was never tested or scanned",
		Fix:   "refer to images as <registry>/<repository>@sha256:<digest>; the golden-path render does it for the service's image",
		Gatekeeper: Gatekeeper{
			Template: "k8simagedigests", Kind: "K8sImageDigests", Pods: true,
		},
	},
	{
		ID:    RuleProbes,
		Title: "liveness and readiness probes on every container",
		Why:   "without a liveness probe a hung service is never restarted; without a readiness probe it gets traffic before it can answer",
		Fix:   "set health.liveness and health.readiness in golden-path.yaml (the render adds the probes to the service's container); add both probes to any other container",
		Gatekeeper: Gatekeeper{
			Template: "k8srequiredprobes", Kind: "K8sRequiredProbes", Pods: true,
			Parameters: map[string]any{
				"probes":     []string{"livenessProbe", "readinessProbe"},
				"probeTypes": []string{"httpGet", "tcpSocket", "exec", "grpc"},
			},
		},
	},
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

// labelParameters are the K8sRequiredLabels parameters for RequiredLabels.
func labelParameters() []any {
	var labels []any
	for _, l := range RequiredLabels {
		labels = append(labels, map[string]any{"key": l})
	}
	return labels
}
