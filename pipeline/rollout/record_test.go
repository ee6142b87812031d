package rollout

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

func TestInventory(t *testing.T) {
	in, err := os.ReadFile("testdata/manifests.yaml")
	assert.NilError(t, err)
	got, err := Inventory(append(in, []byte("\n---\n---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: hello-api\n")...))
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(got, []ObjectRef{
		{APIVersion: "v1", Kind: "Service", Name: "hello-api"},
		{APIVersion: "apps/v1", Kind: "Deployment", Name: "hello-api"},
		{APIVersion: "monitoring.coreos.com/v1", Kind: "ServiceMonitor", Name: "hello-api"},
	}))
	assert.Check(t, is.Equal(got[0].String(), "Service/hello-api"))
	assert.Check(t, is.Equal(got[2].String(), "ServiceMonitor.monitoring.coreos.com/hello-api"))

	_, err = Inventory([]byte("apiVersion: v1\nkind: ConfigMap\n"))
	assert.Check(t, is.ErrorContains(err, `not a Kubernetes object (apiVersion "v1", kind "ConfigMap", name "")`))
	_, err = Inventory([]byte("kind: [\n"))
	assert.Check(t, is.ErrorContains(err, "not YAML"))
}

func TestMissing(t *testing.T) {
	svc := ObjectRef{APIVersion: "v1", Kind: "Service", Name: "a"}
	dep := ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "a"}
	cm := ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Name: "a"}
	ing := ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "a"}
	ingBeta := ObjectRef{APIVersion: "networking.k8s.io/v1beta1", Kind: "Ingress", Name: "a"}
	assert.Check(t, is.DeepEqual(Missing([]ObjectRef{svc, dep, cm, ing}, []ObjectRef{dep, ingBeta}), []ObjectRef{svc, cm}),
		"another version of a group is the same object; the same name in another kind is not")
	assert.Check(t, is.Len(Missing(nil, []ObjectRef{svc}), 0))
}

func TestRecords(t *testing.T) {
	started := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	rec := Record{
		Service: "hello-api", Namespace: "payments-dev", Revision: 3, Image: "acr.example/payments/hello-api@sha256:" + "ab",
		Commit: "0123456", Run: "run-1", Started: started, Previous: 2,
		Inventory: []ObjectRef{{APIVersion: "v1", Kind: "Service", Name: "hello-api"}},
	}
	cm, err := rec.ConfigMap([]byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: hello-api\n"))
	assert.NilError(t, err)
	golden.Assert(t, string(cm), "record.golden")

	patch, err := StatusPatch("payments-dev", "hello-api",
		StatusUpdate{Revision: 3, Status: StatusDeployed, Finished: started.Add(time.Minute)},
		StatusUpdate{Revision: 2, Status: StatusSuperseded, Finished: started.Add(time.Minute), Message: "replaced by revision 3"})
	assert.NilError(t, err)
	golden.Assert(t, string(patch), "record-status.golden")

	// As the cluster lists them: revision 3 deployed, 2 superseded, 4 pending,
	// and a record of another service.
	var c3, c4, other map[string]any
	assert.NilError(t, json.Unmarshal(cm, &c3))
	meta := c3["metadata"].(map[string]any)
	meta["labels"].(map[string]any)[LabelStatus] = string(StatusDeployed)
	meta["annotations"] = map[string]any{AnnotationFinished: "2026-12-05T10:01:00Z"}
	rec4 := rec
	rec4.Revision, rec4.Previous = 4, 3
	rec4.Inventory = append(rec4.Inventory, ObjectRef{APIVersion: "v1", Kind: "Service", Name: "hello-api"})
	cm4, err := rec4.ConfigMap(nil)
	assert.NilError(t, err)
	assert.NilError(t, json.Unmarshal(cm4, &c4))
	recOther := rec
	recOther.Service = "sibling"
	cmOther, err := recOther.ConfigMap(nil)
	assert.NilError(t, err)
	assert.NilError(t, json.Unmarshal(cmOther, &other))
	list, err := json.Marshal(map[string]any{"items": []any{c4, other, c3}})
	assert.NilError(t, err)

	got, err := ParseRecords(list, "hello-api")
	assert.NilError(t, err)
	assert.Assert(t, is.Len(got, 2))
	assert.Check(t, is.Equal(got[0].Revision, 3))
	assert.Check(t, is.Equal(got[0].Status, StatusDeployed))
	assert.Check(t, is.Equal(got[0].Finished, started.Add(time.Minute)))
	assert.Check(t, is.Equal(string(got[0].Manifests), "apiVersion: v1\nkind: Service\nmetadata:\n  name: hello-api\n"))
	assert.Check(t, is.DeepEqual(got[0].Record, rec))
	assert.Check(t, is.Equal(got[1].Status, StatusPending), "a record without a status never finished")
	assert.Check(t, is.Equal(Current(got).Revision, 3))
	assert.Check(t, is.Equal(NextRevision(got), 5))
	assert.Check(t, is.DeepEqual(Unfinished(got)[0].Revision, 4))
	assert.Check(t, is.DeepEqual(Owned(got), rec.Inventory), "the same object in two records is owned once")
	assert.Check(t, Current(nil) == nil)
	assert.Check(t, is.Len(Owned(nil), 0))
	assert.Check(t, is.Equal(NextRevision(nil), 1))

	_, err = ParseRecords([]byte(`{"items":[{"metadata":{"name":"hello-api.release.v1","labels":{"golden-path.dev/release-of":"hello-api"}},"data":{"record.json":"{"}}]}`), "hello-api")
	assert.Check(t, is.ErrorContains(err, "the release record hello-api.release.v1 is not readable"))
}

func TestBeyond(t *testing.T) {
	var records []StoredRecord
	for i := 1; i <= HistoryMax+3; i++ {
		s := StatusSuperseded
		if i == 2 {
			s = StatusDeployed // rolled back to long ago, still serving
		}
		records = append(records, StoredRecord{Record: Record{Revision: i}, Status: s})
	}
	var revs []int
	for _, r := range Beyond(records) {
		revs = append(revs, r.Revision)
	}
	assert.Check(t, is.DeepEqual(revs, []int{1, 3}))
	assert.Check(t, is.Len(Beyond(records[:HistoryMax]), 0))
}

func TestOthers(t *testing.T) {
	list := []byte(`{"items":[
	{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kube-root-ca.crt"}},
	{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}},
	{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hello-api.release.v1","labels":{"golden-path.dev/release-of":"hello-api"}}},
	{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"hello-api-golden-path-deploy"}},
	{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"hello-api"}},
	{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"sibling"}},
	{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"sibling-golden-path-deploy"}},
	{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"sibling.release.v1","labels":{"golden-path.dev/release-of":"sibling"}}}]}`)
	got, err := Others(list, "hello-api", []ObjectRef{{APIVersion: "apps/v1", Kind: "Deployment", Name: "hello-api"}})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(got, []string{"Deployment/sibling", "Lease/sibling-golden-path-deploy", "ConfigMap/sibling.release.v1"}))
	got, err = Others([]byte(`{"items":[]}`), "hello-api", nil)
	assert.NilError(t, err)
	assert.Check(t, is.Len(got, 0))
}

