package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/fs"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// A service's repository with no Go code installs the golden path as a
// Dagger toolchain: `dagger init` (no SDK), `dagger toolchain install`; then
// `dagger check` lists the pull request's gates (golden-path:gates), and the
// flags that are the same on every run (the Trivy DB mirror, registry,
// cluster and their tunnels; secrets by reference) come from the
// repository's .env; `dagger check golden-path:gates` runs them, and fails
// with the fix on a health path golden-path.yaml gets wrong. The golden path is installed
// from a copy inside the repository: a local toolchain must sit in the
// consumer's repository (a team installs a tagged release by its git URL).
func TestToolchain(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	acr := daggertest.ACR(t)
	root := daggertest.RepoRoot(t)
	team := "t" + newCommit(t)[:8]

	repo := filepath.Join(fs.NewDir(t, "toolchain").Path(), "orders")
	res := daggertest.CLI(t, root, "call", "init", "--name", "orders", "--team", team, "export", "--path", repo)
	assert.Assert(t, res.ExitCode == 0, res.ErrorText())
	copyModule(t, root, filepath.Join(repo, "tools", "golden-path"))
	git(t, repo, "init", "-q")
	initRes := daggertest.CLI(t, repo, "init")
	assert.Assert(t, initRes.ExitCode == 0, initRes.ErrorText())
	install := daggertest.CLI(t, repo, "toolchain", "install", "./tools/golden-path")
	assert.Assert(t, install.ExitCode == 0, install.ErrorText())
	cfg, err := os.ReadFile(filepath.Join(repo, "dagger.json"))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(cfg), `"toolchains"`))
	assert.Check(t, !strings.Contains(string(cfg), `"sdk"`), "the service's repository has no module code:\n%s", cfg)

	port := registryPort()
	env := strings.Join([]string{
		"GOLDEN_PATH_TRIVYDBREGISTRY=tcp://localhost:" + port,
		"GOLDEN_PATH_TRIVYDBREPOSITORY=db-registry:" + port + "/aquasec/trivy-db",
		"GOLDEN_PATH_SHIP_REGISTRY=" + acr.Addr,
		"GOLDEN_PATH_SHIP_USERNAME=" + acr.Username,
		"GOLDEN_PATH_SHIP_PASSWORD=file://" + os.Getenv("GP_ACR_PASSWORD_FILE"),
		"GOLDEN_PATH_SHIP_REGISTRYTUNNEL=tcp://localhost:" + acr.Port(),
		"GOLDEN_PATH_SHIP_KUBECONFIG=file://" + c.pipeline,
		"GOLDEN_PATH_SHIP_KUBEAPI=tcp://localhost:6443",
		"GOLDEN_PATH_SHIP_SMOKEPATH=/greet/smoke",
	}, "\n") + "\n"
	assert.NilError(t, os.WriteFile(filepath.Join(repo, ".env"), []byte(env), 0o600))
	assert.Check(t, !strings.Contains(env, acr.Password), "the .env holds a secret's reference, never the secret")
	git(t, repo, "add", "-A")
	git(t, repo, "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "orders")

	listed := daggertest.CLI(t, repo, "check", "-l")
	assert.Assert(t, listed.ExitCode == 0, listed.ErrorText())
	assert.Check(t, is.Contains(listed.Stdout+listed.Stderr, "golden-path:gates"))

	// The pull request's gates, through the toolchain: green on the scaffolded service; green on another port
	// (the service listens on $PORT; the image's EXPOSE 8000 is not waited on); red with the fix when the
	// liveness path of golden-path.yaml is not the service's (the serve gate).
	checked := daggertest.CLI(t, repo, "check", "golden-path:gates")
	assert.Check(t, checked.ExitCode == 0, checked.ErrorText())
	// Ship through the toolchain, its flags from .env but the commit: published, deployed, smoke-tested.
	head, err := exec.Command("git", "-C", repo, "rev-parse", "HEAD").Output()
	assert.NilError(t, err)
	shipped := daggertest.CLI(t, repo, "call", "golden-path", "ship", "--commit", strings.TrimSpace(string(head)), "summary")
	assert.Check(t, shipped.ExitCode == 0, shipped.ErrorText())
	assert.Check(t, is.Contains(shipped.Stdout, "| deploy | ✅ passed |"))
	t.Cleanup(func() {
		exec.Command("kubectl", "--kubeconfig", c.admin, "delete", "namespace", team+"-dev", "--wait=false").Run()
	})
	commit := func(msg string) {
		git(t, repo, "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qam", msg)
	}
	edit(t, filepath.Join(repo, "golden-path.yaml"), "\nport: 8000\n", "\nport: 8080\n")
	commit("another port")
	otherPort := daggertest.CLI(t, repo, "check", "golden-path:gates")
	assert.Check(t, otherPort.ExitCode == 0, otherPort.ErrorText())
	edit(t, filepath.Join(repo, "golden-path.yaml"), "  liveness: /health\n", "  liveness: /healthz\n")
	commit("wrong liveness path")
	wrongPath := daggertest.CLI(t, repo, "check", "golden-path:gates")
	assert.Check(t, wrongPath.ExitCode != 0, "the gates passed with a wrong liveness path")
	assert.Check(t, is.Contains(wrongPath.ErrorText(), "| serve | ❌ failed |"))
	assert.Check(t, is.Contains(wrongPath.ErrorText(), "/healthz"))

	// The .env's values are the toolchain's arguments: the constructor's, and ship's.
	db := daggertest.CLI(t, repo, "call", "golden-path", "trivy-db-repository")
	assert.Assert(t, db.ExitCode == 0, db.ErrorText())
	assert.Check(t, is.Equal(strings.TrimSpace(db.Stdout), "db-registry:"+port+"/aquasec/trivy-db"))
}

// copyModule copies the golden path's modules (what a consumer of its git
// repository gets: the root module, the stage modules and pipeline/) to dst.
func copyModule(t *testing.T, root, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-co", "--exclude-standard",
		"dagger.json", "go.mod", "go.sum", ".dagger", "modules", "pipeline", "platform", "policy", "internal").Output()
	assert.NilError(t, err)
	files := strings.Fields(string(out))
	assert.Assert(t, len(files) > 50, "the module's files: %d", len(files))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted, not yet committed
		}
		assert.NilError(t, err)
		assert.NilError(t, os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(dst, f), data, 0o644))
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	assert.NilError(t, err, "git %s: %s", strings.Join(args, " "), out)
}
