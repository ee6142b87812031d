package tests

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"

	"github.com/golden-path/golden-path/internal/daggertest"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// cluster is the platform's Kubernetes, as `hack/platform env` describes it.
type cluster struct {
	admin, pipeline string // kubeconfig paths
	token           string // the pipeline kubeconfig's token: must never show
}

func requireCluster(t *testing.T) cluster {
	t.Helper()
	c := cluster{admin: os.Getenv("KUBECONFIG"), pipeline: os.Getenv("GP_KUBECONFIG_PIPELINE")}
	data, err := os.ReadFile(c.pipeline)
	if c.admin == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no cluster (KUBECONFIG=%q, GP_KUBECONFIG_PIPELINE=%q): run `hack/platform up`", c.admin, c.pipeline)
		}
		t.Skip("no cluster: run `hack/platform up` and `eval \"$(hack/platform env)\"`")
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "token: "); ok {
			c.token = strings.Trim(v, `"`)
		}
	}
	assert.Assert(t, c.token != "", "the pipeline kubeconfig has no token")
	return c
}

// kubectl runs kubectl as the cluster admin.
func (c cluster) kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("kubectl", append([]string{"--kubeconfig", c.admin}, args...)...).CombinedOutput()
	assert.NilError(t, err, "kubectl %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// teamCopy copies the example under a team of its own, so that its
// namespace (<team>-dev) belongs to this test; the namespace is deleted at
// the end.
func teamCopy(t *testing.T, c cluster, breakIt func(dir string)) (dir, namespace string) {
	t.Helper()
	team := "t" + newCommit(t)[:8]
	dir = brokenCopy(t, func(dir string) {
		edit(t, filepath.Join(dir, "golden-path.yaml"), "team: payments", "team: "+team)
		if breakIt != nil {
			breakIt(dir)
		}
	})
	namespace = team + "-dev"
	t.Cleanup(func() {
		exec.Command("kubectl", "--kubeconfig", c.admin, "delete", "namespace", namespace, "--wait=false").Run()
	})
	return dir, namespace
}

// shipDeployArgs is `dagger call ship` on src through publish, render,
// policy and deploy to the platform's cluster, with commit as the image's tag
// and a rollout timeout in seconds, then more arguments and fields. The
// registry's password comes from the environment (acrEnv).
func shipDeployArgs(acr daggertest.Registry, c cluster, src, commit, rolloutTimeout string, more ...string) []string {
	args := ship(src, "--registry", acr.Addr, "--username", acr.Username,
		"--password", "env://GP_TEST_ACR_PASSWORD", "--registry-tunnel", "tcp://localhost:"+acr.Port(),
		"--commit", commit, "--kubeconfig", "file://"+c.pipeline, "--kube-api", "tcp://localhost:6443",
		"--rollout-timeout", rolloutTimeout, "--smoke-path", "/greet/smoke")
	return append(args, more...)
}

// shipDeploy runs ship through the deploy (shipDeployArgs).
func shipDeploy(t *testing.T, c cluster, src, commit, rolloutTimeout string, more ...string) daggertest.Result {
	t.Helper()
	acr := daggertest.ACR(t)
	return daggertest.CLIEnv(t, daggertest.RepoRoot(t), acrEnv(acr), shipDeployArgs(acr, c, src, commit, rolloutTimeout, more...)...)
}

// served is the image of the Deployment's pod template and of every ready
// pod, once they agree.
func (c cluster) served(t *testing.T, ns string) string {
	t.Helper()
	var image string
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		image = c.kubectl(t, "get", "deployment", "hello-api", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}")
		pods := c.kubectl(t, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/name=hello-api", "-o",
			`jsonpath={range .items[?(@.metadata.deletionTimestamp)]}deleting {end}{range .items[*]}{.spec.containers[0].image}{" "}{.status.containerStatuses[0].ready}{"\n"}{end}`)
		for _, l := range strings.Split(pods, "\n") {
			if strings.HasPrefix(l, "deleting") || (l != "" && l != image+" true") {
				return poll.Continue("pods: %s (want all %s ready)", pods, image)
			}
		}
		return poll.Success()
	}, poll.WithTimeout(2*time.Minute), poll.WithDelay(2*time.Second))
	return image
}

