package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/golden-path/golden-path/pipeline/config"
	"github.com/golden-path/golden-path/pipeline/policy"
)

// templateDir is the service template whose manifests the tests render.
const templateDir = "../../examples/fastapi-service"

const (
	testDigest = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
	testImage  = "goldenpath.azurecr.io/payments/hello-api@" + testDigest
	testCommit = "3f2a9c1d5e7b8a6f4c3d2e1f0a9b8c7d6e5f4a3b"
)

// templateFS returns an in-memory file system holding a copy of the
// template's k8s/ folder at k8s/, as the deploy module hands it over.
func templateFS(t *testing.T) filesys.FileSystem {
	t.Helper()
	fsys := filesys.MakeFsInMemory()
	src := filepath.Join(templateDir, "k8s")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return fsys.WriteFile(filepath.ToSlash(filepath.Join("k8s", rel)), data)
	})
	assert.NilError(t, err)
	return fsys
}

// templateConfig is the template's golden-path.yaml.
func templateConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(os.DirFS(templateDir), "")
	assert.NilError(t, err)
	return cfg
}

func release(env string) Release {
	return Release{Environment: env, Image: testImage, Commit: testCommit}
}

// dumpResult renders a Result for golden files: the objects, then the YAML.
func dumpResult(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# namespace: %s\n# image: %s\n", r.Namespace, r.Image)
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "# object: %s (%s)\n", o, o.APIVersion)
	}
	for _, o := range r.Overrides {
		fmt.Fprintf(&b, "# override: %s\n", o)
	}
	b.Write(r.YAML)
	return b.String()
}

// TestRenderTemplate renders every overlay of the template and compares
// the output with testdata/template/<env>.yaml.
func TestRenderTemplate(t *testing.T) {
	cfg := templateConfig(t)
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			res, err := Render(templateFS(t), cfg, release(env))
			assert.NilError(t, err)
			assert.Equal(t, res.Namespace, "payments-"+env)
			assert.Check(t, is.Len(res.Overrides, 0), "the template agrees with its golden-path.yaml")
			assert.Equal(t, len(res.Labels), len(policy.RequiredLabels))
			for _, l := range policy.RequiredLabels {
				assert.Assert(t, res.Labels[l] != "", "label %s", l)
			}
			golden.Assert(t, dumpResult(res), filepath.Join("template", env+".yaml"))
		})
	}
}

// TestRenderTenant renders prod for two tenant instances: one without an
// overlay of its own gets the environment's, in its namespace, labelled
// with the tenant; the other's overlay patches the environment's.
func TestRenderTenant(t *testing.T) {
	cfg := templateConfig(t)
	fsys := templateFS(t)
	assert.NilError(t, fsys.WriteFile("k8s/tenants/prod/globex/kustomization.yaml", []byte(
		"# globex's instance: prod, with its own settings.\nresources: [../../../overlays/prod]\npatches:\n  - path: tenant.yaml\n")))
	assert.NilError(t, fsys.WriteFile("k8s/tenants/prod/globex/tenant.yaml",
		appPatch("          env:\n            - {name: TENANT_REGION, value: eu-west}\n")))

	prod, err := Render(fsys, cfg, release("prod"))
	assert.NilError(t, err)
	rel := release("prod")
	rel.Tenant, rel.Namespace = "acme", "payments-prod-acme"
	acme, err := Render(fsys, cfg, rel)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(acme.Namespace, "payments-prod-acme"))
	assert.Check(t, is.Equal(acme.Labels[policy.LabelTenant], "acme"))
	assert.Check(t, is.Equal(acme.Labels[policy.LabelInstance], "hello-api-prod-acme"))
	want := strings.NewReplacer(
		"namespace: payments-prod\n", "namespace: payments-prod-acme\n",
		"app.kubernetes.io/instance: hello-api-prod\n", "app.kubernetes.io/instance: hello-api-prod-acme\n",
	).Replace(string(prod.YAML))
	var got []string
	for line := range strings.Lines(string(acme.YAML)) {
		if strings.TrimSpace(line) != "golden-path.dev/tenant: acme" {
			got = append(got, line)
		}
	}
	assert.Check(t, is.Equal(strings.Join(got, ""), want), "acme: prod's release, in its namespace")
	assert.Check(t, is.Equal(strings.Count(string(acme.YAML), "golden-path.dev/tenant: acme\n"),
		strings.Count(string(acme.YAML), " environment: prod\n")), "the tenant label wherever the environment's is")

	rel.Tenant, rel.Namespace = "globex", "payments-prod-globex"
	globex, err := Render(fsys, cfg, rel)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(globex.YAML), "name: TENANT_REGION"))
	golden.Assert(t, dumpResult(globex), filepath.Join("template", "prod-tenant-globex.yaml"))
}

