package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func imageCmd(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	ref := fs.String("ref", "", "image reference written into the archive, e.g. golden-path.local/pause:3.10")
	out := fs.String("out", "", "docker-archive tar to write")
	var files, entrypoint stringsFlag
	fs.Var(&files, "file", "/PATH/IN/IMAGE=HOST_FILE (repeatable); the file is added with mode 0755")
	fs.Var(&entrypoint, "entrypoint", "entrypoint element (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ref == "" || *out == "" || len(files) == 0 {
		return errors.New("--ref, --out and at least one --file are required")
	}
	tag, err := name.NewTag(*ref)
	if err != nil {
		return fmt.Errorf("--ref %q: %w", *ref, err)
	}
	layer, err := fileLayer(files)
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config = v1.Config{Entrypoint: entrypoint}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	// Written beside the target and renamed: a reader never sees half a tar.
	tmp := *out + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	return os.Rename(tmp, *out)
}

// fileLayer is an uncompressed layer holding each DEST=SRC file, owned by root.
func fileLayer(specs []string) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, spec := range specs {
		dest, src, ok := strings.Cut(spec, "=")
		if !ok || !path.IsAbs(dest) || src == "" {
			return nil, fmt.Errorf("--file %q: want /PATH/IN/IMAGE=HOST_FILE", spec)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("--file %q: %w", spec, err)
		}
		hdr := &tar.Header{Name: strings.TrimPrefix(path.Clean(dest), "/"), Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}
