package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/fs"

	"github.com/golden-path/golden-path/internal/daggertest"
	dorapkg "github.com/golden-path/golden-path/pipeline/dora"
	"github.com/golden-path/golden-path/pipeline/rollout"
	"github.com/golden-path/golden-path/pipeline/tenancy"
)

// tenantFleet is a team's dev environment with tenant instances, each in a
// namespace of its own (deleted at the end), and a teams file that lists
// them.
type tenantFleet struct {
	team  string
	names []string
	dir   string // the teams files' folder
}

func (f tenantFleet) namespace(name string) string { return f.team + "-dev-" + name }

// file writes a teams file giving the fleet's dev its tenants: canary the
// first, then the others parallelism at a time; what onFailure says of the
// updated ones when one fails. It returns its path.
func (f tenantFleet) file(t *testing.T, parallelism int, onFailure string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "teams:\n  - name: %s\n    namespaces: [%s-dev]\n    tenants:\n      dev:\n", f.team, f.team)
	fmt.Fprintf(&b, "        canary: [%s]\n        parallelism: %d\n        onFailure: %s\n        instances:\n", f.names[0], parallelism, onFailure)
	for _, n := range f.names {
		fmt.Fprintf(&b, "          - {name: %s, namespace: %s}\n", n, f.namespace(n))
	}
	path := filepath.Join(f.dir, fmt.Sprintf("teams-%d-%s.yaml", parallelism, onFailure))
	assert.NilError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// newTenantFleet makes n tenants (c01, c02, …) for team, their namespaces
// labelled as the platform makes them from its teams file (deleted at the
// end).
func newTenantFleet(t *testing.T, c cluster, team string, n int) tenantFleet {
	f := tenantFleet{team: team, dir: fs.NewDir(t, "teams").Path()}
	var manifests []string
	for i := 1; i <= n; i++ {
		f.names = append(f.names, fmt.Sprintf("c%02d", i))
		manifests = append(manifests, string(tenancy.Namespace(f.namespace(f.names[i-1]), team, "dev")))
	}
	apply := exec.Command("kubectl", "--kubeconfig", c.admin, "apply", "-f", "-")
	apply.Stdin = strings.NewReader(strings.Join(manifests, "---\n"))
	out, err := apply.CombinedOutput()
	assert.NilError(t, err, "%s", out)
	t.Cleanup(func() {
		for _, name := range f.names {
			exec.Command("kubectl", "--kubeconfig", c.admin, "delete", "namespace", f.namespace(name), "--wait=false", "--ignore-not-found").Run()
		}
	})
	return f
}