// TestRenderErrors renders broken inputs and compares each error with
// testdata/errors/<name>.golden; it also checks the error's type, which
// callers rely on.
func TestRenderErrors(t *testing.T) {
	remove := func(p string) func(*testing.T, filesys.FileSystem) {
		return func(t *testing.T, fsys filesys.FileSystem) { assert.NilError(t, fsys.RemoveAll(p)) }
	}
	edit := func(p, old, new string) func(*testing.T, filesys.FileSystem) {
		return func(t *testing.T, fsys filesys.FileSystem) {
			data, err := fsys.ReadFile(p)
			assert.NilError(t, err)
			assert.Assert(t, strings.Contains(string(data), old), "%s does not contain %q", p, old)
			assert.NilError(t, fsys.WriteFile(p, []byte(strings.ReplaceAll(string(data), old, new))))
		}
	}
	cases := []struct {
		name   string
		change func(*testing.T, filesys.FileSystem)
		rel    func(*Release)
		cfg    func(*config.Config)
		target any
	}{
		{name: "unknown-environment", rel: func(r *Release) { r.Environment = "qa" }, target: new(*UnknownEnvironmentError)},
		{name: "no-overlays", change: remove("k8s/overlays"), target: new(*UnknownEnvironmentError)},
		{name: "environment-path", rel: func(r *Release) { r.Environment = "../base" }, target: new(*InputError)},
		{name: "missing-resource", change: remove("k8s/base/service.yaml"), target: new(*MissingFileError)},
		{name: "missing-patch", change: remove("k8s/overlays/dev/environment.yaml"), target: new(*MissingFileError)},
		{name: "missing-base", change: remove("k8s/base/kustomization.yaml"), target: new(*MissingFileError)},
		{name: "remote-resource", change: edit("k8s/base/kustomization.yaml", "  - service.yaml\n",
			"  - service.yaml\n  - https://github.com/example/manifests//base?ref=v1\n"), target: new(*ManifestError)},
		{name: "invalid-kustomization", change: edit("k8s/base/kustomization.yaml", "resources:", "resourcez:"),
			target: new(*KustomizeError)},
		{name: "invalid-yaml", change: edit("k8s/base/service.yaml", "  type: ClusterIP", "  type: [ClusterIP"),
			target: new(*KustomizeError)},
		{name: "tag-only-image", rel: func(r *Release) { r.Image = "goldenpath.azurecr.io/payments/hello-api:3f2a9c1" },
			target: new(*ImageRefError)},
		{name: "latest-image", rel: func(r *Release) { r.Image = "goldenpath.azurecr.io/payments/hello-api" },
			target: new(*ImageRefError)},
		{name: "image-without-registry", rel: func(r *Release) { r.Image = "hello-api@" + testDigest },
			target: new(*ImageRefError)},
		{name: "bad-digest", rel: func(r *Release) { r.Image = "goldenpath.azurecr.io/hello-api@sha256:1234" },
			target: new(*ImageRefError)},
		{name: "bad-commit", rel: func(r *Release) { r.Commit = "main" }, target: new(*InputError)},
		// team kube, overlay system: Kubernetes' own namespace.
		{name: "reserved-namespace", cfg: func(c *config.Config) { c.Team = "kube" }, rel: func(r *Release) { r.Environment = "system" },
			target: new(*InputError)},
		{name: "platform-namespace", cfg: func(c *config.Config) { c.Team = "golden-path" }, rel: func(r *Release) { r.Environment = "system" },
			target: new(*InputError)},
		{name: "namespace-without-tenant", rel: func(r *Release) { r.Namespace = "payments-dev-acme" }, target: new(*InputError)},
		{name: "tenant-name", rel: func(r *Release) { r.Tenant, r.Namespace = "Acme Corp", "payments-dev-acme" }, target: new(*InputError)},
		{name: "tenant-without-namespace", rel: func(r *Release) { r.Tenant = "acme" }, target: new(*InputError)},
		{name: "tenant-reserved-namespace", rel: func(r *Release) { r.Tenant, r.Namespace = "acme", "kube-system" }, target: new(*InputError)},
		{name: "tenant-overlay-missing-patch", change: func(t *testing.T, fsys filesys.FileSystem) {
			assert.NilError(t, fsys.WriteFile("k8s/tenants/dev/acme/kustomization.yaml",
				[]byte("resources: [../../../overlays/dev]\npatches:\n  - path: memory.yaml\n")))
		}, rel: func(r *Release) { r.Tenant, r.Namespace = "acme", "payments-dev-acme" }, target: new(*MissingFileError)},
		// A team's manifests may not change what the whole cluster shares.
		{name: "cluster-scoped-kind", change: func(t *testing.T, fsys filesys.FileSystem) {
			assert.NilError(t, fsys.WriteFile("k8s/base/clusterrole.yaml", []byte("apiVersion: rbac.authorization.k8s.io/v1\n"+
				"kind: ClusterRole\nmetadata:\n  name: app\nrules: []\n")))
			edit("k8s/base/kustomization.yaml", "  - service.yaml\n", "  - service.yaml\n  - clusterrole.yaml\n")(t, fsys)
		}, target: new(*ManifestError)},
		{name: "renamed-objects", change: func(t *testing.T, fsys filesys.FileSystem) {
			edit("k8s/base/deployment.yaml", "  name: app\nspec:", "  name: hello\nspec:")(t, fsys)
			edit("k8s/overlays/dev/kustomization.yaml", "name: app", "name: hello")(t, fsys)
			edit("k8s/base/service.yaml", "name: app", "name: web")(t, fsys)
		}, target: new(*ManifestError)},
		// The placeholder's name and the service's own, on two objects of a kind.
		{name: "two-names-for-one-object", change: func(t *testing.T, fsys filesys.FileSystem) {
			assert.NilError(t, fsys.WriteFile("k8s/base/service-copy.yaml", []byte("apiVersion: v1\nkind: Service\n"+
				"metadata:\n  name: hello-api\nspec:\n  ports: [{name: http, port: 80, targetPort: http}]\n")))
			edit("k8s/base/kustomization.yaml", "  - service.yaml\n", "  - service.yaml\n  - service-copy.yaml\n")(t, fsys)
		}, target: new(*ManifestError)},
		{name: "container-not-app", change: edit("k8s/base/deployment.yaml", "- name: app", "- name: web"),
			target: new(*ManifestError)},
		{name: "image-not-placeholder", change: edit("k8s/base/deployment.yaml", "image: app", "image: nginx:1.27"),
			target: new(*ManifestError)},
		// A team's own ServiceMonitor (the observe stage generates one otherwise).
		{name: "servicemonitor-without-endpoints", change: func(t *testing.T, fsys filesys.FileSystem) {
			assert.NilError(t, fsys.WriteFile("k8s/base/servicemonitor.yaml", []byte("apiVersion: monitoring.coreos.com/v1\n"+
				"kind: ServiceMonitor\nmetadata:\n  name: hello-api\nspec:\n  selector: {}\n  endpoints: []\n")))
			edit("k8s/base/kustomization.yaml", "  - secretproviderclass.yaml\n", "  - secretproviderclass.yaml\n  - servicemonitor.yaml\n")(t, fsys)
		}, target: new(*ManifestError)},
	}
	cfg := templateConfig(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := templateFS(t)
			if tc.change != nil {
				tc.change(t, fsys)
			}
			rel := release("dev")
			if tc.rel != nil {
				tc.rel(&rel)
			}
			cfg := cfg
			if tc.cfg != nil {
				c := *cfg
				tc.cfg(&c)
				cfg = &c
			}
			res, err := Render(fsys, cfg, rel)
			assert.Assert(t, is.Nil(res))
			assert.Assert(t, err != nil)
			assert.Assert(t, errors.As(err, tc.target), "got %T: %v", err, err)
			golden.Assert(t, err.Error()+"\n", filepath.Join("errors", tc.name+".golden"))
		})
	}
}

