package main

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

func TestHistoryTable(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	rec := func(rev int, s rollout.Status, msg string, rollbackOf int) rollout.StoredRecord {
		return rollout.StoredRecord{
			Record: rollout.Record{Revision: rev, Commit: "0123456789abcdef0123", Image: "acr/hello-api@sha256:ab", Started: at.Add(time.Duration(rev) * time.Hour), RollbackOf: rollbackOf},
			Status: s, Message: msg, Finished: at.Add(time.Duration(rev)*time.Hour + time.Minute),
		}
	}
	records := []rollout.StoredRecord{
		rec(1, rollout.StatusSuperseded, "replaced by revision 2", 0),
		rec(2, rollout.StatusFailed, "the observe stage failed: no target | up", 0),
		rec(3, rollout.StatusDeployed, "", 1),
	}
	records[2].Finished = time.Time{}
	assert.Equal(t, historyTable(records), ""+
		"| revision | status | commit | image | started | finished | note |\n|---|---|---|---|---|---|---|\n"+
		"| 3 | deployed | 0123456789ab | acr/hello-api@sha256:ab | 2026-12-05T13:00:00Z |  | rollback to revision 1 |\n"+
		"| 2 | failed | 0123456789ab | acr/hello-api@sha256:ab | 2026-12-05T12:00:00Z | 2026-12-05T12:01:00Z | the observe stage failed: no target \\| up |\n"+
		"| 1 | superseded | 0123456789ab | acr/hello-api@sha256:ab | 2026-12-05T11:00:00Z | 2026-12-05T11:01:00Z | replaced by revision 2 |\n")
}