// The example deploys, serves /metrics through its Service; a crash-on-start
// variant and a failing-health variant each roll back to it, and the old
// pods still serve. The pipeline's token never shows.
func TestDeployAndRollBack(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	var logs strings.Builder
	dir, ns := teamCopy(t, c, nil)

	good := shipDeploy(t, c, dir, newCommit(t), "120", "smoke-url")
	logs.WriteString(good.Stdout + good.Stderr)
	assert.Assert(t, good.ExitCode == 0, good.ErrorText())
	assert.Check(t, is.Equal(strings.TrimSpace(good.Stdout),
		"https://kube-api:6443/api/v1/namespaces/"+ns+"/services/http:hello-api:http/proxy/greet/smoke"))
	first := c.served(t, ns)
	assert.Check(t, is.Regexp(`^127\.0\.0\.1:\d+/t[0-9a-f]+/hello-api@sha256:[0-9a-f]{64}$`, first))
	metrics := c.kubectl(t, "get", "--raw", "/api/v1/namespaces/"+ns+"/services/http:hello-api:http/proxy/metrics")
	assert.Check(t, is.Contains(metrics, "http_requests_total"))

	for _, tc := range []struct {
		name    string
		breakIt func(dir string)
		// The rollout timeout, in seconds: a release that never gets ready fails as soon as it runs out,
		// so it is short; one that gets ready has room for a loaded machine.
		rolloutTimeout string
		want           string
	}{
		{"crash on start", func(dir string) {
			edit(t, filepath.Join(dir, "Dockerfile"), `CMD ["sh", "-c", "exec python3`, `CMD ["sh", "-c", "echo boom: cannot start >&2; exit 3; exec python3`)
		}, "30", `the rollout did not finish within 30s`},
		{"failing health", func(dir string) {
			edit(t, filepath.Join(dir, "src/main.py"), `    return {"status": "ok"}`,
				"    if os.environ.get(\"BREAK_HEALTH\"):\n        return JSONResponse({\"status\": \"broken\"}, status_code=500)\n    return {\"status\": \"ok\"}")
			edit(t, filepath.Join(dir, "Dockerfile"), "ENV PORT=8000", "ENV PORT=8000 BREAK_HEALTH=1")
		}, "120", `the smoke test GET /health failed 5 times`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The broken variant under the same team, so the same namespace.
			src := filepath.Join(t.TempDir(), "svc")
			assert.NilError(t, os.CopyFS(src, os.DirFS(dir)))
			tc.breakIt(src)
			bad := shipDeploy(t, c, src, newCommit(t), tc.rolloutTimeout, "smoke-url")
			logs.WriteString(bad.Stdout + bad.Stderr)
			assert.Check(t, bad.ExitCode != 0, "a broken release deployed:\n%s", bad.Stdout)
			msg := bad.ErrorText()
			assert.Check(t, is.Contains(msg, tc.want))
			assert.Check(t, is.Contains(msg, "Rolled back to the previous revision"))
			assert.Check(t, is.Contains(msg, "| deploy | ❌ failed |"))
			if tc.name == "crash on start" {
				assert.Check(t, is.Regexp(`pod hello-api-\S+: (CrashLoopBackOff|Error)`, msg))
				assert.Check(t, is.Contains(msg, "boom: cannot start"), "the failing pod's last log lines")
			}
			assert.Check(t, is.Equal(c.served(t, ns), first), "the previous version serves again")
			got := c.kubectl(t, "get", "--raw", "/api/v1/namespaces/"+ns+"/services/http:hello-api:http/proxy/health")
			assert.Check(t, is.Contains(got, `"ok"`))
		})
	}
	assert.Check(t, !strings.Contains(logs.String(), c.token), "the kubeconfig's token is in a log or a returned value")
}

