package trivydb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The OCI artifact Trivy downloads from --db-repository, as
// ghcr.io/aquasecurity/trivy-db:2 is published.
const (
	// ConfigMediaType is the media type of the manifest's config.
	ConfigMediaType types.MediaType = "application/vnd.aquasec.trivy.config.v1+json"
	// LayerMediaType is the media type of its single layer.
	LayerMediaType types.MediaType = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
	// TitleAnnotation names the layer's file; Trivy reads it to know the
	// layer is a .tar.gz to unpack.
	TitleAnnotation = "org.opencontainers.image.title"
	// LayerTitle is the layer's file name.
	LayerTitle = "db.tar.gz"
)

// Archive returns db.tar.gz: a gzipped tar of dir's trivy.db and
// metadata.json, at the root of the archive.
func Archive(dir string) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, file := range []string{DBFile, MetadataFile} {
		if err := addFile(tw, dir, file); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func addFile(tw *tar.Writer, dir, file string) error {
	path := filepath.Join(dir, file)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (build the database first)", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     file,
		Mode:     0o644,
		Size:     int64(len(data)),
		ModTime:  st.ModTime().UTC().Truncate(1e9),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = tw.Write(data)
	return err
}

// Image packages the database in dir (trivy.db and metadata.json) as the
// OCI artifact Trivy downloads: an OCI manifest whose config has
// ConfigMediaType and whose single layer, db.tar.gz, has LayerMediaType and
// the title annotation.
func Image(dir string) (v1.Image, error) {
	archive, err := Archive(dir)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(archive)), nil
	}, tarball.WithMediaType(LayerMediaType))
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:       layer,
		MediaType:   LayerMediaType,
		Annotations: map[string]string{TitleAnnotation: LayerTitle},
	})
	if err != nil {
		return nil, err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, ConfigMediaType), nil
}

// Push writes img to ref, which must name a tag (Trivy reads tag 2 of its
// --db-repository), and returns the digest reference. Registries on
// loopback are reached over plain HTTP; insecure allows it for any other.
func Push(ctx context.Context, img v1.Image, ref string, insecure bool) (name.Digest, error) {
	opts := []name.Option{name.StrictValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(ref, opts...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("%w: give a full reference with a tag, e.g. 127.0.0.1:5000/trivy-db:%d", err, SchemaVersion)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return name.Digest{}, fmt.Errorf("push %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return tag.Context().Digest(d.String()), nil
}
