package trivydb

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// NewRegistry starts an in-process registry and returns its host:port.
func newRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	assert.NilError(t, err)
	return u.Host
}

// untar returns the files of a tar.gz by name.
func untar(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(r)
	assert.NilError(t, err)
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		assert.NilError(t, err)
		assert.Equal(t, hdr.Typeflag, byte(tar.TypeReg), hdr.Name)
		data, err := io.ReadAll(tr)
		assert.NilError(t, err)
		files[hdr.Name] = data
	}
	return files
}

// TestPush pushes a database to an in-process registry, pulls the manifest
// back as Trivy does and checks it is the artifact Trivy expects.
func TestPush(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, Write(dir, planted, buildTime))
	img, err := Image(dir)
	assert.NilError(t, err)

	host := newRegistry(t)
	d, err := Push(context.Background(), img, host+"/trivy-db:2", false)
	assert.NilError(t, err)
	assert.Assert(t, strings.HasPrefix(d.String(), host+"/trivy-db@sha256:"), d.String())

	// Trivy asks for <--db-repository>:2.
	ref, err := name.ParseReference(host + "/trivy-db:2")
	assert.NilError(t, err)
	desc, err := remote.Get(ref)
	assert.NilError(t, err)
	assert.Equal(t, desc.Digest.String(), d.DigestStr())
	assert.Equal(t, desc.MediaType, types.OCIManifestSchema1)

	pulled, err := desc.Image()
	assert.NilError(t, err)
	m, err := pulled.Manifest()
	assert.NilError(t, err)
	assert.Equal(t, m.MediaType, types.OCIManifestSchema1)
	assert.Equal(t, m.Config.MediaType, ConfigMediaType)
	assert.Equal(t, len(m.Layers), 1)
	assert.Equal(t, m.Layers[0].MediaType, LayerMediaType)
	assert.DeepEqual(t, m.Layers[0].Annotations, map[string]string{"org.opencontainers.image.title": "db.tar.gz"})

	layer, err := remote.Layer(ref.Context().Digest(m.Layers[0].Digest.String()))
	assert.NilError(t, err)
	rc, err := layer.Compressed()
	assert.NilError(t, err)
	defer rc.Close()
	files := untar(t, rc)
	assert.Equal(t, len(files), 2, "files in db.tar.gz: %v", keys(files))
	for _, f := range []string{"trivy.db", "metadata.json"} {
		want, err := os.ReadFile(filepath.Join(dir, f))
		assert.NilError(t, err)
		assert.Assert(t, string(files[f]) == string(want), "%s in db.tar.gz differs from the built file", f)
	}
}

func TestPushNeedsATag(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, Write(dir, nil, buildTime))
	img, err := Image(dir)
	assert.NilError(t, err)
	_, err = Push(context.Background(), img, "127.0.0.1:1/trivy-db", false)
	assert.Assert(t, is.ErrorContains(err, "e.g. 127.0.0.1:5000/trivy-db:2"))
}

func TestImageNeedsTheDatabase(t *testing.T) {
	_, err := Image(t.TempDir())
	assert.Assert(t, is.ErrorContains(err, "build the database first"))
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