// TestRenderSetsConfig renders the template with a golden-path.yaml that
// differs from the values written in k8s/: the output follows the config.
func TestRenderSetsConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`apiVersion: golden-path/v1
name: hello-api
team: billing
port: 9000
replicas: 4
health: {liveness: /livez, readiness: /readyz}
metrics: {path: /internal/metrics}
resources:
  requests: {cpu: 250m, memory: 300Mi}
  limits: {cpu: "1", memory: 1Gi}
`), "")
	assert.NilError(t, err)
	res, err := Render(templateFS(t), cfg, release("staging"))
	assert.NilError(t, err)
	assert.Equal(t, res.Namespace, "billing-staging")
	assert.Check(t, is.Contains(string(res.YAML), "\n  replicas: 4\n"))
	assert.Check(t, is.Contains(fmt.Sprint(res.Overrides), `Deployment/app spec.replicas: k8s/ says "2", golden-path.yaml's replicas says "4"`)) // the staging overlay runs 2
	golden.Assert(t, dumpResult(res), filepath.Join("template", "custom-config.yaml"))
}

// TestRenderBuiltin renders a service that has no k8s/ folder: the
// platform's built-in base, in each default environment, named after the
// service, with a PodDisruptionBudget once golden-path.yaml asks for two
// copies or more; every release passes the policy (hack/platformtest evaluates
// these goldens with gator: TestPolicyGatorTemplates).
func TestRenderBuiltin(t *testing.T) {
	one := templateConfig(t)
	three, err := config.Parse([]byte("apiVersion: golden-path/v1\nname: orders\nteam: shop\nreplicas: 3\n"), "")
	assert.NilError(t, err)
	envs, err := Environments(filesys.MakeFsInMemory())
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(envs, DefaultEnvironments))
	for _, tc := range []struct {
		name string
		cfg  *config.Config
		env  string
	}{{"builtin-dev", one, "dev"}, {"builtin-prod-3-replicas", three, "prod"}} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Render(filesys.MakeFsInMemory(), tc.cfg, release(tc.env))
			assert.NilError(t, err)
			assert.Equal(t, res.Namespace, tc.cfg.Team+"-"+tc.env)
			assert.Check(t, is.Len(res.Overrides, 0))
			for _, o := range res.Objects {
				assert.Check(t, is.Equal(o.Name, tc.cfg.Name), "%s", o)
				assert.Check(t, is.Equal(o.File, ""), "a built-in object is in no file of the service: %s", o)
			}
			assert.Check(t, is.Contains(string(res.YAML), "serviceAccountName: "+tc.cfg.Name))
			golden.Assert(t, dumpResult(res), filepath.Join("template", tc.name+".yaml"))
		})
	}
}

