package render

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/golden-path/golden-path/pipeline/policy"
	"github.com/golden-path/golden-path/pipeline/tenancy"
)

// DefaultDir is the folder of the service's source holding its manifests.
const DefaultDir = "k8s"

// ContainerName is the name of the service's container in its Deployment:
// the one the render points at the release's image and sets from
// golden-path.yaml.
const ContainerName = "app"

// ImagePlaceholder is the image name the manifests give the service's
// container; the render replaces it with the release's image.
const ImagePlaceholder = "app"

// PortName is the name of the container port the render sets from
// golden-path.yaml; the Service, the NetworkPolicy and the probes refer to it
// by this name.
const PortName = "http"

// ShortSHALength is the length of the commit SHA in the version label.
const ShortSHALength = 7

// BuiltinDir is how errors and results name the platform's built-in base,
// the manifests of a service without a k8s/ folder.
const BuiltinDir = "golden-path's built-in k8s"

// Release is what to render: the environment and the build to deploy there.
type Release struct {
	// Environment is the overlay to build: k8s/overlays/<Environment>.
	Environment string
	// Image is the image to deploy, pinned by digest:
	// <registry>/<repository>@sha256:<digest>. A tag alone is refused.
	Image string
	// Commit is the full (or at least 7-digit) hex SHA of the commit built.
	Commit string
	// Tenant names the tenant instance to render for, as the platform's
	// teams file (platform/teams.yaml) lists it under Environment; empty for
	// the environment's own namespace. Its overlay is
	// k8s/tenants/<Environment>/<Tenant> when the service has one (it builds
	// on the environment's, ../../../overlays/<Environment>), else the
	// environment's.
	Tenant string
	// Namespace is the tenant's namespace, from the teams file: given with
	// Tenant, and only then (without a tenant, the namespace is
	// <team>-<environment>).
	Namespace string
}

// TenantOverlay is the folder of a tenant's overlay inside the manifests
// folder. It is not inside the environment's overlay, which kustomize
// could not then build on.
func TenantOverlay(environment, tenant string) string {
	return path.Join("tenants", environment, tenant)
}

// Object identifies one rendered object.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// File is the file of the manifests folder that defines the object
	// (patches of an overlay may have changed it), e.g.
	// "k8s/base/deployment.yaml"; empty when kustomize generated it.
	File string
	// Line is the line of the object's kind in File; 0 when unknown.
	Line int
}

// String returns Kind/namespace/name (Kind/name for cluster-wide objects).
func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Result is a rendered release.
type Result struct {
	// YAML is the rendered objects as one multi-document YAML stream, ready
	// for kubectl apply.
	YAML []byte
	// Objects are the rendered objects, in the order of YAML.
	Objects []Object
	// Namespace is the namespace of the release's objects.
	Namespace string
	// Image is the image the service's container runs.
	Image string
	// Labels are the labels set on every object (policy.RequiredLabels).
	Labels map[string]string
	// Overrides are the values written in k8s/ that golden-path.yaml
	// replaced: not errors (golden-path.yaml wins), but worth telling the
	// team, who may have expected the k8s/ value to apply.
	Overrides []Override
}

// Override is a value of the manifests that Render replaced with the value
// of golden-path.yaml.
type Override struct {
	// File is the file defining the object; an overlay's patch may be what
	// set the value.
	File string
	// Object is the object, as Kind/name.
	Object string
	// Field is the field's path.
	Field string
	// Setting is the golden-path.yaml setting that wins, e.g.
	// "resources.limits.memory".
	Setting string
	// Manifest is the value the manifests gave.
	Manifest string
	// Config is the value of golden-path.yaml, which the release has.
	Config string
}

// String says what was replaced and where to change it.
func (o Override) String() string {
	return fmt.Sprintf("%s: %s %s: k8s/ says %q, golden-path.yaml's %s says %q; the release uses %q "+
		"(golden-path.yaml is the source of truth: change the value there, the one in k8s/ is ignored)",
		o.File, o.Object, o.Field, o.Manifest, o.Setting, o.Config, o.Config)
}

// Option configures Render.
type Option func(*options)

type options struct {
	dir string
}

