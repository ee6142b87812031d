package platformtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/golden-path/golden-path/internal/daggertest"
	"github.com/golden-path/golden-path/pipeline/policy"
	"github.com/golden-path/golden-path/pipeline/tenancy"
)

// gatorTest runs the platform's gator as the deploy module does (`gator
// test -o json`) on policy/gatekeeper, the namespaces and the manifests,
// and returns its JSON; exit 1 is a deny violation, not an error.
func gatorTest(t *testing.T, namespaces, manifests []byte) []byte {
	t.Helper()
	gator, err := exec.LookPath("gator")
	assert.NilError(t, err, "no gator on PATH: hack/platform up links it into $GP_STATE/bin; eval \"$(hack/platform env)\"")
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "namespaces.yaml"), namespaces, 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "manifests.yaml"), manifests, 0o644))
	pol := filepath.Join(daggertest.RepoRoot(t), "policy", "gatekeeper")
	args := []string{"test", "--output=json", "--filename=" + dir}
	for _, sub := range []string{"templates", "expansion", "constraints"} {
		args = append(args, "--filename="+filepath.Join(pol, sub))
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(gator, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 && strings.HasPrefix(strings.TrimSpace(stdout.String()), "[") {
		err = nil
	}
	assert.NilError(t, err, "gator: %s%s", stderr.String(), stdout.String())
	return stdout.Bytes()
}

// policyFixtures are the gate's fixtures, pipeline/policy/testdata/check, by name.
func policyFixtures(t *testing.T) map[string][]byte {
	t.Helper()
	dir := filepath.Join(daggertest.RepoRoot(t), "pipeline", "policy", "testdata", "check")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	assert.NilError(t, err)
	assert.Assert(t, len(files) >= 9, "fixtures in %s", dir)
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		assert.NilError(t, err)
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = data
	}
	return out
}

// What gator finds in each fixture of pipeline/policy is what the unit
// tests there read (testdata/gator/<fixture>.json): the record is the real
// gator's, on policy/gatekeeper as it is. `go test -run
// TestPolicyGatorRecorded ./hack/platformtest/ -update` records it again.
func TestPolicyGatorRecorded(t *testing.T) {
	t.Parallel()
	requireCluster(t)
	recorded := filepath.Join(daggertest.RepoRoot(t), "pipeline", "policy", "testdata", "gator")
	for name, manifests := range policyFixtures(t) {
		t.Run(name, func(t *testing.T) {
			ns, err := policy.Namespaces(manifests, "", "")
			assert.NilError(t, err)
			out := gatorTest(t, ns, manifests)
			file := filepath.Join(recorded, name+".json")
			if golden.FlagUpdate() {
				assert.NilError(t, os.WriteFile(file, stableGatorJSON(t, out), 0o644))
			}
			live, err := policy.Evaluate(manifests, out)
			assert.NilError(t, err)
			rec, err := os.ReadFile(file)
			assert.NilError(t, err, "no record: run with -update")
			want, err := policy.Evaluate(manifests, rec)
			assert.NilError(t, err)
			assert.DeepEqual(t, live, want)
		})
	}
}

// stableGatorJSON keeps of gator's results what Evaluate reads, so a record
// does not change with what gator adds (the whole constraint and object).
func stableGatorJSON(t *testing.T, out []byte) []byte {
	t.Helper()
	var results []map[string]any
	assert.NilError(t, json.Unmarshal(out, &results))
	for _, r := range results {
		c, _ := r["constraint"].(map[string]any)
		meta, _ := c["metadata"].(map[string]any)
		r["constraint"] = map[string]any{"kind": c["kind"], "metadata": map[string]any{"name": meta["name"]}}
		o, _ := r["violatingObject"].(map[string]any)
		ometa, _ := o["metadata"].(map[string]any)
		r["violatingObject"] = map[string]any{"kind": o["kind"], "metadata": map[string]any{"name": ometa["name"], "namespace": ometa["namespace"]}}
		delete(r, "trace")
	}
	data, err := json.MarshalIndent(results, "", "  ")
	assert.NilError(t, err)
	return append(data, '\n')
}

// The service template, rendered for every environment and as the built-in
// base (pipeline/render's goldens), breaks no rule of policy/gatekeeper,
// not even one the environment only warns of.
func TestPolicyGatorTemplates(t *testing.T) {
	t.Parallel()
	requireCluster(t)
	files, err := filepath.Glob(filepath.Join(daggertest.RepoRoot(t), "pipeline", "render", "testdata", "template", "*.yaml"))
	assert.NilError(t, err)
	assert.Assert(t, len(files) >= 5)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			manifests, err := os.ReadFile(f)
			assert.NilError(t, err)
			ns, err := policy.Namespaces(manifests, "", "")
			assert.NilError(t, err)
			res, err := policy.Evaluate(manifests, gatorTest(t, ns, manifests))
			assert.NilError(t, err)
			assert.Check(t, len(res.Objects) >= 4)
			assert.Check(t, is.Len(res.Violations, 0), "%v", res.Violations)
		})
	}
}

