package actionstest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// The act tests run the example's workflow (examples/fastapi-service/.github/
// workflows/ci-cd.yaml) end to end with nektos/act in host mode, against the
// local platform: its Dagger engine, its registries, its cluster, its
// Prometheus and Grafana stand-in. The actions that live on github.com run as
// the stand-ins of hack/act/actions (act's --local-repository), az as
// hack/act/bin/az, and the workflow's GOLDEN_PATH module is this checkout
// (act's --env). What the workflow needs on this machine only, the tunnels to
// the host's loopback services, comes in the repository variables
// GOLDEN_PATH_GATE_ARGS and GOLDEN_PATH_SHIP_ARGS, empty on GitHub.
//
// Each test asserts what a person would read on GitHub: the job's and steps'
// results, the step summary, the annotations and the outputs of the reports
// step, and what the stand-ins were given.

// gateArgs are the gates' arguments this machine needs: Trivy's DB from the
// local registry, through a tunnel.
func (p platform) gateArgs() string {
	return fmt.Sprintf("--trivy-db-registry tcp://localhost:%[1]s --trivy-db-repository db-registry:%[1]s/aquasec/trivy-db", port(p.registry))
}

// shipArgs are the publish and deploy arguments this machine needs: the
// local ACR's user (its token user, 00000000-…, is ACR's alone) and tunnels to
// the registry, the API server, Prometheus and Grafana.
func (p platform) shipArgs(t *testing.T) string {
	return "--username " + p.acrUser + " --registry-tunnel tcp://localhost:" + port(p.acr) + " " + p.promoteArgs(t)
}

// promoteArgs are the deploy and observe arguments this machine needs: tunnels to the API server,
// Prometheus and Grafana.
func (p platform) promoteArgs(t *testing.T) string {
	prom, err := url.Parse(p.prometheus)
	assert.NilError(t, err)
	graf, err := url.Parse(p.grafana)
	assert.NilError(t, err)
	return strings.Join([]string{
		"--kube-api", "tcp://localhost:6443",
		"--prometheus-url", p.prometheus, "--prometheus-tunnel", "tcp://localhost:" + prom.Port(),
		"--grafana-url", p.grafana, "--grafana-token", "file://" + p.grafanaTokenFile, "--grafana-tunnel", "tcp://localhost:" + graf.Port(),
	}, " ")
}

// pushRun is the workflow on a push to main, with the repository variables
// of the header of the workflow pointing at the local platform.
func pushRun(t *testing.T, p platform, repo actRepo) actRun {
	return actRun{
		event: "push",
		eventJSON: fmt.Sprintf(`{"ref": "refs/heads/main", "after": %q, "repository": {"full_name": %q, "default_branch": "main"}}`,
			repo.sha, repo.repository),
		vars: map[string]string{
			"AZURE_CLIENT_ID": azureClientID, "AZURE_TENANT_ID": azureTenantID, "AZURE_SUBSCRIPTION_ID": azureSubscriptionID,
			"ACR_NAME": "goldenpathlocal", "AKS_RESOURCE_GROUP": "rg-golden-path", "AKS_CLUSTER": "aks-golden-path",
			"GOLDEN_PATH_GATE_ARGS": p.gateArgs(), "GOLDEN_PATH_SHIP_ARGS": p.shipArgs(t), "GOLDEN_PATH_PROMOTE_ARGS": p.promoteArgs(t),
		},
		env: map[string]string{"GOLDEN_PATH": absRepoRoot(t)},
	}
}

const (
	azureClientID       = "11111111-1111-1111-1111-111111111111"
	azureTenantID       = "22222222-2222-2222-2222-222222222222"
	azureSubscriptionID = "33333333-3333-3333-3333-333333333333"
)

