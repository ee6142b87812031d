package observe

import "github.com/golden-path/golden-path/pipeline/policy"

// The labels golden-path puts on every object it deploys: the keys and
// values the render sets, from pipeline/policy.
const (
	labelName      = policy.LabelName
	labelTeam      = policy.LabelTeam
	labelPartOf    = policy.LabelPartOf
	labelManagedBy = policy.LabelManagedBy
	partOf         = policy.PartOf
	managedBy      = policy.ManagedBy
)
