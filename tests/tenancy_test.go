package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// registerTeam gives team its namespaces and deployer on the platform, as the
// platform's teams file would (hack/platform team), and returns the path of
// the deployer's kubeconfig.
func registerTeam(t *testing.T, team string, namespaces ...string) string {
	t.Helper()
	cmd := exec.Command("hack/platform", "team", team, strings.Join(namespaces, ","))
	cmd.Dir = daggertest.RepoRoot(t)
	out, err := cmd.Output()
	assert.NilError(t, err, "hack/platform team %s: %s", team, out)
	kubeconfig := strings.TrimSpace(string(out))
	t.Cleanup(func() { os.Remove(kubeconfig) }) // the namespaces go with the test's (teamCopy)
	return kubeconfig
}

// A team's deployer acts in its own namespaces only. Through its kubeconfig,
// it cannot read or change another team's namespace, nor create or delete a
// namespace. Through the pipeline, a service whose golden-path.yaml names
// another team cannot deploy into that team's namespace, whose objects stay
// as they were; the team's own service ships with it.
func TestTeamsIsolated(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	root := daggertest.RepoRoot(t)
	own, ownNS := teamCopy(t, c, nil)
	other, otherNS := teamCopy(t, c, nil)
	kubeA := registerTeam(t, strings.TrimSuffix(ownNS, "-dev"), ownNS)
	registerTeam(t, strings.TrimSuffix(otherNS, "-dev"), otherNS)
	c.kubectl(t, "create", "configmap", "ledger", "-n", otherNS, "--from-literal=balance=100")

	asA := func(args ...string) (string, error) {
		out, err := exec.Command("kubectl", append([]string{"--kubeconfig", kubeA,
			"--server", "https://127.0.0.1:6443", "--tls-server-name", "kube-api"}, args...)...).CombinedOutput()
		return string(out), err
	}
	for _, args := range [][]string{
		{"get", "configmaps", "-n", otherNS},
		{"patch", "configmap", "ledger", "-n", otherNS, "-p", `{"data":{"balance":"0"}}`},
		{"delete", "namespace", otherNS},
		{"create", "namespace", ownNS + "-qa"},
		{"get", "configmaps", "-n", "kube-system"},
	} {
		out, err := asA(args...)
		assert.Check(t, err != nil, "team A's deployer may %s: %s", strings.Join(args, " "), out)
		assert.Check(t, is.Contains(out, "Forbidden"), strings.Join(args, " "))
	}
	out, err := asA("get", "configmaps", "-n", ownNS, "-o", "name")
	assert.Check(t, err == nil, "team A's deployer cannot read its own namespace: %s", out)

	// The other team's service, deployed with team A's kubeconfig.
	image := "127.0.0.1:5001/tests/none@sha256:" + strings.Repeat("ab", 32)
	r := daggertest.CLI(t, root, "call", "-m", "modules/deploy", "render", "--source", other, "--image", image,
		"--commit", newCommit(t), "deploy", "--kubeconfig", "file://"+kubeA, "--kube-api", "tcp://localhost:6443", "--timeout", "10", "result")
	assert.Check(t, r.ExitCode != 0, "team A deployed into team B's namespace:\n%s", r.Stdout)
	assert.Check(t, is.Contains(r.ErrorText(), "the kubeconfig's identity is not allowed to"))
	assert.Check(t, is.Contains(r.ErrorText(), otherNS))
	assert.Check(t, is.Contains(r.ErrorText(), "platform/teams.yaml"))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "configmap", "ledger", "-n", otherNS, "-o", "jsonpath={.data.balance}"), "100"))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "deployments", "-n", otherNS, "-o", "name"), ""))

	// Team A's own service ships with its deployer.
	acr := daggertest.ACR(t)
	args := shipDeployArgs(acr, c, own, newCommit(t), "120", "summary")
	for i, a := range args {
		if a == "--kubeconfig" {
			args[i+1] = "file://" + kubeA
		}
	}
	shipped := daggertest.CLIEnv(t, root, acrEnv(acr), args...)
	assert.Check(t, shipped.ExitCode == 0, shipped.ErrorText())
	assert.Check(t, is.Contains(shipped.Stdout, "| deploy | ✅ passed |"))
	assert.Check(t, is.Equal(filepath.Base(kubeA), strings.TrimSuffix(ownNS, "-dev")+".kubeconfig"))
}