// ownTeam gives the copy a team of its own, so that its namespaces
// (<team>-dev, -staging, -prod) and image repository (<team>/hello-api)
// belong to this test; the namespaces are deleted at the end.
func ownTeam(t *testing.T, p platform) (team string, change func(dir string)) {
	b := make([]byte, 4)
	_, err := rand.Read(b)
	assert.NilError(t, err)
	team = "act" + hex.EncodeToString(b)
	t.Cleanup(func() {
		for _, env := range []string{"dev", "staging", "prod"} { // a push promotes to staging and prod
			exec.Command("kubectl", "--kubeconfig", p.adminKubeconfig, "delete", "namespace", team+"-"+env,
				"--wait=false", "--ignore-not-found").Run()
		}
	})
	return team, func(dir string) {
		edit(t, filepath.Join(dir, "golden-path.yaml"), "team: payments", "team: "+team)
	}
}

// A pull request runs the gates only: they pass, the summary has the stage
// table, the outputs say ok with no image, the SARIF goes to code scanning,
// and nothing logs in to Azure.
func TestActPullRequest(t *testing.T) {
	t.Parallel()
	p := requirePlatform(t)
	act := actBinary(t)
	repo := newActRepo(t, nil)
	res := actRun{
		event: "pull_request",
		eventJSON: fmt.Sprintf(`{"number": 7, "pull_request": {"number": 7,
			"head": {"ref": "feature", "sha": %q, "repo": {"full_name": %[2]q}},
			"base": {"ref": "main", "repo": {"full_name": %[2]q}}},
			"repository": {"full_name": %[2]q, "default_branch": "main"}}`, repo.sha, repo.repository),
		vars: map[string]string{"GOLDEN_PATH_GATE_ARGS": p.gateArgs()},
		env:  map[string]string{"GOLDEN_PATH": absRepoRoot(t)},
	}.run(t, act, p, repo)

	assert.Assert(t, res.exitCode == 0 && res.jobResult() == "success", "act: exit %d, job %q\n%s", res.exitCode, res.jobResult(), res.tail(60))
	assert.Check(t, is.DeepEqual(res.steps(), map[string]string{
		"Check out": "success", "Gates": "success", "Step summary, annotations and outputs": "success",
		"Upload SARIF to code scanning": "success",
	}))

	summary := res.summary()
	assert.Check(t, is.Contains(summary, "## ✅ Ship hello-api: passed"))
	assert.Check(t, is.Contains(summary, "| Stage | Status | Time | Detail |"))
	for _, stage := range []string{"config", "build", "test", "lint", "serve", "scan"} {
		assert.Check(t, is.Regexp(`\| `+stage+` \| ✅ passed \|`, summary))
	}
	// Every environment's manifests are rendered and checked, with nothing published.
	assert.Check(t, is.Regexp(`\| render \| ✅ passed \|[^|\n]*\| dev → namespace payments-dev, prod → namespace payments-prod, staging → namespace payments-staging \|`, summary))
	assert.Check(t, is.Regexp(`\| observability \| ✅ passed \|[^|\n]*\| ServiceMonitor, PrometheusRule, dashboard gp-hello-api-[0-9a-f]+ \(dev, prod, staging\) \|`, summary))
	assert.Check(t, is.Regexp(`\| policy \| ✅ passed \|[^|\n]*\| all rules pass \(dev, prod, staging\) \|`, summary))
	for _, stage := range []string{"publish", "deploy", "observe"} {
		assert.Check(t, !strings.Contains(summary, "| "+stage+" |"), "a pull request ran %s", stage)
	}
	assert.Check(t, is.Contains(summary, "**Image:** not published"))

	out := res.outputs("reports")
	assert.Check(t, is.Equal(out["ok"], "true"))
	assert.Check(t, is.Equal(out["service"], "hello-api"))
	assert.Check(t, is.Equal(out["image"], ""))
	assert.Check(t, is.Equal(out["failed-stage"], ""))
	assert.Check(t, is.Equal(out["tests-failed"], "0"))
	assert.Check(t, is.Equal(out["sarif-path"], "reports/scan.sarif"))
	assert.Check(t, is.Len(res.annotations("reports"), 0))

	checkout := res.records(t, "checkout")
	assert.Assert(t, is.Len(checkout, 1))
	assert.Check(t, is.Equal(checkout[0]["head"], repo.sha))
	assert.Check(t, is.Equal(checkout[0]["persist-credentials"], "false"))
	dagger := res.records(t, "dagger")
	assert.Assert(t, is.Len(dagger, 1))
	assert.Check(t, is.Equal(dagger[0]["module"], absRepoRoot(t)))
	assert.Check(t, is.Equal(dagger[0]["cli"], "v0.21.8"))
	assert.Check(t, is.Equal(dagger[0]["args"], "--source . "+p.gateArgs()+" ship --no-fail reports export --path reports"))
	checkSARIFUploaded(t, res)
	assert.Check(t, is.Len(res.records(t, "azure-login"), 0), "a pull request logs in to nothing")
	assert.Check(t, is.Len(res.records(t, "az"), 0))
}

