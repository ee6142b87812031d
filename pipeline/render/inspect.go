package render

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/golden-path/golden-path/pipeline/config"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// found is what inspect learned about the built overlay that the release
// kustomization needs.
type found struct {
	// container is the index of ContainerName in the Deployment's pod
	// template, and its content.
	containerIndex int
	container      map[string]any
	// endpoints are the ServiceMonitor's endpoints; nil when there is no
	// ServiceMonitor named after the service.
	serviceMonitor bool
	endpoints      []any
	// overrides are the values of k8s/ that golden-path.yaml replaces.
	overrides []Override
	// renames are the objects named after NamePlaceholder, which the
	// release names after the service.
	renames []rename
}

// inspect checks the built overlay against cfg and returns what the release
// needs, or every problem found.
func inspect(m resmap.ResMap, cfg *config.Config, disp displayer) (*found, []Problem) {
	f := &found{containerIndex: -1}
	var problems []Problem
	deployment := false
	named := map[string]string{} // Kind/release name: the object's name in k8s/
	for _, r := range m.Resources() {
		file := originFile(r, disp)
		object := r.GetKind() + "/" + r.GetName()
		n := r.GetName()
		if ClusterScoped(r.GetKind()) {
			problems = append(problems, Problem{
				File: file, Object: object, Field: "kind",
				Reason: fmt.Sprintf("%s is cluster-wide: a release holds only objects of its namespace, and a service may not "+
					"change what the whole cluster shares", r.GetKind()),
				Fix: "remove it from k8s/ and ask the platform team for it (the namespace is created by the deploy)",
			})
			continue
		}
		rn, ok := releaseName(n, cfg.Name)
		if !ok {
			problems = append(problems, Problem{
				File: file, Object: object, Field: "metadata.name",
				Reason: fmt.Sprintf("is %q, but golden-path.yaml names the service %q", n, cfg.Name),
				Fix: fmt.Sprintf("rename it to %q (or %q): the render names it after golden-path.yaml's name, and every "+
					"reference to it too (kubectl and the dashboards find the service's objects by its name)",
					NamePlaceholder, NamePlaceholder+"-<suffix>"),
			})
			continue
		}
		key := r.GetKind() + "/" + rn
		if other, dup := named[key]; dup {
			problems = append(problems, Problem{
				File: file, Object: object, Field: "metadata.name",
				Reason: fmt.Sprintf("is %q, the name %s/%s gets in the release too", n, r.GetKind(), other),
				Fix:    "keep one of them, or give one another suffix",
			})
			continue
		}
		named[key] = n
		if rn != n {
			gvk := r.GetGvk()
			f.renames = append(f.renames, rename{group: gvk.Group, version: gvk.Version, kind: gvk.Kind, from: n, to: rn})
		}
		if rn != cfg.Name {
			continue
		}
		obj, err := r.Map()
		if err != nil {
			problems = append(problems, Problem{File: file, Object: object, Reason: "cannot be read: " + err.Error(),
				Fix: "check the file's YAML"})
			continue
		}
		switch r.GetKind() {
		case "Deployment":
			deployment = true
			if p := inspectDeployment(f, obj, file, object); len(p) > 0 {
				problems = append(problems, p...)
			} else {
				f.overrides = append(f.overrides, containerOverrides(f.container, cfg, file, object)...)
				if n, ok := dig(obj, "spec", "replicas").(int); ok && cfg.Replicas > 0 && n != cfg.Replicas {
					f.overrides = append(f.overrides, Override{File: file, Object: object, Field: "spec.replicas",
						Setting: "replicas", Manifest: strconv.Itoa(n), Config: strconv.Itoa(cfg.Replicas)})
				}
			}
		case "ServiceMonitor":
			f.serviceMonitor = true
			f.endpoints, _ = dig(obj, "spec", "endpoints").([]any)
			for i := range metricsEndpoints(f.endpoints) {
				if p, ok := dig(f.endpoints[i], "path").(string); ok && p != cfg.Metrics.Path {
					f.overrides = append(f.overrides, Override{File: file, Object: object,
						Field: fmt.Sprintf("spec.endpoints[%d].path", i), Setting: "metrics.path", Manifest: p, Config: cfg.Metrics.Path})
				}
			}
			if len(f.endpoints) == 0 {
				problems = append(problems, Problem{
					File: file, Object: object, Field: "spec.endpoints",
					Reason: "is empty, so Prometheus would collect no metrics",
					Fix:    fmt.Sprintf("add one endpoint with port: %s (the render sets its path from golden-path.yaml)", PortName),
				})
			}
		}
	}
	if !deployment {
		problems = append(problems, Problem{
			Object: "Deployment/" + cfg.Name,
			Reason: fmt.Sprintf("is missing: the overlay builds no Deployment named %q (or after the service)", NamePlaceholder),
			Fix: fmt.Sprintf("define it in %s and list that file under resources in %s",
				disp.path("/k8s/base/deployment.yaml"), disp.path("/k8s/base/kustomization.yaml")),
		})
	}
	return f, problems
}

