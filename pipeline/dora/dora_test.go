package dora

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// history is a prod history worked out by hand (the expected figures are in
// TestCompute), and a dev failure nothing restored yet.
var history = []Release{
	{Service: "orders", Environment: "prod", Revision: 1, CommitTime: at("2026-09-30T10:00:00Z"),
		Started: at("2026-10-01T10:00:00Z"), Finished: at("2026-10-01T10:05:00Z"), Status: rollout.StatusSuperseded}, // before the window
	{Service: "orders", Environment: "prod", Revision: 2, CommitTime: at("2026-11-20T10:00:00Z"), Previous: 1,
		Started: at("2026-11-20T10:20:00Z"), Finished: at("2026-11-20T10:25:00Z"), Status: rollout.StatusSuperseded}, // lead 25m
	{Service: "orders", Environment: "prod", Revision: 3, CommitTime: at("2026-11-21T09:00:00Z"), Previous: 2,
		Started: at("2026-11-21T09:30:00Z"), Finished: at("2026-11-21T09:34:00Z"), Status: rollout.StatusFailed}, // failed
	{Service: "orders", Environment: "prod", Revision: 4, CommitTime: at("2026-11-21T10:00:00Z"), Previous: 2,
		Started: at("2026-11-21T10:10:00Z"), Finished: at("2026-11-21T10:15:00Z"), Status: rollout.StatusSuperseded}, // lead 15m; restores 3 in 45m
	{Service: "orders", Environment: "prod", Revision: 5, Previous: 4, // commit time unknown; rolled back by 6
		Started: at("2026-11-22T08:30:00Z"), Finished: at("2026-11-22T08:35:00Z"), Status: rollout.StatusSuperseded},
	{Service: "orders", Environment: "prod", Revision: 6, RollbackOf: 4, Previous: 5, // restores 5 in 32m
		Started: at("2026-11-22T09:00:00Z"), Finished: at("2026-11-22T09:02:00Z"), Status: rollout.StatusSuperseded},
	{Service: "orders", Environment: "prod", Revision: 7, CommitTime: at("2026-11-25T11:00:00Z"), Previous: 6,
		Started: at("2026-11-25T11:05:00Z"), Finished: at("2026-11-25T11:15:00Z"), Status: rollout.StatusDeployed}, // lead 15m
	{Service: "orders", Environment: "prod", Revision: 8, Previous: 7, Started: at("2026-12-01T11:59:00Z"), Status: rollout.StatusPending},
	{Service: "orders", Environment: "dev", Revision: 1, Started: at("2026-11-30T08:00:00Z"), Finished: at("2026-11-30T08:03:00Z"),
		Status: rollout.StatusFailed},
}

var now = at("2026-12-01T12:00:00Z")

func TestCompute(t *testing.T) {
	got, err := Compute(history, now, 720*time.Hour)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, []Metrics{
		{Service: "orders", Environment: "dev", Changes: 1, Failures: 1, ChangeFailureRate: 1, Unrestored: 1},
		{
			Service: "orders", Environment: "prod",
			Deployments: 4, PerDay: 4.0 / 30, // 2, 4, 5, 7: 5 served until its rollback
			LeadTime: 15 * time.Minute, LeadTimes: 3, // 25m, 15m, 15m
			Changes: 5, Failures: 2, ChangeFailureRate: 0.4, // 2, 3, 4, 5, 7; 3 failed, 5 was rolled back
			TimeToRestore: 38*time.Minute + 30*time.Second, Restores: 2, // 45m and 32m
		},
	})
}

func TestComputeWindow(t *testing.T) {
	got, err := Compute(history, now, 24*time.Hour*5) // from 2026-11-26T12:00: nothing of prod's but the pending 8
	assert.NilError(t, err)
	assert.Check(t, is.Len(got, 2))
	assert.Check(t, is.Equal(got[1].Deployments, 0))
	assert.Check(t, is.Equal(got[1].Changes, 0))
	_, err = Compute(history, now, 0)
	assert.ErrorContains(t, err, "the window must be positive, not 0s: e.g. --since 720h")
}

func TestMarkdown(t *testing.T) {
	got, err := Compute(history, now, 720*time.Hour)
	assert.NilError(t, err)
	assert.Equal(t, Markdown(got, 720*time.Hour), `### Delivery metrics, last 30 days

| Service | Environment | Deployments | Per day | Lead time (median) | Change failure rate | Time to restore (median) |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
| orders | dev | 0 | 0.00 | – | 100% (1 of 1) | –, 1 not restored |
| orders | prod | 4 | 0.13 | 15m0s (3) | 40% (2 of 5) | 38m30s (2) |
`)
	assert.Equal(t, Markdown(nil, 36*time.Hour), "### Delivery metrics, last 36h0m0s\n\nNo release in the window.\n")
}
