package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestImageWritesOneLayerArchive(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pause")
	assert.NilError(t, os.WriteFile(bin, []byte("not really a binary"), 0o644))
	out := filepath.Join(dir, "pause.tar")

	assert.NilError(t, imageCmd([]string{"--ref", "golden-path.local/pause:test", "--file", "/pause=" + bin,
		"--entrypoint", "/pause", "--out", out}))

	tag, err := name.NewTag("golden-path.local/pause:test")
	assert.NilError(t, err)
	img, err := tarball.ImageFromPath(out, &tag)
	assert.NilError(t, err)
	cf, err := img.ConfigFile()
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(cf.Config.Entrypoint, []string{"/pause"}))
	assert.Check(t, is.Equal(cf.Architecture, runtime.GOARCH))
	layers, err := img.Layers()
	assert.NilError(t, err)
	assert.Assert(t, is.Len(layers, 1))

	rc, err := layers[0].Uncompressed()
	assert.NilError(t, err)
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	assert.NilError(t, err)
	assert.Check(t, is.Equal(hdr.Name, "pause"))
	assert.Check(t, is.Equal(hdr.Mode, int64(0o755)), "the file must be executable whatever its mode on the host")
	data, err := io.ReadAll(tr)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(string(data), "not really a binary"))
	_, err = tr.Next()
	assert.Check(t, is.Equal(err, io.EOF))
	_, err = os.Stat(out + ".tmp")
	assert.Check(t, os.IsNotExist(err), "the temporary archive must be renamed")
}

func TestImageRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.tar")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"--ref", "a/b:c", "--out", out}, "--ref, --out and at least one --file are required"},
		{"relative path", []string{"--ref", "a/b:c", "--out", out, "--file", "pause=" + out}, `--file "pause=`},
		{"missing source", []string{"--ref", "a/b:c", "--out", out, "--file", "/pause=" + filepath.Join(dir, "nope")}, "no such file"},
		{"bad ref", []string{"--ref", "UPPER/case", "--out", out, "--file", "/pause=" + out}, `--ref "UPPER/case"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := imageCmd(tc.args)
			assert.Check(t, is.ErrorContains(err, tc.want))
			_, statErr := os.Stat(out)
			assert.Check(t, os.IsNotExist(statErr), "bad input must write nothing")
		})
	}
}
