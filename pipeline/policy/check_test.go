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

func checkFile(t *testing.T, name string) *Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "check", name+".yaml"))
	assert.NilError(t, err)
	r, err := Check(data)
	assert.NilError(t, err)
	return r
}

// TestCheckRules checks each rule's violating fixture,
// testdata/check/<rule>-*.yaml: it breaks that rule only, and the outcome
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
				assert.Equal(t, v.Rule, rule.ID, "%s breaks another rule: %s", name, v)
				assert.Assert(t, v.Object.Name != "" && v.Field != "" && v.Problem != "" && v.Fix != "", "incomplete: %+v", v)
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

// TestCheckRequiredLabelsOption replaces the required labels.
func TestCheckRequiredLabelsOption(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "check", "gp003-labels.yaml"))
	assert.NilError(t, err)
	r, err := Check(data, WithRequiredLabels(LabelName))
	assert.NilError(t, err)
	assert.Assert(t, is.Len(r.Violations, 1))
	assert.Equal(t, r.Violations[0].Object.Kind, "Service")
	assert.Equal(t, r.Violations[0].Problem, "lacks "+LabelName)
}

// TestCheckInvalid feeds the gate what it cannot read.
func TestCheckInvalid(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		want string
	}{
		"syntax":  {"kind: Service\nmetadata: {name: a\n", "document 1"},
		"no-kind": {"kind: Service\nmetadata: {name: a}\n---\nmetadata: {name: b}\n", "document 2 (b): the document has no kind"},
		"type": {"kind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: {name: app}}}}\n",
			"document 1 (Deployment/web)"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Check([]byte(tc.yaml))
			assert.Assert(t, is.Nil(r))
			var merr *ManifestsError
			assert.Assert(t, errors.As(err, &merr), "got %T: %v", err, err)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	r, err := Check(nil)
	assert.NilError(t, err)
	assert.Check(t, is.Len(r.Objects, 0))
	assert.NilError(t, r.Err())
}

// TestRulesTable checks the rule table: unique IDs in order, every text
// set, and each rule mapped to a gatekeeper-library template.
func TestRulesTable(t *testing.T) {
	for i, r := range Rules {
		assert.Equal(t, r.ID, fmt.Sprintf("GP%03d", i+1))
		assert.Assert(t, r.Title != "" && r.Why != "" && r.Fix != "", "%s", r.ID)
		assert.Assert(t, r.Gatekeeper.Template == strings.ToLower(r.Gatekeeper.Kind), "%s: %s", r.ID, r.Gatekeeper.Template)
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

// BenchmarkCheck measures the gate on a rendered-size input (target: well
// under a millisecond per object).
func BenchmarkCheck(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "check", "many.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Check(data); err != nil {
			b.Fatal(err)
		}
	}
}
