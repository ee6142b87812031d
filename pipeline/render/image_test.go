package render

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// A release rendered before the push (Unpublished) and given its image
// afterwards is, byte for byte, the release rendered with that image.
func TestSetImageIsRenderWithTheImage(t *testing.T) {
	cfg := templateConfig(t)
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			before, err := Render(templateFS(t), cfg, Release{Environment: env, Image: Unpublished, Commit: testCommit})
			assert.NilError(t, err)
			assert.Check(t, is.Equal(before.Image, Unpublished))
			want, err := Render(templateFS(t), cfg, release(env))
			assert.NilError(t, err)
			got, err := SetImage(before.YAML, Unpublished, testImage)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(string(got), string(want.YAML)))
		})
	}
}

func TestSetImageRefuses(t *testing.T) {
	cfg := templateConfig(t)
	res, err := Render(templateFS(t), cfg, Release{Environment: "dev", Image: Unpublished, Commit: UnpublishedCommit})
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(res.YAML), "app.kubernetes.io/version: \"0000000\""))

	_, err = SetImage(res.YAML, Unpublished, "goldenpath.azurecr.io/payments/hello-api:v1")
	var ref *ImageRefError
	assert.Check(t, errors.As(err, &ref), "a tag is refused: %v", err)

	_, err = SetImage(res.YAML, testImage, testImage)
	assert.Check(t, is.ErrorContains(err, "no container of the manifests runs "+testImage))

	_, err = SetImage([]byte("a: [b"), Unpublished, testImage)
	assert.Check(t, is.ErrorContains(err, "the manifests are not YAML"))
}

func TestEnvironments(t *testing.T) {
	envs, err := Environments(templateFS(t))
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(envs, []string{"dev", "prod", "staging"}))

	envs, err = Environments(filesys.MakeFsInMemory())
	assert.NilError(t, err, "no k8s/: the built-in base's environments")
	assert.Check(t, is.DeepEqual(envs, []string{"dev", "prod", "staging"}))

	base := filesys.MakeFsInMemory()
	assert.NilError(t, base.WriteFile("k8s/base/kustomization.yaml", []byte("resources: []\n")))
	_, err = Environments(base)
	var unknown *UnknownEnvironmentError
	assert.Check(t, errors.As(err, &unknown), "%v", err)
	assert.Check(t, is.Error(err, "render: no environment: k8s/overlays/ holds no overlay; create k8s/overlays/dev/kustomization.yaml (copy k8s/overlays of the golden-path template)"))
}
