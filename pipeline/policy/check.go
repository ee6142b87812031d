package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// Object identifies a checked object.
type Object struct {
	Kind      string
	Namespace string
	Name      string
}

// String returns Kind/namespace/name (Kind/name without a namespace).
func (o Object) String() string {
	switch {
	case o.Kind == "":
		return o.Name
	case o.Namespace == "":
		return o.Kind + "/" + o.Name
	default:
		return o.Kind + "/" + o.Namespace + "/" + o.Name
	}
}

// Violation is one breach of a rule.
type Violation struct {
	// Rule is the ID of the rule broken, e.g. "GP001".
	Rule string
	// Object is the object at fault.
	Object Object
	// Container is the container at fault; empty for rules about the object
	// itself.
	Container string
	// Field is the path of the field at fault, e.g.
	// "spec.template.spec.containers[app].securityContext.privileged".
	Field string
	// Problem says what is wrong with the field.
	Problem string
	// Fix says how to comply.
	Fix string
}

// String returns the violation on one line.
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Rule + " " + v.Object.String())
	if v.Container != "" {
		b.WriteString(", container " + v.Container)
	}
	fmt.Fprintf(&b, ": %s %s; fix: %s", v.Field, v.Problem, v.Fix)
	return b.String()
}

// Result is the decision of the policy gate on a set of manifests.
type Result struct {
	// Objects are the objects checked, in the order of the manifests.
	Objects []Object
	// Violations are all the violations found, by object then rule.
	Violations []Violation
}

// Option configures Check.
type Option func(*options)

type options struct {
	labels []string
}

// WithRequiredLabels replaces the labels rule GP003 requires (by default
// RequiredLabels).
func WithRequiredLabels(labels ...string) Option {
	return func(o *options) { o.labels = slices.Clone(labels) }
}

// Check checks every object of the multi-document YAML manifests against
// Rules and returns all the violations. The error is a *ManifestsError when
// the YAML cannot be read; violations are not errors: see Result.Err.
func Check(manifests []byte, opts ...Option) (*Result, error) {
	o := options{labels: RequiredLabels}
	for _, opt := range opts {
		opt(&o)
	}
	list, err := parseManifests(manifests)
	if err != nil {
		return nil, err
	}
	r := &Result{}
	for _, m := range list {
		r.Objects = append(r.Objects, m.ref())
		r.Violations = append(r.Violations, checkObject(m, o)...)
	}
	return r, nil
}

// Err is the gate: a *ViolationsError listing every violation, nil when
// the manifests may be deployed.
func (r *Result) Err() error {
	if len(r.Violations) == 0 {
		return nil
	}
	return &ViolationsError{Violations: r.Violations, Objects: len(r.Objects)}
}

// ViolationsError is returned by Result.Err when some object breaks a rule.
type ViolationsError struct {
	// Violations are all the violations.
	Violations []Violation
	// Objects is the number of objects checked.
	Objects int
}

// Error lists every violation, one per line.
func (e *ViolationsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy: %s of the golden-path rules in %s block the deploy:",
		markdown.Plural(len(e.Violations), "violation", "violations"),
		markdown.Plural(countObjects(e.Violations), "object", "objects"))
	for _, v := range e.Violations {
		b.WriteString("\n  " + v.String())
	}
	return b.String()
}

// countObjects counts the distinct objects of violations.
func countObjects(violations []Violation) int {
	seen := map[Object]bool{}
	for _, v := range violations {
		seen[v.Object] = true
	}
	return len(seen)
}

// checkObject applies every rule to m, in rule order.
func checkObject(m manifest, o options) []Violation {
	var out []Violation
	add := func(rule string, c *container, field, problem, fix string) {
		v := Violation{Rule: rule, Object: m.ref(), Field: field, Problem: problem, Fix: fix}
		if c != nil {
			v.Container = c.Name
		}
		out = append(out, v)
	}

	if missing := missingLabels(m.Metadata.Labels, o.labels); len(missing) > 0 {
		add(RuleRequiredLabels, nil, "metadata.labels",
			"lacks "+strings.Join(missing, ", "),
			"deploy through the golden-path render, which sets these labels from golden-path.yaml; "+
				"if an overlay in k8s/ removes or empties them, take that out of the overlay")
	}
	if m.pod == nil {
		return out
	}
	for _, c := range m.containers() {
		checkContainer(m, c, add)
	}
	slices.SortStableFunc(out, func(a, b Violation) int { return strings.Compare(a.Rule, b.Rule) })
	return out
}

// podContainer is a container with where it sits in the pod spec.
type podContainer struct {
	*container
	// list is "containers", "initContainers" or "ephemeralContainers".
	list string
	path string
}

// containers returns the pod's containers, init and ephemeral ones
// included.
func (m manifest) containers() []podContainer {
	var out []podContainer
	for _, l := range []struct {
		name string
		cs   []container
	}{{"containers", m.pod.Containers}, {"initContainers", m.pod.InitContainers}, {"ephemeralContainers", m.pod.EphemeralContainers}} {
		for i := range l.cs {
			c := &l.cs[i]
			id := c.Name
			if id == "" {
				id = fmt.Sprint(i)
			}
			out = append(out, podContainer{container: c, list: l.name, path: fmt.Sprintf("%s.%s[%s]", m.podPath, l.name, id)})
		}
	}
	return out
}

var digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// checkContainer applies the container rules to c.
func checkContainer(m manifest, c podContainer, add func(rule string, c *container, field, problem, fix string)) {
	sc := c.SecurityContext
	if sc == nil {
		sc = &securityContext{}
	}

	// GP001
	if sc.Privileged != nil && *sc.Privileged {
		add(RulePrivileged, c.container, c.path+".securityContext.privileged", "is true",
			"remove `privileged: true` (or set it to false): a privileged container controls the whole machine it runs on, "+
				"and a web service never needs it")
	}

	// GP002
	escalation := c.path + ".securityContext.allowPrivilegeEscalation"
	switch {
	case sc.AllowPrivilegeEscalation == nil:
		add(RulePrivilegeEscalation, c.container, escalation,
			"is not set, and Kubernetes then lets a process gain more rights than it started with",
			"set `allowPrivilegeEscalation: false` in the container's securityContext")
	case *sc.AllowPrivilegeEscalation:
		add(RulePrivilegeEscalation, c.container, escalation,
			"is true: a process can gain more rights than it started with (through setuid programs)",
			"set `allowPrivilegeEscalation: false` in the container's securityContext")
	}

	// GP004 (ephemeral containers cannot have resources)
	if c.list != "ephemeralContainers" {
		var missing []string
		for _, kind := range []struct {
			name string
			list map[string]any
		}{{"requests", c.Resources.Requests}, {"limits", c.Resources.Limits}} {
			for _, res := range []string{"cpu", "memory"} {
				if v, ok := kind.list[res]; !ok || v == nil || fmt.Sprint(v) == "" {
					missing = append(missing, kind.name+"."+res)
				}
			}
		}
		if len(missing) > 0 {
			add(RuleResources, c.container, c.path+".resources", "has no "+strings.Join(missing, ", "),
				"give every container CPU and memory requests (what it is guaranteed) and limits (the most it may use): "+
					"for the service's own container set resources in golden-path.yaml, for any other container in its manifest "+
					"(cpu: 1000m is one core; memory: 256Mi is 256 mebibytes)")
		}
	}

	// GP005
	nonRoot, nonRootField := sc.RunAsNonRoot, c.path+".securityContext.runAsNonRoot"
	if nonRoot == nil && m.pod.SecurityContext != nil {
		nonRoot, nonRootField = m.pod.SecurityContext.RunAsNonRoot, m.podPath+".securityContext.runAsNonRoot"
	}
	user, userField := sc.RunAsUser, c.path+".securityContext.runAsUser"
	if user == nil && m.pod.SecurityContext != nil {
		user, userField = m.pod.SecurityContext.RunAsUser, m.podPath+".securityContext.runAsUser"
	}
	switch {
	case nonRoot == nil:
		add(RuleRunAsNonRoot, c.container, c.path+".securityContext.runAsNonRoot",
			"is not set, nor in the pod's securityContext, so the container may run as root",
			"set `runAsNonRoot: true` in the pod's securityContext (or the container's), and build the image with a "+
				"numeric non-root USER (the golden-path Dockerfile uses 10001)")
	case !*nonRoot:
		add(RuleRunAsNonRoot, c.container, nonRootField, "is false, so the container may run as root",
			"set it to true, and build the image with a numeric non-root USER (the golden-path Dockerfile uses 10001)")
	case user != nil && *user == 0:
		add(RuleRunAsNonRoot, c.container, userField, "is 0, which is root (and contradicts runAsNonRoot: true)",
			"set runAsUser to the image's non-root user id (10001 in the golden-path Dockerfile), or remove it")
	}

	// GP006
	if !digestRef.MatchString(c.Image) {
		add(RuleImageDigest, c.container, c.path+".image", imageProblem(c.Image),
			"refer to the image by digest, <registry>/<repository>@sha256:<digest>: the golden-path render does it for the "+
				"service's image; pin any other image by its digest too (`crane digest <image>` prints it)")
	}

	// GP007 (only long-running containers are probed)
	if c.list == "containers" {
		for _, p := range []struct {
			name  string
			probe *probe
			what  string
		}{
			{"livenessProbe", c.LivenessProbe, "Kubernetes cannot tell when the service hangs and restart it"},
			{"readinessProbe", c.ReadinessProbe, "Kubernetes sends traffic to the service before it can answer"},
		} {
			switch {
			case p.probe == nil:
				add(RuleProbes, c.container, c.path+"."+p.name, "is missing: "+p.what,
					"for the service's own container set health.liveness and health.readiness in golden-path.yaml "+
						"(the render adds the probes); for any other container add a "+p.name+" to its manifest")
			case !p.probe.hasHandler():
				add(RuleProbes, c.container, c.path+"."+p.name, "says no check to run (httpGet, tcpSocket, exec or grpc)",
					"give it an httpGet with the path and port to call, e.g. httpGet: {path: /health, port: http}")
			}
		}
	}
}

// imageProblem says why image is not pinned by digest.
func imageProblem(image string) string {
	if image == "" {
		return "is empty"
	}
	if strings.Contains(image, "@") {
		return fmt.Sprintf("%q has a malformed digest (want @sha256: and 64 hex digits)", image)
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, tagged := strings.Cut(name, ":")
	switch {
	case !tagged:
		return fmt.Sprintf("%q has neither tag nor digest, so it means the tag latest, which moves with every push", image)
	case tag == "latest":
		return fmt.Sprintf("%q uses the tag latest, which moves with every push", image)
	default:
		return fmt.Sprintf("%q is pinned by the tag %q only, and a tag can be moved to another image", image, tag)
	}
}

// missingLabels returns the labels of required that labels lacks or
// leaves empty.
func missingLabels(labels map[string]string, required []string) []string {
	var missing []string
	for _, l := range required {
		if labels[l] == "" {
			missing = append(missing, l)
		}
	}
	return missing
}
