package rollout

import (
	"encoding/json"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

func TestObservedPatch(t *testing.T) {
	at := time.Date(2026, 12, 6, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	patch, err := ObservedPatch("payments-staging", "hello-api", 4, at)
	assert.NilError(t, err)
	golden.Assert(t, string(patch), "record-observed.golden")

	// The cluster's record then reads as observed.
	cm, err := Record{Service: "hello-api", Namespace: "payments-staging", Revision: 4}.ConfigMap(nil)
	assert.NilError(t, err)
	var c map[string]any
	assert.NilError(t, json.Unmarshal(cm, &c))
	c["metadata"].(map[string]any)["annotations"] = map[string]any{AnnotationObserved: "2026-12-06T08:30:00Z"}
	list, err := json.Marshal(map[string]any{"items": []any{c}})
	assert.NilError(t, err)
	got, err := ParseRecords(list, "hello-api")
	assert.NilError(t, err)
	assert.Assert(t, is.Len(got, 1))
	assert.Check(t, got[0].Observed.Equal(at))
}

func TestPromotable(t *testing.T) {
	commitTime := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	observed := commitTime.Add(20 * time.Minute)
	rec := func(revision int, image string, status Status, observedAt time.Time, message string) StoredRecord {
		return StoredRecord{
			Record: Record{Service: "hello-api", Namespace: "payments-staging", Environment: "staging", Revision: revision,
				Image: "acr.example/payments/hello-api@sha256:" + image, Commit: "c" + image, CommitTime: commitTime},
			Status: status, Observed: observedAt, Message: message,
		}
	}
	const img = "acr.example/payments/hello-api@sha256:"
	history := []StoredRecord{
		rec(1, "aa", StatusSuperseded, observed, "replaced by revision 2"),
		rec(2, "bb", StatusFailed, time.Time{}, "the smoke test failed: GET /greet/smoke answered 500; rolled back to revision 1 (revision 3)"),
		rec(3, "aa", StatusSuperseded, observed, "replaced by revision 4"),
		rec(4, "cc", StatusSuperseded, observed, "rolled back to revision 3 (revision 5)"),
		rec(5, "aa", StatusDeployed, observed, ""),
	}

	got, err := Promotable(history, "", "")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(got, &Promotion{Service: "hello-api", Namespace: "payments-staging", Environment: "staging",
		Revision: 5, Image: img + "aa", Commit: "caa", CommitTime: commitTime, Verified: observed}))
	got, err = Promotable(history, img+"aa", "caa")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got.Revision, 5), "an image's latest release")

	for _, tc := range []struct {
		name    string
		records []StoredRecord
		image   string
		commit  string
		want    string
	}{
		{name: "nothing deployed", want: "nothing was ever deployed there; ship to that environment first"},
		{name: "failed", records: history, image: img + "bb",
			want: "image " + img + "bb, revision 2, failed and was rolled back: the smoke test failed: GET /greet/smoke answered 500"},
		{name: "rolled back", records: history, image: img + "cc",
			want: "revision 4, no longer serves: rolled back to revision 3 (revision 5); promote what serves there (see history)"},
		{name: "never deployed", records: history, image: img + "dd", want: "image " + img + "dd was never deployed there (its last 5 releases; see history)"},
		{name: "none serves", records: history[:2], want: "no release serves verified: the last, revision 2 (image " + img + "bb), failed and was rolled back"},
		{name: "pending", records: []StoredRecord{rec(1, "aa", StatusPending, time.Time{}, "")}, image: img + "aa",
			want: "revision 1, never finished its deploy"},
		{name: "another commit", records: history, commit: "c0123456789abcdef",
			want: "revision 5 (image " + img + "aa) is of commit caa, not c0123456789a: promote from a run of that commit, or ship c0123456789a there first"},
		{name: "not observed", records: []StoredRecord{rec(1, "aa", StatusDeployed, time.Time{}, "")},
			want: "revision 1 (image " + img + "aa) passed its rollout and smoke test but was never observed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Promotable(tc.records, tc.image, tc.commit)
			assert.Check(t, got == nil)
			assert.Check(t, is.ErrorContains(err, tc.want))
			assert.Check(t, IsNotPromotable(err))
		})
	}
}
