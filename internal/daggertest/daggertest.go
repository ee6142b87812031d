// Package daggertest connects tests to the Dagger engine that hack/platform
// runs, and runs the dagger CLI the way a user would.
package daggertest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"gotest.tools/v3/assert"
)

// RequireEngine skips the test when no engine is reachable, except under
// CI=true, where a missing engine fails the run.
func RequireEngine(t *testing.T) {
	t.Helper()
	host := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST")
	if _, err := os.Stat(strings.TrimPrefix(host, "unix://")); host == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Dagger engine at %q: run `hack/platform up` and `eval \"$(hack/platform env)\"`", host)
		}
		t.Skip("no Dagger engine: run `hack/platform up` and `eval \"$(hack/platform env)\"`")
	}
}

// Connect returns a client of the engine, closed when the test ends.
func Connect(t *testing.T) *dagger.Client {
	t.Helper()
	RequireEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	c, err := dagger.Connect(ctx, dagger.WithLogOutput(logWriter{t}))
	assert.NilError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Result is one dagger CLI run.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// CLI runs the dagger CLI in dir with plain progress and returns what it
// printed; it does not fail the test on a non-zero exit.
func CLI(t *testing.T, dir string, args ...string) Result {
	t.Helper()
	return CLIEnv(t, dir, nil, args...)
}

// CLIEnv is CLI with env (NAME=value each) added to this run's environment
// alone, e.g. a secret the arguments name as env://NAME: parallel tests
// cannot change the process's environment.
func CLIEnv(t *testing.T, dir string, env []string, args ...string) Result {
	t.Helper()
	RequireEngine(t)
	// A run that hangs is stopped in time for this test to fail with what it printed, before the test
	// binary's deadline panics every test at once.
	ctx, cancel := context.WithTimeout(context.Background(), CLITimeout)
	defer cancel()
	if d, ok := t.Deadline(); ok {
		var cancelDeadline context.CancelFunc
		ctx, cancelDeadline = context.WithDeadline(ctx, d.Add(-time.Minute))
		defer cancelDeadline()
	}
	cmd := exec.CommandContext(ctx, os.Getenv("_EXPERIMENTAL_DAGGER_CLI_BIN"), append([]string{"--progress=plain"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("dagger %s: stopped after %s without an answer; the last lines it printed:\n%s",
			strings.Join(args, " "), time.Since(start).Round(time.Second), Tail(r.Stderr, 40))
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.ExitCode = ee.ExitCode()
	} else {
		assert.NilError(t, err)
	}
	return r
}

// CLITimeout bounds one dagger CLI run in tests: the slowest, a ship of the example through every stage on a
// busy machine, takes a few minutes.
var CLITimeout = 20 * time.Minute

// MustCLI is CLI that fails the test on a non-zero exit; it returns stdout.
func MustCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := CLI(t, dir, args...)
	assert.Equal(t, r.ExitCode, 0, "dagger %s\n%s", strings.Join(args, " "), Tail(r.Stderr, 40))
	return r.Stdout
}

// ErrorText is what the CLI printed after "Error:", the part a user reads.
func (r Result) ErrorText() string {
	if i := strings.LastIndex(r.Stderr, "\nError: "); i >= 0 {
		return r.Stderr[i+1:]
	}
	return Tail(r.Stderr, 20)
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// RepoRoot is the top of the git checkout the tests run in.
func RepoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	assert.NilError(t, err)
	return strings.TrimSpace(string(out))
}

// RegistryAddr is the local registry's host:port (GP_REGISTRY_ADDR, as
// `hack/platform env` sets it).
func RegistryAddr() string {
	if a := os.Getenv("GP_REGISTRY_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:5000"
}

// Registry is the local platform's authenticated registry, the stand-in for
// Azure Container Registry.
type Registry struct {
	// Addr is host:port, Username and Password the push identity.
	Addr, Username, Password string
}

// Port is the registry's port.
func (r Registry) Port() string { return r.Addr[strings.LastIndex(r.Addr, ":")+1:] }

// ACR returns the platform's authenticated registry (as `hack/platform env`
// describes it); it skips the test when there is none, except under CI=true.
func ACR(t *testing.T) Registry {
	t.Helper()
	r := Registry{Addr: os.Getenv("GP_ACR_ADDR"), Username: os.Getenv("GP_ACR_USERNAME")}
	pw, err := os.ReadFile(os.Getenv("GP_ACR_PASSWORD_FILE"))
	if r.Addr == "" || r.Username == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no authenticated registry (GP_ACR_ADDR=%q, GP_ACR_PASSWORD_FILE): run `hack/platform up` and `eval \"$(hack/platform env)\"`", r.Addr)
		}
		t.Skip("no authenticated registry: run `hack/platform up` and `eval \"$(hack/platform env)\"`")
	}
	r.Password = strings.TrimSpace(string(pw))
	return r
}