// WithDir sets the folder of the file system holding the manifests (by
// default DefaultDir, "k8s"). "." means the file system's root is that
// folder. Without that folder, Render uses the platform's built-in base.
func WithDir(dir string) Option {
	return func(o *options) { o.dir = dir }
}

// Layout of the scratch file system Render builds in: a copy of the
// caller's manifests folder, and the kustomizations it generates next to it.
const (
	workManifests = "/k8s"
	workRoot      = "/.golden-path-render"
	workOverlay   = workRoot + "/overlay"
	workRelease   = workRoot + "/release"
	renderedFile  = "rendered.yaml"
	// nameReferenceFile holds nameReferences, for the release's build.
	nameReferenceFile = "name-references.yaml"
)

// nameReferences are the references to an object by name that kustomize
// does not know of and a renamed object's must follow (see
// NamePlaceholder), in kustomize's configuration format: the Secrets Store
// CSI driver's SecretProviderClass, named by a volume's attribute.
const nameReferences = `nameReference:
  - kind: SecretProviderClass
    group: secrets-store.csi.x-k8s.io
    fieldSpecs:
      - path: spec/template/spec/volumes/csi/volumeAttributes/secretProviderClass
        kind: Deployment
      - path: spec/jobTemplate/spec/template/spec/volumes/csi/volumeAttributes/secretProviderClass
        kind: CronJob
`

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	hexSHA   = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
)

// Render builds the overlay of rel.Environment from the manifests folder of
// fsys (DefaultDir unless WithDir says otherwise; the platform's built-in
// base and DefaultEnvironments when fsys has no such folder) and sets on it
// what the platform owns: names, namespace, labels, image and the values of
// cfg (see the package documentation). It is a pure function: it reads fsys
// and never writes to it.
//
// Errors: *UnknownEnvironmentError when there is no overlay for the environment,
// *MissingFileError when a kustomization lists a file that does not exist,
// *ImageRefError when rel.Image is not pinned by digest, *InputError for
// other bad arguments, *ManifestError when the manifests contradict cfg, and
// *KustomizeError when kustomize fails otherwise.
func Render(fsys filesys.FileSystem, cfg *config.Config, rel Release, opts ...Option) (*Result, error) {
	o := options{dir: DefaultDir}
	for _, opt := range opts {
		opt(&o)
	}
	in, err := checkInputs(fsys, cfg, rel, o)
	if err != nil {
		return nil, err
	}

	// Without a manifests folder, the platform's built-in base.
	dir, builtin := path.Clean(o.dir), !fsys.IsDir(path.Clean(o.dir))
	disp := displayer{dir: dir}
	if builtin {
		if fsys, err = builtinFS(cfg); err != nil {
			return nil, err
		}
		dir, disp.dir = DefaultDir, BuiltinDir
	}
	work, err := copyManifests(fsys, dir)
	if err != nil {
		return nil, err
	}
	overlays := path.Join(workManifests, "overlays")
	overlay := path.Join(overlays, rel.Environment)
	if !isKustomizationDir(work, overlay) {
		return nil, &UnknownEnvironmentError{
			Environment: rel.Environment,
			Overlays:    disp.path(overlays),
			Known:       knownEnvironments(work, overlays),
		}
	}
	if t := path.Join(workManifests, TenantOverlay(rel.Environment, rel.Tenant)); rel.Tenant != "" && isKustomizationDir(work, t) {
		overlay = t
	}
	if err := checkKustomizationTree(work, overlay, disp); err != nil {
		var me *ManifestError
		if errors.As(err, &me) {
			me.Environment = rel.Environment
		}
		return nil, err
	}

	// Phase 1: the overlay as the team wrote it, each object annotated with
	// the file it comes from, to check it against cfg.
	built, err := build(work, workOverlay, &types.Kustomization{
		Resources:     []string{relPath(workOverlay, overlay)},
		BuildMetadata: []string{types.OriginAnnotations},
	})
	if err != nil {
		return nil, &KustomizeError{Overlay: disp.path(overlay), Err: err, msg: disp.clean(err.Error())}
	}
	found, problems := inspect(built, cfg, disp)
	if len(problems) > 0 {
		return nil, &ManifestError{Environment: rel.Environment, Problems: problems}
	}
	var origins map[string]origin
	if !builtin {
		origins = originsOf(built, work, disp, cfg.Name)
	}
	if err := built.RemoveOriginAnnotations(); err != nil {
		return nil, fmt.Errorf("render: cannot drop kustomize's build annotations: %w", err)
	}
	phase1, err := built.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("render: cannot serialize the built overlay: %w", err)
	}

	// Phase 2: the release: namespace, labels, image and cfg's values set
	// on the built overlay.
	if err := work.WriteFile(path.Join(workRelease, renderedFile), phase1); err != nil {
		return nil, fmt.Errorf("render: cannot write the scratch file system: %w", err)
	}
	if err := work.WriteFile(path.Join(workRelease, nameReferenceFile), []byte(nameReferences)); err != nil {
		return nil, fmt.Errorf("render: cannot write the scratch file system: %w", err)
	}
	k := releaseKustomization(cfg, in, found)
	out, err := build(work, workRelease, k)
	if err != nil {
		return nil, &KustomizeError{Overlay: disp.path(overlay), Err: err, msg: disp.clean(err.Error())}
	}
	data, err := out.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("render: cannot serialize the release: %w", err)
	}
	labels := maps.Clone(in.labels)
	maps.Copy(labels, in.selectors)
	res := &Result{YAML: data, Namespace: in.namespace, Image: in.image, Labels: labels, Overrides: found.overrides}
	for _, r := range out.Resources() {
		o := Object{
			APIVersion: r.GetApiVersion(),
			Kind:       r.GetKind(),
			Namespace:  r.GetNamespace(),
			Name:       r.GetName(),
		}
		src := origins[r.GetKind()+"/"+r.GetName()]
		o.File, o.Line = src.file, src.line
		res.Objects = append(res.Objects, o)
	}
	return res, nil
}

