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
	for _, rule := range []string{"gp001-privileged-container", "gp002-privilege-escalation", "gp006-image-digest"} {
		assert.Check(t, is.Contains(string(out), "--- PASS: "+rule))
	}
	assert.Check(t, !strings.Contains(string(out), "FAIL"), string(out))
}

// pauseImage is the node's pause image (hack/lib/kube.sh): no pod here runs, the image is never pulled.
const pauseImage = "golden-path.local/pause:3.10"

// The cluster enforces the policy: in a team namespace (labelled as the
// platform labels them from platform/teams.yaml), the API server refuses a
// privileged pod, whoever applies it (here the admin), with the rule's
// message, and admits an unprivileged one; outside the team namespaces the
// Constraint does not apply.
func TestGatekeeperRefusesPrivilegedPod(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	team := c.namespace(t)
	c.must(t, "", "label", "namespace", team, "golden-path.dev/team="+team)
	other := c.namespace(t)
	pod := func(name, ns string, privileged bool) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\nspec:\n  containers:\n" +
			"    - name: app\n      image: " + pauseImage + "\n      securityContext:\n        privileged: " +
			map[bool]string{true: "true", false: "false"}[privileged] + "\n"
	}
	out, err := c.run(t, pod("privileged", team, true), "apply", "-f", "-")
	assert.Check(t, err != nil, "a privileged pod was admitted in a team namespace: %s", out)
	assert.Check(t, is.Contains(err.Error(), `admission webhook "validation.gatekeeper.sh" denied the request`))
	assert.Check(t, is.Contains(err.Error(), `GP001: container "app" of Pod privileged sets securityContext.privileged: true`))

	_, err = c.run(t, pod("unprivileged", team, false), "apply", "--dry-run=server", "-f", "-")
	assert.Check(t, err, "an unprivileged pod was refused")
	_, err = c.run(t, pod("privileged", other, true), "apply", "--dry-run=server", "-f", "-")
	assert.Check(t, err, "the Constraint applies outside the team namespaces")
}
