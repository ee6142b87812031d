package render

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/golden-path/golden-path/pipeline/config"
)

// DefaultEnvironments are the environments of a service without a k8s/
// folder, sorted like Environments sorts overlays.
var DefaultEnvironments = []string{"dev", "prod", "staging"}

// builtinBase is the platform's base for a service without a k8s/ folder:
// a ServiceAccount, the Deployment, its Service and a NetworkPolicy, every
// object named NamePlaceholder and no value of golden-path.yaml written
// (the release sets them).
//
//go:embed builtin/base/*.yaml
var builtinBase embed.FS

// builtinFS returns, in a new in-memory file system at DefaultDir, the
// manifests a service without a k8s/ folder gets: the built-in base and an
// overlay for each of DefaultEnvironments that runs cfg.Replicas copies (one
// when golden-path.yaml does not say), with a PodDisruptionBudget that keeps
// all but one of them up when there are two or more.
func builtinFS(cfg *config.Config) (filesys.FileSystem, error) {
	mem := filesys.MakeFsInMemory()
	err := fs.WalkDir(builtinBase, "builtin", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := builtinBase.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(path.Join(DefaultDir, strings.TrimPrefix(p, "builtin/")), data)
	})
	if err != nil {
		return nil, fmt.Errorf("render: cannot read the built-in base: %w", err)
	}
	replicas := max(cfg.Replicas, 1)
	for _, env := range DefaultEnvironments {
		dir := path.Join(DefaultDir, "overlays", env)
		resources := "  - ../../base\n"
		if replicas > 1 {
			resources += "  - poddisruptionbudget.yaml\n"
			pdb := fmt.Sprintf("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: %s\nspec:\n"+
				"  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n", NamePlaceholder, NamePlaceholder)
			if err := mem.WriteFile(path.Join(dir, "poddisruptionbudget.yaml"), []byte(pdb)); err != nil {
				return nil, err
			}
		}
		k := fmt.Sprintf("resources:\n%sreplicas:\n  - name: %s\n    count: %d\n", resources, NamePlaceholder, replicas)
		if err := mem.WriteFile(path.Join(dir, "kustomization.yaml"), []byte(k)); err != nil {
			return nil, err
		}
	}
	return mem, nil
}