// A service without k8s/ has tenants too: the built-in base, in each
// tenant's namespace, labelled with it.
func TestRenderBuiltinTenant(t *testing.T) {
	cfg, err := config.Parse([]byte("apiVersion: golden-path/v1\nname: orders\nteam: shop\nport: 9000\n"), "")
	assert.NilError(t, err)
	env, err := Render(filesys.MakeFsInMemory(), cfg, release("prod"))
	assert.NilError(t, err)
	rel := release("prod")
	rel.Tenant, rel.Namespace = "acme", "shop-prod-acme"
	res, err := Render(filesys.MakeFsInMemory(), cfg, rel)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(res.Namespace, "shop-prod-acme"))
	assert.Check(t, is.Equal(res.Labels[policy.LabelTenant], "acme"))
	assert.Check(t, is.Equal(res.Labels[policy.LabelInstance], "orders-prod-acme"))
	assert.Check(t, is.Len(res.Objects, len(env.Objects)), "the built-in base's objects")
	for _, o := range res.Objects {
		assert.Check(t, is.Equal(o.Namespace, "shop-prod-acme"), "%s", o)
	}
	assert.Check(t, is.Contains(string(res.YAML), "containerPort: 9000"))
}

// TestRenderKeepsServiceNames renders a copy of the template whose objects
// already carry the service's name (written before the placeholder): the
// same release as the template's.
func TestRenderKeepsServiceNames(t *testing.T) {
	named := filesys.MakeFsInMemory()
	for p, content := range snapshot(t, templateFS(t)) {
		content = strings.NewReplacer("name: app\n", "name: hello-api\n", "kubernetes.io/name: app\n", "kubernetes.io/name: hello-api\n",
			"serviceAccountName: app\n", "serviceAccountName: hello-api\n").Replace(content)
		content = strings.ReplaceAll(content, "- name: hello-api\n          image: app", "- name: app\n          image: app")
		assert.NilError(t, named.WriteFile(p, []byte(content)))
	}
	cfg := templateConfig(t)
	for _, env := range []string{"dev", "prod"} {
		want, err := Render(templateFS(t), cfg, release(env))
		assert.NilError(t, err)
		got, err := Render(named, cfg, release(env))
		assert.NilError(t, err)
		assert.Equal(t, string(got.YAML), string(want.YAML))
	}
}