// Environments returns the environments the manifests folder of fsys
// (DefaultDir unless WithDir says otherwise) has an overlay for: the folders
// of its overlays/ holding a kustomization, sorted; DefaultEnvironments
// when there is no manifests folder (the built-in base). The error is an
// *UnknownEnvironmentError (with no Environment) when the folder has no
// overlay.
func Environments(fsys filesys.FileSystem, opts ...Option) ([]string, error) {
	o := options{dir: DefaultDir}
	for _, opt := range opts {
		opt(&o)
	}
	dir := path.Clean(o.dir)
	if fsys == nil || !fsys.IsDir(dir) {
		return slices.Clone(DefaultEnvironments), nil
	}
	overlays := path.Join(dir, "overlays")
	known := knownEnvironments(fsys, overlays)
	if len(known) == 0 {
		return nil, &UnknownEnvironmentError{Overlays: overlays}
	}
	return known, nil
}

// inputs are the values Render derives from its arguments.
type inputs struct {
	namespace string
	image     string
	imageName string
	digest    string
	labels    map[string]string
	selectors map[string]string
}

// checkInputs validates Render's arguments and derives the values it sets.
func checkInputs(fsys filesys.FileSystem, cfg *config.Config, rel Release, o options) (*inputs, error) {
	if fsys == nil {
		return nil, &InputError{Field: "file system", Reason: "it is nil; pass the file system holding the service's k8s/ folder"}
	}
	if cfg == nil {
		return nil, &InputError{Field: "config", Reason: "it is nil; load golden-path.yaml with config.Load first"}
	}
	if cfg.Name == "" || cfg.Team == "" {
		return nil, &InputError{Field: "config", Reason: "name and team must be set; load golden-path.yaml with config.Load, which checks them"}
	}
	dir := path.Clean(o.dir)
	if o.dir == "" || path.IsAbs(o.dir) || dir == ".." || strings.HasPrefix(dir, "../") {
		return nil, &InputError{Field: "manifests folder", Reason: fmt.Sprintf("%q is not a folder inside the source; pass a relative path such as %q", o.dir, DefaultDir)}
	}
	if !dnsLabel.MatchString(rel.Environment) {
		return nil, &InputError{Field: "environment", Reason: fmt.Sprintf("%q is not an environment name: use lowercase letters, digits and '-', like dev, staging or prod", rel.Environment)}
	}
	commit := strings.ToLower(rel.Commit)
	if !hexSHA.MatchString(commit) {
		return nil, &InputError{Field: "commit", Reason: fmt.Sprintf("%q is not a git commit SHA: pass the hex SHA of the commit built (git rev-parse HEAD)", rel.Commit)}
	}
	ns := cfg.Namespace(rel.Environment)
	instance := cfg.Name + "-" + rel.Environment
	switch {
	case rel.Tenant == "" && rel.Namespace != "":
		return nil, &InputError{Field: "namespace", Reason: fmt.Sprintf("%q is given without a tenant: a service's namespace is <team>-<environment>; only a tenant instance of the platform's teams file has its own", rel.Namespace)}
	case rel.Tenant != "" && !dnsLabel.MatchString(rel.Tenant):
		return nil, &InputError{Field: "tenant", Reason: fmt.Sprintf("%q is not a tenant name: use the name the platform's teams file (%s) gives it", rel.Tenant, tenancy.File)}
	case rel.Tenant != "" && !dnsLabel.MatchString(rel.Namespace):
		return nil, &InputError{Field: "namespace", Reason: fmt.Sprintf("%q is not a namespace: give tenant %s's namespace as the platform's teams file (%s) lists it", rel.Namespace, rel.Tenant, tenancy.File)}
	case rel.Tenant != "":
		ns, instance = rel.Namespace, instance+"-"+rel.Tenant
		if why := tenancy.ReservedNamespace(ns); why != "" {
			return nil, &InputError{Field: "namespace", Reason: fmt.Sprintf("%q (tenant %s): %s, no service deploys there; ask the platform team to give the tenant a namespace of its own in %s", ns, rel.Tenant, why, tenancy.File)}
		}
	}
	if why := tenancy.ReservedNamespace(ns); rel.Tenant == "" && why != "" {
		return nil, &InputError{Field: "namespace", Reason: fmt.Sprintf("%q (team-environment): %s, no service deploys there; "+
			"set team in golden-path.yaml to your team's name, and name the environment's overlay dev, staging or prod", ns, why)}
	}
	if len(ns) > 63 {
		return nil, &InputError{Field: "namespace", Reason: fmt.Sprintf("%q (team-environment) is longer than 63 characters: shorten the team in golden-path.yaml or the environment's name", ns)}
	}
	d, err := parseDigest(rel.Image)
	if err != nil {
		return nil, err
	}
	if len(instance) > 63 {
		instance = instance[:63]
	}
	in := &inputs{
		namespace: ns,
		image:     d.Repository.Name() + "@" + d.DigestStr(),
		imageName: d.Repository.Name(),
		digest:    d.DigestStr(),
		selectors: map[string]string{
			policy.LabelName:     cfg.Name,
			policy.LabelInstance: strings.TrimRight(instance, "-"),
		},
		labels: map[string]string{
			policy.LabelVersion:     commit[:ShortSHALength],
			policy.LabelPartOf:      policy.PartOf,
			policy.LabelManagedBy:   policy.ManagedBy,
			policy.LabelTeam:        cfg.Team,
			policy.LabelEnvironment: rel.Environment,
		},
	}
	if rel.Tenant != "" {
		in.labels[policy.LabelTenant] = rel.Tenant
	}
	return in, nil
}