// tenantRow finds a tenant's row in a summary's tenant table: its wave,
// revision, digest and outcome cells.
func tenantRow(t *testing.T, summary, tenant string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\| ` + tenant + ` \| ` + "`[^`]+`" + ` \| (\S+) \| (\S+) \| (\S+) \| ([^|]+) \|`).FindStringSubmatch(summary)
	assert.Assert(t, m != nil, "no row for tenant %s in:\n%s", tenant, summary)
	return []string{m[1], m[2], strings.Trim(m[3], "`"), strings.TrimSpace(m[4])}
}

// A release goes to ten tenant instances in waves: the canary alone, then
// the others four at a time. One later tenant cannot run it (its overlay,
// k8s/tenants/dev/c07, asks for a node pool the cluster does not have): it
// fails and is rolled back (removed: it was its first release), no tenant
// starts after it, and the tenants it did not stop keep the release
// (onFailure: keep); the summary has one row per tenant, which the cluster
// bears out. Shipping again to that tenant and two others (--tenant) with
// onFailure: rollback puts the other two back on the release they served.
func TestShipTenants(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	m := requireMonitoring(t)
	acr := daggertest.ACR(t)
	dir, _ := teamCopy(t, c, func(dir string) {
		// Ten pods at the example's 100m of CPU would take half of this 2-core node's, beside the other tests'.
		edit(t, filepath.Join(dir, "golden-path.yaml"), "requests: {cpu: 100m,", "requests: {cpu: 10m,")
		tenant := filepath.Join(dir, "k8s", "tenants", "dev", "c07")
		assert.NilError(t, os.MkdirAll(tenant, 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(tenant, "kustomization.yaml"), []byte(
			"# c07 runs on its dedicated node pool, which this cluster does not have.\n"+
				"resources: [../../../overlays/dev]\npatches:\n  - path: pool.yaml\n"), 0o644))
		assert.NilError(t, os.WriteFile(filepath.Join(tenant, "pool.yaml"), []byte(
			"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n"+
				"      nodeSelector:\n        golden-path.dev/pool: dedicated-c07\n"), 0o644))
	})
	cfg, err := os.ReadFile(filepath.Join(dir, "golden-path.yaml"))
	assert.NilError(t, err)
	team := regexp.MustCompile(`(?m)^team: (\S+)`).FindStringSubmatch(string(cfg))[1]
	fleet := newTenantFleet(t, c, team, 10)
	root := daggertest.RepoRoot(t)
	commit := newCommit(t)

	res := daggertest.CLIEnv(t, root, acrEnv(acr), shipDeployArgs(acr, c, dir, commit, "90",
		append(m.flags(t, "120"), "--teams", fleet.file(t, 4, "keep"), "summary")...)...)
	assert.Assert(t, res.ExitCode != 0, "a ship with a failing tenant passed:\n%s", res.Stdout)
	out := res.ErrorText()
	assert.Check(t, is.Contains(out, "1 of 10 tenants failed and were rolled back: c07 ("+fleet.namespace("c07")+"): "))
	assert.Check(t, is.Contains(out, "didn't match Pod's node affinity/selector"), "the failure says what the pods wait for")
	assert.Check(t, is.Regexp(`\| render \| ✅ passed \|.*\| dev/c01 → namespace \S+-dev-c01, dev/c02 → namespace \S+-dev-c02, …, dev/c10 → namespace \S+-dev-c10 \(10\) \|`, out))
	assert.Check(t, is.Regexp(`\| deploy \| ❌ failed \|.*\| 10 tenants of dev in 2 waves \(parallelism 4, onFailure keep\): \d+ updated, 1 failed`, out))
	assert.Check(t, is.Contains(out, "### Tenants"))
	var image string
	updated := 0
	for i, name := range fleet.names {
		row := tenantRow(t, out, name)
		ns := fleet.namespace(name)
		recs := c.records(t, ns, "hello-api")
		switch {
		case name == "c07":
			assert.Check(t, is.DeepEqual(row[1:], []string{"–", "–", "❌ failed, rolled back"}))
			assert.Check(t, is.Equal(statuses(recs), "1:failed"))
			assert.Check(t, is.Equal(c.kubectl(t, "get", "deployment", "hello-api", "-n", ns, "--ignore-not-found", "-o", "name"), ""),
				"its first release is removed")
		case i < 6 || row[3] == "✅ updated":
			// Those before c07 in the file's order had started before it failed; a later one may have.
			assert.Check(t, is.Equal(row[3], "✅ updated"), "%s", name)
			assert.Check(t, is.Equal(row[1], "1"))
			assert.Assert(t, is.Len(recs, 1), name)
			assert.Check(t, is.Equal(recs[0].Status, rollout.StatusDeployed))
			assert.Check(t, !recs[0].Observed.IsZero(), "%s is observed: Prometheus scrapes each tenant", name)
			if image == "" {
				image = recs[0].Image
			}
			assert.Check(t, is.Equal(c.served(t, ns), image))
			assert.Check(t, is.Contains(image, "@"+row[2]), "the row's digest")
			updated++
		default:
			assert.Check(t, is.DeepEqual(row[1:], []string{"–", "–", "⏸ not started"}), "%s", name)
			assert.Check(t, is.Len(recs, 0), "%s was not started", name)
		}
		if i == 0 {
			assert.Check(t, is.Equal(row[0], "canary"))
		} else {
			assert.Check(t, is.Equal(row[0], "2"))
		}
	}
	assert.Check(t, updated >= 6, "%d tenants updated", updated)
	assert.Check(t, is.Contains(out, fmt.Sprintf("%d updated tenants keep the new release (onFailure: keep)", updated)))

	// A next commit, to c02, c03 and c07 only, with onFailure: rollback: c07 fails again, and c02 and c03 are
	// put back on the first release.
	appendTo(t, filepath.Join(dir, "src", "main.py"), "\n# the next commit\n")
	res = daggertest.CLIEnv(t, root, acrEnv(acr), shipDeployArgs(acr, c, dir, newCommit(t), "90",
		append(m.flags(t, "120"), "--teams", fleet.file(t, 4, "rollback"), "--tenant", "c02,c03,c07", "summary")...)...)
	assert.Assert(t, res.ExitCode != 0, "a ship with a failing tenant passed:\n%s", res.Stdout)
	out = res.ErrorText()
	assert.Check(t, is.Contains(out, "3 tenants of dev in one wave (parallelism 4, onFailure rollback): 1 failed, 2 rolled back"))
	assert.Check(t, is.Contains(out, "2 updated tenants were put back on their previous release (onFailure: rollback)"))
	for _, name := range []string{"c02", "c03"} {
		row := tenantRow(t, out, name)
		assert.Check(t, is.Equal(row[3], "↩️ rolled back"), name)
		ns := fleet.namespace(name)
		assert.Check(t, is.Equal(statuses(c.records(t, ns, "hello-api")), "1:superseded 2:failed 3:deployed"), name)
		assert.Check(t, is.Equal(c.served(t, ns), image))
	}
	assert.Check(t, is.Equal(statuses(c.records(t, fleet.namespace("c01"), "hello-api")), "1:deployed"), "a tenant not named is left alone")
	assert.Check(t, is.Equal(statuses(c.records(t, fleet.namespace("c07"), "hello-api")), "1:failed 2:failed"))

	// The team's delivery metrics, its namespaces read from the teams file: every tenant's records.
	var all []rollout.StoredRecord
	for _, name := range fleet.names {
		all = append(all, c.records(t, fleet.namespace(name), "hello-api")...)
	}
	want, err := dorapkg.Compute(dorapkg.FromRecords(all), time.Now(), time.Hour)
	assert.NilError(t, err)
	dora := daggertest.CLI(t, root, "call", "-m", "modules/deploy", "dora", "--kubeconfig", "file://"+c.pipeline,
		"--kube-api", "tcp://localhost:6443", "--team", team, "--teams", fleet.file(t, 4, "keep"), "--since", "1h", "json")
	assert.Assert(t, dora.ExitCode == 0, dora.ErrorText())
	var got []dorapkg.Metrics
	assert.NilError(t, json.Unmarshal([]byte(dora.Stdout), &got), dora.Stdout)
	if assert.Check(t, is.Len(got, 1), dora.Stdout) && assert.Check(t, is.Len(want, 1)) {
		assert.Check(t, is.Equal(got[0].Environment, "dev"))
		assert.Check(t, is.Equal(got[0].Deployments, want[0].Deployments))
		assert.Check(t, is.Equal(got[0].Changes, want[0].Changes))
		assert.Check(t, is.Equal(got[0].Failures, want[0].Failures))
		assert.Check(t, got[0].Failures >= 3, "c07 twice, c02 and c03 once: %+v", got[0])
	}

	// A tenant the teams file does not have, or a cluster none of them lives in, changes nothing.
	for _, bad := range []struct{ flag, value, want string }{
		{"--tenant", "c11", "team " + team + " has no tenant c11 in dev (its tenants there: c01, c02,"},
		{"--cluster", "aks-weu-2", "team " + team + " has no tenants of dev in cluster aks-weu-2 (they live in the environment's own cluster)"},
	} {
		res = daggertest.CLIEnv(t, root, acrEnv(acr), shipDeployArgs(acr, c, dir, commit, "90",
			"--teams", fleet.file(t, 4, "keep"), bad.flag, bad.value, "summary")...)
		assert.Check(t, res.ExitCode != 0)
		assert.Check(t, is.Contains(res.ErrorText(), bad.want))
		assert.Check(t, !strings.Contains(res.ErrorText(), "| deploy |"), "a ship with %s %s deployed", bad.flag, bad.value)
	}
}
