package policy

// The labels every object golden-path deploys carries. The render
// (pipeline/render) sets them; rule GP003 requires them.
const (
	// LabelName is the service's name from golden-path.yaml. A selector
	// label.
	LabelName = "app.kubernetes.io/name"
	// LabelInstance is <name>-<environment>, or <name>-<environment>-<tenant>
	// for a tenant instance. A selector label.
	LabelInstance = "app.kubernetes.io/instance"
	// LabelVersion is the short commit SHA of the release. Never in a
	// selector: selectors must stay the same across releases.
	LabelVersion = "app.kubernetes.io/version"
	// LabelPartOf is always PartOf.
	LabelPartOf = "app.kubernetes.io/part-of"
	// LabelManagedBy is always ManagedBy.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// LabelTeam is the owning team from golden-path.yaml.
	LabelTeam = "team"
	// LabelEnvironment is the environment (dev, staging, prod, ...).
	LabelEnvironment = "environment"
	// LabelTenant is the tenant instance (platform/teams.yaml) the object
	// serves; only on a tenant's objects.
	LabelTenant = "golden-path.dev/tenant"
)

// The values of LabelPartOf and LabelManagedBy.
const (
	PartOf    = "golden-path"
	ManagedBy = "golden-path"
)

// SelectorLabels are the labels that select a service's pods: stable across
// releases.
var SelectorLabels = []string{LabelName, LabelInstance}

// RequiredLabels are the labels rule GP003 requires on every object, in the
// order reports list them.
var RequiredLabels = []string{
	LabelName, LabelInstance, LabelVersion, LabelPartOf, LabelManagedBy, LabelTeam, LabelEnvironment,
}
