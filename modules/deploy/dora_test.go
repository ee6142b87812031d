package main

import (
	"context"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// A team's namespaces come from the teams file this module was released with.
func TestTeamNamespaces(t *testing.T) {
	ns, err := teamNamespaces(context.Background(), nil, "payments")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(ns, []string{"payments-dev", "payments-staging", "payments-prod"}))
	_, err = teamNamespaces(context.Background(), nil, "nobody")
	assert.Check(t, is.ErrorContains(err, "dora: platform/teams.yaml lists no team nobody (its teams: payments)"))
}
