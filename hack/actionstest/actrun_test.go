package actionstest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rhysd/actionlint"
	"gotest.tools/v3/assert"
)

// actVersion is the nektos/act release the workflow runs with; it is built
// from the Go module proxy with `go install` (act's own go.mod and go.sum,
// checked against the checksum database) and cached by version under
// $GP_CACHE/act-<version>, like the platform's other builds.
const actVersion = "v0.2.89"

// exampleWorkflow is the workflow the act tests run, from the repository root.
const exampleWorkflow = "examples/fastapi-service/.github/workflows/ci-cd.yaml"

// platform is the local platform as `hack/platform env` describes it.
type platform struct {
	cli, registry, acr, acrUser, acrPasswordFile string
	adminKubeconfig, pipelineKubeconfig          string
	prometheus, grafana, grafanaTokenFile        string
}

// requirePlatform skips the test when the platform is not up (GP_ACR_ADDR
// unset), except under CI=true, where that fails the run.
func requirePlatform(t *testing.T) platform {
	t.Helper()
	p := platform{
		cli: os.Getenv("_EXPERIMENTAL_DAGGER_CLI_BIN"), registry: os.Getenv("GP_REGISTRY_ADDR"),
		acr: os.Getenv("GP_ACR_ADDR"), acrUser: os.Getenv("GP_ACR_USERNAME"), acrPasswordFile: os.Getenv("GP_ACR_PASSWORD_FILE"),
		adminKubeconfig: os.Getenv("KUBECONFIG"), pipelineKubeconfig: os.Getenv("GP_KUBECONFIG_PIPELINE"),
		prometheus: os.Getenv("GP_PROMETHEUS_URL"), grafana: os.Getenv("GP_GRAFANA_URL"), grafanaTokenFile: os.Getenv("GP_GRAFANA_TOKEN_FILE"),
	}
	if p.acr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no local platform (GP_ACR_ADDR is unset): run `hack/platform up` and `eval \"$(hack/platform env)\"` before this test")
		}
		t.Skip("no local platform: run `hack/platform up` and `eval \"$(hack/platform env)\"`")
	}
	for name, v := range map[string]string{
		"_EXPERIMENTAL_DAGGER_CLI_BIN": p.cli, "GP_REGISTRY_ADDR": p.registry, "GP_ACR_USERNAME": p.acrUser,
		"GP_ACR_PASSWORD_FILE": p.acrPasswordFile, "KUBECONFIG": p.adminKubeconfig, "GP_KUBECONFIG_PIPELINE": p.pipelineKubeconfig,
		"GP_PROMETHEUS_URL": p.prometheus, "GP_GRAFANA_URL": p.grafana, "GP_GRAFANA_TOKEN_FILE": p.grafanaTokenFile,
	} {
		assert.Assert(t, v != "", "%s is unset: eval \"$(hack/platform env)\"", name)
	}
	return p
}

