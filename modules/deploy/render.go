package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/config"

	"github.com/golden-path/golden-path/pipeline/render"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Release is a service's manifests rendered for one environment.
type Release struct {
	// The service's name: its Deployment and Service.
	Service string
	// The commit SHA the release was built from.
	Commit string
	// When the commit was made, RFC 3339 in UTC; empty when not given.
	CommitTime string
	// The paths the smoke test calls first: readiness and liveness.
	HealthPaths []string
	// The environment: the overlay k8s/overlays/<environment>.
	Environment string
	// The tenant instance the release is for (platform/teams.yaml); empty for the environment's own namespace.
	Tenant string
	// The namespace the objects go to: <team>-<environment>, or the tenant's.
	Namespace string
	// The image the service runs, by digest.
	Image string
	// The rendered objects as Kind/namespace/name.
	Objects []string
	// Where each object of k8s/ is defined: what a policy violation is annotated at.
	Origins []*ObjectOrigin
	// The labels every object of the release carries, as key=value, sorted: the service's name, instance,
	// version, team and environment.
	Labels []string
	// Values written in k8s/ that golden-path.yaml replaced, each with where to change it.
	Overrides []string
	// The rendered manifests: one multi-document YAML, ready for kubectl apply.
	Manifests *dagger.File
	// The kubectl image that applies and verifies the release.
	KubectlImage string
	// The gator image that evaluates the platform's policy on the release.
	GatorImage string
}

// ObjectOrigin is where an object of a release is defined in k8s/.
type ObjectOrigin struct {
	// The object, as Kind/namespace/name.
	Object string
	// The file of k8s/ that defines it (an overlay's patches may have changed it).
	File string
	// The line of the object's kind in File; 0 when unknown.
	Line int
}

// Render renders the service's k8s/ base and the environment's overlay with
// kustomize, the image set to its digest and the names, labels, port, probes
// and resources of golden-path.yaml, into the namespace <team>-<environment>;
// for a tenant instance of the environment, into the tenant's namespace, with
// its overlay k8s/tenants/<environment>/<tenant> when the service has one.
// Without an image (a pull request's checks, or the checks before the push)
// the release runs a placeholder that no registry serves; WithImage gives it
// the published image.
func (d *Deploy) Render(
	ctx context.Context,
	// The service's source folder: golden-path.yaml and k8s/.
	// +defaultPath="/"
	// +ignore=["*", "!golden-path.yaml", "!k8s/**"]
	source *dagger.Directory,
	// The image to deploy, by digest: <registry>/<repository>@sha256:… (what publish returns); a placeholder
	// when empty.
	// +optional
	image string,
	// The git commit SHA being deployed: the version label (0000000 when empty).
	// +optional
	commit string,
	// When the commit was made, RFC 3339 (e.g. from `git log -1 --format=%cI`): recorded with the release, the
	// start of its lead time (commit to verified live).
	// +optional
	commitTime string,
	// Environment to render: the name of an overlay in k8s/overlays (dev, staging, prod).
	// +optional
	// +default="dev"
	environment string,
	// The tenant instance of the environment to render for, as the platform's teams file
	// (platform/teams.yaml) names it; empty for the environment's own namespace. Give --namespace with it.
	// +optional
	tenant string,
	// The tenant's namespace, as the platform's teams file lists it; only with --tenant.
	// +optional
	namespace string,
) (_ *Release, rerr error) {
	defer func() {
		if rerr != nil {
			rerr = stageError("render", rerr)
		}
	}()
	cfg, err := config.Read(func(name string) (string, error) { return source.File(name).Contents(ctx) })
	if err != nil {
		return nil, fmt.Errorf("render: %s", err.Error())
	}
	mem, err := manifestsFS(ctx, source)
	if err != nil {
		return nil, err
	}
	if image == "" {
		image = render.Unpublished
	}
	if commit == "" {
		commit = render.UnpublishedCommit
	}
	if commitTime != "" {
		t, err := time.Parse(time.RFC3339, commitTime)
		if err != nil {
			return nil, fmt.Errorf("render: --commit-time %q is not an RFC 3339 time: give the commit's time as `git log -1 --format=%%cI` prints it, e.g. 2026-12-01T09:30:00+01:00", commitTime)
		}
		commitTime = t.UTC().Format(time.RFC3339)
	}
	res, err := render.Render(mem, cfg, render.Release{Environment: environment, Image: image, Commit: commit, Tenant: tenant, Namespace: namespace})
	if err != nil {
		return nil, err
	}
	name := environment
	if tenant != "" {
		name += "-" + tenant
	}
	manifests, err := workdirFile(ctx, name+".yaml", res.YAML)
	if err != nil {
		return nil, fmt.Errorf("render: %s", err.Error())
	}
	rel := &Release{
		Service: cfg.Name, Commit: commit, CommitTime: commitTime, HealthPaths: []string{cfg.Health.Readiness, cfg.Health.Liveness},
		Environment: environment, Tenant: tenant, Namespace: res.Namespace, Image: res.Image,
		Manifests:    manifests,
		KubectlImage: d.KubectlImage,
		GatorImage:   d.GatorImage,
	}
	for k, v := range res.Labels {
		rel.Labels = append(rel.Labels, k+"="+v)
	}
	slices.Sort(rel.Labels)
	for _, o := range res.Objects {
		rel.Objects = append(rel.Objects, o.String())
		if o.File != "" {
			rel.Origins = append(rel.Origins, &ObjectOrigin{Object: o.String(), File: o.File, Line: o.Line})
		}
	}
	for _, o := range res.Overrides {
		rel.Overrides = append(rel.Overrides, o.String())
	}
	return rel, nil
}

