package tests

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/internal/daggertest"
	"github.com/golden-path/golden-path/pipeline/rollout"
)

// promoteArgs is `dagger call promote` of src from one environment to
// another on the platform's cluster, observed by its Prometheus and Grafana,
// then more arguments and fields.
func promoteArgs(t *testing.T, c cluster, m monitoring, src, from, to string, more ...string) []string {
	args := append([]string{"call", "--source", src, "promote", "--from", from, "--to", to,
		"--kubeconfig", "file://" + c.pipeline, "--kube-api", "tcp://localhost:6443", "--rollout-timeout", "120",
		"--smoke-path", "/greet/smoke"}, m.flags(t, "120")...)
	return append(args, more...)
}

// registryTags lists the tags of the shared release's repository.
func registryTags(t *testing.T, acr daggertest.Registry, repository string) []string {
	t.Helper()
	repo, err := name.NewRepository(acr.Addr + "/" + repository)
	assert.NilError(t, err)
	tags, err := remote.List(repo, remote.WithAuth(&authn.Basic{Username: acr.Username, Password: acr.Password}))
	assert.NilError(t, err)
	return tags
}

// The shared release, verified in dev, is promoted to staging, then from
// staging to prod: the same image by digest serves in each, nothing is built
// or pushed (the registry's tags and the commit tag's digest do not move),
// and each environment's release record keeps the commit and its time and is
// observed, so promotable in turn. A promotion for another commit than the
// one that serves is refused; a release rolled back in staging cannot be
// promoted, and prod is left as it was.
func TestPromote(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	m := requireMonitoring(t)
	acr := daggertest.ACR(t)
	r := sharedRelease(t)
	root := daggertest.RepoRoot(t)
	repository := r.team + "/hello-api"
	tags := registryTags(t, acr, repository)
	tagged, err := tagDigest(t, acr, acr.Addr+"/"+repository+":"+r.commit)
	assert.NilError(t, err)
	dev := c.records(t, r.namespace, "hello-api")
	assert.Assert(t, is.Len(dev, 1))
	assert.Check(t, !dev[0].Observed.IsZero(), "ship's observe stage marks the release observed")
	image := dev[0].Image
	assert.Check(t, strings.HasSuffix(image, "@"+tagged), "dev serves %s, the commit tag is %s", image, tagged)

	// A job started for another commit than the one that serves promotes nothing.
	other := daggertest.CLI(t, root, promoteArgs(t, c, m, r.dir, "dev", "staging", "--commit", newCommit(t), "summary")...)
	assert.Check(t, other.ExitCode != 0, "promoted another commit:\n%s", other.Stdout)
	assert.Check(t, is.Contains(other.ErrorText(), "revision 1 (image "+image+") is of commit "+r.commit[:12]+", not "))

	for _, step := range []struct{ from, to string }{{"dev", "staging"}, {"staging", "prod"}} {
		ns := r.team + "-" + step.to
		res := daggertest.CLI(t, root, promoteArgs(t, c, m, r.dir, step.from, step.to, "--commit", r.commit, "summary")...)
		assert.Assert(t, res.ExitCode == 0, "promote %s → %s: %s", step.from, step.to, res.ErrorText())
		assert.Check(t, is.Regexp(`\| promote \| ✅ passed \|.*\| `+r.team+`-`+step.from+` revision 1, commit `+r.commit[:12]+`, verified \S+: `+
			strings.ReplaceAll(image, ".", `\.`)+` \|`, res.Stdout))
		for _, stage := range []string{"render", "observability", "policy", "deploy", "observe"} {
			assert.Check(t, is.Regexp(`\| `+stage+` \| ✅ passed \|`, res.Stdout))
		}
		for _, stage := range []string{"build", "test", "scan", "publish"} {
			assert.Check(t, !strings.Contains(res.Stdout, "| "+stage+" |"), "promote ran %s:\n%s", stage, res.Stdout)
		}
		assert.Check(t, is.Equal(c.served(t, ns), image))
		recs := c.records(t, ns, "hello-api")
		assert.Assert(t, is.Len(recs, 1))
		assert.Check(t, is.Equal(recs[0].Status, rollout.StatusDeployed))
		assert.Check(t, is.Equal(recs[0].Image, image))
		assert.Check(t, is.Equal(recs[0].Commit, r.commit))
		assert.Check(t, is.Equal(recs[0].Environment, step.to))
		assert.Check(t, recs[0].CommitTime.Equal(dev[0].CommitTime), "the commit's time: %s, dev's %s", recs[0].CommitTime, dev[0].CommitTime)
		assert.Check(t, !recs[0].Observed.IsZero(), "the promoted release is observed")
	}
	assert.Check(t, is.DeepEqual(registryTags(t, acr, repository), tags), "the registry saw a push")
	got, err := tagDigest(t, acr, acr.Addr+"/"+repository+":"+r.commit)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(got, tagged))

	// Staging's release is found wanting and rolled back (removed: it was the first there).
	staging, prod := r.team+"-staging", r.team+"-prod"
	back := daggertest.CLI(t, root, "call", "-m", "modules/deploy", "rollback", "--kubeconfig", "file://"+c.pipeline,
		"--kube-api", "tcp://localhost:6443", "--namespace", staging, "--service", "hello-api", "--failed", "a customer's payments failed", "result")
	assert.Assert(t, back.ExitCode == 0, back.ErrorText())
	before := statuses(c.records(t, prod, "hello-api"))
	for _, flags := range [][]string{nil, {"--image", image}} {
		refused := daggertest.CLI(t, root, promoteArgs(t, c, m, r.dir, "staging", "prod", append(flags, "summary")...)...)
		assert.Check(t, refused.ExitCode != 0, "promoted a rolled-back release:\n%s", refused.Stdout)
		assert.Check(t, is.Contains(refused.ErrorText(), "promote: hello-api in "+staging+": "))
		assert.Check(t, is.Contains(refused.ErrorText(), "failed and was rolled back: a customer's payments failed"))
		assert.Check(t, !strings.Contains(refused.ErrorText(), "| deploy |"), "a refused promotion deployed")
	}
	assert.Check(t, is.Equal(statuses(c.records(t, prod, "hello-api")), before), "prod changed")
	assert.Check(t, is.Equal(c.served(t, prod), image))
}