// A push to main ships: Azure login with OIDC, an ACR token, AKS
// credentials, then ship publishes, deploys, smoke-tests and observes; the
// outputs carry the image by digest, the URLs, and the cluster runs that
// image, annotated with the commit and the run.
func TestActPush(t *testing.T) {
	t.Parallel()
	p := requirePlatform(t)
	act := actBinary(t)
	team, change := ownTeam(t, p)
	repo := newActRepo(t, func(dir string) {
		change(dir)
		// Its seven pods (dev 1, staging 2, prod's two tenants 3 each) at the example's 100m of CPU would take
		// much of this 2-core node's, beside the other tests'.
		edit(t, filepath.Join(dir, "golden-path.yaml"), "requests: {cpu: 100m,", "requests: {cpu: 10m,")
	})
	run := pushRun(t, p, repo)
	// The team's prod has two tenant instances (the platform's teams file, given to the promotions): prod's
	// promotion goes to eu, the canary, then to us.
	tenants := []string{team + "-prod-eu", team + "-prod-us"}
	teams := filepath.Join(t.TempDir(), "teams.yaml")
	assert.NilError(t, os.WriteFile(teams, []byte(fmt.Sprintf("teams:\n  - name: %[1]s\n    namespaces: [%[1]s-dev, %[1]s-staging, %[1]s-prod]\n"+
		"    tenants:\n      prod:\n        canary: [eu]\n        instances:\n          - {name: eu, namespace: %[2]s}\n          - {name: us, namespace: %[3]s}\n",
		team, tenants[0], tenants[1])), 0o644))
	t.Cleanup(func() {
		for _, ns := range tenants {
			exec.Command("kubectl", "--kubeconfig", p.adminKubeconfig, "delete", "namespace", ns, "--wait=false", "--ignore-not-found").Run()
		}
	})
	run.vars["GOLDEN_PATH_PROMOTE_ARGS"] += " --teams " + teams
	all := run.run(t, act, p, repo)
	res := all.job("ship")

	assert.Assert(t, all.exitCode == 0 && res.jobResult() == "success", "act: exit %d, job %q\n%s", all.exitCode, res.jobResult(), all.tail(60))
	assert.Check(t, is.DeepEqual(res.steps(), map[string]string{
		"Check out": "success", "Commit time": "success", "Azure login (OIDC)": "success", "ACR token": "success", "AKS credentials": "success",
		"Ship": "success", "Step summary, annotations and outputs": "success", "Upload SARIF to code scanning": "success",
	}))

	ns := team + "-dev"
	out := res.outputs("reports")
	image := out["image"]
	assert.Check(t, is.Equal(out["ok"], "true"))
	assert.Check(t, is.Regexp(`^`+regexp.QuoteMeta(p.acr+"/"+team+"/hello-api@")+`sha256:[0-9a-f]{64}$`, image))
	digest := out["digest"]
	assert.Check(t, strings.HasSuffix(image, "@"+digest), "digest %q, image %q", digest, image)
	assert.Check(t, is.Equal(out["smoke-url"], "https://kube-api:6443/api/v1/namespaces/"+ns+"/services/http:hello-api:http/proxy/greet/smoke"))
	assert.Check(t, strings.HasPrefix(out["dashboard-url"], p.grafana+"/d/gp-hello-api-"), out["dashboard-url"])
	assert.Check(t, is.Equal(out["failed-stage"], ""))

	summary := res.summary()
	assert.Check(t, is.Contains(summary, "## ✅ Ship hello-api: passed"))
	assert.Check(t, is.Regexp(`lead time (\d+h)?(\d+m)?\d+s from commit to verified`, summary), "the release's lead time")
	for _, stage := range []string{"config", "build", "test", "lint", "serve", "scan", "publish", "render", "observability", "policy", "deploy", "observe"} {
		assert.Check(t, is.Regexp(`\| `+stage+` \| ✅ passed \|`, summary))
	}
	assert.Check(t, is.Contains(summary, "**Image:** `"+image+"`"))

	notes := res.annotations("reports")
	assert.Assert(t, is.Len(notes, 1), "%v", notes)
	assert.Check(t, is.Equal(notes[0].Level, "notice"))
	assert.Check(t, is.Equal(notes[0].Title, "Deployed hello-api"))
	assert.Check(t, is.Contains(notes[0].Message, "Published "+image))

	// What the stand-ins were given: the OIDC login's variables, az's commands, the ship's arguments.
	login := res.records(t, "azure-login")
	assert.Assert(t, is.Len(login, 3), "ship's login, then each promotion's")
	assert.Check(t, is.Equal(login[0]["client-id"], azureClientID))
	assert.Check(t, is.Equal(login[0]["tenant-id"], azureTenantID))
	assert.Check(t, is.Equal(login[0]["subscription-id"], azureSubscriptionID))
	var az []string
	for _, r := range res.records(t, "az") {
		args := r["args"].([]any)
		az = append(az, fmt.Sprint(args[0], " ", args[1]))
	}
	assert.Check(t, is.DeepEqual(az, []string{"acr login", "aks get-credentials", "account get-access-token",
		"aks get-credentials", "account get-access-token", "aks get-credentials", "account get-access-token"}), "ship's, then each promotion's")
	dagger := res.records(t, "dagger")
	assert.Assert(t, is.Len(dagger, 3), "ship, then promote to staging and to prod")
	args := dagger[0]["args"].(string)
	assert.Check(t, strings.HasPrefix(args, "--source . "+p.gateArgs()+" ship --registry "+p.acr+" "), args)
	assert.Check(t, is.Contains(args, " --commit "+repo.sha+" "))
	assert.Check(t, is.Regexp(` --commit-time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) `, args), "the commit's time, from git")
	assert.Check(t, is.Regexp(` --run-id https://github.com/`+repo.repository+`/actions/runs/\d+ `, args))
	assert.Check(t, strings.HasSuffix(args, " "+p.shipArgs(t)+" reports export --path reports"), args)
	// The ACR token reaches dagger as a file it reads as a secret: not in the step's outputs (which any later
	// step and the job's outputs can read), not on the command line.
	assert.Check(t, is.Regexp(` --password file://\S+/acr-token `, args))
	assert.Check(t, is.DeepEqual(res.outputs("acr"), map[string]string{"registry": p.acr}))
	password, err := os.ReadFile(p.acrPasswordFile)
	assert.NilError(t, err)
	assert.Check(t, !strings.Contains(args, strings.TrimSpace(string(password))), "the ACR token is on dagger's command line")
	checkSARIFUploaded(t, res)

	// The registry and the cluster agree with the outputs.
	got, status := tagDigest(t, p, team+"/hello-api", repo.sha)
	assert.Check(t, is.Equal(status, http.StatusOK))
	assert.Check(t, is.Equal(got, digest), "the commit's tag")
	kubectl := func(args ...string) string {
		out, err := exec.Command("kubectl", append([]string{"--kubeconfig", p.adminKubeconfig, "-n", ns}, args...)...).CombinedOutput()
		assert.NilError(t, err, string(out))
		return string(out)
	}
	assert.Check(t, is.Equal(kubectl("get", "deployment", "hello-api", "-o", "jsonpath={.spec.template.spec.containers[0].image}"), image))
	assert.Check(t, is.Equal(kubectl("get", "deployment", "hello-api", "-o", `jsonpath={.metadata.annotations.golden-path\.dev/commit}`), repo.sha))
	assert.Check(t, is.Regexp(`^https://github.com/`+repo.repository+`/actions/runs/\d+$`,
		kubectl("get", "deployment", "hello-api", "-o", `jsonpath={.metadata.annotations.golden-path\.dev/run}`)))

	// Then the jobs bound to the staging and prod environments promote that image, by digest, with no rebuild:
	// each deploys it to its namespace (prod: to each of its tenants, the summary with their table), and nothing
	// more is pushed.
	for i, env := range []string{"staging", "prod"} {
		job := all.job(env)
		assert.Check(t, is.Equal(job.jobResult(), "success"), "the %s job", env)
		assert.Check(t, is.DeepEqual(job.steps(), map[string]string{
			"Check out": "success", "Azure login (OIDC)": "success", "AKS credentials": "success", "Promote": "success",
			"Step summary, annotations and outputs": "success",
		}), "the %s job's steps", env)
		summary := job.summary()
		assert.Check(t, is.Contains(summary, "## ✅ Promote hello-api: passed"), "the %s job's summary", env)
		from := []string{"dev", "staging"}[i]
		assert.Check(t, is.Regexp(`\| promote \| ✅ passed \|.*\| `+team+`-`+from+` revision 1, commit `+repo.sha[:12]+`, verified \S+: `+regexp.QuoteMeta(image)+` \|`, summary))
		namespaces := []string{team + "-" + env}
		if env == "prod" {
			namespaces = tenants
			assert.Check(t, is.Regexp(`\| deploy \| ✅ passed \|.*\| 2 tenants of prod in 2 waves \(parallelism 4, onFailure keep\): 2 updated \|`, summary))
			assert.Check(t, is.Contains(summary, "### Tenants"))
			for j, name := range []string{"eu", "us"} {
				assert.Check(t, is.Regexp("(?m)^\\| "+name+" \\| `"+tenants[j]+"` \\| "+[]string{"canary", "2"}[j]+" \\| 1 \\| `sha256:"+digest[7:19]+"` \\| ✅ updated \\|", summary))
			}
		} else {
			assert.Check(t, is.Regexp(`\| deploy \| ✅ passed \|.*\| `+team+`-`+env+`, revision 1: `, summary))
		}
		assert.Check(t, is.Equal(job.outputs("reports")["image"], image))
		args := dagger[i+1]["args"].(string)
		assert.Check(t, is.Contains(args, " promote --from "+from+" --to "+env+" --commit "+repo.sha+" "), args)
		assert.Check(t, !strings.Contains(args, "--password"), "a promotion is given a registry credential: %s", args)
		for _, ns := range namespaces {
			out, err := exec.Command("kubectl", "--kubeconfig", p.adminKubeconfig, "-n", ns, "get", "deployment", "hello-api",
				"-o", "jsonpath={.spec.template.spec.containers[0].image}").CombinedOutput()
			assert.Check(t, err == nil && string(out) == image, "%s serves %s (%v)", ns, out, err)
		}
	}
	got, status = tagDigest(t, p, team+"/hello-api", repo.sha)
	assert.Check(t, is.Equal(status, http.StatusOK))
	assert.Check(t, is.Equal(got, digest), "the commit's tag after the promotions")
}

