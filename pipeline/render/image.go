package render

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Unpublished is the image a release is rendered with before its image is
// published: a pull request's checks, and the checks that run before the
// push. It is a digest reference (rule GP006 holds) on a registry that cannot
// exist (.invalid), so a cluster can never pull it; SetImage replaces it with
// the published image.
const Unpublished = "unpublished.invalid/golden-path/service@sha256:0000000000000000000000000000000000000000000000000000000000000000"

// UnpublishedCommit is the commit a release is rendered with when none is
// given (a pull request's checks): its version label is 0000000.
const UnpublishedCommit = "0000000000000000000000000000000000000000"

// SetImage returns the rendered manifests with every container image that is
// from replaced by to, which must be pinned by digest: how a release rendered
// and checked before the push (with Unpublished) gets its published image.
// Nothing else changes: the result is what Render gives for to. It fails when
// no container runs from, so that a release cannot silently keep its old
// image.
func SetImage(manifests []byte, from, to string) ([]byte, error) {
	if _, err := parseDigest(to); err != nil {
		return nil, err
	}
	nodes, err := kio.FromBytes(manifests)
	if err != nil {
		return nil, fmt.Errorf("render: the manifests are not YAML (%w); render them again", err)
	}
	set := 0
	for _, n := range nodes {
		set += setImage(n.YNode(), from, to)
	}
	if set == 0 {
		return nil, fmt.Errorf("render: no container of the manifests runs %s, so none can run %s: render the release again with its image", from, to)
	}
	var out bytes.Buffer
	if err := (kio.ByteWriter{Writer: &out}).Write(nodes); err != nil {
		return nil, fmt.Errorf("render: cannot write the manifests: %w", err)
	}
	return out.Bytes(), nil
}

// setImage sets to every field named image under n whose value is from (the
// render sets that reference only as the image of the service's containers),
// and returns how many it set.
func setImage(n *yaml.Node, from, to string) int {
	set := 0
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			set += setImage(c, from, to)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "image" && v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) == from {
				v.Value = to
				set++
				continue
			}
			set += setImage(v, from, to)
		}
	}
	return set
}