// verdict is what happens to one object: the rules that refuse it and the
// rules it is admitted with a warning of.
type verdict struct {
	Denied, Warned []string
}

var ruleID = regexp.MustCompile(`\bGP00\d\b`)

// ruleIDs are the distinct rule IDs in s, sorted.
func ruleIDs(s string) []string {
	ids := ruleID.FindAllString(s, -1)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Parity: the pipeline's gate and the cluster's admission give every object
// of a corpus (the gate's fixtures: each rule broken, all of them at once,
// and compliant objects) the same verdict, in a dev and a prod namespace
// labelled as the platform labels them (tenancy.Namespace): the same rules
// refuse it, the same rules warn. The pipeline side is gator, as the deploy
// module runs it; the cluster side is `kubectl apply --dry-run=server`
// through Gatekeeper's webhook.
func TestPolicyParity(t *testing.T) {
	t.Parallel()
	c := requireCluster(t)
	team := "gp-parity-" + token(t)
	checked := 0
	for _, env := range []string{"dev", "prod"} {
		ns := team + "-" + env
		c.must(t, string(tenancy.Namespace(ns, team, env)), "apply", "-f", "-")
		t.Cleanup(func() {
			if _, err := c.run(t, "", "delete", "namespace", ns, "--wait=false"); err != nil {
				t.Errorf("cleaning up: %v", err)
			}
		})
		for name, fixture := range policyFixtures(t) {
			manifests := []byte(strings.ReplaceAll(string(fixture), "namespace: payments-dev", "namespace: "+ns))
			manifests = []byte(strings.ReplaceAll(string(manifests), "namespace: payments-prod", "namespace: "+ns))
			nsObj, err := policy.Namespaces(manifests, team, env)
			assert.NilError(t, err)
			res, err := policy.Evaluate(manifests, gatorTest(t, nsObj, manifests))
			assert.NilError(t, err)
			pipeline := map[string]verdict{}
			for _, v := range res.Violations {
				p := pipeline[v.Object.String()]
				if v.Blocks() {
					p.Denied = append(p.Denied, v.Rule)
				} else {
					p.Warned = append(p.Warned, v.Rule)
				}
				pipeline[v.Object.String()] = p
			}
			for _, doc := range splitDocuments(t, manifests) {
				obj := res.Objects[doc.index]
				want := pipeline[obj.String()]
				want.Denied, want.Warned = ruleIDs(strings.Join(want.Denied, " ")), ruleIDs(strings.Join(want.Warned, " "))
				got := admission(t, c, doc.yaml)
				assert.Check(t, is.DeepEqual(got, want), "%s %s in %s: cluster (got) and pipeline (want) differ", name, obj, env)
				checked++
			}
		}
	}
	t.Logf("%d objects, each in the pipeline and in the cluster", checked)
}

type document struct {
	index int
	yaml  string
}

// splitDocuments splits a multi-document YAML stream into its objects.
func splitDocuments(t *testing.T, data []byte) []document {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []document
	for {
		var node yaml.Node
		if err := dec.Decode(&node); err != nil {
			break
		}
		if len(node.Content) == 0 || node.Content[0].Kind != yaml.MappingNode {
			continue
		}
		b, err := yaml.Marshal(&node)
		assert.NilError(t, err)
		out = append(out, document{index: len(out), yaml: string(b)})
	}
	return out
}

// admission applies obj with --dry-run=server and reads the cluster's
// verdict: the rules in Gatekeeper's denial, and those of its warnings.
func admission(t *testing.T, c cluster, obj string) verdict {
	t.Helper()
	_, err := c.run(t, obj, "apply", "--dry-run=server", "-f", "-")
	var v verdict
	if err == nil {
		// Warnings go to stderr; run only returns it with an error: ask again, keeping stderr.
		v.Warned = ruleIDs(warnings(t, c, obj))
		return v
	}
	msg := err.Error()
	if !strings.Contains(msg, `admission webhook "validation.gatekeeper.sh" denied the request`) {
		t.Errorf("refused by something else than Gatekeeper: %s", msg)
		return verdict{Denied: []string{"not Gatekeeper"}}
	}
	// kubectl prints the warnings first, a line each, then the denial; the first line is run's.
	var denial, warned []string
	for _, l := range strings.Split(msg, "\n")[1:] {
		if strings.HasPrefix(l, "Warning:") {
			warned = append(warned, l)
		} else {
			denial = append(denial, l)
		}
	}
	v.Denied = ruleIDs(strings.Join(denial, "\n"))
	v.Warned = ruleIDs(strings.Join(warned, "\n"))
	return v
}

// warnings applies obj with --dry-run=server and returns kubectl's stderr,
// where the API server's warnings are.
func warnings(t *testing.T, c cluster, obj string) string {
	t.Helper()
	cmd := exec.Command(c.kubectl, "--kubeconfig", c.kubeconfig, "apply", "--dry-run=server", "-f", "-")
	cmd.Stdin = strings.NewReader(obj)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	assert.NilError(t, cmd.Run(), stderr.String())
	return stderr.String()
}
