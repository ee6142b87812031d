package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// The subset of Kubernetes objects the gate reads to name and order what
// gator found: kind, name, namespace, labels, where the pod spec is and its
// containers. Plain structs instead of k8s.io/api, which would add dozens of
// modules to every build of the pipeline.

type object struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
}

type metadata struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

type podTemplate struct {
	Spec podSpec `yaml:"spec"`
}

type podSpec struct {
	Containers          []container `yaml:"containers"`
	InitContainers      []container `yaml:"initContainers"`
	EphemeralContainers []container `yaml:"ephemeralContainers"`
}

type container struct {
	Name string `yaml:"name"`
}

// manifest is one parsed object, with its pod spec when it runs pods.
type manifest struct {
	object
	// pod is the pod spec, nil for objects that run no pods.
	pod *podSpec
	// podPath is the field path of pod, e.g. "spec.template.spec".
	podPath string
}

// ManifestsError is returned by Evaluate and Namespaces when the manifests cannot be read.
type ManifestsError struct {
	// Document is the 1-based index of the YAML document at fault.
	Document int
	// Object names the object, when its kind and name could be read.
	Object string
	// Err is the YAML error.
	Err error
}

// Error implements error.
func (e *ManifestsError) Error() string {
	what := fmt.Sprintf("document %d", e.Document)
	if e.Object != "" {
		what += " (" + e.Object + ")"
	}
	return fmt.Sprintf("policy: cannot read the rendered manifests, %s: %v; the render produces valid YAML, "+
		"so check what was passed to the gate", what, e.Err)
}

// Unwrap returns the YAML error.
func (e *ManifestsError) Unwrap() error { return e.Err }

// parseManifests reads every object of a multi-document YAML stream.
func parseManifests(data []byte) ([]manifest, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var list []manifest
	for doc := 1; ; doc++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return list, nil
		}
		if err != nil {
			return nil, &ManifestsError{Document: doc, Err: err}
		}
		if len(node.Content) == 0 || (node.Content[0].Kind == yaml.ScalarNode && node.Content[0].Tag == "!!null") {
			continue
		}
		m, err := parseManifest(&node)
		if err != nil {
			return nil, &ManifestsError{Document: doc, Object: m.String(), Err: err}
		}
		list = append(list, m)
	}
}

// parseManifest decodes one document.
func parseManifest(node *yaml.Node) (manifest, error) {
	var m manifest
	if err := node.Decode(&m.object); err != nil {
		return m, err
	}
	if m.Kind == "" {
		return m, errors.New("the document has no kind")
	}
	switch m.Kind {
	case "Pod":
		var p struct {
			Spec podSpec `yaml:"spec"`
		}
		if err := node.Decode(&p); err != nil {
			return m, err
		}
		m.pod, m.podPath = &p.Spec, "spec"
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job":
		var w struct {
			Spec struct {
				Template podTemplate `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := node.Decode(&w); err != nil {
			return m, err
		}
		m.pod, m.podPath = &w.Spec.Template.Spec, "spec.template.spec"
	case "CronJob":
		var c struct {
			Spec struct {
				JobTemplate struct {
					Spec struct {
						Template podTemplate `yaml:"template"`
					} `yaml:"spec"`
				} `yaml:"jobTemplate"`
			} `yaml:"spec"`
		}
		if err := node.Decode(&c); err != nil {
			return m, err
		}
		m.pod, m.podPath = &c.Spec.JobTemplate.Spec.Template.Spec, "spec.jobTemplate.spec.template.spec"
	}
	return m, nil
}

// String returns Kind/namespace/name.
func (m manifest) String() string {
	return m.ref().String()
}

func (m manifest) ref() Object {
	return Object{Kind: m.Kind, Namespace: m.Metadata.Namespace, Name: m.Metadata.Name}
}

// containerIndex is the position of the container named name in the pod
// (containers, then init, then ephemeral ones); len of all when absent.
func (m manifest) containerIndex(name string) int {
	if m.pod == nil {
		return 0
	}
	i := 0
	for _, list := range [][]container{m.pod.Containers, m.pod.InitContainers, m.pod.EphemeralContainers} {
		for _, c := range list {
			if c.Name == name {
				return i
			}
			i++
		}
	}
	return i
}