func port(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

// actBuild makes the tests that run side by side build act once.
var actBuild sync.Mutex

// actBinary returns the act binary, building it into the cache when it is
// not there yet (about a minute and a half on 2 cores).
func actBinary(t *testing.T) string {
	t.Helper()
	actBuild.Lock()
	defer actBuild.Unlock()
	cache := os.Getenv("GP_CACHE")
	if cache == "" {
		cache = "/var/cache/golden-path"
	}
	dir := filepath.Join(cache, "act-"+actVersion)
	bin := filepath.Join(dir, "bin", "act")
	if _, err := os.Stat(bin); err != nil {
		start := time.Now()
		assert.NilError(t, os.MkdirAll(cache, 0o755))
		tmp, err := os.MkdirTemp(cache, ".act-build-")
		assert.NilError(t, err)
		defer os.RemoveAll(tmp)
		cmd := exec.Command("go", "install", "github.com/nektos/act@"+actVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+filepath.Join(tmp, "bin"), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		assert.NilError(t, err, "go install github.com/nektos/act@%s:\n%s", actVersion, out)
		// Another build may have finished first: either is the same version.
		if err := os.Rename(tmp, dir); err != nil {
			_, serr := os.Stat(bin)
			assert.NilError(t, serr, "caching act in %s: %v", dir, err)
		}
		t.Logf("built act %s into %s in %s", actVersion, dir, time.Since(start).Round(time.Second))
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	assert.NilError(t, err, string(out))
	assert.Assert(t, strings.Contains(string(out), strings.TrimPrefix(actVersion, "v")), "%s --version: %s", bin, out)
	return bin
}

// absRepoRoot is the repository's root as an absolute path.
func absRepoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	assert.NilError(t, err)
	return root
}

// git runs git in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=act test", "GIT_AUTHOR_EMAIL=act@localhost",
		"GIT_COMMITTER_NAME=act test", "GIT_COMMITTER_EMAIL=act@localhost")
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, "git %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// actRepo is the service's repository as act sees it: a copy of the example
// (with its .github folder) at the root of a git repository of one commit,
// with origin github.com/<repository>, so that github.sha and
// github.repository exist.
type actRepo struct {
	dir, sha, repository string
}

const actRepository = "payments/hello-api"

// newActRepo copies the example's files (tracked and untracked, less what git
// ignores), lets change edit the copy, and commits it.
func newActRepo(t *testing.T, change func(dir string)) actRepo {
	t.Helper()
	root := absRepoRoot(t)
	const example = "examples/fastapi-service"
	dir := filepath.Join(t.TempDir(), "hello-api")
	files := git(t, root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", example)
	for _, f := range strings.Split(files, "\x00") {
		if f == "" {
			continue
		}
		info, err := os.Stat(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		assert.NilError(t, err)
		data, err := os.ReadFile(filepath.Join(root, f))
		assert.NilError(t, err)
		dst := filepath.Join(dir, strings.TrimPrefix(f, example+"/"))
		assert.NilError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		assert.NilError(t, os.WriteFile(dst, data, info.Mode().Perm()))
	}
	if change != nil {
		change(dir)
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "remote", "add", "origin", "https://github.com/"+actRepository+".git")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "hello-api")
	return actRepo{dir: dir, sha: git(t, dir, "rev-parse", "HEAD"), repository: actRepository}
}

// edit replaces old by new in the file, once; it returns the line new starts on.
func edit(t *testing.T, path, old, new string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	i := strings.Index(string(data), old)
	assert.Assert(t, i >= 0, "%s does not contain %q", path, old)
	assert.NilError(t, os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
	return strings.Count(string(data[:i]), "\n") + 1
}

// standIns maps each action the workflow uses from another repository,
// owner/repo@sha, to its stand-in under hack/act/actions/<owner>/<repo> (act's
// --local-repository); an action without a stand-in fails the test.
func standIns(t *testing.T, workflow string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(workflow)
	assert.NilError(t, err)
	w, errs := actionlint.Parse(data)
	assert.Assert(t, len(errs) == 0, "%s does not parse:%s", workflow, messages(errs))
	actions := filepath.Join(absRepoRoot(t), "hack/act/actions")
	m := map[string]string{}
	for _, job := range w.Jobs {
		for _, step := range job.Steps {
			exec, ok := step.Exec.(*actionlint.ExecAction)
			if !ok || exec.Uses == nil || strings.HasPrefix(exec.Uses.Value, "./") || strings.HasPrefix(exec.Uses.Value, "docker://") {
				continue
			}
			name, ref, _ := strings.Cut(exec.Uses.Value, "@")
			parts := strings.SplitN(name, "/", 3)
			assert.Assert(t, len(parts) >= 2, "uses: %s", exec.Uses.Value)
			repo := parts[0] + "/" + parts[1]
			dir := filepath.Join(actions, repo)
			action := dir
			if len(parts) == 3 {
				action = filepath.Join(dir, parts[2])
			}
			_, err := os.Stat(filepath.Join(action, "action.yml"))
			assert.Assert(t, err == nil, "%s uses %s, which has no stand-in: add %s/action.yml", workflow, exec.Uses.Value, action)
			m[repo+"@"+ref] = dir
		}
	}
	return m
}

// logLine is one line of act's --json log.
type logLine struct {
	// Job is the job's name as act logs it: <workflow>/<job>, and for a job of a reusable workflow
	// <calling job>/<workflow>/<job>.
	Job        string            `json:"job"`
	Msg        string            `json:"msg"`
	Level      string            `json:"level"`
	Step       string            `json:"step"`
	Stage      string            `json:"stage"`
	StepID     []string          `json:"stepID"`
	StepResult string            `json:"stepResult"`
	JobResult  string            `json:"jobResult"`
	RawOutput  bool              `json:"raw_output"`
	Command    string            `json:"command"`
	Name       string            `json:"name"`
	Arg        string            `json:"arg"`
	KvPairs    map[string]string `json:"kvPairs"`
	Content    string            `json:"content"`
	ExecTime   time.Duration     `json:"executionTime"`
}

// annotation is a workflow command that annotates the code: error, warning or notice.
type annotation struct {
	Level, File, Line, Title, Message string
}

func (a annotation) String() string {
	return fmt.Sprintf("::%s file=%s,line=%s,title=%s::%s", a.Level, a.File, a.Line, a.Title, a.Message)
}

// actResult is what an act run produced, read from its log and the stand-ins' records.
type actResult struct {
	exitCode   int
	duration   time.Duration
	lines      []logLine
	text       []string // what act printed that is not JSON (its final error)
	recordsDir string   // GP_ACT_RECORDS
}

// job is what the job named so logged: a job of the workflow, or the jobs of the reusable workflow that
// job calls.
func (r actResult) job(name string) actResult {
	out := r
	out.lines = nil
	for _, l := range r.lines {
		if before, after, ok := strings.Cut(l.Job, "/"); ok && (after == name || before == name) {
			out.lines = append(out.lines, l)
		}
	}
	return out
}

// jobResult is the (first) job's conclusion: success or failure.
func (r actResult) jobResult() string {
	for _, l := range r.lines {
		if l.JobResult != "" {
			return l.JobResult
		}
	}
	return ""
}

// steps are the workflow's steps that ran (stage Main), by name, with their
// result; a step that was skipped is absent.
func (r actResult) steps() map[string]string {
	m := map[string]string{}
	for _, l := range r.lines {
		if l.Stage == "Main" && len(l.StepID) == 1 && l.StepResult != "" {
			m[l.Step] = l.StepResult
		}
	}
	return m
}

// stepTimes are how long each step that ran took.
func (r actResult) stepTimes() map[string]time.Duration {
	m := map[string]time.Duration{}
	for _, l := range r.lines {
		if l.Stage == "Main" && len(l.StepID) == 1 && l.StepResult != "" {
			m[l.Step] = l.ExecTime
		}
	}
	return m
}

// outputs are the outputs the step with this id set.
func (r actResult) outputs(stepID string) map[string]string {
	m := map[string]string{}
	for _, l := range r.lines {
		if l.Command == "set-output" && len(l.StepID) == 1 && l.StepID[0] == stepID {
			m[l.Name] = l.Arg
		}
	}
	return m
}

// summary is what the steps wrote to $GITHUB_STEP_SUMMARY, in order.
func (r actResult) summary() string {
	var b strings.Builder
	for _, l := range r.lines {
		if l.Command == "summary" {
			b.WriteString(l.Content)
		}
	}
	return b.String()
}

// annotations are the annotations the step with this id printed.
func (r actResult) annotations(stepID string) []annotation {
	var out []annotation
	for _, l := range r.lines {
		switch l.Command {
		case "error", "warning", "notice":
		default:
			continue
		}
		if len(l.StepID) == 0 || l.StepID[0] != stepID {
			continue
		}
		out = append(out, annotation{Level: l.Command, File: l.KvPairs["file"], Line: l.KvPairs["line"],
			Title: l.KvPairs["title"], Message: l.Arg})
	}
	return out
}

// records are the JSON lines a stand-in recorded in GP_ACT_RECORDS/<name>.jsonl.
func (r actResult) records(t *testing.T, name string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.recordsDir, name+".jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	assert.NilError(t, err)
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m map[string]any
		assert.NilError(t, json.Unmarshal([]byte(line), &m), "%s: %s", name, line)
		out = append(out, m)
	}
	return out
}

// tail is the end of the run's log as a person reads it: the steps'
// output, the workflow commands and the results.
func (r actResult) tail(n int) string {
	var lines []string
	for _, l := range r.lines {
		if l.RawOutput || l.Command != "" || l.StepResult != "" || l.JobResult != "" || l.Level == "error" || l.Level == "warning" {
			lines = append(lines, strings.TrimRight(l.Msg, "\n"))
		}
	}
	lines = append(lines, r.text...)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// actRun is one run of the workflow by act.
type actRun struct {
	event     string
	eventJSON string            // the webhook payload, github.event
	vars      map[string]string // repository variables
	env       map[string]string // act --env: overrides the workflow's env
}

// run runs the example's workflow in repo with act, in host mode (the job's
// steps run on this machine, as on a self-hosted runner: no Docker), with the
// stand-ins of hack/act for the actions that live on github.com and for az.
func (a actRun) run(t *testing.T, act string, p platform, repo actRepo) actResult {
	t.Helper()
	root := absRepoRoot(t)
	work := t.TempDir()
	res := actResult{recordsDir: filepath.Join(work, "records")}
	workflow := filepath.Join(repo.dir, ".github/workflows", filepath.Base(exampleWorkflow))
	args := []string{a.event,
		"--directory", repo.dir, "--workflows", workflow,
		"--platform", "ubuntu-24.04=-self-hosted", // host mode
		"--action-cache-path", filepath.Join(work, "act"), // the job's workspace and temp folder too
		"--no-skip-checkout", // run the checkout stand-in rather than act's copy
		"--no-cache-server", "--json",
		"--actor", "golden-path-act",
		"--env", "GP_ACT_SOURCE=" + repo.dir,
		"--env", "GP_ACT_RECORDS=" + res.recordsDir,
	}
	if a.eventJSON != "" {
		path := filepath.Join(work, "event.json")
		assert.NilError(t, os.WriteFile(path, []byte(a.eventJSON), 0o644))
		args = append(args, "--eventpath", path)
	}
	for k, dir := range standIns(t, workflow) {
		args = append(args, "--local-repository", k+"="+dir)
	}
	for _, m := range []struct {
		flag string
		kv   map[string]string
	}{{"--env", a.env}, {"--var", a.vars}} {
		for k, v := range m.kv {
			args = append(args, m.flag, k+"="+v)
		}
	}

	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-30*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, act, args...)
	cmd.Dir = work
	// The job's steps inherit this environment (host mode): the platform's
	// variables and CLI, the az stand-in first on PATH; not the admin
	// kubeconfig, which a runner would not have.
	env := []string{"PATH=" + filepath.Join(root, "hack/act/bin") + ":" + os.Getenv("PATH"),
		"ACT_DISABLE_VERSION_CHECK=1", "NO_COLOR=1"}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "PATH" && k != "KUBECONFIG" && !strings.HasPrefix(k, "GITHUB_") &&
			!strings.HasPrefix(k, "RUNNER_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	// Its own process group, so that a timeout stops the steps it started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// The log goes to a file as it comes, to follow a long run with tail -f.
	logPath := filepath.Join(work, "act.log")
	logFile, err := os.Create(logPath)
	assert.NilError(t, err)
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	t.Logf("act %s (in %s, log in %s)", strings.Join(args, " "), work, logPath)
	start := time.Now()
	err = cmd.Run()
	res.duration = time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok {
		res.exitCode = ee.ExitCode()
	} else {
		assert.NilError(t, err)
	}
	// A failed test keeps act's whole log.
	logData, err := os.ReadFile(logPath)
	assert.NilError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			f, err := os.CreateTemp("", "act-"+t.Name()+"-*.log")
			if err == nil {
				f.Write(logData)
				f.Close()
				t.Logf("act's log (JSON lines): %s", f.Name())
			}
		}
	})
	assert.NilError(t, ctx.Err(), "act ran out of time")
	sc := bufio.NewScanner(bytes.NewReader(logData))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var l logLine
		if len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &l) == nil {
			res.lines = append(res.lines, l)
		} else if s := strings.TrimSpace(string(line)); s != "" {
			res.text = append(res.text, s)
		}
	}
	assert.NilError(t, sc.Err())
	var times []string
	for step, d := range res.stepTimes() {
		if d >= time.Second {
			times = append(times, fmt.Sprintf("%s %s", step, d.Round(time.Second)))
		}
	}
	sort.Strings(times)
	t.Logf("act %s: exit %d, job %s, in %s (%s)", a.event, res.exitCode, res.jobResult(), res.duration.Round(time.Second),
		strings.Join(times, ", "))
	// The stage table, for the stages' times.
	var table []string
rows:
	for _, l := range strings.Split(res.summary(), "\n") {
		switch {
		case strings.HasPrefix(l, "| ---"):
		case strings.HasPrefix(l, "| "):
			table = append(table, l)
		case len(table) > 0:
			break rows
		}
	}
	if len(table) > 0 {
		t.Logf("stages:\n%s", strings.Join(table, "\n"))
	}
	return res
}

// sarifVersion reads the version of a SARIF file.
func sarifVersion(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	var s struct {
		Version string
		Runs    []any
	}
	assert.NilError(t, json.Unmarshal(data, &s), path)
	assert.Check(t, len(s.Runs) > 0, "%s has no runs", path)
	return s.Version
}