// TestRenderRenamesReferences gives the template's Deployment a ConfigMap
// named app-config and the SecretProviderClass app, both referred to by
// name: the release names them after the service, references included.
func TestRenderRenamesReferences(t *testing.T) {
	fsys := templateFS(t)
	assert.NilError(t, fsys.WriteFile("k8s/base/configmap.yaml", []byte("apiVersion: v1\nkind: ConfigMap\n"+
		"metadata:\n  name: app-config\ndata:\n  GREETING: Hello\n")))
	assert.NilError(t, fsys.WriteFile("k8s/base/mounts.yaml", appPatch(
		"          envFrom: [{configMapRef: {name: app-config}}]\n"+
			"      volumes:\n        - name: secrets\n"+
			"          csi: {driver: secrets-store.csi.k8s.io, readOnly: true, volumeAttributes: {secretProviderClass: app}}\n")))
	k, err := fsys.ReadFile("k8s/base/kustomization.yaml")
	assert.NilError(t, err)
	k = append(k, "  - configmap.yaml\npatches:\n  - path: mounts.yaml\n"...)
	assert.NilError(t, fsys.WriteFile("k8s/base/kustomization.yaml", k))

	res, err := Render(fsys, templateConfig(t), release("dev"))
	assert.NilError(t, err)
	out := string(res.YAML)
	assert.Check(t, is.Contains(out, "secretProviderClass: hello-api\n"))
	assert.Check(t, is.Contains(out, "configMapRef:\n            name: hello-api-config\n"))
	assert.Check(t, is.Contains(fmt.Sprint(res.Objects), "ConfigMap/payments-dev/hello-api-config"))
	assert.Check(t, !strings.Contains(out, "name: app-config"), "no reference left to the placeholder's name")
}

// appPatch is a patch of the template's Deployment: rest follows the
// first line of its container app.
func appPatch(rest string) []byte {
	return []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n" +
		"      containers:\n        - name: app\n" + rest)
}

// TestRenderOverlayOverride patches the prod overlay with resources that
// contradict golden-path.yaml: the release keeps the config's values and
// reports the override.
func TestRenderOverlayOverride(t *testing.T) {
	fsys := templateFS(t)
	assert.NilError(t, fsys.WriteFile("k8s/overlays/prod/resources.yaml", appPatch("          resources:\n            limits: {memory: 512Mi}\n")))
	k, err := fsys.ReadFile("k8s/overlays/prod/kustomization.yaml")
	assert.NilError(t, err)
	assert.NilError(t, fsys.WriteFile("k8s/overlays/prod/kustomization.yaml", append(k, "  - path: resources.yaml\n"...)))

	res, err := Render(fsys, templateConfig(t), release("prod"))
	assert.NilError(t, err)
	assert.Assert(t, is.Len(res.Overrides, 1))
	assert.Equal(t, res.Overrides[0].Setting, "resources.limits.memory")
	assert.Equal(t, res.Overrides[0].Manifest, "512Mi")
	assert.Check(t, !strings.Contains(string(res.YAML), "512Mi"))
	golden.Assert(t, res.Overrides[0].String()+"\n", "override.golden")
}

// TestRenderSelectorsStable renders two releases: everything but the
// version label and the image is the same, selectors included.
func TestRenderSelectorsStable(t *testing.T) {
	cfg := templateConfig(t)
	first, err := Render(templateFS(t), cfg, release("prod"))
	assert.NilError(t, err)
	next := release("prod")
	next.Commit = "c0ffee1234567890abcdef0123456789abcdef01"
	next.Image = "goldenpath.azurecr.io/payments/hello-api@sha256:" + strings.Repeat("ab", 32)
	second, err := Render(templateFS(t), cfg, next)
	assert.NilError(t, err)

	want := strings.NewReplacer(
		"app.kubernetes.io/version: 3f2a9c1", "app.kubernetes.io/version: c0ffee1",
		testDigest, "sha256:"+strings.Repeat("ab", 32),
	).Replace(string(first.YAML))
	assert.Equal(t, string(second.YAML), want)
	assert.Assert(t, string(first.YAML) != string(second.YAML))
}

