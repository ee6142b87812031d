package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/poll"

	"github.com/golden-path/golden-path/internal/daggertest"
	dorapkg "github.com/golden-path/golden-path/pipeline/dora"
	"github.com/golden-path/golden-path/pipeline/rollout"
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

// addConfigMap adds a ConfigMap called name to the service's k8s/base.
func addConfigMap(t *testing.T, dir, name string) {
	t.Helper()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "k8s/base", name+".yaml"),
		[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "+name+"\ndata:\n  greeting: hi\n"), 0o644))
	edit(t, filepath.Join(dir, "k8s/base/kustomization.yaml"), "resources:\n", "resources:\n  - "+name+".yaml\n")
}

// releaseObjects is what a release's objects say, field by field, without
// what the API server keeps moving (resourceVersion, managedFields, status,
// the Deployment's revision and generation): two reads are equal when
// nothing of the release changed in between.
func (c cluster) releaseObjects(t *testing.T, ns string, refs ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range refs {
		out[r] = c.kubectl(t, "get", r, "-n", ns, "-o",
			`go-template={{.metadata.labels}} {{.metadata.annotations}} {{with .spec}}{{.}}{{end}} {{with .data}}{{.}}{{end}}`)
	}
	return out
}

// records are the service's release records in ns, by revision.
func (c cluster) records(t *testing.T, ns, service string) []rollout.StoredRecord {
	t.Helper()
	out := c.kubectl(t, "get", "configmaps", "-n", ns, "-l", rollout.LabelReleaseOf+"="+service, "-o", "json")
	recs, err := rollout.ParseRecords([]byte(out), service)
	assert.NilError(t, err)
	return recs
}

func statuses(recs []rollout.StoredRecord) string {
	var s []string
	for _, r := range recs {
		s = append(s, fmt.Sprintf("%d:%s", r.Revision, r.Status))
	}
	return strings.Join(s, " ")
}

