package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/publish"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Published is an image in the registry.
type Published struct {
	// The image by digest, <registry>/<repository>@sha256:…: what manifests name.
	Ref string
	// The manifest digest.
	Digest string
	// Tags pointing to the digest, the commit SHA first.
	Tags []string
	// True when the commit tag already pointed to this digest: nothing was uploaded.
	Existed bool
	// True when the commit tag pointed to another image built from the same source (a re-run whose rebuild came
	// out different): that image is the result, the rebuild was not pushed.
	Reused bool
	// All of the above as one JSON object (a pipeline.Published of the golden-path pipeline): Publish
	// runs again for each query of a field, so read this one when you need several.
	Result dagger.JSON
}

// Publish pushes the container's image as <registry>/<repository>:<commit>
// (and the extra tags), labelled with the commit (and the repository's URL),
// and returns its digest reference once the registry resolves it. Commit tags
// are immutable: a re-push of the same image succeeds without uploading; when
// the tag points to another image built from the same source (its
// dev.golden-path.source-digest label, set by the build), that image is the
// result; from another source, nothing is pushed and Publish fails.
// +cache="never"
func (d *Deploy) Publish(
	ctx context.Context,
	// The container whose image to push.
	ctr *dagger.Container,
	// Repository inside the registry, e.g. payments/hello-api.
	repository string,
	// The git commit SHA the image was built from: its tag.
	commit string,
	// More tags to point at the image, e.g. main; unlike the commit tag they move.
	// +optional
	tags []string,
	// URL of the repository the commit is in, e.g. https://github.com/acme/orders: the image's
	// org.opencontainers.image.source label.
	// +optional
	sourceUrl string,
) (*Published, error) {
	if d.Registry == "" {
		return nil, fmt.Errorf("publish: no registry: pass --registry, e.g. myacr.azurecr.io")
	}
	repo := d.Registry + "/" + strings.Trim(repository, "/")
	if err := publish.ValidateCommit(commit); err != nil {
		return nil, err
	}
	opts := []publish.Option{publish.WithTags(tags...)}
	if d.Password != nil {
		pw, err := d.Password.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("publish: cannot read the --password secret: %s", err.Error())
		}
		opts = append(opts, publish.WithBasicAuth(d.Username, pw))
	}
	if d.RegistryTunnel != nil {
		rt, err := d.tunnelTransport(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, publish.WithTransport(rt))
	}

	ctr = ctr.WithLabel(pipeline.LabelRevision, commit)
	if sourceUrl != "" {
		ctr = ctr.WithLabel(pipeline.LabelSource, sourceUrl)
	}
	const tarPath = "/tmp/golden-path-image.tar"
	if _, err := ctr.AsTarball().Export(ctx, tarPath); err != nil {
		return nil, fmt.Errorf("publish: cannot export the image to push: %s", err.Error())
	}
	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		return nil, fmt.Errorf("publish: cannot read the image tarball: %s", err.Error())
	}
	res, err := publish.Push(ctx, img, repo, commit, opts...)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("publish: cannot encode the result: %s", err.Error())
	}
	return &Published{Ref: res.Ref, Digest: res.Digest, Tags: res.Tags, Existed: res.Existed, Reused: res.Reused,
		Result: dagger.JSON(data)}, nil
}

// tunnelTransport sends every registry connection to the tunnel, so the
// registry keeps its own name (and the references their host) while this
// container, which has no route to the caller's loopback, reaches it.
func (d *Deploy) tunnelTransport(ctx context.Context) (http.RoundTripper, error) {
	svc, err := d.RegistryTunnel.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("publish: cannot start the --registry-tunnel: %s", err.Error())
	}
	endpoint, err := svc.Endpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("publish: the --registry-tunnel has no endpoint: %s", err.Error())
	}
	tr := remote.DefaultTransport.(*http.Transport).Clone()
	var dialer net.Dialer
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, endpoint)
	}
	return tr, nil
}
