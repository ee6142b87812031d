package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// dumpResult renders a result for golden files: the objects, the
// violations, the gate error and the markdown.
func dumpResult(r *Result) string {
	var b strings.Builder
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "object %s\n", o)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "violation %s | %s | %s | %s\n", v.Rule, v.Object, v.Container, v.Field)
	}
	b.WriteString("\n--- Err() ---\n")
	if err := r.Err(); err != nil {
		b.WriteString(err.Error() + "\n")
	} else {
		b.WriteString("<nil>\n")
	}
	b.WriteString("\n--- Markdown() ---\n")
	b.WriteString(r.Markdown())
	return b.String()
}

// checkFile evaluates testdata/check/<name>.yaml with what gator found in
// it, testdata/gator/<name>.json (recorded by hack/platformtest's
// TestPolicyGatorRecorded, which checks the record against the real gator).
func checkFile(t *testing.T, name string) *Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "check", name+".yaml"))
	assert.NilError(t, err)
	out, err := os.ReadFile(filepath.Join("testdata", "gator", name+".json"))
	assert.NilError(t, err)
	r, err := Evaluate(data, out)
	assert.NilError(t, err)
	return r
}

// TestCheckRules checks each rule's violating fixture,
// testdata/check/<rule>-*.yaml: it breaks that rule only (GP001's also
// GP002), every object is one the API server accepts but for the policy
// (TestPolicyParity applies them), and the outcome
// matches testdata/check/<fixture>.golden.
func TestCheckRules(t *testing.T) {
	for _, rule := range Rules {
		t.Run(rule.ID, func(t *testing.T) {
			matches, err := filepath.Glob(filepath.Join("testdata", "check", strings.ToLower(rule.ID)+"-*.yaml"))
			assert.NilError(t, err)
			assert.Assert(t, is.Len(matches, 1), "rule %s needs exactly one violating fixture", rule.ID)
			name := strings.TrimSuffix(filepath.Base(matches[0]), ".yaml")

			r := checkFile(t, name)
			assert.Assert(t, len(r.Violations) > 0, "%s breaks no rule", name)
			for _, v := range r.Violations {
				// Kubernetes refuses a privileged container that forbids privilege escalation: GP001's breaks GP002.
				also := map[string]string{RulePrivileged: RulePrivilegeEscalation}[rule.ID]
				assert.Assert(t, v.Rule == rule.ID || v.Rule == also, "%s breaks another rule: %s", name, v)
				assert.Assert(t, v.Object.Name != "" && v.Field != "" && v.Problem != "" && v.Fix != "", "incomplete: %+v", v)
				assert.Equal(t, v.Action, EnforceDeny, "%s: the dev namespace enforces every rule", v)
			}
			var verr *ViolationsError
			assert.Assert(t, errors.As(r.Err(), &verr))
			assert.Equal(t, len(verr.Violations), len(r.Violations))
			golden.Assert(t, dumpResult(r), filepath.Join("check", name+".golden"))
		})
	}
}

// TestCheckCompliant checks a fixture that follows every rule.
func TestCheckCompliant(t *testing.T) {
	r := checkFile(t, "compliant")
	assert.Check(t, is.Len(r.Objects, 2))
	assert.Check(t, is.Len(r.Violations, 0))
	assert.NilError(t, r.Err())
	golden.Assert(t, dumpResult(r), filepath.Join("check", "compliant.golden"))
}

// TestCheckListsAll checks that every violation is listed, not the first
// only.
func TestCheckListsAll(t *testing.T) {
	r := checkFile(t, "many")
	rules := map[string]bool{}
	for _, v := range r.Violations {
		rules[v.Rule] = true
	}
	assert.Equal(t, len(rules), len(Rules), "every rule is broken in many.yaml: %v", rules)
	assert.Equal(t, countObjects(r.Violations), 2)
	for _, v := range r.Violations {
		assert.Assert(t, is.Contains(r.Err().Error(), v.String()))
	}
	golden.Assert(t, dumpResult(r), filepath.Join("check", "many.golden"))
}

// TestCheckProdWarns evaluates many.yaml's objects in payments-prod, where
// the platform enforces GP001 only and warns of the others (adoption): one
// blocking violation, the rest warnings, in the error and the markdown.
func TestCheckProdWarns(t *testing.T) {
	r := checkFile(t, "many-prod")
	dev := checkFile(t, "many")
	assert.Equal(t, len(r.Violations), len(dev.Violations), "the same violations, another enforcement")
	assert.Assert(t, is.Len(r.Blocking(), 1))
	assert.Equal(t, r.Blocking()[0].Rule, RulePrivileged)
	assert.Equal(t, len(r.Warnings()), len(r.Violations)-1)
	for _, v := range r.Warnings() {
		assert.Equal(t, v.Action, EnforceWarn, "%s", v)
	}
	golden.Assert(t, dumpResult(r), filepath.Join("check", "many-prod.golden"))
}