// inspectDeployment finds the service's container in the Deployment obj.
func inspectDeployment(f *found, obj map[string]any, file, object string) []Problem {
	containers, _ := dig(obj, "spec", "template", "spec", "containers").([]any)
	for i, c := range containers {
		c, _ := c.(map[string]any)
		if c["name"] != ContainerName {
			continue
		}
		f.containerIndex, f.container = i, c
		image, _ := c["image"].(string)
		if imageName(image) != ImagePlaceholder {
			return []Problem{{
				File: file, Object: object, Field: fmt.Sprintf("spec.template.spec.containers[%s].image", ContainerName),
				Reason: fmt.Sprintf("is %q, not the placeholder %q", image, ImagePlaceholder),
				Fix: fmt.Sprintf("write image: %s; the render puts in the image built from this commit, pinned by digest",
					ImagePlaceholder),
			}}
		}
		return nil
	}
	return []Problem{{
		File: file, Object: object, Field: "spec.template.spec.containers",
		Reason: fmt.Sprintf("has no container named %q", ContainerName),
		Fix: fmt.Sprintf("name the service's container %q: the render sets its image, port, probes and resources "+
			"from golden-path.yaml", ContainerName),
	}}
}

// containerOverrides lists the values of the service's container c that
// differ from cfg, which the release replaces.
func containerOverrides(c map[string]any, cfg *config.Config, file, object string) []Override {
	var out []Override
	prefix := fmt.Sprintf("spec.template.spec.containers[%s].", ContainerName)
	check := func(field, setting string, manifest any, config string) {
		if manifest == nil {
			return
		}
		if m := fmt.Sprint(manifest); m != config {
			out = append(out, Override{File: file, Object: object, Field: prefix + field, Setting: setting, Manifest: m, Config: config})
		}
	}
	port := strconv.Itoa(cfg.Port)
	for i, p := range list(c["ports"]) {
		if dig(p, "name") == PortName {
			check(fmt.Sprintf("ports[%d].containerPort", i), "port", dig(p, "containerPort"), port)
		}
	}
	for i, e := range list(c["env"]) {
		if dig(e, "name") == "PORT" {
			check(fmt.Sprintf("env[%d].value", i), "port", dig(e, "value"), port)
		}
	}
	check("livenessProbe.httpGet.path", "health.liveness", dig(c, "livenessProbe", "httpGet", "path"), cfg.Health.Liveness)
	check("readinessProbe.httpGet.path", "health.readiness", dig(c, "readinessProbe", "httpGet", "path"), cfg.Health.Readiness)
	for _, r := range []struct {
		kind string
		list config.ResourceList
	}{{"requests", cfg.Resources.Requests}, {"limits", cfg.Resources.Limits}} {
		check("resources."+r.kind+".cpu", "resources."+r.kind+".cpu", dig(c, "resources", r.kind, "cpu"), r.list.CPU)
		check("resources."+r.kind+".memory", "resources."+r.kind+".memory", dig(c, "resources", r.kind, "memory"), r.list.Memory)
	}
	return out
}

// imageName returns the image reference without its tag or digest.
func imageName(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// originFile returns the file r was read from, as the team knows it.
func originFile(r *resource.Resource, disp displayer) string {
	if p := originPath(r); p != "" {
		return disp.path(p)
	}
	return ""
}

// originPath returns the file r was read from in the scratch file system;
// "" when kustomize generated it.
func originPath(r *resource.Resource) string {
	o, err := r.GetOrigin()
	if err != nil || o == nil || o.Path == "" {
		return ""
	}
	return path.Join(workOverlay, o.Path)
}

// dig returns the value at keys in nested maps, nil when absent.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// origin is where an object of the manifests is defined.
type origin struct {
	file string
	line int
}

// originsOf returns, by Kind/name in the release of the service named
// service, the file of the manifests folder that defines each object of the
// built overlay (as the team knows it), and the line of its kind there.
func originsOf(m resmap.ResMap, work filesys.FileSystem, disp displayer, service string) map[string]origin {
	out := map[string]origin{}
	for _, r := range m.Resources() {
		if scratch := originPath(r); scratch != "" {
			rn, _ := releaseName(r.GetName(), service)
			out[r.GetKind()+"/"+rn] = origin{file: disp.path(scratch), line: kindLine(work, scratch, r.GetKind(), r.GetName())}
		}
	}
	return out
}

// kindLine is the line of the kind of the object kind/name in the YAML file
// at p of fsys; 0 when it cannot be found.
func kindLine(fsys filesys.FileSystem, p, kind, name string) int {
	data, err := fsys.ReadFile(path.Clean(p))
	if err != nil {
		return 0
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return 0
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		var kindNode *yaml.Node
		objName := ""
		for i := 0; i+1 < len(root.Content); i += 2 {
			switch k, v := root.Content[i], root.Content[i+1]; k.Value {
			case "kind":
				kindNode = k
				if v.Value != kind {
					kindNode = nil
				}
			case "metadata":
				for j := 0; j+1 < len(v.Content); j += 2 {
					if v.Content[j].Value == "name" {
						objName = v.Content[j+1].Value
					}
				}
			}
		}
		if kindNode != nil && objName == name {
			return kindNode.Line
		}
	}
}
