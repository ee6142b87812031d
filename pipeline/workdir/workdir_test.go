package workdir

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestWrite(t *testing.T) {
	root := t.TempDir()
	first, err := Write(root, "dev.yaml", []byte("kind: Service\n"))
	assert.NilError(t, err)
	assert.Check(t, filepath.IsLocal(first), first)
	assert.Check(t, is.Equal(filepath.Base(first), "dev.yaml"))
	data, err := os.ReadFile(filepath.Join(root, first))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(string(data), "kind: Service\n"))

	// Two files of the same name do not overwrite each other.
	second, err := Write(root, "dev.yaml", []byte("kind: Deployment\n"))
	assert.NilError(t, err)
	assert.Check(t, first != second)
	data, err = os.ReadFile(filepath.Join(root, first))
	assert.NilError(t, err)
	assert.Check(t, is.Equal(string(data), "kind: Service\n"))
}

func TestWriteRefusesPaths(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"", "../dev.yaml", "k8s/dev.yaml"} {
		_, err := Write(root, name, []byte("x"))
		assert.Check(t, is.ErrorContains(err, "a file name without a folder is needed"), name)
	}
	entries, err := os.ReadDir(root)
	assert.NilError(t, err)
	assert.Check(t, is.Len(entries, 0), "a refused name wrote something")
}

func TestWriteNoRoot(t *testing.T) {
	_, err := Write(filepath.Join(t.TempDir(), "missing"), "dev.yaml", []byte("x"))
	assert.Check(t, is.ErrorContains(err, "cannot write dev.yaml"))
}
