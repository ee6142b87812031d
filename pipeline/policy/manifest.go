package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// The subset of Kubernetes objects the rules read. Plain structs instead of
// k8s.io/api: the gate reads a handful of fields, and k8s.io/api would add
// dozens of modules to every build of the pipeline.

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
	SecurityContext     *securityContext `yaml:"securityContext"`
	Containers          []container      `yaml:"containers"`
	InitContainers      []container      `yaml:"initContainers"`
	EphemeralContainers []container      `yaml:"ephemeralContainers"`
}

type container struct {
	Name            string           `yaml:"name"`
	Image           string           `yaml:"image"`
	SecurityContext *securityContext `yaml:"securityContext"`
	Resources       resources        `yaml:"resources"`
	LivenessProbe   *probe           `yaml:"livenessProbe"`
	ReadinessProbe  *probe           `yaml:"readinessProbe"`
}

type securityContext struct {
	Privileged               *bool  `yaml:"privileged"`
	AllowPrivilegeEscalation *bool  `yaml:"allowPrivilegeEscalation"`
	RunAsNonRoot             *bool  `yaml:"runAsNonRoot"`
	RunAsUser                *int64 `yaml:"runAsUser"`
}

type resources struct {
	Requests map[string]any `yaml:"requests"`
	Limits   map[string]any `yaml:"limits"`
}

type probe struct {
	HTTPGet   any `yaml:"httpGet"`
	TCPSocket any `yaml:"tcpSocket"`
	Exec      any `yaml:"exec"`
	GRPC      any `yaml:"grpc"`
}

// hasHandler reports whether the probe says how to check the container.
func (p *probe) hasHandler() bool {
	return p.HTTPGet != nil || p.TCPSocket != nil || p.Exec != nil || p.GRPC != nil
}

// manifest is one parsed object, with its pod spec when it runs pods.
type manifest struct {
	object
	// pod is the pod spec, nil for objects that run no pods.
	pod *podSpec
	// podPath is the field path of pod, e.g. "spec.template.spec".
	podPath string
}

// ManifestsError is returned by Check when the manifests cannot be read.
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
