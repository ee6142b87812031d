package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/render"

	"sigs.k8s.io/kustomize/kyaml/kio"
)

// WithManifests adds more objects to the release, applied, checked and
// rolled back with it: e.g. the observe stage's ServiceMonitor,
// PrometheusRule and dashboard ConfigMap. Each gets the release's namespace
// when it has none, and every label of the release it lacks. An object of
// another namespace, a cluster-wide kind, an object the release already has
// or a document that is not a Kubernetes object is refused, naming it.
func (r *Release) WithManifests(
	ctx context.Context,
	// Kubernetes manifests (multi-document YAML).
	manifests *dagger.File,
) (*Release, error) {
	name, err := manifests.Name(ctx)
	if err != nil {
		return nil, fmt.Errorf("render: cannot read the manifests to add: %s", err.Error())
	}
	data, err := manifests.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("render: cannot read %s: %s", name, err.Error())
	}
	nodes, err := kio.FromBytes([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("render: %s is not valid YAML: %s", name, err.Error())
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("render: %s holds no object", name)
	}
	var objects []string
	for i, n := range nodes {
		kind, obj := n.GetKind(), n.GetName()
		switch {
		case kind == "" || obj == "" || n.GetApiVersion() == "":
			return nil, fmt.Errorf("render: %s, document %d: not a Kubernetes object (apiVersion, kind and metadata.name are required)", name, i+1)
		case render.ClusterScoped(kind):
			return nil, fmt.Errorf("render: %s: %s/%s is cluster-wide; a release holds only objects of its namespace %s: ask the platform team for it",
				name, kind, obj, r.Namespace)
		}
		switch ns := n.GetNamespace(); ns {
		case "":
			if err := n.SetNamespace(r.Namespace); err != nil {
				return nil, err
			}
		case r.Namespace:
		default:
			return nil, fmt.Errorf("render: %s: %s/%s is in namespace %s, and the release deploys to %s: remove its namespace or set it to %s",
				name, kind, obj, ns, r.Namespace, r.Namespace)
		}
		id := kind + "/" + r.Namespace + "/" + obj
		if slices.Contains(r.Objects, id) || slices.Contains(objects, id) {
			return nil, fmt.Errorf("render: %s: %s is already in the release (k8s/ has it too): keep one; the observe stage generates the "+
				"service's ServiceMonitor, PrometheusRule and dashboard ConfigMap, so remove those from k8s/", name, id)
		}
		objects = append(objects, id)
	}
	rendered, err := r.Manifests.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("render: cannot read the release's manifests: %s", err.Error())
	}
	// The release's labels (name, instance, version, team, environment, ...)
	// go on every added object that lacks them, for the policy and for
	// kubectl's selectors.
	for _, n := range nodes {
		have := n.GetLabels()
		for _, kv := range r.Labels {
			k, v, _ := strings.Cut(kv, "=")
			if _, ok := have[k]; !ok {
				have[k] = v
			}
		}
		if err := n.SetLabels(have); err != nil {
			return nil, err
		}
	}
	out, err := kio.StringAll(nodes)
	if err != nil {
		return nil, err
	}
	next := *r
	next.Objects = append(append([]string(nil), r.Objects...), objects...)
	if next.Manifests, err = workdirFile(ctx, r.Environment+".yaml", []byte(strings.TrimRight(rendered, "\n")+"\n---\n"+out)); err != nil {
		return nil, fmt.Errorf("render: %s", err.Error())
	}
	return &next, nil
}