// The example deploys, serves /metrics through its Service; a crash-on-start
// variant that also changes the Service and adds a ConfigMap, and a
// failing-health variant, each roll back the whole release: the previous
// Service, ConfigMaps and monitoring objects are as they were, field by
// field, the added ConfigMap is gone, and the old pods still serve. A good
// release then removes the objects the previous one had and it has not.
// Every deploy left a release record. The pipeline's token never shows.
func TestDeployAndRollBack(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	var logs strings.Builder
	dir, ns := teamCopy(t, c, func(dir string) { addConfigMap(t, dir, "hello-api-extra") })

	// Each good release's commit was made some minutes before it ships: ship records when (--commit-time).
	commitTime := func(ago time.Duration) string { return time.Now().Add(-ago).UTC().Format(time.RFC3339) }
	firstCommitTime := commitTime(7 * time.Minute)
	good := shipDeploy(t, c, dir, newCommit(t), "120", "--commit-time", firstCommitTime, "smoke-url")
	logs.WriteString(good.Stdout + good.Stderr)
	assert.Assert(t, good.ExitCode == 0, good.ErrorText())
	assert.Check(t, is.Equal(strings.TrimSpace(good.Stdout),
		"https://kube-api:6443/api/v1/namespaces/"+ns+"/services/http:hello-api:http/proxy/greet/smoke"))
	first := c.served(t, ns)
	assert.Check(t, is.Regexp(`^127\.0\.0\.1:\d+/t[0-9a-f]+/hello-api@sha256:[0-9a-f]{64}$`, first))
	metrics := c.kubectl(t, "get", "--raw", "/api/v1/namespaces/"+ns+"/services/http:hello-api:http/proxy/metrics")
	assert.Check(t, is.Contains(metrics, "http_requests_total"))
	kept := []string{"service/hello-api", "configmap/hello-api-extra", "configmap/hello-api-dashboard", "servicemonitor/hello-api",
		"prometheusrule/hello-api", "networkpolicy/hello-api", "serviceaccount/hello-api"}
	before := c.releaseObjects(t, ns, kept...)
	assert.Check(t, is.Equal(statuses(c.records(t, ns, "hello-api")), "1:deployed"))

	for _, tc := range []struct {
		name    string
		breakIt func(dir string)
		// The rollout timeout, in seconds: a release that never gets ready fails as soon as it runs out,
		// so it is short; one that gets ready has room for a loaded machine.
		rolloutTimeout string
		want           string
	}{
		{"crash on start", func(dir string) {
			// Only in the cluster (a database only the cluster reaches): the serve gate, which starts the image
			// outside it, passes.
			edit(t, filepath.Join(dir, "Dockerfile"), `CMD ["sh", "-c", "exec python3`, `CMD ["sh", "-c", "test -z \"$KUBERNETES_SERVICE_HOST\" || { echo boom: cannot start >&2; exit 3; }; exec python3`)
			edit(t, filepath.Join(dir, "k8s/base/service.yaml"), "  name: app\n", "  name: app\n  annotations:\n    golden-path.test/changed: \"yes\"\n")
			edit(t, filepath.Join(dir, "k8s/base/hello-api-extra.yaml"), "greeting: hi", "greeting: changed")
			addConfigMap(t, dir, "hello-api-added")
		}, "30", `the rollout did not finish within 30s`},
		{"failing health", func(dir string) {
			edit(t, filepath.Join(dir, "src/main.py"), `    return {"status": "ok"}`,
				"    if os.environ.get(\"BREAK_HEALTH\") and os.environ.get(\"KUBERNETES_SERVICE_HOST\"):\n        return JSONResponse({\"status\": \"broken\"}, status_code=500)\n    return {\"status\": \"ok\"}")
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
			assert.Check(t, is.Regexp(`Rolled back to revision 1 \(commit [0-9a-f]{40}, image \S+\): its \d+ objects were put back as they were`, msg))
			assert.Check(t, is.Contains(msg, "it is healthy and serving again"))
			assert.Check(t, is.Regexp(`\| deploy \| ❌ failed \|[^|\n]*\| revision [23] failed; rolled back to revision 1 \([0-9a-f]{12}\), serving again \|`, msg))
			if tc.name == "crash on start" {
				assert.Check(t, is.Regexp(`pod hello-api-\S+: (CrashLoopBackOff|Error)`, msg))
				assert.Check(t, is.Contains(msg, "boom: cannot start"), "the failing pod's last log lines")
				assert.Check(t, is.Contains(msg, "the 1 this release added were removed (ConfigMap/hello-api-added)"))
				assert.Check(t, is.Equal(c.kubectl(t, "get", "configmap", "hello-api-added", "-n", ns, "--ignore-not-found", "-o", "name"), ""))
			}
			assert.Check(t, is.Equal(c.served(t, ns), first), "the previous version serves again")
			assert.Check(t, is.DeepEqual(c.releaseObjects(t, ns, kept...), before), "the previous release's objects are as they were")
			got := c.kubectl(t, "get", "--raw", "/api/v1/namespaces/"+ns+"/services/http:hello-api:http/proxy/health")
			assert.Check(t, is.Contains(got, `"ok"`))
		})
	}
	assert.Check(t, is.Equal(c.kubectl(t, "get", "configmap", "hello-api-added", "-n", ns, "--ignore-not-found", "-o", "name"), ""),
		"the object a failed release added is gone")

	// A good release without hello-api-extra: the ConfigMap of revision 1 goes.
	edit(t, filepath.Join(dir, "k8s/base/kustomization.yaml"), "  - hello-api-extra.yaml\n", "")
	nextCommitTime := commitTime(3 * time.Minute)
	next := shipDeploy(t, c, dir, newCommit(t), "120", "--commit-time", nextCommitTime, "rollout")
	logs.WriteString(next.Stdout + next.Stderr)
	assert.Assert(t, next.ExitCode == 0, next.ErrorText())
	assert.Check(t, is.Regexp(`; lead time (\d+h)?(\d+m)?\d+s from commit to verified`, next.Stdout), "ship's summary gives the release's lead time")
	assert.Check(t, is.Contains(next.Stdout, "removed ConfigMap/hello-api-extra of revision 1"))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "configmap", "hello-api-extra", "-n", ns, "--ignore-not-found", "-o", "name"), ""))
	recs := c.records(t, ns, "hello-api")
	assert.Check(t, is.Equal(statuses(recs), "1:superseded 2:failed 3:failed 4:deployed"))
	if len(recs) == 4 {
		assert.Check(t, is.Equal(recs[3].Previous, 1))
		assert.Check(t, is.Contains(recs[1].Message, "the rollout did not finish within 30s"))
		assert.Check(t, is.Equal(recs[0].Image, first))
		assert.Check(t, is.Contains(string(recs[3].Manifests), "kind: Deployment"))
		assert.Check(t, !recs[3].Finished.Before(recs[3].Started))
	}

	// The history and a rollback by hand: revision 1 (with hello-api-extra) comes back, whole, as revision 5; a
	// release that failed is refused.
	deployModule := func(function string, more ...string) daggertest.Result {
		return daggertest.CLI(t, daggertest.RepoRoot(t), append([]string{"call", "-m", "modules/deploy", function,
			"--kubeconfig", "file://" + c.pipeline, "--kube-api", "tcp://localhost:6443", "--namespace", ns, "--service", "hello-api"}, more...)...)
	}
	history := deployModule("history")
	assert.Assert(t, history.ExitCode == 0, history.ErrorText())
	assert.Check(t, is.Regexp(`(?s)\| 4 \| deployed \| [0-9a-f]{12} \|.*\| 3 \| failed \|.*smoke test GET /health failed.*\| 2 \| failed \|.*\| 1 \| superseded \|.*replaced by revision 4`, history.Stdout))
	refused := deployModule("rollback", "--to-revision", "2", "result")
	assert.Check(t, refused.ExitCode != 0)
	assert.Check(t, is.Contains(refused.ErrorText(), "revision 2 failed, it never served verified"))
	back := deployModule("rollback", "--to-revision", "1", "result")
	logs.WriteString(back.Stdout + back.Stderr + history.Stdout + history.Stderr)
	assert.Assert(t, back.ExitCode == 0, back.ErrorText())
	assert.Check(t, is.Contains(back.Stdout, "put back as revision 5: rolled out; smoke test passed (/ready, /health, /greet/smoke)"))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "configmap", "hello-api-extra", "-n", ns, "-o", "name"), "configmap/hello-api-extra"))
	assert.Check(t, is.Equal(c.served(t, ns), first))
	recs = c.records(t, ns, "hello-api")
	assert.Check(t, is.Equal(statuses(recs), "1:superseded 2:failed 3:failed 4:superseded 5:deployed"))
	if len(recs) == 5 {
		assert.Check(t, is.Equal(recs[4].RollbackOf, 1))
		assert.Check(t, is.Equal(recs[3].Message, "rolled back to revision 1 (revision 5)"))
	}

	// The delivery metrics of this history, checked against its records: the changes are revisions 1 to 4 (5
	// is a rollback); 2 and 3 failed their deploy and 4 was rolled back by 5; 1 and 4 served, verified, each
	// with its commit's time; each failure was restored by the next verified release (4, 4, 5).
	dora := daggertest.CLI(t, daggertest.RepoRoot(t), "call", "-m", "modules/deploy", "dora", "--kubeconfig", "file://"+c.pipeline,
		"--kube-api", "tcp://localhost:6443", "--namespaces", ns, "--since", "1h", "json")
	logs.WriteString(dora.Stdout + dora.Stderr)
	assert.Assert(t, dora.ExitCode == 0, dora.ErrorText())
	var delivery []dorapkg.Metrics
	assert.NilError(t, json.Unmarshal([]byte(dora.Stdout), &delivery), dora.Stdout)
	if assert.Check(t, is.Len(recs, 5)) && assert.Check(t, is.Len(delivery, 1), dora.Stdout) {
		parse := func(s string) time.Time { p, err := time.Parse(time.RFC3339, s); assert.NilError(t, err); return p }
		lead1, lead4 := recs[0].Finished.Sub(parse(firstCommitTime)), recs[3].Finished.Sub(parse(nextCommitTime))
		restores := []time.Duration{recs[3].Finished.Sub(recs[1].Started), recs[3].Finished.Sub(recs[2].Started), recs[4].Finished.Sub(recs[3].Started)}
		slices.Sort(restores)
		assert.Check(t, is.DeepEqual(delivery[0], dorapkg.Metrics{
			Service: "hello-api", Environment: "dev", Deployments: 2, PerDay: 48,
			LeadTime: (lead1 + lead4) / 2, LeadTimes: 2, Changes: 4, Failures: 3, ChangeFailureRate: 0.75,
			TimeToRestore: restores[1], Restores: 3,
		}))
	}
	md := daggertest.CLI(t, daggertest.RepoRoot(t), "call", "-m", "modules/deploy", "dora", "--kubeconfig", "file://"+c.pipeline,
		"--kube-api", "tcp://localhost:6443", "--namespaces", ns, "--since", "1h", "markdown")
	assert.Check(t, is.Regexp(`\| hello-api \| dev \| 2 \| 48\.00 \| (\d+m)?\d+s \(2\) \| 75% \(3 of 4\) \| (\d+m)?\d+s \(3\) \|`, md.Stdout), md.ErrorText())
	assert.Check(t, !strings.Contains(logs.String(), c.token), "the kubeconfig's token is in a log or a returned value")
}

