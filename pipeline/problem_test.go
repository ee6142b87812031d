package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// extError is an error as a module's caller receives it: a message and the extensions, decoded from JSON.
type extError struct {
	msg string
	ext map[string]any
}

func (e extError) Error() string              { return e.msg }
func (e extError) Extensions() map[string]any { return e.ext }
func throughEngine(t *testing.T, p Problem) error {
	return extError{p.String(), viaJSON(t, p.Extensions())}
}

func viaJSON(t *testing.T, ext map[string]any) map[string]any {
	data, err := json.Marshal(ext)
	assert.NilError(t, err)
	var out map[string]any
	assert.NilError(t, json.Unmarshal(data, &out))
	return out
}

func TestProblemOf(t *testing.T) {
	dockerfile := &DockerfileError{File: "build/Dockerfile", Line: 7, Instruction: "RUN false", Reason: "RUN failed with exit code 1"}
	config := newConfigError("golden-path.yaml", []*FieldError{
		{File: "golden-path.yaml", Field: "name", Reason: "is missing"},
		{File: "golden-path.yaml", Line: 4, Field: "port", Reason: "70000 is not a port"},
	})
	for _, tc := range []struct {
		name  string
		stage string
		err   error
		want  Problem
	}{
		{name: "plain error", stage: "deploy", err: errors.New("deploy: the rollout did not finish within 30s"),
			want: Problem{Stage: "deploy", Message: "the rollout did not finish within 30s"}},
		{name: "plain error without its stage", stage: "publish", err: errors.New("cannot reach the registry"),
			want: Problem{Stage: "publish", Message: "cannot reach the registry"}},
		{name: "located error", stage: "build", err: fmt.Errorf("build: %w", dockerfile),
			want: Problem{Stage: "build", Message: dockerfile.Error(), File: "build/Dockerfile", Line: 7}},
		{name: "config error", stage: "config", err: config,
			want: Problem{Stage: "config", Message: config.Error(), File: "golden-path.yaml", Line: 4}},
		{name: "from a module", stage: "render", err: throughEngine(t, Problem{Stage: "render", Message: "k8s/base lists a.yaml", File: "k8s/base/kustomization.yaml"}),
			want: Problem{Stage: "render", Message: "k8s/base lists a.yaml", File: "k8s/base/kustomization.yaml"}},
		{name: "from a module, with a line", stage: "build", err: throughEngine(t, Problem{Stage: "build", Message: "Dockerfile:3: bad", File: "Dockerfile", Line: 3}),
			want: Problem{Stage: "build", Message: "Dockerfile:3: bad", File: "Dockerfile", Line: 3}},
		{name: "from another stage's module", stage: "observability", err: throughEngine(t, Problem{Stage: "render", Message: "observe.yaml: Namespace/x is cluster-wide"}),
			want: Problem{Stage: "observability", Message: "observe.yaml: Namespace/x is cluster-wide"}},
		{name: "a module's other extensions", stage: "scan", err: extError{"scan: exit code 2", map[string]any{"exitCode": 2.0}},
			want: Problem{Stage: "scan", Message: "exit code 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Check(t, is.DeepEqual(ProblemOf(tc.stage, tc.err), tc.want))
		})
	}
}

func TestProblemString(t *testing.T) {
	assert.Check(t, is.Equal(Problem{Stage: "lint", Message: "flake8 found 1 problem"}.String(), "lint: flake8 found 1 problem"))
	assert.Check(t, is.Equal(Problem{Message: "no stage"}.String(), "no stage"))
}

func TestProblemExtensions(t *testing.T) {
	assert.Check(t, is.DeepEqual(Problem{Stage: "build", Message: "m", File: "Dockerfile", Line: 3}.Extensions(),
		map[string]any{extStage: "build", extFile: "Dockerfile", extLine: 3}))
	assert.Check(t, is.DeepEqual(Problem{Stage: "deploy", Message: "m"}.Extensions(), map[string]any{extStage: "deploy"}))
}
