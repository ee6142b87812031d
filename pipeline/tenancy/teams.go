// Package tenancy reads the platform's teams file (platform/teams.yaml): the
// teams, the namespaces each may deploy to and, per environment, the tenant
// instances a release goes to in waves (Team.Waves); and gives the Kubernetes
// objects that make it so: each namespace, labelled with its team, and a
// RoleBinding in it for the team's deployer identity.
package tenancy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
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
	// Tenants are, by environment, the customer instances a release of
	// that environment goes to, each in a namespace of its own (the
	// environment's <team>-<environment> namespace then serves none).
	Tenants map[string]*Tenants `yaml:"tenants,omitempty"`
}

// Tenants are one environment's tenant instances and how a release goes to
// them: the canary wave alone, then the others, Parallelism at a time.
type Tenants struct {
	// Canary names the instances of the first wave.
	Canary []string `yaml:"canary"`
	// Parallelism is how many of the other instances are deployed at once
	// (default 4).
	Parallelism int `yaml:"parallelism,omitempty"`
	// OnFailure is what happens to the instances already updated when one
	// fails (it is rolled back, and the waves stop): OnFailureKeep (the
	// default) leaves them on the new release, OnFailureRollback puts the
	// previous one back.
	OnFailure string `yaml:"onFailure,omitempty"`
	// Instances are the tenant instances.
	Instances []Tenant `yaml:"instances"`
}

// Tenant is one customer's instance of a service.
type Tenant struct {
	// Name is the tenant's name.
	Name string `yaml:"name"`
	// Namespace is the namespace its instance runs in.
	Namespace string `yaml:"namespace"`
	// Cluster names the cluster, where there is more than one; empty: the
	// environment's.
	Cluster string `yaml:"cluster,omitempty"`
}

// What happens to the instances a failed wave left updated.
const (
	OnFailureKeep     = "keep"
	OnFailureRollback = "rollback"
)

// DefaultParallelism is Tenants.Parallelism when the file gives none.
const DefaultParallelism = 4

// Environment is the environment of the team's namespace ns: the tenant
// environment that lists it, or <environment> of <team>-<environment>; ""
// when neither.
func (t Team) Environment(ns string) string {
	for env, ts := range t.Tenants {
		if slices.ContainsFunc(ts.Instances, func(i Tenant) bool { return i.Namespace == ns }) {
			return env
		}
	}
	if env, ok := strings.CutPrefix(ns, t.Name+"-"); ok {
		return env
	}
	return ""
}

// AllNamespaces are the team's namespaces and then its tenants', by
// environment.
func (t Team) AllNamespaces() []string {
	out := slices.Clone(t.Namespaces)
	for _, env := range slices.Sorted(maps.Keys(t.Tenants)) {
		for _, i := range t.Tenants[env].Instances {
			out = append(out, i.Namespace)
		}
	}
	return out
}

// Waves are the tenant instances of environment in the order a release
// goes to them: the canary wave, then the others; nil when the environment
// has no tenants (its <team>-<environment> namespace is the one instance).
func (t Team) Waves(environment string) [][]Tenant {
	ts := t.Tenants[environment]
	if ts == nil {
		return nil
	}
	var canary, rest []Tenant
	for _, i := range ts.Instances {
		if slices.Contains(ts.Canary, i.Name) {
			canary = append(canary, i)
		} else {
			rest = append(rest, i)
		}
	}
	if len(rest) == 0 {
		return [][]Tenant{canary}
	}
	return [][]Tenant{canary, rest}
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
			problems = append(problems, claim(owner, where, ns, "team "+t.Name)...)
		}
		problems = append(problems, checkTenants(t, where, owner)...)
	}
	if len(problems) > 0 {
		return nil, &Error{File: file, Problems: problems}
	}
	return &Teams{File: file, Teams: doc.Teams}, nil
}

// claim gives namespace ns to who (e.g. "team payments"), unless it is not
// a name, is reserved or is another's; it returns the problems.
func claim(owner map[string]string, where, ns, who string) []string {
	switch other, taken := owner[ns]; {
	case !dnsLabel.MatchString(ns):
		return []string{fmt.Sprintf("%s: namespace %q is not a Kubernetes name: lowercase letters, digits and '-', at most 63", where, ns)}
	case ReservedNamespace(ns) != "":
		return []string{fmt.Sprintf("%s: namespace %s: %s; give the team its own", where, ns, ReservedNamespace(ns))}
	case taken:
		return []string{fmt.Sprintf("%s: namespace %s is %s's already: a namespace belongs to one team, and to one tenant", where, ns, other)}
	}
	owner[ns] = who
	return nil
}