// A failed first deploy into a namespace that holds a sibling service
// removes its own objects, and neither the sibling nor the namespace.
func TestFailedFirstDeployKeepsSiblings(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	dir, ns := teamCopy(t, c, nil)
	c.kubectl(t, "create", "namespace", ns)
	c.kubectl(t, "create", "deployment", "sibling", "-n", ns, "--image=127.0.0.1:5001/tests/sibling:1", "--replicas=0")
	c.kubectl(t, "create", "configmap", "sibling-settings", "-n", ns, "--from-literal=a=b")

	// An image that cannot be pulled: the rollout runs out of time.
	image := "127.0.0.1:5001/tests/none@sha256:" + strings.Repeat("cd", 32)
	r := daggertest.CLI(t, daggertest.RepoRoot(t), "call", "-m", "modules/deploy", "render", "--source", dir, "--image", image,
		"--commit", newCommit(t), "deploy", "--kubeconfig", "file://"+c.pipeline, "--kube-api", "tcp://localhost:6443", "--timeout", "10", "result")
	assert.Check(t, r.ExitCode != 0, r.Stdout)
	msg := r.ErrorText()
	assert.Check(t, is.Contains(msg, "the rollout did not finish within 10s"))
	assert.Check(t, is.Regexp(`There was no previous release to roll back to: the objects of this release were removed \([^)]*Deployment/hello-api`, msg))
	assert.Check(t, !strings.Contains(msg, "namespace "+ns+", which this deploy created"), "the namespace was there before")
	assert.Check(t, is.Equal(c.kubectl(t, "get", "deployment", "sibling", "-n", ns, "-o", "name"), "deployment.apps/sibling"))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "configmap", "sibling-settings", "-n", ns, "-o", "name"), "configmap/sibling-settings"))
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		left := c.kubectl(t, "get", "deployments,services,serviceaccounts,networkpolicies", "-n", ns, "-l", "app.kubernetes.io/name=hello-api", "-o", "name")
		if left == "" {
			return poll.Success()
		}
		return poll.Continue("the failed release left %s", left)
	}, poll.WithTimeout(time.Minute), poll.WithDelay(time.Second))
	assert.Check(t, is.Equal(statuses(c.records(t, ns, "hello-api")), "1:failed"), "the failed release is on record")
}