func TestObjects(t *testing.T) {
	none, err := Objects([]byte("\n"))
	assert.NilError(t, err)
	assert.Check(t, is.Len(none, 0), "none found: kubectl prints nothing")
	one, err := Objects([]byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"hello-api"}}`))
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(one, []ObjectRef{{APIVersion: "v1", Kind: "Service", Name: "hello-api"}}), "one found: the object itself")
	two, err := Objects([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"}},` +
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"}}]}`))
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(two, []ObjectRef{{APIVersion: "v1", Kind: "Service", Name: "a"}, {APIVersion: "apps/v1", Kind: "Deployment", Name: "a"}}))
	_, err = Objects([]byte("{"))
	assert.Check(t, is.ErrorContains(err, "the objects in the cluster are not readable"))
}

func TestClaimed(t *testing.T) {
	list := []byte(`{"apiVersion":"v1","kind":"List","items":[
	{"apiVersion":"v1","kind":"Service","metadata":{"name":"hello-api","labels":{"app.kubernetes.io/managed-by":"golden-path","app.kubernetes.io/name":"hello-api","team":"payments"}}},
	{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"hello-api","labels":{"app.kubernetes.io/managed-by":"golden-path","app.kubernetes.io/name":"orders","team":"payments"}}},
	{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hello-api-config","labels":{"app.kubernetes.io/managed-by":"golden-path","app.kubernetes.io/name":"hello-api","team":"ledger"}}},
	{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"hello-api","managedFields":[{"manager":"kubectl-create"},{"manager":"kubectl-edit"},{"manager":"kubectl-create"}]}},
	{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"hello-api","labels":{"app.kubernetes.io/managed-by":"golden-path"}}},
	{"apiVersion":"v1","kind":"Secret","metadata":{"name":"hello-api"}}]}`)
	got, err := Claimed(list, "payments", "hello-api")
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(got, []Claim{
		{Object: ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "hello-api"}, Owner: "team payments, service orders"},
		{Object: ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Name: "hello-api-config"}, Owner: "team ledger, service hello-api"},
		{Object: ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Name: "hello-api"}, Owner: "not created by golden-path (written by kubectl-create, kubectl-edit)"},
		{Object: ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Name: "hello-api"}, Owner: "team (unknown), service (unknown)"},
		{Object: ObjectRef{APIVersion: "v1", Kind: "Secret", Name: "hello-api"}, Owner: "not created by golden-path (written by an unknown client)"},
	}))
	none, err := Claimed([]byte(""), "payments", "hello-api")
	assert.NilError(t, err)
	assert.Check(t, is.Len(none, 0), "nothing exists yet")
	_, err = Claimed([]byte("{"), "payments", "hello-api")
	assert.Check(t, is.ErrorContains(err, "not readable"))

	err = error(&ClaimedError{Namespace: "payments-dev", Service: "hello-api", Claims: got[:1]})
	assert.Check(t, IsClaimed(fmt.Errorf("deploy: %w", err)))
	assert.Check(t, is.Equal(err.Error(), "nothing was applied: 1 object(s) of this release already exist in payments-dev and are not hello-api's:\n"+
		"  Deployment.apps/hello-api: team payments, service orders\n"+
		"rename them in k8s/ (or the service, in golden-path.yaml), or have their owner remove them; a deploy never changes what another service or team owns"))
}