// parseDigest parses ref and refuses anything but
// <registry>/<repository>@sha256:<hex>.
func parseDigest(ref string) (name.Digest, error) {
	if ref == "" {
		return name.Digest{}, &ImageRefError{Ref: ref, Reason: "is empty"}
	}
	if !strings.Contains(ref, "@") {
		reason := "has no digest"
		if strings.HasSuffix(ref, ":latest") || !strings.Contains(path.Base(ref), ":") {
			reason = "has no digest and names the moving tag latest"
		} else {
			reason = "is a tag without a digest (a tag can be moved to another image)"
		}
		return name.Digest{}, &ImageRefError{Ref: ref, Reason: reason}
	}
	d, err := name.NewDigest(ref, name.StrictValidation)
	if err != nil {
		return name.Digest{}, &ImageRefError{Ref: ref, Reason: "is not a valid digest reference (" + err.Error() + ")"}
	}
	return d, nil
}

// build runs kustomize on the kustomization k, written to dir of fsys.
func build(fsys filesys.FileSystem, dir string, k *types.Kustomization) (resmap.ResMap, error) {
	k.APIVersion = types.KustomizationVersion
	k.Kind = types.KustomizationKind
	data, err := marshalYAML(k)
	if err != nil {
		return nil, err
	}
	if err := fsys.WriteFile(path.Join(dir, konfig.DefaultKustomizationFileName()), data); err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	return krusty.MakeKustomizer(opts).Run(fsys, dir)
}