// checkTenants checks team t's tenants, giving their namespaces in owner.
func checkTenants(t Team, where string, owner map[string]string) []string {
	var problems []string
	var envs []string
	for _, ns := range t.Namespaces {
		if env, ok := strings.CutPrefix(ns, t.Name+"-"); ok {
			envs = append(envs, env)
		}
	}
	for _, env := range slices.Sorted(maps.Keys(t.Tenants)) {
		ts, at := t.Tenants[env], fmt.Sprintf("%s.tenants.%s", where, env)
		if !slices.Contains(envs, env) {
			problems = append(problems, fmt.Sprintf("%s: %s is not an environment of team %s (its namespaces give %s): "+
				"name one of those, or add %s-%s to its namespaces", at, env, t.Name, strings.Join(envs, ", "), t.Name, env))
		}
		if ts == nil || len(ts.Instances) == 0 {
			problems = append(problems, fmt.Sprintf("%s: add instances: each tenant's name and namespace", at))
			continue
		}
		names := map[string]bool{}
		for j, i := range ts.Instances {
			it := fmt.Sprintf("%s.instances[%d]", at, j)
			switch {
			case !dnsLabel.MatchString(i.Name):
				problems = append(problems, fmt.Sprintf("%s: name %q is not a Kubernetes name: lowercase letters, digits and '-'", it, i.Name))
			case names[i.Name]:
				problems = append(problems, fmt.Sprintf("%s: tenant %s is listed twice in %s", it, i.Name, env))
			}
			names[i.Name] = true
			problems = append(problems, claim(owner, it, i.Namespace, fmt.Sprintf("team %s's tenant %s", t.Name, i.Name))...)
		}
		if len(ts.Canary) == 0 {
			problems = append(problems, fmt.Sprintf("%s: add canary: the tenants of the first wave, which a release reaches alone", at))
		}
		for _, c := range ts.Canary {
			if !names[c] {
				problems = append(problems, fmt.Sprintf("%s: canary %s is not one of its instances", at, c))
			}
		}
		switch {
		case ts.Parallelism == 0:
			ts.Parallelism = DefaultParallelism
		case ts.Parallelism < 1 || ts.Parallelism > 50:
			problems = append(problems, fmt.Sprintf("%s: parallelism %d: give 1 to 50 (how many tenants are deployed at once after the canary)", at, ts.Parallelism))
		}
		switch ts.OnFailure {
		case "":
			ts.OnFailure = OnFailureKeep
		case OnFailureKeep, OnFailureRollback:
		default:
			problems = append(problems, fmt.Sprintf("%s: onFailure %q: give %s (updated tenants stay on the new release) or %s (they are put back)",
				at, ts.OnFailure, OnFailureKeep, OnFailureRollback))
		}
	}
	return problems
}

// Team returns the team of that name.
func (t *Teams) Team(name string) (Team, bool) {
	i := slices.IndexFunc(t.Teams, func(t Team) bool { return t.Name == name })
	if i < 0 {
		return Team{}, false
	}
	return t.Teams[i], true
}

// Fleet is where a release of a team's service goes in an environment with
// tenant instances: its tenants, wave by wave.
type Fleet struct {
	// Environment is the environment.
	Environment string
	// Waves are the tenants, the canary wave first (Team.Waves).
	Waves [][]Tenant
	// Parallelism and OnFailure are the environment's (Tenants).
	Parallelism int
	OnFailure   string
}

// Tenants are the fleet's tenants, wave by wave.
func (f *Fleet) Tenants() []Tenant {
	var out []Tenant
	for _, w := range f.Waves {
		out = append(out, w...)
	}
	return out
}

// Pick is which of an environment's tenants a release goes to.
type Pick struct {
	// Tenants, when not empty, keeps the tenants of those names (e.g. to
	// ship again to the one that failed).
	Tenants []string
	// Cluster keeps the tenants that live in the cluster of that name, the
	// one the deploy's kubeconfig reaches; "" is the environment's own
	// cluster (tenants without a cluster). A fleet across clusters goes out
	// one cluster at a time (e.g. a job per cluster).
	Cluster string
	// AnyCluster keeps the tenants of every cluster, whatever Cluster
	// says: a pull request checks them all, and deploys nothing.
	AnyCluster bool
}

