package policy

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"gopkg.in/yaml.v3"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// TestConstraints compares the rendered Constraints with
// testdata/gatekeeper/*.yaml and checks there is one per rule.
func TestConstraints(t *testing.T) {
	for name, opts := range map[string][]ConstraintOption{
		"default.yaml":         nil,
		"team-namespaces.yaml": {WithEnforcementAction(EnforceWarn), WithNamespaces("payments-dev", "payments-prod")},
	} {
		t.Run(name, func(t *testing.T) {
			data, err := Constraints(opts...)
			assert.NilError(t, err)
			golden.Assert(t, string(data), "gatekeeper/"+name)

			dec := yaml.NewDecoder(bytes.NewReader(data))
			var kinds []string
			for {
				var c constraint
				if err := dec.Decode(&c); errors.Is(err, io.EOF) {
					break
				} else {
					assert.NilError(t, err)
				}
				kinds = append(kinds, c.Kind)
				assert.Equal(t, c.APIVersion, "constraints.gatekeeper.sh/v1beta1")
				assert.Assert(t, c.Metadata.Annotations["golden-path/rule"] != "")
			}
			assert.Equal(t, len(kinds), len(Rules))
			for i, r := range Rules {
				assert.Equal(t, kinds[i], r.Gatekeeper.Kind)
			}
		})
	}
}

func TestConstraintsInvalidOptions(t *testing.T) {
	_, err := Constraints(WithEnforcementAction("block"))
	var cerr *ConstraintError
	assert.Assert(t, errors.As(err, &cerr))
	assert.Check(t, is.ErrorContains(err, `unknown enforcement action "block": use deny, warn or dryrun`))
	_, err = Constraints(WithNamespaces("payments/dev"))
	assert.Check(t, is.ErrorContains(err, `"payments/dev" is not a namespace name`))
}
