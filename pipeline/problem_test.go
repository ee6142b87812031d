package pipeline_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/golden-path/golden-path/pipeline/dockerfile"
	"github.com/golden-path/golden-path/pipeline/yamlfile"
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

func throughEngine(t *testing.T, p pipeline.Problem) error {
	return extError{p.String(), viaJSON(t, p.Extensions())}
}

func viaJSON(t *testing.T, ext map[string]any) map[string]any {
	data, err := json.Marshal(ext)
	assert.NilError(t, err)
	var out map[string]any
	assert.NilError(t, json.Unmarshal(data, &out))
	return out
}

type detailed struct{ msg, detail string }

func (d detailed) Error() string  { return d.msg }
func (d detailed) Detail() string { return d.detail }

func TestProblemOf(t *testing.T) {
	dfErr := &dockerfile.Error{File: "build/Dockerfile", Line: 7, Instruction: "RUN false", Reason: "RUN failed with exit code 1"}
	cfgErr := &config.Error{File: "golden-path.yaml", Errors: []*yamlfile.FieldError{
		{File: "golden-path.yaml", Field: "name", Reason: "is missing"},
		{File: "golden-path.yaml", Line: 4, Field: "port", Reason: "70000 is not a port"},
	}}
	for _, tc := range []struct {
		name  string
		stage string
		err   error
		want  pipeline.Problem
	}{
		{name: "plain error", stage: "deploy", err: errors.New("deploy: the rollout did not finish within 30s"),
			want: pipeline.Problem{Stage: "deploy", Message: "the rollout did not finish within 30s"}},
		{name: "plain error without its stage", stage: "publish", err: errors.New("cannot reach the registry"),
			want: pipeline.Problem{Stage: "publish", Message: "cannot reach the registry"}},
		{name: "located error", stage: "build", err: fmt.Errorf("build: %w", dfErr),
			want: pipeline.Problem{Stage: "build", Message: dfErr.Error(), File: "build/Dockerfile", Line: 7}},
		{name: "config error", stage: "config", err: cfgErr,
			want: pipeline.Problem{Stage: "config", Message: cfgErr.Error(), File: "golden-path.yaml", Line: 4}},
		{name: "from a module", stage: "render", err: throughEngine(t, pipeline.Problem{Stage: "render", Message: "k8s/base lists a.yaml", File: "k8s/base/kustomization.yaml"}),
			want: pipeline.Problem{Stage: "render", Message: "k8s/base lists a.yaml", File: "k8s/base/kustomization.yaml"}},
		{name: "from a module, with a line", stage: "build", err: throughEngine(t, pipeline.Problem{Stage: "build", Message: "Dockerfile:3: bad", File: "Dockerfile", Line: 3}),
			want: pipeline.Problem{Stage: "build", Message: "Dockerfile:3: bad", File: "Dockerfile", Line: 3}},
		{name: "from another stage's module", stage: "observability", err: throughEngine(t, pipeline.Problem{Stage: "render", Message: "observe.yaml: Namespace/x is cluster-wide"}),
			want: pipeline.Problem{Stage: "observability", Message: "observe.yaml: Namespace/x is cluster-wide"}},
		{name: "from a module, with a detail", stage: "deploy", err: throughEngine(t, pipeline.Problem{Stage: "deploy", Message: "the rollout failed\nRolled back", Detail: "rolled back to revision 1"}),
			want: pipeline.Problem{Stage: "deploy", Message: "the rollout failed\nRolled back", Detail: "rolled back to revision 1"}},
		{name: "detailed error", stage: "observe", err: fmt.Errorf("observe: %w", detailed{"no target up", "rolled back"}),
			want: pipeline.Problem{Stage: "observe", Message: "no target up", Detail: "rolled back"}},
		{name: "a module's other extensions", stage: "scan", err: extError{"scan: exit code 2", map[string]any{"exitCode": 2.0}},
			want: pipeline.Problem{Stage: "scan", Message: "exit code 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Check(t, is.DeepEqual(pipeline.ProblemOf(tc.stage, tc.err), tc.want))
		})
	}
}

func TestProblemString(t *testing.T) {
	assert.Check(t, is.Equal(pipeline.Problem{Stage: "lint", Message: "flake8 found 1 problem"}.String(), "lint: flake8 found 1 problem"))
	assert.Check(t, is.Equal(pipeline.Problem{Message: "no stage"}.String(), "no stage"))
}

func TestProblemExtensions(t *testing.T) {
	assert.Check(t, is.DeepEqual(pipeline.Problem{Stage: "build", Message: "m", File: "Dockerfile", Line: 3}.Extensions(),
		map[string]any{"goldenPathStage": "build", "goldenPathFile": "Dockerfile", "goldenPathLine": 3}))
	assert.Check(t, is.DeepEqual(pipeline.Problem{Stage: "deploy", Message: "m"}.Extensions(), map[string]any{"goldenPathStage": "deploy"}))
	assert.Check(t, is.DeepEqual(pipeline.Problem{Stage: "deploy", Message: "m", Detail: "d"}.Extensions(),
		map[string]any{"goldenPathStage": "deploy", "goldenPathDetail": "d"}))
}

// A module's error names the stage that failed: a build inside the lint
// stage is the build's.
func TestStageOf(t *testing.T) {
	built := throughEngine(t, pipeline.Problem{Stage: "build", Message: "Dockerfile:3: RUN failed"})
	assert.Check(t, is.Equal(pipeline.StageOf(built), "build"))
	assert.Check(t, is.Equal(pipeline.StageOf(fmt.Errorf("lint: %w", built)), "build"))
	assert.Check(t, is.Equal(pipeline.StageOf(errors.New("lint: 3 findings")), ""))
	assert.Check(t, is.Equal(pipeline.StageOf(nil), ""))
}
