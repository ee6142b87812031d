package platformtest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// The security team's policy passes its own tests: gator verify of
// policy/gatekeeper/suite.yaml with the platform's gator (the same release
// as the cluster's Gatekeeper).
func TestGatekeeperPolicyVerify(t *testing.T) {
	t.Parallel()
	requireCluster(t)
	gator, err := exec.LookPath("gator")
	assert.NilError(t, err, "no gator on PATH: hack/platform up links it into $GP_STATE/bin; eval \"$(hack/platform env)\"")
	cmd := exec.Command(gator, "verify", "-v", filepath.Join(daggertest.RepoRoot(t), "policy", "gatekeeper"))
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, string(out))
	for _, test := range []string{
		"gp001-privileged-container", "gp002-privilege-escalation", "gp003-required-labels", "gp004-resources",
		"gp005-run-as-non-root", "gp006-image-digest", "gp007-probes",
		"gp002-privilege-escalation-prod", "gp003-required-labels-prod", "gp004-resources-prod",
		"gp005-run-as-non-root-prod", "gp006-image-digest-prod", "gp007-probes-prod",
	} {
		assert.Check(t, is.Contains(string(out), "--- PASS: "+test+"\t"))
	}
	assert.Check(t, !strings.Contains(string(out), "FAIL"), string(out))
}

// pauseImage is the node's pause image (hack/lib/kube.sh), by a digest: no pod here runs, the image is never
// pulled, and GP006 wants images by digest.
const pauseImage = "golden-path.local/pause@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"

// The cluster enforces the policy: in a team namespace (labelled as the
// platform labels them from platform/teams.yaml, here a dev one), the API
// server refuses a privileged pod, whoever applies it (here the admin), with
// the rule's message, and admits one that follows every rule (GP001–GP007 all
// deny outside prod); outside the team namespaces the Constraints do not apply.
func TestGatekeeperRefusesPrivilegedPod(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	team := c.namespace(t)
	c.must(t, "", "label", "namespace", team, "golden-path.dev/team="+team, "golden-path.dev/environment=dev")
	other := c.namespace(t)
	// pod is a pod that follows GP002–GP007; privileged breaks GP001 (and then GP002: Kubernetes refuses
	// allowPrivilegeEscalation false beside privileged true).
	pod := func(name, ns string, privileged bool) string {
		security := "        allowPrivilegeEscalation: false\n"
		if privileged {
			security = "        privileged: true\n"
		}
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n  labels:\n" +
			"    app.kubernetes.io/name: hello-api\n    app.kubernetes.io/instance: hello-api-dev\n" +
			"    app.kubernetes.io/version: 3f2a9c1\n    app.kubernetes.io/part-of: golden-path\n" +
			"    app.kubernetes.io/managed-by: golden-path\n    team: " + ns + "\n    environment: dev\n" +
			"spec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n  containers:\n" +
			"    - name: app\n      image: " + pauseImage + "\n" +
			"      livenessProbe: {tcpSocket: {port: 8080}}\n      readinessProbe: {tcpSocket: {port: 8080}}\n" +
			"      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 10m, memory: 16Mi}}\n" +
			"      securityContext:\n" + security
	}
	out, err := c.run(t, pod("privileged", team, true), "apply", "-f", "-")
	assert.Check(t, err != nil, "a privileged pod was admitted in a team namespace: %s", out)
	assert.Check(t, is.Contains(err.Error(), `admission webhook "validation.gatekeeper.sh" denied the request`))
	assert.Check(t, is.Contains(err.Error(),
		"GP001 Pod/"+team+"/privileged, container app: spec.containers[app].securityContext.privileged is true; fix: "))

	_, err = c.run(t, pod("unprivileged", team, false), "apply", "--dry-run=server", "-f", "-")
	assert.Check(t, err, "a pod that follows every rule was refused")
	_, err = c.run(t, pod("privileged", other, true), "apply", "--dry-run=server", "-f", "-")
	assert.Check(t, err, "the Constraints apply outside the team namespaces")
}