// An unreachable API server and a kubeconfig with a bad token each give
// their own error and change nothing; the token never shows.
func TestDeployClusterErrors(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	root := daggertest.RepoRoot(t)
	dir, ns := teamCopy(t, c, nil)
	image := "127.0.0.1:5001/tests/none@sha256:" + strings.Repeat("ab", 32)
	deploy := func(kubeconfig, kubeAPI string) daggertest.Result {
		return daggertest.CLI(t, root, "call", "-m", "modules/deploy", "render", "--source", dir, "--image", image,
			"--commit", newCommit(t), "deploy", "--kubeconfig", "file://"+kubeconfig, "--kube-api", kubeAPI, "result")
	}

	down := deploy(c.pipeline, "tcp://localhost:1")
	assert.Check(t, down.ExitCode != 0)
	assert.Check(t, is.Contains(down.ErrorText(), "cannot reach the API server https://kube-api:6443"))

	data, err := os.ReadFile(c.pipeline)
	assert.NilError(t, err)
	bad := filepath.Join(t.TempDir(), "kubeconfig")
	assert.NilError(t, os.WriteFile(bad, []byte(strings.ReplaceAll(string(data), c.token, "expired-"+c.token[:4])), 0o600))
	rejected := deploy(bad, "tcp://localhost:6443")
	assert.Check(t, rejected.ExitCode != 0)
	assert.Check(t, is.Contains(rejected.ErrorText(), "rejected the kubeconfig's credentials (401 Unauthorized)"))

	// An object the API server refuses: named with the server's message, and nothing is left behind.
	invalid, invalidNS := teamCopy(t, c, func(dir string) {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, "k8s/base/settings.yaml"),
			[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello-api-Settings\ndata:\n  greeting: hi\n"), 0o644))
		edit(t, filepath.Join(dir, "k8s/base/kustomization.yaml"), "resources:\n", "resources:\n  - settings.yaml\n")
	})
	refused := daggertest.CLI(t, root, "call", "-m", "modules/deploy", "render", "--source", invalid, "--image", image,
		"--commit", newCommit(t), "deploy", "--kubeconfig", "file://"+c.pipeline, "--kube-api", "tcp://localhost:6443", "result")
	assert.Check(t, refused.ExitCode != 0)
	assert.Check(t, is.Contains(refused.ErrorText(), "the API server refused the manifests"))
	assert.Check(t, is.Regexp(`ConfigMap "hello-api-Settings" is invalid: metadata.name`, refused.ErrorText()))

	for _, n := range []string{ns, invalidNS} {
		poll.WaitOn(t, func(poll.LogT) poll.Result {
			out, _ := exec.Command("kubectl", "--kubeconfig", c.admin, "get", "namespace", n).CombinedOutput()
			if strings.Contains(string(out), "NotFound") {
				return poll.Success()
			}
			return poll.Continue("a failed deploy left the namespace %s: %s", n, out)
		}, poll.WithTimeout(time.Minute), poll.WithDelay(time.Second))
	}
	for _, r := range []daggertest.Result{down, rejected, refused} {
		assert.Check(t, !strings.Contains(r.Stdout+r.Stderr, c.token), "the token is in the log")
	}
}

// Two deploys of the same service at once end in one consistent revision:
// every ready pod runs the image the Deployment names, whose commit
// annotation is that image's.
func TestConcurrentDeploys(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	dir, ns := teamCopy(t, c, nil)
	other := filepath.Join(t.TempDir(), "svc")
	assert.NilError(t, os.CopyFS(other, os.DirFS(dir)))
	edit(t, filepath.Join(other, "Dockerfile"), "ENV PORT=8000", "ENV PORT=8000 FLAVOUR=b") // another image, same tests

	// A run that died left its lock behind: the first run takes it over once
	// it ran out (its last renewal is long past), and the two runs then take
	// it one after the other.
	lock := "hello-api-golden-path-deploy"
	c.kubectl(t, "create", "namespace", ns)
	dead := time.Now().Add(-5 * time.Minute).UTC().Format("2006-01-02T15:04:05.000000Z")
	cmd := exec.Command("kubectl", "--kubeconfig", c.admin, "create", "-f", "-")
	cmd.Stdin = strings.NewReader(`{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"` + lock + `","namespace":"` + ns + `"},` +
		`"spec":{"holderIdentity":"run-that-died","leaseDurationSeconds":60,"acquireTime":"` + dead + `","renewTime":"` + dead + `"}}`)
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, string(out))

	commits := []string{newCommit(t), newCommit(t)}
	published := make([]string, 2)
	var wg sync.WaitGroup
	results := make([]daggertest.Result, 2)
	for i, src := range []string{dir, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = shipDeploy(t, c, src, commits[i], "120", "published")
		}()
	}
	wg.Wait()
	for i, r := range results {
		assert.Assert(t, r.ExitCode == 0, r.ErrorText())
		published[i] = strings.TrimSpace(r.Stdout)
	}
	assert.Check(t, published[0] != published[1])
	image := c.served(t, ns)
	commit := c.kubectl(t, "get", "deployment", "hello-api", "-n", ns, "-o", `jsonpath={.metadata.annotations.golden-path\.dev/commit}`)
	switch image {
	case published[0]:
		assert.Check(t, is.Equal(commit, commits[0]))
	case published[1]:
		assert.Check(t, is.Equal(commit, commits[1]))
	default:
		t.Errorf("the Deployment runs %s, neither of %v", image, published)
	}
	// The lock changed hands twice (the dead run's to the first run, then to the second), and is free.
	assert.Check(t, is.Equal(c.kubectl(t, "get", "lease", lock, "-n", ns, "-o", "jsonpath={.spec.leaseTransitions}"), "2"))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "lease", lock, "-n", ns, "-o", "jsonpath={.spec.holderIdentity}"), ""), "the deploy lock was freed")
}

