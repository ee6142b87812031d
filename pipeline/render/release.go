package render

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strconv"

	"github.com/golden-path/golden-path/pipeline/config"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// releaseKustomization is the kustomization Render generates around the
// built overlay: namespace, labels, image and cfg's values.
func releaseKustomization(cfg *config.Config, in *inputs, f *found) *types.Kustomization {
	k := &types.Kustomization{
		Resources:      []string{renderedFile},
		Configurations: []string{nameReferenceFile},
		Namespace:      in.namespace,
		Labels: []types.Label{
			{Pairs: maps.Clone(in.selectors), IncludeSelectors: true},
			{Pairs: maps.Clone(in.labels), IncludeTemplates: true},
		},
		Images: []types.Image{{Name: ImagePlaceholder, NewName: in.imageName, Digest: in.digest}},
	}
	// First the names: kustomize follows every reference to a renamed
	// object, and the patches below find the objects by their new names.
	for _, r := range f.renames {
		k.Patches = append(k.Patches, types.Patch{
			Target: &types.Selector{ResId: resid.ResId{
				Gvk:  resid.Gvk{Group: r.group, Version: r.version, Kind: r.kind},
				Name: regexp.QuoteMeta(r.from),
			}},
			Patch:   jsonPatch(op{Op: "replace", Path: "/metadata/name", Value: r.to}),
			Options: &types.PatchArgs{AllowNameChange: true},
		})
	}
	if cfg.Replicas > 0 {
		k.Replicas = []types.Replica{{Name: cfg.Name, Count: int64(cfg.Replicas)}}
	}
	k.Patches = append(k.Patches, types.Patch{
		Target: &types.Selector{ResId: resid.ResId{Gvk: resid.Gvk{Kind: "Deployment"}, Name: cfg.Name}},
		Patch: jsonPatch(op{
			Op:    "replace",
			Path:  fmt.Sprintf("/spec/template/spec/containers/%d", f.containerIndex),
			Value: serviceContainer(f.container, cfg),
		}),
	})
	if f.serviceMonitor {
		ops := []op{{Op: "add", Path: "/spec/selector", Value: map[string]any{"matchLabels": in.selectors}}}
		for i := range metricsEndpoints(f.endpoints) {
			ops = append(ops, op{Op: "add", Path: fmt.Sprintf("/spec/endpoints/%d/path", i), Value: cfg.Metrics.Path})
		}
		k.Patches = append(k.Patches, types.Patch{
			Target: &types.Selector{ResId: resid.ResId{Gvk: resid.Gvk{Kind: "ServiceMonitor"}, Name: cfg.Name}},
			Patch:  jsonPatch(ops...),
		})
	}
	return k
}

// metricsEndpoints returns the indexes of the ServiceMonitor endpoints that
// scrape the service's port: those naming PortName, else the first.
func metricsEndpoints(endpoints []any) map[int]bool {
	idx := map[int]bool{}
	for i, e := range endpoints {
		if dig(e, "port") == PortName {
			idx[i] = true
		}
	}
	if len(idx) == 0 && len(endpoints) > 0 {
		idx[0] = true
	}
	return idx
}

// serviceContainer returns the service's container c with the port, PORT
// and SERVICE_NAME variables, probes and resources of cfg; everything else
// in c is kept.
func serviceContainer(c map[string]any, cfg *config.Config) map[string]any {
	c = maps.Clone(c)
	port := strconv.Itoa(cfg.Port)

	// Ports: ours, named PortName, replaces any port with that name or
	// number; other ports stay.
	ports := []any{map[string]any{"name": PortName, "containerPort": cfg.Port, "protocol": "TCP"}}
	for _, p := range list(c["ports"]) {
		if dig(p, "name") == PortName || fmt.Sprint(dig(p, "containerPort")) == port {
			continue
		}
		ports = append(ports, p)
	}
	c["ports"] = ports

	env := []any{}
	for _, e := range list(c["env"]) {
		if n := dig(e, "name"); n != "PORT" && n != "SERVICE_NAME" {
			env = append(env, e)
		}
	}
	c["env"] = append(env, map[string]any{"name": "PORT", "value": port}, map[string]any{"name": "SERVICE_NAME", "value": cfg.Name})

	c["livenessProbe"] = httpProbe(c["livenessProbe"], cfg.Health.Liveness)
	c["readinessProbe"] = httpProbe(c["readinessProbe"], cfg.Health.Readiness)

	res, _ := c["resources"].(map[string]any)
	res = maps.Clone(res)
	if res == nil {
		res = map[string]any{}
	}
	res["requests"] = withCPUMemory(res["requests"], cfg.Resources.Requests)
	res["limits"] = withCPUMemory(res["limits"], cfg.Resources.Limits)
	c["resources"] = res
	return c
}

// httpProbe returns probe (timings kept) checking path on PortName over
// HTTP.
func httpProbe(probe any, path string) map[string]any {
	p, _ := probe.(map[string]any)
	p = maps.Clone(p)
	if p == nil {
		p = map[string]any{}
	}
	for _, handler := range []string{"exec", "tcpSocket", "grpc"} {
		delete(p, handler)
	}
	get, _ := p["httpGet"].(map[string]any)
	get = maps.Clone(get)
	if get == nil {
		get = map[string]any{}
	}
	get["path"], get["port"] = path, PortName
	p["httpGet"] = get
	return p
}

// withCPUMemory returns the resource list l with cpu and memory from r.
func withCPUMemory(l any, r config.ResourceList) map[string]any {
	m, _ := l.(map[string]any)
	m = maps.Clone(m)
	if m == nil {
		m = map[string]any{}
	}
	m["cpu"], m["memory"] = r.CPU, r.Memory
	return m
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// op is one JSON patch (RFC 6902) operation.
type op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// jsonPatch serializes ops; they are built from plain maps, so it cannot
// fail.
func jsonPatch(ops ...op) string {
	data, err := json.Marshal(ops)
	if err != nil {
		panic(fmt.Sprintf("render: cannot serialize a JSON patch: %v", err))
	}
	return string(data)
}

// marshalYAML serializes a generated kustomization.
func marshalYAML(k *types.Kustomization) ([]byte, error) {
	data, err := yaml.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("render: cannot serialize the generated kustomization: %w", err)
	}
	return data, nil
}