// A deploy never takes over an object it does not own: objects of the
// release that exist and are another service's (by golden-path's labels)
// or were made by hand are named with their owner, and nothing is applied.
func TestDeployRefusesOthersObjects(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	dir, ns := teamCopy(t, c, nil)
	c.kubectl(t, "create", "namespace", ns)
	// Made by hand, by another tool (server-side apply records its field manager).
	sa := filepath.Join(t.TempDir(), "sa.yaml")
	assert.NilError(t, os.WriteFile(sa, []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: hello-api\n  labels:\n    owner: ops\n"), 0o600))
	c.kubectl(t, "apply", "--server-side", "--field-manager=ops-console", "-n", ns, "-f", sa)
	c.kubectl(t, "create", "service", "clusterip", "hello-api", "--tcp=80:8080", "-n", ns)
	c.kubectl(t, "label", "service", "hello-api", "-n", ns, "app.kubernetes.io/managed-by=golden-path",
		"app.kubernetes.io/name=orders", "team=ledger")
	before := c.kubectl(t, "get", "service", "hello-api", "-n", ns, "-o", "jsonpath={.spec.ports[0].targetPort} {.metadata.labels}")

	image := "127.0.0.1:5001/tests/none@sha256:" + strings.Repeat("ef", 32)
	r := daggertest.CLI(t, daggertest.RepoRoot(t), "call", "-m", "modules/deploy", "render", "--source", dir, "--image", image,
		"--commit", newCommit(t), "deploy", "--kubeconfig", "file://"+c.pipeline, "--kube-api", "tcp://localhost:6443", "--timeout", "10", "result")
	assert.Check(t, r.ExitCode != 0, r.Stdout)
	msg := r.ErrorText()
	assert.Check(t, is.Contains(msg, "nothing was applied: 2 object(s) of this release already exist in "+ns+" and are not hello-api's"))
	assert.Check(t, is.Contains(msg, "ServiceAccount/hello-api: not created by golden-path (written by ops-console)"))
	assert.Check(t, is.Contains(msg, "Service/hello-api: team ledger, service orders"))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "service", "hello-api", "-n", ns, "-o", "jsonpath={.spec.ports[0].targetPort} {.metadata.labels}"), before),
		"the other service's Service changed")
	assert.Check(t, is.Equal(c.kubectl(t, "get", "serviceaccount", "hello-api", "-n", ns, "-o", "jsonpath={.metadata.labels}"), `{"owner":"ops"}`))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "deployments", "-n", ns, "-o", "name"), ""), "a Deployment was applied")
	assert.Check(t, is.Len(c.records(t, ns, "hello-api"), 0), "a release was recorded")
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

	// A commit time that is not RFC 3339: refused by the render, with the command that gives it, before any deploy.
	badTime := daggertest.CLI(t, root, "call", "-m", "modules/deploy", "render", "--source", invalid, "--image", image,
		"--commit", newCommit(t), "--commit-time", "yesterday", "deploy", "--kubeconfig", "file://"+c.pipeline,
		"--kube-api", "tcp://localhost:6443", "result")
	assert.Check(t, badTime.ExitCode != 0)
	assert.Check(t, is.Contains(badTime.ErrorText(), `render: --commit-time "yesterday" is not an RFC 3339 time: give the commit's time as `+"`git log -1 --format=%cI`"))

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
	// The second release was applied after the first one's verify ended, by the records the deploys kept.
	recs := c.records(t, ns, "hello-api")
	assert.Check(t, is.Equal(statuses(recs), "1:superseded 2:deployed"))
	if len(recs) == 2 {
		assert.Check(t, !recs[1].Started.Before(recs[0].Finished), "revision 2 started at %s, before revision 1 was verified at %s",
			recs[1].Started, recs[0].Finished)
		assert.Check(t, is.Equal(recs[1].Image, image), "the last release serves")
		assert.Check(t, is.Equal(recs[1].Previous, 1))
	}
	// The lock changed hands twice (the dead run's to the first run, then to the second), and is free.
	assert.Check(t, is.Equal(c.kubectl(t, "get", "lease", lock, "-n", ns, "-o", "jsonpath={.spec.leaseTransitions}"), "2"))
	assert.Check(t, is.Equal(c.kubectl(t, "get", "lease", lock, "-n", ns, "-o", "jsonpath={.spec.holderIdentity}"), ""), "the deploy lock was freed")
}