// pushBase puts a copy of the platform's python:3.12-slim, labelled
// gp.test.base=variant, in the registry that the engine's docker.io mirror
// reads, as python:tag: a base image that the test moves between ships.
func pushBase(t *testing.T, tag, variant string) {
	t.Helper()
	reg := daggertest.RegistryAddr()
	src, err := name.ParseReference(reg + "/library/python:3.12-slim")
	assert.NilError(t, err)
	img, err := remote.Image(src)
	assert.NilError(t, err)
	cfg, err := img.ConfigFile()
	assert.NilError(t, err)
	c := cfg.Config
	c.Labels = maps.Clone(c.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	c.Labels["gp.test.base"] = variant
	img, err = mutate.Config(img, c)
	assert.NilError(t, err)
	dst, err := name.ParseReference(reg + "/library/python:" + tag)
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(dst, img))
}

// A re-run of a commit builds it again. When the rebuild differs from the
// published image (the base image tag moved in between) but the source is
// the same, ship deploys the published image; a changed source under the same
// commit is refused, naming both images and both sources, and the tag does
// not move.
func TestShipRerunsACommit(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	acr := daggertest.ACR(t)
	base := "gp-rerun-" + newCommit(t)[:8]
	pushBase(t, base, "1")
	dir, ns := teamCopy(t, c, func(dir string) {
		edit(t, filepath.Join(dir, "Dockerfile"), "ARG PYTHON_IMAGE=python:3.12-slim", "ARG PYTHON_IMAGE=python:"+base)
	})
	commit := newCommit(t)
	first := shipDeploy(t, c, dir, commit, "120", "published")
	assert.Assert(t, first.ExitCode == 0, first.ErrorText())
	published := strings.TrimSpace(first.Stdout)

	pushBase(t, base, "2")
	again := shipDeploy(t, c, dir, commit, "120", "published")
	assert.Assert(t, again.ExitCode == 0, "the re-run of the same source failed:\n%s", again.ErrorText())
	assert.Check(t, is.Equal(strings.TrimSpace(again.Stdout), published))
	assert.Check(t, is.Equal(c.served(t, ns), published))
	// The published image is the first build's (its base says 1), not the rebuild's, and says what it was built from.
	ref, err := name.ParseReference(published)
	assert.NilError(t, err)
	img, err := remote.Image(ref, remote.WithAuth(&authn.Basic{Username: acr.Username, Password: acr.Password}))
	assert.NilError(t, err)
	cfg, err := img.ConfigFile()
	assert.NilError(t, err)
	assert.Check(t, is.Equal(cfg.Config.Labels["gp.test.base"], "1"))
	assert.Check(t, is.Equal(cfg.Config.Labels["org.opencontainers.image.revision"], commit))
	assert.Check(t, is.Regexp(`^sha256:[0-9a-f]{64}$`, cfg.Config.Labels["dev.golden-path.source-digest"]))

	edit(t, filepath.Join(dir, "src", "main.py"), "\n", "\n# not committed\n")
	dirty := shipDeploy(t, c, dir, commit, "120", "published")
	assert.Check(t, dirty.ExitCode != 0, "a changed source was published under the same commit:\n%s", dirty.Stdout)
	msg := dirty.ErrorText()
	digest := published[strings.Index(published, "@")+1:]
	assert.Check(t, is.Contains(msg, "already points to "+digest+", built from source "+cfg.Config.Labels["dev.golden-path.source-digest"]))
	assert.Check(t, is.Regexp(`this build is sha256:[0-9a-f]{64}, built from source sha256:[0-9a-f]{64}`, msg))
	assert.Check(t, is.Contains(msg, "nothing was pushed and the tag did not move"))
	tagged, err := tagDigest(t, acr, published[:strings.Index(published, "@")]+":"+commit)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(tagged, digest))
	assert.Check(t, is.Equal(c.served(t, ns), published), "nothing was deployed")
}