// copyManifests copies the folder dir of fsys to workManifests of a new
// in-memory file system, so that Render never writes to fsys.
func copyManifests(fsys filesys.FileSystem, dir string) (filesys.FileSystem, error) {
	work := filesys.MakeFsInMemory()
	var copyDir func(from, to string) error
	copyDir = func(from, to string) error {
		if err := work.MkdirAll(to); err != nil {
			return err
		}
		names, err := fsys.ReadDir(from)
		if err != nil {
			return err
		}
		slices.Sort(names)
		for _, n := range names {
			src, dst := path.Join(from, n), path.Join(to, n)
			if fsys.IsDir(src) {
				if err := copyDir(src, dst); err != nil {
					return err
				}
				continue
			}
			data, err := fsys.ReadFile(src)
			if err != nil {
				return err
			}
			if err := work.WriteFile(dst, data); err != nil {
				return err
			}
		}
		return nil
	}
	if err := copyDir(path.Clean(dir), workManifests); err != nil {
		return nil, fmt.Errorf("render: cannot read the manifests folder %s: %w", dir, err)
	}
	return work, nil
}

// isKustomizationDir reports whether dir of fsys holds a kustomization file.
func isKustomizationDir(fsys filesys.FileSystem, dir string) bool {
	return kustomizationFile(fsys, dir) != ""
}

// kustomizationFile returns the path of dir's kustomization file, "" when it
// has none.
func kustomizationFile(fsys filesys.FileSystem, dir string) string {
	if !fsys.IsDir(dir) {
		return ""
	}
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if p := path.Join(dir, n); fsys.Exists(p) && !fsys.IsDir(p) {
			return p
		}
	}
	return ""
}

// knownEnvironments lists the folders of overlays holding a kustomization.
func knownEnvironments(fsys filesys.FileSystem, overlays string) []string {
	names, err := fsys.ReadDir(overlays)
	if err != nil {
		return nil
	}
	var known []string
	for _, n := range names {
		if isKustomizationDir(fsys, path.Join(overlays, n)) {
			known = append(known, n)
		}
	}
	slices.Sort(known)
	return known
}

// relPath returns target relative to the folder from; both are absolute
// and clean.
func relPath(from, target string) string {
	f := strings.Split(strings.Trim(from, "/"), "/")
	t := strings.Split(strings.Trim(target, "/"), "/")
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	parts := slices.Repeat([]string{".."}, len(f)-i)
	parts = append(parts, t[i:]...)
	return strings.Join(parts, "/")
}

// displayer turns paths of the scratch file system into the paths the team
// knows: relative to the root of the file system handed to Render.
type displayer struct {
	dir string
}

func (d displayer) path(p string) string {
	rest, ok := strings.CutPrefix(p, workManifests)
	if !ok || (rest != "" && rest[0] != '/') {
		return strings.TrimPrefix(p, "/")
	}
	return path.Join(d.dir, rest)
}

// clean rewrites the scratch paths in a kustomize message, and keeps only
// the innermost kustomization of kustomize's chain of "accumulating
// resources" errors, which is where the fault is.
func (d displayer) clean(msg string) string {
	const recursed = "recursed accumulation of path '"
	if i := strings.LastIndex(msg, recursed); i >= 0 {
		rest := msg[i+len(recursed):]
		if dir, tail, ok := strings.Cut(rest, "': "); ok {
			msg = dir + ": " + tail
		}
	}
	prefix := strings.TrimSuffix(d.dir, "/") + "/"
	if d.dir == "." {
		prefix = ""
	}
	msg = strings.ReplaceAll(msg, "../.."+workManifests+"/", prefix)
	return strings.ReplaceAll(msg, workManifests+"/", prefix)
}
