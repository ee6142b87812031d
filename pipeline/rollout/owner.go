package rollout

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golden-path/golden-path/pipeline/policy"
)

// Claim is an object that exists in the cluster and is not the deploying
// service's.
type Claim struct {
	// Object is the object.
	Object ObjectRef
	// Owner says whose it is: "team payments, service orders" for an object
	// of another golden-path service; for an object golden-path did not
	// create, who wrote it (its field managers).
	Owner string
}

// Claimed lists, from the output of `kubectl get -o json
// --show-managed-fields` (nothing, one object or a List), the objects that
// are not service's of team: a golden-path object of another service or
// team, or an object golden-path did not create. A deploy that would change
// them is refused: server-side apply under golden-path's field manager
// would take them over without a conflict.
func Claimed(out []byte, team, service string) ([]Claim, error) {
	items, err := readListed(out)
	if err != nil {
		return nil, fmt.Errorf("deploy: the objects in the cluster are not readable: %w", err)
	}
	var claims []Claim
	for _, it := range items {
		labels := it.Metadata.Labels
		switch {
		case labels[policy.LabelManagedBy] != policy.ManagedBy:
			claims = append(claims, Claim{Object: it.ref(), Owner: "not created by golden-path (" + it.writers() + ")"})
		case labels[policy.LabelName] != service || labels[policy.LabelTeam] != team:
			claims = append(claims, Claim{Object: it.ref(), Owner: fmt.Sprintf("team %s, service %s",
				orUnknown(labels[policy.LabelTeam]), orUnknown(labels[policy.LabelName]))})
		}
	}
	return claims, nil
}

// writers names the field managers that wrote an object.
func (o listed) writers() string {
	var names []string
	for _, m := range o.Metadata.ManagedFields {
		if m.Manager != "" && !slices.Contains(names, m.Manager) {
			names = append(names, m.Manager)
		}
	}
	if len(names) == 0 {
		return "written by an unknown client"
	}
	return "written by " + strings.Join(names, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// ClaimedError is a deploy refused before anything was applied because the
// release would change objects that are not the service's.
type ClaimedError struct {
	// Namespace is where the objects are.
	Namespace string
	// Service is the service that was deploying.
	Service string
	// Claims are the objects, with their owners.
	Claims []Claim
}

// Error names each object and its owner, and the fix.
func (e *ClaimedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nothing was applied: %d object(s) of this release already exist in %s and are not %s's:",
		len(e.Claims), e.Namespace, e.Service)
	for _, c := range e.Claims {
		fmt.Fprintf(&b, "\n  %s: %s", c.Object, c.Owner)
	}
	b.WriteString("\nrename them in k8s/ (or the service, in golden-path.yaml), or have their owner remove them; " +
		"a deploy never changes what another service or team owns")
	return b.String()
}

// IsClaimed reports whether err is, or wraps, a *ClaimedError.
func IsClaimed(err error) bool {
	var ce *ClaimedError
	return errors.As(err, &ce)
}
