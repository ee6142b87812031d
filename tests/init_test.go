package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/fs"

	"github.com/golden-path/golden-path/internal/daggertest"
	"github.com/golden-path/golden-path/pipeline/observe"
)

// A new service, as a team starts one: `init` writes it from the template
// with its name and team, and it ships green end to end unchanged (gates,
// publish, render, policy, deploy, smoke test, scraped by Prometheus, its
// dashboard registered); so does the same service with only golden-path.yaml
// (k8s/ removed: the platform's built-in base). Names the template does not
// know, in namespaces of their own.
func TestInitShips(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	m := requireMonitoring(t)
	root := daggertest.RepoRoot(t)
	for _, tc := range []struct {
		name, service string
		onlyConfig    bool
	}{
		{"scaffolded", "orders", false},
		{"only golden-path.yaml", "invoices", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			team := "t" + newCommit(t)[:8]
			ns := team + "-dev"
			t.Cleanup(func() { c.kubectl(t, "delete", "namespace", ns, "--wait=false", "--ignore-not-found") })
			dir := filepath.Join(fs.NewDir(t, "init").Path(), tc.service)
			start := time.Now()
			res := daggertest.CLI(t, root, "call", "init", "--name", tc.service, "--team", team, "export", "--path", dir)
			assert.Assert(t, res.ExitCode == 0, res.ErrorText())
			initTime := time.Since(start)

			cfg, err := os.ReadFile(filepath.Join(dir, "golden-path.yaml"))
			assert.NilError(t, err)
			assert.Check(t, is.Contains(string(cfg), "\nname: "+tc.service+"\n"))
			assert.Check(t, is.Contains(string(cfg), "\nteam: "+team+"\n"))
			for _, f := range []string{"README.md", "src/main.py", "k8s/README.md", ".github/workflows/ci-cd.yaml", "Dockerfile"} {
				data, err := os.ReadFile(filepath.Join(dir, f))
				assert.NilError(t, err)
				assert.Check(t, !strings.Contains(string(data), "hello-api"), "%s names the template's service", f)
			}
			if tc.onlyConfig {
				// And the contract's keys, as a team that names its own stages and commands gives them.
				assert.NilError(t, os.RemoveAll(filepath.Join(dir, "k8s")))
				appendTo(t, filepath.Join(dir, "golden-path.yaml"), "\nbuild:\n  test: test\n  runtime: runtime\n"+
					"test:\n  command: python3 -m pytest -q tests\nlint:\n  command: flake8 --format=pylint src tests\n"+
					"monitoring:\n  runbook: https://wiki.example.com/runbooks/"+tc.service+"\n  labels:\n    release: golden-path-test\n")
			}

			start = time.Now()
			r := shipDeploy(t, c, dir, newCommit(t), "120", append(m.flags(t, "120"), "summary")...)
			assert.Assert(t, r.ExitCode == 0, r.ErrorText())
			t.Logf("init %s, then a green ship in %s", initTime.Round(time.Second), time.Since(start).Round(time.Second))
			summary := r.Stdout
			uid := observe.DashboardUID(team, tc.service)
			assert.Check(t, is.Contains(summary, "## ✅ Ship "+tc.service+": passed"))
			assert.Check(t, is.Regexp(`\| deploy \| ✅ passed \|`, summary))
			assert.Check(t, is.Regexp(`\| observe \| ✅ passed \|.*\| [1-9] target\(s\) up, dashboard `+m.grafana+`/d/`+uid+`/`, summary))

			// In the cluster, every object named after the service; without k8s/, the built-in base's.
			objects := c.kubectl(t, "get", "deployment,service,serviceaccount,networkpolicy,ingress", "-n", ns,
				"-l", "app.kubernetes.io/name="+tc.service, "-o", "name")
			want := "deployment.apps/" + tc.service + "\nservice/" + tc.service + "\nserviceaccount/" + tc.service +
				"\nnetworkpolicy.networking.k8s.io/" + tc.service
			if !tc.onlyConfig {
				want += "\ningress.networking.k8s.io/" + tc.service
			}
			assert.Check(t, is.Equal(objects, want))
			assert.Check(t, is.Equal(c.kubectl(t, "get", "deployment", tc.service, "-n", ns, "-o",
				`jsonpath={.spec.template.spec.serviceAccountName} {.spec.template.spec.containers[0].env[?(@.name=="SERVICE_NAME")].value}`),
				tc.service+" "+tc.service))
			assert.Check(t, is.Equal(statuses(c.records(t, ns, tc.service)), "1:deployed"))
			if tc.onlyConfig {
				// golden-path.yaml's monitoring settings reached the cluster: its label on the monitoring objects, its
				// runbooks on the alerts.
				assert.Check(t, is.Equal(c.kubectl(t, "get", "servicemonitor,prometheusrule,configmap", "-n", ns, "-l", "release=golden-path-test", "-o", "name"),
					"servicemonitor.monitoring.coreos.com/"+tc.service+"\nprometheusrule.monitoring.coreos.com/"+tc.service+"\nconfigmap/"+tc.service+"-dashboard"))
				assert.Check(t, is.Contains(c.kubectl(t, "get", "prometheusrule", tc.service, "-n", ns, "-o", "jsonpath={.spec.groups[0].rules[0].annotations.runbook_url}"),
					"https://wiki.example.com/runbooks/"+tc.service+"#"))
			}
		})
	}
}
