package rollout

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"gopkg.in/yaml.v3"
)

// Annotations the pipeline puts on the Deployment it applies.
const (
	// AnnotationCommit is the commit SHA deployed.
	AnnotationCommit = "golden-path.dev/commit"
	// AnnotationRun identifies the pipeline run (e.g. a GitHub Actions run URL).
	AnnotationRun = "golden-path.dev/run"
	// AnnotationChangeCause is shown by `kubectl rollout history`.
	AnnotationChangeCause = "kubernetes.io/change-cause"
)

// Annotate returns the manifests with annotations added to the metadata of
// the Deployment named deployment. It fails when there is no such
// Deployment.
func Annotate(manifests []byte, deployment string, annotations map[string]string) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(manifests))
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	found := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("deploy: the rendered manifests are not YAML: %w", err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		obj := doc.Content[0]
		if scalar(obj, "kind") == "Deployment" && scalar(child(obj, "metadata"), "name") == deployment {
			found = true
			meta := child(obj, "metadata")
			ann := child(meta, "annotations")
			if ann == nil {
				ann = &yaml.Node{Kind: yaml.MappingNode}
				meta.Content = append(meta.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "annotations"}, ann)
			}
			for _, k := range slices.Sorted(maps.Keys(annotations)) {
				set(ann, k, annotations[k])
			}
		}
		if err := enc.Encode(&doc); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, fmt.Errorf("deploy: the manifests have no Deployment %q: the service's Deployment must be named as in golden-path.yaml", deployment)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(m *yaml.Node, key string) string {
	if n := child(m, key); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

func set(m *yaml.Node, key, value string) {
	if n := child(m, key); n != nil {
		n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!str", value, 0
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

// Outcome is a deploy that succeeded, as one value: a deploy module returns
// it as JSON so that its caller reads it in one query (a query per field
// would run the deploy again).
type Outcome struct {
	// Namespace is the namespace the release was applied to.
	Namespace string `json:"namespace"`
	// Deployment is the service's Deployment.
	Deployment string `json:"deployment"`
	// Image is the image now serving, by digest.
	Image string `json:"image"`
	// Revision is the release's revision (its record is <service>.release.v<revision>).
	Revision int `json:"revision"`
	// SmokeURL is the URL the smoke test called last.
	SmokeURL string `json:"smokeUrl"`
	// Result says what happened, e.g. "3/3 pods ready, smoke test passed".
	Result string `json:"result"`
	// Previous is the revision that served before this one (0: none).
	Previous int `json:"previous,omitempty"`
	// LeadTime is from the commit's time to verified live, e.g. "14m3s";
	// empty when the commit's time was not given.
	LeadTime string `json:"leadTime,omitempty"`
	// Unchanged says the release served already: it was applied again as
	// recorded and verified, and no revision was made (a re-run).
	Unchanged bool `json:"unchanged,omitempty"`
}
