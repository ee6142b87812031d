package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// TestMain removes what the tests shared once every test has run: the
// release of the example that several tests read.
func TestMain(m *testing.M) {
	code := m.Run()
	shared.remove()
	os.Exit(code)
}

// release is the example shipped once for the whole package through every
// stage (gates, publish, render, observability, policy, deploy, observe)
// under a team of its own, so in a namespace of its own, with its reports
// exported as CI exports them (`ship … reports export --path reports`). The
// tests that only read a shipped release (its summary and outputs, the
// published image, the objects in the cluster, Prometheus' targets and
// rules, the dashboard) read this one instead of shipping the example again;
// tests that change a release ship their own.
type release struct {
	team, namespace, commit string
	// dir is the service's copy that was shipped.
	dir string
	// The ship run: its exit code and what it printed.
	run daggertest.Result
	// The exported reports: summary.md, and outputs.env read as GitHub Actions reads it.
	summary string
	outputs map[string]string
}

// sharedState is the shared release, shipped at most once per test binary.
type sharedState struct {
	once sync.Once
	rel  *release
	err  error
	dirs []string // temporary folders to remove
}

var shared sharedState

// sharedRelease returns the shared release, shipping it on the first call;
// it fails the test when that ship failed.
func sharedRelease(t *testing.T) *release {
	t.Helper()
	c := requireCluster(t)
	m := requireMonitoring(t)
	acr := daggertest.ACR(t)
	shared.once.Do(func() {
		// Until the ship returns: a ship stopped for hanging ends the first test (t.Fatal), not the others.
		shared.err = errors.New("the ship of the shared release was stopped: see the first test that shipped it")
		shared.rel, shared.err = shipShared(t, c, m, acr)
	})
	assert.NilError(t, shared.err, "the shared release of the example")
	return shared.rel
}

// shipShared ships a copy of the example under a team of its own. It does
// not fail t (the first of the tests that share the release): the error is
// every sharing test's.
func shipShared(t *testing.T, c cluster, m monitoring, acr daggertest.Registry) (*release, error) {
	root := daggertest.RepoRoot(t)
	base, err := os.MkdirTemp("", "shared-release-")
	if err != nil {
		return nil, err
	}
	shared.dirs = append(shared.dirs, base)
	dir, reports := filepath.Join(base, "svc"), filepath.Join(base, "reports")
	r := &release{commit: newCommit(t), dir: dir}
	r.team = "t" + r.commit[:8]
	r.namespace = r.team + "-dev"
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(root, example))); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "golden-path.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(data), "team: payments") {
		return nil, fmt.Errorf("%s has no \"team: payments\" to replace", cfg)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "team: payments", "team: "+r.team, 1)), 0o644); err != nil {
		return nil, err
	}
	args := shipDeployArgs(acr, c, dir, r.commit, "120", append(m.flags(t, "120"), "reports", "export", "--path", reports)...)
	r.run = daggertest.CLIEnv(t, root, acrEnv(acr), args...)
	if r.run.ExitCode != 0 {
		return r, fmt.Errorf("ship of the example failed (exit %d):\n%s", r.run.ExitCode, r.run.ErrorText())
	}
	summary, err := os.ReadFile(filepath.Join(reports, "summary.md"))
	if err != nil {
		return r, err
	}
	r.summary = string(summary)
	outputs, err := os.ReadFile(filepath.Join(reports, "outputs.env"))
	if err != nil {
		return r, err
	}
	r.outputs, err = stepOutputs(string(outputs))
	return r, err
}

// stepOutputs reads outputs.env as GitHub Actions reads $GITHUB_OUTPUT: each
// output is NAME<<DELIMITER, its value's lines, then DELIMITER.
func stepOutputs(text string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			return nil, fmt.Errorf("outputs.env line %d: %q is not NAME<<DELIMITER", i+1, lines[i])
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("outputs.env: %s has no closing %s", name, delim)
		}
		out[name] = strings.Join(value, "\n")
	}
	return out, nil
}

// remove deletes the shared release's namespace and folders.
func (s *sharedState) remove() {
	if s.rel != nil {
		// Its own, and the environments it was promoted to (TestPromote).
		for _, env := range []string{"dev", "staging", "prod"} {
			exec.Command("kubectl", "--kubeconfig", os.Getenv("KUBECONFIG"), "delete", "namespace", s.rel.team+"-"+env,
				"--wait=false", "--ignore-not-found").Run()
		}
	}
	for _, d := range s.dirs {
		os.RemoveAll(d)
	}
}