// Fleet returns where a release of team's service goes in environment: nil
// when the environment has no tenants (the release goes to
// <team>-<environment>), or when the file does not list the team (it
// deploys where its deployer may); else the tenants pick keeps, in their
// waves. Errors name the file: an environment the file gives the team no
// namespace or tenants in, a tenant the environment does not have or that
// lives in another cluster, tenants asked of an environment without any, a
// cluster none of its tenants lives in.
func (t *Teams) Fleet(team, environment string, pick Pick) (*Fleet, error) {
	only := pick.Tenants
	tm, listed := t.Team(team)
	ts := tm.Tenants[environment]
	switch {
	case !listed && len(only) > 0:
		return nil, &Error{File: t.File, Problems: []string{fmt.Sprintf("team %s is not listed, so it has no tenants (asked for %s): "+
			"ask the platform team to list the team and its tenants", team, strings.Join(only, ", "))}}
	case !listed:
		return nil, nil
	case ts == nil && !slices.Contains(tm.Namespaces, team+"-"+environment):
		return nil, &Error{File: t.File, Problems: []string{fmt.Sprintf("team %s has no namespace %s-%s and no tenants in %s "+
			"(its environments: %s): deploy to one of those, or ask the platform team to add it", team, team, environment, environment,
			strings.Join(tm.environments(), ", "))}}
	case ts == nil && len(only) > 0:
		return nil, &Error{File: t.File, Problems: []string{fmt.Sprintf("team %s has no tenants in %s (asked for %s): "+
			"a release of %s goes to %s-%s", team, environment, strings.Join(only, ", "), environment, team, environment)}}
	case ts == nil:
		return nil, nil
	}
	f := &Fleet{Environment: environment, Parallelism: ts.Parallelism, OnFailure: ts.OnFailure}
	var unknown []string
	for _, name := range only {
		if !slices.ContainsFunc(ts.Instances, func(i Tenant) bool { return i.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		var names []string
		for _, i := range ts.Instances {
			names = append(names, i.Name)
		}
		return nil, &Error{File: t.File, Problems: []string{fmt.Sprintf("team %s has no tenant %s in %s (its tenants there: %s): "+
			"name one of those, or ask the platform team to add it", team, strings.Join(unknown, ", "), environment, strings.Join(names, ", "))}}
	}
	var elsewhere, clusters []string
	for _, i := range ts.Instances {
		if !pick.AnyCluster && i.Cluster != pick.Cluster && slices.Contains(only, i.Name) {
			elsewhere = append(elsewhere, fmt.Sprintf("%s lives in %s", i.Name, clusterName(i.Cluster)))
		}
		if !slices.Contains(clusters, clusterName(i.Cluster)) {
			clusters = append(clusters, clusterName(i.Cluster))
		}
	}
	if len(elsewhere) > 0 {
		return nil, &Error{File: t.File, Problems: []string{fmt.Sprintf("team %s's tenants in %s: %s, not %s: deploy them with that cluster's kubeconfig and --cluster",
			team, environment, strings.Join(elsewhere, ", "), clusterName(pick.Cluster))}}
	}
	for _, wave := range tm.Waves(environment) {
		wave = slices.DeleteFunc(slices.Clone(wave), func(i Tenant) bool {
			return (!pick.AnyCluster && i.Cluster != pick.Cluster) || (len(only) > 0 && !slices.Contains(only, i.Name))
		})
		if len(wave) > 0 {
			f.Waves = append(f.Waves, wave)
		}
	}
	if len(f.Waves) == 0 {
		return nil, &Error{File: t.File, Problems: []string{fmt.Sprintf("team %s has no tenants of %s in %s (they live in %s): give --cluster the cluster the kubeconfig reaches",
			team, environment, clusterName(pick.Cluster), strings.Join(clusters, ", "))}}
	}
	return f, nil
}

// clusterName names a tenant's cluster in messages.
func clusterName(cluster string) string {
	if cluster == "" {
		return "the environment's own cluster"
	}
	return "cluster " + cluster
}

// environments are the team's environments: those of its <team>-<environment>
// namespaces and its tenants'.
func (t Team) environments() []string {
	var envs []string
	for _, ns := range t.Namespaces {
		if env, ok := strings.CutPrefix(ns, t.Name+"-"); ok {
			envs = append(envs, env)
		}
	}
	for _, env := range slices.Sorted(maps.Keys(t.Tenants)) {
		if !slices.Contains(envs, env) {
			envs = append(envs, env)
		}
	}
	return envs
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
// LabelTeam and, when environment is known (Team.Environment), LabelEnvironment: what the
// platform applies, and what the pipeline's policy gate evaluates a release
// against, so both select the same Constraints.
func Namespace(ns, team, environment string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    %s: %s\n", ns, LabelTeam, team)
	if environment != "" {
		fmt.Fprintf(&b, "    %s: %s\n", LabelEnvironment, environment)
	}
	return []byte(b.String())
}

// Manifests are the objects that give the team its namespaces: each
// Namespace (Namespace), and in each a RoleBinding of DeployerRole
// for the team's deployer (Deployer), as one multi-document YAML for
// kubectl apply --server-side.
func (t Team) Manifests() []byte {
	var b strings.Builder
	for i, ns := range t.AllNamespaces() {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(Namespace(ns, t.Name, t.Environment(ns)))
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