// A push whose tests fail: the job fails at Ship, the red run's reports
// still come out, the summary says the test stage failed, the failing
// assertion is annotated at its line, the outputs say so, and nothing is
// published.
func TestActPushFailingTest(t *testing.T) {
	t.Parallel()
	p := requirePlatform(t)
	act := actBinary(t)
	team, change := ownTeam(t, p)
	line := 0
	repo := newActRepo(t, func(dir string) {
		change(dir)
		line = edit(t, filepath.Join(dir, "tests/test_main.py"),
			`assert response.json() == {"status": "ok"}`, `assert response.json() == {"status": "broken"}`)
	})
	res := pushRun(t, p, repo).run(t, act, p, repo)

	assert.Assert(t, res.exitCode != 0 && res.jobResult() == "failure", "act: exit %d, job %q\n%s", res.exitCode, res.jobResult(), res.tail(60))
	assert.Check(t, is.DeepEqual(res.steps(), map[string]string{
		"Check out": "success", "Commit time": "success", "Azure login (OIDC)": "success", "ACR token": "success", "AKS credentials": "success",
		"Ship": "success", "Step summary, annotations and outputs": "success",
		"Upload SARIF to code scanning": "success", "Fail on a red run": "failure",
	}))

	summary := res.summary()
	assert.Check(t, is.Contains(summary, "## ❌ Ship hello-api: failed at test"))
	assert.Check(t, is.Regexp(`\| test \| ❌ failed \|[^|\n]*\| 1 of \d+ tests failed \|`, summary))
	assert.Check(t, is.Contains(summary, "test_health_is_ok"))
	assert.Check(t, is.Contains(summary, "**Image:** not published"))

	var errs []annotation
	for _, a := range res.annotations("reports") {
		if a.Level == "error" {
			errs = append(errs, a)
		}
	}
	assert.Assert(t, is.Len(errs, 1), "%v", errs)
	assert.Check(t, is.Equal(errs[0].File, "tests/test_main.py"))
	assert.Check(t, is.Equal(errs[0].Line, fmt.Sprint(line)), "the broken assertion is on line %d", line)
	assert.Check(t, is.Contains(errs[0].Title, "test_health_is_ok"))
	assert.Check(t, is.Contains(errs[0].Message, `"broken"`))

	out := res.outputs("reports")
	assert.Check(t, is.Equal(out["ok"], "false"))
	assert.Check(t, is.Equal(out["failed-stage"], "test"))
	assert.Check(t, is.Equal(out["tests-failed"], "1"))
	assert.Check(t, is.Equal(out["image"], ""))
	assert.Check(t, is.Contains(out["problems"], "test: "))

	// One run, whose own result made the reports.
	var calls []string
	for _, r := range res.records(t, "dagger") {
		calls = append(calls, calledFunction(r["args"].(string)))
	}
	assert.Check(t, is.DeepEqual(calls, []string{"ship"}))
	checkSARIFUploaded(t, res)
	_, status := tagDigest(t, p, team+"/hello-api", repo.sha)
	assert.Check(t, is.Equal(status, http.StatusNotFound), "nothing is published when a gate fails")
}