// otherRunnersBuild puts, under the commit tag other of the repository of
// published, the image another runner would have built from the same source:
// published with one more label (another engine, a base image tag that had
// moved, another day's RUN output). It returns it by digest.
func otherRunnersBuild(t *testing.T, acr daggertest.Registry, published, other string) string {
	t.Helper()
	auth := remote.WithAuth(&authn.Basic{Username: acr.Username, Password: acr.Password})
	ref, err := name.ParseReference(published)
	assert.NilError(t, err)
	img, err := remote.Image(ref, auth)
	assert.NilError(t, err)
	cfg, err := img.ConfigFile()
	assert.NilError(t, err)
	c := cfg.Config
	c.Labels = maps.Clone(c.Labels)
	c.Labels["gp.test.runner"] = "other"
	c.Labels["org.opencontainers.image.revision"] = other
	img, err = mutate.Config(img, c)
	assert.NilError(t, err)
	repo := published[:strings.Index(published, "@")]
	dst, err := name.ParseReference(repo + ":" + other)
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(dst, img, auth))
	digest, err := img.Digest()
	assert.NilError(t, err)
	return repo + "@" + digest.String()
}

// A re-run of a commit builds it again. On the same engine the rebuild is
// the published image: the same release is applied again, with no new
// revision. When the commit's image was built elsewhere first (another
// runner: the rebuild differs) from the same source, ship deploys that
// image; a changed source under a published commit is refused, naming both
// images and both sources, and the tag does not move.
func TestShipRerunsACommit(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	acr := daggertest.ACR(t)
	dir, ns := teamCopy(t, c, nil)
	commit := newCommit(t)
	first := shipDeploy(t, c, dir, commit, "120", "published")
	assert.Assert(t, first.ExitCode == 0, first.ErrorText())
	published := strings.TrimSpace(first.Stdout)

	again := shipDeploy(t, c, dir, commit, "120", "summary")
	assert.Assert(t, again.ExitCode == 0, "the re-run of the same source failed:\n%s", again.ErrorText())
	assert.Check(t, is.Contains(again.Stdout, "**Image:** `"+published+"`"))
	assert.Check(t, is.Regexp(`\| publish \| ✅ passed \|[^\n]*\| already published \(the same image\): nothing uploaded, tags `+commit+` \|`, again.Stdout))
	assert.Check(t, is.Equal(c.served(t, ns), published))
	// The same release: applied again as recorded, verified, and no new revision.
	assert.Check(t, is.Regexp(`\| deploy \| ✅ passed \|[^\n]*revision 1: unchanged since revision 1 \(applied again as recorded\); rolled out; smoke test passed`, again.Stdout))
	assert.Check(t, is.Equal(statuses(c.records(t, ns, "hello-api")), "1:deployed"))

	// Another runner shipped the next commit first: this run's rebuild differs from its image, the source is the same.
	other := newCommit(t)
	theirs := otherRunnersBuild(t, acr, published, other)
	rerun := shipDeploy(t, c, dir, other, "120", "summary")
	assert.Assert(t, rerun.ExitCode == 0, "the re-run of another runner's build failed:\n%s", rerun.ErrorText())
	assert.Check(t, is.Contains(rerun.Stdout, "**Image:** `"+theirs+"`"))
	assert.Check(t, is.Regexp(`\| publish \| ✅ passed \|[^\n]*\| reused the image published for this commit \(built from the same source; this run's rebuild differs and was not pushed\), tags `+other+` \|`, rerun.Stdout))
	assert.Check(t, is.Equal(c.served(t, ns), theirs))
	assert.Check(t, is.Equal(statuses(c.records(t, ns, "hello-api")), "1:superseded 2:deployed"))
	tagged, err := tagDigest(t, acr, published[:strings.Index(published, "@")]+":"+other)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(published[:strings.Index(published, "@")]+"@"+tagged, theirs), "the tag did not move")

	// The published image says what it was built from.
	ref, err := name.ParseReference(published)
	assert.NilError(t, err)
	img, err := remote.Image(ref, remote.WithAuth(&authn.Basic{Username: acr.Username, Password: acr.Password}))
	assert.NilError(t, err)
	cfg, err := img.ConfigFile()
	assert.NilError(t, err)
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
	tagged, err = tagDigest(t, acr, published[:strings.Index(published, "@")]+":"+commit)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(tagged, digest))
	assert.Check(t, is.Equal(c.served(t, ns), theirs), "nothing was deployed")
}
