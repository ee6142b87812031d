package rollout

import (
	"os"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		stderr string
		want   ErrorKind
		msg    string
	}{
		{`The connection to the server kube-api:6443 was refused - did you specify the right host or port?`, Unreachable, "cannot reach the API server https://kube-api:6443"},
		{`Unable to connect to the server: dial tcp 10.89.0.7:6443: connect: connection refused`, Unreachable, "cannot reach the API server https://kube-api:6443"},
		{`error: You must be logged in to the server (Unauthorized)`, Unauthorized, "rejected the kubeconfig's credentials (401 Unauthorized)"},
		{`Unable to connect to the server: tls: failed to verify certificate: x509: certificate has expired or is not yet valid`, Expired, "certificate has expired"},
		{`Error from server (Forbidden): deployments.apps "hello-api" is forbidden: User "ci" cannot patch resource`, Forbidden, "not allowed to apply the manifests"},
		{`Error from server (Invalid): Deployment.apps "hello-api" is invalid: spec.template.spec.containers[0].image: Required value`, Rejected, "the API server refused the manifests while trying to apply the manifests"},
		{`error: resource mapping not found for name: "hello-api" namespace: "" from "STDIN": no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"`, Rejected, "refused the manifests"},
	} {
		e := Classify("apply the manifests", "https://kube-api:6443", tc.stderr)
		assert.Check(t, is.Equal(e.Kind, tc.want), tc.stderr)
		assert.Check(t, is.Contains(e.Error(), tc.msg))
		assert.Check(t, is.Contains(e.Error(), tc.stderr), "kubectl's own message is kept")
		assert.Check(t, is.Contains(e.Error(), "\nFix: "))
	}
}

func TestAnnotate(t *testing.T) {
	in, err := os.ReadFile("testdata/manifests.yaml")
	assert.NilError(t, err)
	out, err := Annotate(in, "hello-api", map[string]string{
		AnnotationRun: "https://github.com/acme/hello-api/actions/runs/42", AnnotationCommit: "0123456789abcdef0123456789abcdef01234567",
	})
	assert.NilError(t, err)
	golden.Assert(t, string(out), "annotated.golden")

	_, err = Annotate(in, "other", map[string]string{AnnotationRun: "x"})
	assert.Check(t, is.ErrorContains(err, `no Deployment "other"`))
}

func TestLease(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	held := LeaseRecord{Holder: "run-1", Duration: LeaseDuration, Acquired: now, Renewed: now.Add(15 * time.Second), Transitions: 2}
	golden.Assert(t, string(Lease("payments-dev", "hello-api", held)), "lease.golden")
	held.ResourceVersion = "4711"
	golden.Assert(t, string(Lease("payments-dev", "hello-api", held)), "lease-replace.golden")

	lease := []byte(`{"metadata":{"resourceVersion":"4711"},"spec":{"holderIdentity":"run-1","leaseDurationSeconds":60,` +
		`"acquireTime":"2026-11-29T10:00:00.000000Z","renewTime":"2026-11-29T10:00:15.000000Z","leaseTransitions":2}}`)
	got, err := ParseLease(lease)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(got, held), "a Lease reads back as it was written")
	assert.Check(t, !got.Free(now.Add(75*time.Second)), "held until its duration after the last renewal")
	assert.Check(t, got.Free(now.Add(76*time.Second)), "free once its holder stopped renewing it")
	got.Holder = ""
	assert.Check(t, got.Free(now), "free once its holder freed it")
	_, err = ParseLease([]byte(`not json`))
	assert.Check(t, is.ErrorContains(err, "cannot read the deploy lock"))
}

func TestDiagnose(t *testing.T) {
	pods, err := os.ReadFile("testdata/pods-crashloop.json")
	assert.NilError(t, err)
	events, err := os.ReadFile("testdata/events.json")
	assert.NilError(t, err)
	problems, err := Diagnose(pods, events, 5)
	assert.NilError(t, err)
	var lines []string
	for _, p := range problems {
		lines = append(lines, p.String())
	}
	golden.Assert(t, strings.Join(lines, "\n")+"\n", "diagnose.golden")

	_, err = Diagnose([]byte(`{`), nil, 5)
	assert.Check(t, is.ErrorContains(err, "cannot read the pods"))
}