// WithImage returns the release with its service's image replaced by image,
// which must be pinned by digest: how a release rendered and checked before
// the push gets the image publish returned. Nothing else changes.
func (r *Release) WithImage(
	ctx context.Context,
	// The image to deploy, by digest: <registry>/<repository>@sha256:… (what publish returns).
	image string,
) (_ *Release, rerr error) {
	defer func() {
		if rerr != nil {
			rerr = stageError("render", rerr)
		}
	}()
	rendered, err := r.Manifests.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("render: cannot read the release's manifests: %s", err.Error())
	}
	data, err := render.SetImage([]byte(rendered), r.Image, image)
	if err != nil {
		return nil, err
	}
	next := *r
	next.Image = image
	if next.Manifests, err = workdirFile(ctx, r.Environment+".yaml", data); err != nil {
		return nil, fmt.Errorf("render: %s", err.Error())
	}
	return &next, nil
}

// Environments lists the environments the service can be rendered for: the
// folders of k8s/overlays holding a kustomization.yaml, sorted.
func (d *Deploy) Environments(
	ctx context.Context,
	// The service's source folder: golden-path.yaml and k8s/.
	// +defaultPath="/"
	// +ignore=["*", "!golden-path.yaml", "!k8s/**"]
	source *dagger.Directory,
) (_ []string, rerr error) {
	defer func() {
		if rerr != nil {
			rerr = stageError("render", rerr)
		}
	}()
	mem, err := manifestsFS(ctx, source)
	if err != nil {
		return nil, err
	}
	return render.Environments(mem)
}

// manifestsFS returns the source's k8s/ folder in an in-memory file system
// (at k8s/; empty when the source has none). The module's own file system is
// scratch: k8s/ is exported there, then copied.
func manifestsFS(ctx context.Context, source *dagger.Directory) (filesys.FileSystem, error) {
	work, err := os.MkdirTemp("", "render-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	if ok, _ := source.Exists(ctx, render.DefaultDir); ok {
		if _, err := source.Directory(render.DefaultDir).Export(ctx, work+"/"+render.DefaultDir); err != nil {
			return nil, fmt.Errorf("render: cannot read k8s/: %s", err.Error())
		}
	}
	return loadFS(work)
}

// loadFS copies the folder dir of the disk into an in-memory file system,
// rooted at /.
func loadFS(dir string) (filesys.FileSystem, error) {
	disk := filesys.MakeFsOnDisk()
	mem := filesys.MakeFsInMemory()
	err := disk.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel := p[len(dir):]
		if rel == "" {
			return nil
		}
		if info.IsDir() {
			return mem.MkdirAll(rel)
		}
		data, err := disk.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(rel, data)
	})
	if err != nil {
		return nil, fmt.Errorf("render: cannot read k8s/: %s", err.Error())
	}
	return mem, nil
}