// TestRenderLeavesInputAlone checks Render does not write to the file
// system it is given.
func TestRenderLeavesInputAlone(t *testing.T) {
	fsys := templateFS(t)
	before := snapshot(t, fsys)
	_, err := Render(fsys, templateConfig(t), release("dev"))
	assert.NilError(t, err)
	assert.DeepEqual(t, snapshot(t, fsys), before)
}

func snapshot(t *testing.T, fsys filesys.FileSystem) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fsys.Walk("/", func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := fsys.ReadFile(p)
		files[p] = string(data)
		return err
	})
	assert.NilError(t, err)
	assert.Assert(t, len(files) > 0)
	return files
}

// TestRenderWithDir renders from a file system whose root is the k8s
// folder itself, and from one where it sits deeper.
func TestRenderWithDir(t *testing.T) {
	cfg := templateConfig(t)
	want, err := Render(templateFS(t), cfg, release("dev"))
	assert.NilError(t, err)

	root := filesys.MakeFsInMemory()
	deep := filesys.MakeFsInMemory()
	for p, content := range snapshot(t, templateFS(t)) {
		rel := strings.TrimPrefix(p, "/k8s/")
		assert.NilError(t, root.WriteFile(rel, []byte(content)))
		assert.NilError(t, deep.WriteFile("services/hello/deploy/"+rel, []byte(content)))
	}
	for name, tc := range map[string]struct {
		fsys filesys.FileSystem
		dir  string
	}{"root": {root, "."}, "deep": {deep, "services/hello/deploy"}} {
		t.Run(name, func(t *testing.T) {
			got, err := Render(tc.fsys, cfg, release("dev"), WithDir(tc.dir))
			assert.NilError(t, err)
			assert.Equal(t, string(got.YAML), string(want.YAML))
		})
	}
	_, err = Render(deep, cfg, release("qa"), WithDir("services/hello/deploy"))
	assert.ErrorContains(t, err, "services/hello/deploy/overlays")
	_, err = Render(deep, cfg, release("dev"), WithDir("../outside"))
	assert.ErrorContains(t, err, "not a folder inside the source")
}

// BenchmarkRender measures one render of the template's prod overlay: two
// kustomize builds. Target: under 250ms on a loaded 2-core machine, so the
// deploy stage's time is the rollout's (seconds), not the render's.
func BenchmarkRender(b *testing.B) {
	t := &testing.T{}
	fsys, cfg := templateFS(t), templateConfig(t)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Render(fsys, cfg, release("prod")); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseDigestAccepts lists references the push stage may return.
func TestParseDigestAccepts(t *testing.T) {
	for ref, want := range map[string]string{
		testImage: testImage,
		"127.0.0.1:5000/payments/hello-api@" + testDigest:       "127.0.0.1:5000/payments/hello-api@" + testDigest,
		"localhost:5000/hello-api@" + testDigest:                "localhost:5000/hello-api@" + testDigest,
		"goldenpath.azurecr.io/hello-api:3f2a9c1@" + testDigest: "goldenpath.azurecr.io/hello-api@" + testDigest,
	} {
		d, err := parseDigest(ref)
		assert.NilError(t, err, ref)
		assert.Equal(t, d.Repository.Name()+"@"+d.DigestStr(), want)
	}
}

// Each rendered object names the file of k8s/ that defines it and the line
// of its kind: where a problem found later (the policy) is annotated.
func TestRenderObjectsNameTheirFile(t *testing.T) {
	res, err := Render(templateFS(t), templateConfig(t), release("prod"))
	assert.NilError(t, err)
	where := map[string]string{}
	for _, o := range res.Objects {
		where[o.Kind+"/"+o.Name] = fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	assert.Check(t, is.Equal(where["Deployment/hello-api"], "k8s/base/deployment.yaml:"+strconv.Itoa(lineOf(t, "k8s/base/deployment.yaml", "kind: Deployment"))))
	assert.Check(t, is.Equal(where["PodDisruptionBudget/hello-api"], "k8s/overlays/prod/poddisruptionbudget.yaml:"+strconv.Itoa(lineOf(t, "k8s/overlays/prod/poddisruptionbudget.yaml", "kind: PodDisruptionBudget"))))
	assert.Check(t, is.Equal(where["Service/hello-api"], "k8s/base/service.yaml:"+strconv.Itoa(lineOf(t, "k8s/base/service.yaml", "kind: Service"))))
}

// lineOf is the line of the template's file that starts with prefix.
func lineOf(t *testing.T, file, prefix string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(templateDir, file))
	assert.NilError(t, err)
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line %q", file, prefix)
	return 0
}