// TestCheckWarningsOnly: warnings alone do not block.
func TestCheckWarningsOnly(t *testing.T) {
	r := &Result{
		Objects: []Object{{Kind: "Deployment", Namespace: "payments-prod", Name: "web"}},
		Violations: []Violation{{Rule: RuleProbes, Object: Object{Kind: "Deployment", Namespace: "payments-prod", Name: "web"},
			Container: "app", Field: "spec.template.spec.containers[app].livenessProbe", Problem: "is missing", Fix: "add one",
			Action: EnforceWarn}},
	}
	assert.NilError(t, r.Err())
	assert.Check(t, is.Contains(r.Markdown(), "✅ 1 object may be deployed"))
	assert.Check(t, is.Contains(r.Markdown(), "⚠️ 1 violation of rules this environment does not enforce yet"))
	r.Violations[0].Action = "scoped-unknown"
	assert.ErrorContains(t, r.Err(), "GP007 Deployment/payments-prod/web, container app", "an action the gate does not know blocks")
}

// TestNamespaces gives gator the namespaces as the platform labels them.
func TestNamespaces(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "check", "many.yaml"))
	assert.NilError(t, err)
	ns, err := Namespaces(data, "payments", "")
	assert.NilError(t, err)
	assert.Equal(t, string(ns), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments-dev\n  labels:\n"+
		"    golden-path.dev/team: payments\n    golden-path.dev/environment: dev\n")
	ns, err = Namespaces([]byte("kind: Service\nmetadata: {name: a, namespace: x-prod, labels: {team: x}}\n---\n"+
		"kind: Service\nmetadata: {name: b, namespace: other}\n"), "", "")
	assert.NilError(t, err)
	assert.Equal(t, string(ns), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x-prod\n  labels:\n"+
		"    golden-path.dev/team: x\n    golden-path.dev/environment: prod\n---\n"+
		"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n  labels:\n    golden-path.dev/team: \n")
}

// TestRulesTable checks the rule table: unique IDs in order, every text
// set, and each rule mapped to the Constraint kind of its template in
// policy/gatekeeper.
func TestRulesTable(t *testing.T) {
	for i, r := range Rules {
		assert.Equal(t, r.ID, fmt.Sprintf("GP%03d", i+1))
		assert.Assert(t, r.Title != "" && r.Why != "" && r.Fix != "", "%s", r.ID)
		assert.Assert(t, strings.HasPrefix(r.Kind, r.ID), "%s: %s", r.ID, r.Kind)
		byKind, ok := RuleByKind(r.Kind)
		assert.Assert(t, ok)
		assert.Equal(t, byKind.ID, r.ID)
		_, err := os.Stat(filepath.Join("..", "..", "policy", "gatekeeper", "templates", strings.ToLower(r.ID)+"-"+slug(r.Kind[len(r.ID):])+".yaml"))
		assert.NilError(t, err, "%s: its template in policy/gatekeeper/templates", r.ID)
		got, ok := RuleByID(r.ID)
		assert.Assert(t, ok)
		assert.Equal(t, got.Title, r.Title)
	}
	_, ok := RuleByID("GP999")
	assert.Assert(t, !ok)
}

// TestMarkdownEscapes checks that text from the manifests cannot break the
// table.
func TestMarkdownEscapes(t *testing.T) {
	r := &Result{
		Objects: []Object{{Kind: "Service", Name: "a|b"}},
		Violations: []Violation{{Rule: RuleRequiredLabels, Object: Object{Kind: "Service", Name: "a|b"},
			Field: "metadata.labels", Problem: "lacks x|y", Fix: "add *them*"}},
	}
	md := r.Markdown()
	assert.Check(t, is.Contains(md, "`Service/a\\|b`"))
	assert.Check(t, is.Contains(md, `lacks x\|y`))
	assert.Check(t, is.Contains(md, `add \*them\*`))
}

// slug is a kind's words in lower case joined by '-': PrivilegedContainer
// gives privileged-container.
func slug(kind string) string {
	var b strings.Builder
	for i, c := range kind {
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// BenchmarkEvaluate measures reading gator's results on a rendered-size
// input (gator's own time is the platform test's).
func BenchmarkEvaluate(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "check", "many.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join("testdata", "gator", "many.json"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Evaluate(data, out); err != nil {
			b.Fatal(err)
		}
	}
}
