package render

import (
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// checkKustomizationTree walks the kustomizations reachable from dir and
// returns a *MissingFileError for the first entry naming a file or folder
// that does not exist, or a *ManifestError for a remote resource. Kustomize
// would fail on those too, but its message does not say which
// kustomization lists the missing file.
func checkKustomizationTree(fsys filesys.FileSystem, dir string, disp displayer) error {
	seen := map[string]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		file := kustomizationFile(fsys, dir)
		if file == "" || seen[file] {
			return nil
		}
		seen[file] = true
		data, err := fsys.ReadFile(file)
		if err != nil {
			return fmt.Errorf("render: cannot read %s: %w", disp.path(file), err)
		}
		var k types.Kustomization
		if err := k.Unmarshal(data); err != nil {
			return &KustomizeError{Overlay: disp.path(dir), Err: err,
				msg: fmt.Sprintf("%s is not a valid kustomization: %s", disp.path(file), err)}
		}
		k.FixKustomization()
		for _, e := range kustomizationEntries(&k) {
			if isRemote(e.entry) {
				return &ManifestError{Problems: []Problem{{
					File:   disp.path(file),
					Field:  e.field,
					Reason: fmt.Sprintf("%q is a remote resource", e.entry),
					Fix:    "copy what you need into k8s/ and list the local file: the render has no network, and a release must be reproducible from the commit",
				}}}
			}
			target := path.Join(dir, e.entry)
			if !fsys.Exists(target) {
				return &MissingFileError{
					Kustomization: disp.path(file),
					Field:         e.field,
					Entry:         e.entry,
					Path:          disp.path(target),
				}
			}
			if e.dirOK && fsys.IsDir(target) {
				if kustomizationFile(fsys, target) == "" {
					return &MissingFileError{
						Kustomization: disp.path(file),
						Field:         e.field,
						Entry:         e.entry,
						Path:          disp.path(path.Join(target, "kustomization.yaml")),
					}
				}
				if err := walk(target); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(dir)
}

// entry is one file or folder a kustomization refers to.
type entry struct {
	field string
	entry string
	// dirOK is set when the entry may be a folder holding a kustomization.
	dirOK bool
}

// kustomizationEntries lists the local files and folders k refers to.
func kustomizationEntries(k *types.Kustomization) []entry {
	var list []entry
	add := func(field string, dirOK bool, entries ...string) {
		for _, e := range entries {
			if e = strings.TrimSpace(e); e != "" {
				list = append(list, entry{field: field, entry: e, dirOK: dirOK})
			}
		}
	}
	add("resources", true, k.Resources...)
	add("components", true, k.Components...)
	add("crds", false, k.Crds...)
	add("configurations", false, k.Configurations...)
	add("generators", true, k.Generators...)
	add("transformers", true, k.Transformers...)
	add("validators", true, k.Validators...)
	for _, p := range k.Patches {
		add("patches", false, p.Path)
	}
	for _, p := range k.PatchesJson6902 {
		add("patchesJson6902", false, p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		// An entry is a file name or an inline patch.
		if s := string(p); !strings.Contains(s, "\n") && !strings.Contains(s, ":") {
			add("patchesStrategicMerge", false, s)
		}
	}
	for _, r := range k.Replacements {
		add("replacements", false, r.Path)
	}
	generatorFiles := func(field string, args types.GeneratorArgs) {
		for _, f := range args.FileSources {
			if _, file, ok := strings.Cut(f, "="); ok {
				f = file
			}
			add(field, false, f)
		}
		add(field, false, args.EnvSources...)
	}
	for _, g := range k.ConfigMapGenerator {
		generatorFiles("configMapGenerator", g.GeneratorArgs)
	}
	for _, g := range k.SecretGenerator {
		generatorFiles("secretGenerator", g.GeneratorArgs)
	}
	return list
}

// isRemote reports whether a resource entry is a URL or a git repository.
func isRemote(e string) bool {
	return strings.Contains(e, "://") || strings.HasPrefix(e, "git@") ||
		strings.HasPrefix(e, "github.com/") || strings.Contains(e, "?ref=")
}
