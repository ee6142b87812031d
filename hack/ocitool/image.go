package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ImageConfig is the part of an image's config that ocitool sets.
type ImageConfig struct {
	Env         []string
	Entrypoint  []string
	Cmd         []string
	WorkingDir  string
	User        string
	Description string
}

// skipContents are folders whose contents never belong in an image layer:
// runtimes mount them.
var skipContents = map[string]bool{"dev": true, "proc": true, "sys": true, "run": true, "tmp": true}

// markerFile is what hack/lib/rootfs.sh leaves in a finished root fs.
const markerFile = ".golden-path-complete"

// FromRootfs makes a single-layer image of the folder rootfs.
func FromRootfs(rootfs string, cfg ImageConfig) (v1.Image, error) {
	if st, err := os.Stat(rootfs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("root fs %s: not a folder (build it with hack/platform up)", rootfs)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeTar(pw, rootfs)) }()
		return pr, nil
	}, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		return nil, fmt.Errorf("layer of %s: %w", rootfs, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Env = cfg.Env
	cf.Config.Entrypoint = cfg.Entrypoint
	cf.Config.Cmd = cfg.Cmd
	cf.Config.WorkingDir = cfg.WorkingDir
	cf.Config.User = cfg.User
	if cfg.Description != "" {
		cf.Config.Labels = map[string]string{"org.opencontainers.image.description": cfg.Description}
	}
	return mutate.ConfigFile(img, cf)
}

// writeTar writes the folder as a tar stream with paths relative to it,
// keeping owners, modes, symlinks and device files.
func writeTar(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." || rel == markerFile {
			return err
		}
		top, _, _ := strings.Cut(rel, string(filepath.Separator))
		if skipContents[top] && top != rel {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// Push writes the image to ref (plain HTTP allowed: the local registries are on
// loopback) and returns the digest reference repo@sha256:….
func Push(ctx context.Context, img v1.Image, ref string) (string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.Write(r, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return r.Context().Digest(d.String()).String(), nil
}

// WriteLayout adds the image to the OCI image layout at dir (created when
// missing) and returns its manifest digest.
func WriteLayout(img v1.Image, dir string) (v1.Hash, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return v1.Hash{}, err
		}
	}
	if err := p.AppendImage(img); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}