// A push whose service crashes on start in the cluster (the serve gate,
// which starts it outside, passes): the gates pass, the image is
// published, the deploy fails and removes the release (it is the service's
// first); one ship run produces the reports, which say so: failed-stage
// deploy, ok false, the published image, and the summary names what the
// rollback did. The job fails at its last step.
func TestActPushFailingDeploy(t *testing.T) {
	t.Parallel()
	p := requirePlatform(t)
	act := actBinary(t)
	team, change := ownTeam(t, p)
	repo := newActRepo(t, func(dir string) {
		change(dir)
		edit(t, filepath.Join(dir, "Dockerfile"), `CMD ["sh", "-c", "exec python3`, `CMD ["sh", "-c", "test -z \"$KUBERNETES_SERVICE_HOST\" || { echo boom >&2; exit 3; }; exec python3`)
	})
	run := pushRun(t, p, repo)
	run.vars["GOLDEN_PATH_SHIP_ARGS"] += " --rollout-timeout 20"
	res := run.run(t, act, p, repo)

	assert.Assert(t, res.exitCode != 0 && res.jobResult() == "failure", "act: exit %d, job %q\n%s", res.exitCode, res.jobResult(), res.tail(60))
	assert.Check(t, is.DeepEqual(res.steps(), map[string]string{
		"Check out": "success", "Commit time": "success", "Azure login (OIDC)": "success", "ACR token": "success", "AKS credentials": "success",
		"Ship": "success", "Step summary, annotations and outputs": "success",
		"Upload SARIF to code scanning": "success", "Fail on a red run": "failure",
	}))
	out := res.outputs("reports")
	assert.Check(t, is.Equal(out["ok"], "false"))
	assert.Check(t, is.Equal(out["failed-stage"], "deploy"))
	assert.Check(t, is.Regexp(`^`+regexp.QuoteMeta(p.acr+"/"+team+"/hello-api@")+`sha256:[0-9a-f]{64}$`, out["image"]), "what was published")
	assert.Check(t, is.Contains(out["problems"], "deploy: "))

	summary := res.summary()
	assert.Check(t, is.Contains(summary, "## ❌ Ship hello-api: failed at deploy"))
	assert.Check(t, is.Regexp(`\| deploy \| ❌ failed \|[^|\n]*\| revision 1 failed; its objects were removed \(no previous release\) \|`, summary))
	assert.Check(t, is.Contains(summary, "**Image:** `"+out["image"]+"`"))
	for _, stage := range []string{"publish", "render", "policy"} {
		assert.Check(t, is.Regexp(`\| `+stage+` \| ✅ passed \|`, summary))
	}
	var calls []string
	for _, r := range res.records(t, "dagger") {
		calls = append(calls, calledFunction(r["args"].(string)))
	}
	assert.Check(t, is.DeepEqual(calls, []string{"ship"}))
	_, status := tagDigest(t, p, team+"/hello-api", repo.sha)
	assert.Check(t, is.Equal(status, http.StatusOK), "the image was published before the deploy failed")
}

