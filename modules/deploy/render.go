package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline"
	"github.com/golden-path/golden-path/pipeline/policy"
	"github.com/golden-path/golden-path/pipeline/render"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Release is a service's manifests rendered for one environment.
type Release struct {
	// The service's name: its Deployment and Service.
	Service string
	// The commit SHA the release was built from.
	Commit string
	// The paths the smoke test calls first: readiness and liveness.
	HealthPaths []string
	// The environment: the overlay k8s/overlays/<environment>.
	Environment string
	// The namespace the objects go to: <team>-<environment>.
	Namespace string
	// The image the service runs, by digest.
	Image string
	// The rendered objects as Kind/namespace/name.
	Objects []string
	// Values written in k8s/ that golden-path.yaml replaced, each with where to change it.
	Overrides []string
	// The rendered manifests: one multi-document YAML, ready for kubectl apply.
	Manifests *dagger.File
	// The kubectl image that applies and verifies the release.
	KubectlImage string
}

// Render renders the service's k8s/ base and the environment's overlay with
// kustomize, the image set to its digest and the names, labels, port, probes
// and resources of golden-path.yaml, into the namespace <team>-<environment>.
func (d *Deploy) Render(
	ctx context.Context,
	// The service's source folder: golden-path.yaml and k8s/.
	// +defaultPath="/"
	// +ignore=["*", "!golden-path.yaml", "!k8s/**"]
	source *dagger.Directory,
	// The image to deploy, by digest: <registry>/<repository>@sha256:… (what publish returns).
	image string,
	// The git commit SHA being deployed: the version label.
	commit string,
	// Environment to render: the name of an overlay in k8s/overlays (dev, staging, prod).
	// +optional
	// +default="dev"
	environment string,
) (_ *Release, rerr error) {
	defer func() {
		if rerr != nil {
			rerr = stageError("render", rerr)
		}
	}()
	cfg, err := pipeline.ReadConfig(func(name string) (string, error) { return source.File(name).Contents(ctx) })
	if err != nil {
		return nil, fmt.Errorf("render: %s", err.Error())
	}
	// The module's own file system is scratch: export k8s/ there, render
	// from an in-memory copy.
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
	mem, err := loadFS(work)
	if err != nil {
		return nil, err
	}
	res, err := render.Render(mem, cfg, render.Release{Environment: environment, Image: image, Commit: commit})
	if err != nil {
		return nil, err
	}
	manifests, err := workdirFile(ctx, environment+".yaml", res.YAML)
	if err != nil {
		return nil, fmt.Errorf("render: %s", err.Error())
	}
	rel := &Release{
		Service: cfg.Name, Commit: commit, HealthPaths: []string{cfg.Health.Readiness, cfg.Health.Liveness},
		Environment: environment, Namespace: res.Namespace, Image: res.Image,
		Manifests:    manifests,
		KubectlImage: d.KubectlImage,
	}
	for _, o := range res.Objects {
		rel.Objects = append(rel.Objects, o.String())
	}
	for _, o := range res.Overrides {
		rel.Overrides = append(rel.Overrides, o.String())
	}
	return rel, nil
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

// PolicyReport is the policy gate's decision on a release's manifests.
type PolicyReport struct {
	// Whether every object passes every rule.
	Ok bool
	// Each violation: rule, object, container, field, problem and fix.
	Violations []string
	// Markdown: the rules and every violation with its fix.
	Summary string
}

// Policy checks the release's manifests against the platform's rules (the
// ones the cluster enforces with Gatekeeper): no privileged containers,
// required labels, resource requests and limits, runAsNonRoot, images by
// digest, liveness and readiness probes. Every violation is listed.
func (r *Release) Policy(ctx context.Context) (*PolicyReport, error) {
	return checkManifests(ctx, r.Manifests)
}

// Check fails when the release's manifests break a rule of the platform,
// naming every violation and its fix.
func (r *Release) Check(ctx context.Context) (*Release, error) {
	p, err := r.Policy(ctx)
	if err != nil {
		return nil, err
	}
	if !p.Ok {
		return nil, fmt.Errorf("policy: %d violation(s) in the %s manifests; fix them in k8s/ (or golden-path.yaml):\n%s",
			len(p.Violations), r.Environment, "- "+strings.Join(p.Violations, "\n- ")+"\n")
	}
	return r, nil
}

// Policy checks any rendered manifests against the platform's rules.
func (d *Deploy) Policy(
	ctx context.Context,
	// Rendered Kubernetes manifests (multi-document YAML).
	manifests *dagger.File,
) (*PolicyReport, error) {
	return checkManifests(ctx, manifests)
}

func checkManifests(ctx context.Context, manifests *dagger.File) (*PolicyReport, error) {
	data, err := manifests.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: cannot read the manifests: %s", err.Error())
	}
	res, err := policy.Check([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("policy: %s", err.Error())
	}
	p := &PolicyReport{Ok: len(res.Violations) == 0, Summary: res.Markdown()}
	for _, v := range res.Violations {
		p.Violations = append(p.Violations, v.String())
	}
	return p, nil
}

// Constraints returns the platform's rules as Gatekeeper Constraints (for
// the gatekeeper-library templates), to enforce in the cluster what the
// pipeline checks.
func (d *Deploy) Constraints(
	ctx context.Context,
	// What the cluster does on a violation: deny, dryrun or warn.
	// +optional
	// +default="deny"
	enforcementAction string,
) (*dagger.File, error) {
	data, err := policy.Constraints(policy.WithEnforcementAction(enforcementAction))
	if err != nil {
		return nil, err
	}
	return workdirFile(ctx, "constraints.yaml", data)
}
