// Package tenancy reads the platform's teams file (platform/teams.yaml): the
// teams and the namespaces each may deploy to, and gives the Kubernetes
// objects that make it so: each namespace, labelled with its team, and a
// RoleBinding in it for the team's deployer identity.
package tenancy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// File is where the platform keeps its teams file, relative to its
// repository.
const File = "platform/teams.yaml"

// The names the objects of a team use.
const (
	// LabelTeam labels each team namespace with the team it belongs to.
	LabelTeam = "golden-path.dev/team"
	// LabelEnvironment labels a team namespace <team>-<environment> with its
	// environment: the Gatekeeper Constraints of policy/gatekeeper select by
	// it what the cluster (and the pipeline's gate) enforces there.
	LabelEnvironment = "golden-path.dev/environment"
	// DeployerRole is the ClusterRole a team's deployer gets in each of its
	// namespaces, by a RoleBinding of that name: what a deploy needs there,
	// and nothing cluster-wide.
	DeployerRole = "golden-path-team-deployer"
	// DeployerGroup is the group of every team's deployer identity.
	DeployerGroup = "golden-path-deployers"
)

// Teams is the teams file.
type Teams struct {
	// File names the file, for errors.
	File string
	// Teams are the teams, in file order.
	Teams []Team
}

// Team is a team and the namespaces it may deploy to.
type Team struct {
	// Name is the team's name, as services' golden-path.yaml give it.
	Name string `yaml:"name"`
	// Namespaces are the namespaces the team's services deploy to.
	Namespaces []string `yaml:"namespaces"`
}

// Deployer is the user name of the team's deployer identity (the CN of its
// client certificate, or the user its token authenticates as).
func (t Team) Deployer() string {
	return "golden-path-deployer:" + t.Name
}

// Error lists the problems of a teams file, each naming the file.
type Error struct {
	// File names the file.
	File string
	// Problems say what is wrong and how to fix it.
	Problems []string
}

// Error implements error.
func (e *Error) Error() string {
	return e.File + ": " + strings.Join(e.Problems, "\n"+e.File+": ")
}

// dnsLabel is a Kubernetes namespace name (RFC 1123 label).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// Parse reads a teams file; file names it in errors (*Error). Unknown keys,
// a team without a name or namespaces, names that are not Kubernetes
// names, a team listed twice, a reserved namespace (ReservedNamespace) and
// a namespace of two teams are errors.
func Parse(data []byte, file string) (*Teams, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc struct {
		Teams []Team `yaml:"teams"`
	}
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Problems: []string{fmt.Sprintf("%v (the file holds teams: a list of entries "+
			"with name and namespaces)", err)}}
	}
	var problems []string
	owner := map[string]string{}
	seen := map[string]bool{}
	for i, t := range doc.Teams {
		where := fmt.Sprintf("teams[%d]", i)
		switch {
		case t.Name == "":
			problems = append(problems, where+": add name: the team's name, as its services' golden-path.yaml give it")
		case !dnsLabel.MatchString(t.Name):
			problems = append(problems, fmt.Sprintf("%s: name %q is not a Kubernetes name: lowercase letters, digits and '-'", where, t.Name))
		case seen[t.Name]:
			problems = append(problems, fmt.Sprintf("%s: team %s is listed twice: keep one entry with all its namespaces", where, t.Name))
		}
		seen[t.Name] = true
		if len(t.Namespaces) == 0 {
			problems = append(problems, fmt.Sprintf("%s: add namespaces: those the team deploys to, e.g. [%s-dev, %s-prod]", where, t.Name, t.Name))
		}
		for _, ns := range t.Namespaces {
			switch other, taken := owner[ns]; {
			case !dnsLabel.MatchString(ns):
				problems = append(problems, fmt.Sprintf("%s: namespace %q is not a Kubernetes name: lowercase letters, digits and '-', at most 63", where, ns))
			case ReservedNamespace(ns) != "":
				problems = append(problems, fmt.Sprintf("%s: namespace %s: %s; give the team its own", where, ns, ReservedNamespace(ns)))
			case taken:
				problems = append(problems, fmt.Sprintf("%s: namespace %s is team %s's already: a namespace belongs to one team", where, ns, other))
			default:
				owner[ns] = t.Name
			}
		}
	}
	if len(problems) > 0 {
		return nil, &Error{File: file, Problems: problems}
	}
	return &Teams{File: file, Teams: doc.Teams}, nil
}

// Team returns the team of that name.
func (t *Teams) Team(name string) (Team, bool) {
	i := slices.IndexFunc(t.Teams, func(t Team) bool { return t.Name == name })
	if i < 0 {
		return Team{}, false
	}
	return t.Teams[i], true
}

// reservedNamespaces are namespaces no service deploys to (besides kube-*):
// Kubernetes' default and the platform's own.
var reservedNamespaces = []string{"default", "monitoring", "gatekeeper-system", "golden-path-system"}

// ReservedNamespace says why no service may deploy to ns (Kubernetes' own
// kube-* and default, the platform's monitoring, gatekeeper-system and
// golden-path-system), or returns "".
func ReservedNamespace(ns string) string {
	switch {
	case strings.HasPrefix(ns, "kube-"):
		return fmt.Sprintf("%s is Kubernetes' own (kube-*)", ns)
	case slices.Contains(reservedNamespaces, ns):
		return fmt.Sprintf("%s is reserved for the cluster and the platform (%s, kube-*)", ns, strings.Join(reservedNamespaces, ", "))
	}
	return ""
}

// Namespace is the Namespace object of team's namespace ns, labelled
// LabelTeam and, when ns is <team>-<environment>, LabelEnvironment: what the
// platform applies, and what the pipeline's policy gate evaluates a release
// against, so both select the same Constraints.
func Namespace(ns, team string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    %s: %s\n", ns, LabelTeam, team)
	if env, ok := strings.CutPrefix(ns, team+"-"); ok && env != "" {
		fmt.Fprintf(&b, "    %s: %s\n", LabelEnvironment, env)
	}
	return []byte(b.String())
}

// Manifests are the objects that give the team its namespaces: each
// Namespace (Namespace), and in each a RoleBinding of DeployerRole
// for the team's deployer (Deployer), as one multi-document YAML for
// kubectl apply --server-side.
func (t Team) Manifests() []byte {
	var b strings.Builder
	for i, ns := range t.Namespaces {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(Namespace(ns, t.Name))
		fmt.Fprintf(&b, `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: %[4]s
  namespace: %[1]s
  labels:
    %[2]s: %[3]s
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: %[4]s
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: %[5]s
`, ns, LabelTeam, t.Name, DeployerRole, t.Deployer())
	}
	return []byte(b.String())
}
