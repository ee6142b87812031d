package render

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/golden-path/golden-path/pipeline/policy"
)

// TestTemplatePasses renders every overlay of the service template and
// checks the result follows every rule of pipeline/policy.
func TestTemplatePasses(t *testing.T) {
	cfg := templateConfig(t)
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			res, err := Render(templateFS(t), cfg, release(env))
			assert.NilError(t, err)
			r, err := policy.Check(res.YAML)
			assert.NilError(t, err)
			assert.Equal(t, len(r.Objects), len(res.Objects))
			assert.NilError(t, r.Err())
		})
	}
}