// checkSARIFUploaded: the scan's SARIF reached the upload-sarif stand-in, as
// SARIF 2.1.0, in the workflow's category.
func checkSARIFUploaded(t *testing.T, res actResult) {
	t.Helper()
	up := res.records(t, "upload-sarif")
	assert.Assert(t, is.Len(up, 1))
	assert.Check(t, is.Equal(up[0]["sarif_file"], "reports/scan.sarif"))
	assert.Check(t, is.Equal(up[0]["category"], "golden-path-image-scan"))
	files := up[0]["files"].([]any)
	assert.Assert(t, is.Len(files, 1))
	assert.Check(t, is.Equal(sarifVersion(t, files[0].(string)), "2.1.0"))
}

// tagDigest asks the local ACR what a tag of a repository points to; it
// returns the digest and the HTTP status.
func tagDigest(t *testing.T, p platform, repository, tag string) (string, int) {
	t.Helper()
	pw, err := os.ReadFile(p.acrPasswordFile)
	assert.NilError(t, err)
	req, err := http.NewRequest(http.MethodHead, "http://"+p.acr+"/v2/"+repository+"/manifests/"+tag, nil)
	assert.NilError(t, err)
	req.SetBasicAuth(p.acrUser, strings.TrimSpace(string(pw)))
	req.Header.Set("Accept", strings.Join([]string{
		"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
	}, ", "))
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	resp.Body.Close()
	return resp.Header.Get("Docker-Content-Digest"), resp.StatusCode
}

// calledFunction is the function a `dagger call` runs: the first word of args
// after the constructor's --flag value pairs.
func calledFunction(args string) string {
	words := strings.Fields(args)
	for i := 0; i < len(words); i++ {
		switch w := words[i]; {
		case !strings.HasPrefix(w, "--"):
			return w
		case !strings.Contains(w, "="):
			i++ // the flag's value
		}
	}
	return ""
}
