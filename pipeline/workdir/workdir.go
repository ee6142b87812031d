// Package workdir writes files that a Dagger module returns: a module writes
// them in its working directory, and the engine reads them from there
// (CurrentModule.workdirFile), so that their contents never travel as a call's
// argument, which the progress output prints in full.
package workdir

import (
	"fmt"
	"os"
	"path/filepath"
)

// Scratch is a module's working directory in the Dagger engine.
const Scratch = "/scratch"

// Write writes data to a new folder of root as a file called name, and
// returns its path relative to root.
func Write(root, name string, data []byte) (string, error) {
	if name == "" || filepath.Base(name) != name {
		return "", fmt.Errorf("cannot write %q: a file name without a folder is needed", name)
	}
	dir, err := os.MkdirTemp(root, "out-")
	if err != nil {
		return "", fmt.Errorf("cannot write %s: %s", name, err.Error())
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("cannot write %s: %s", name, err.Error())
	}
	return filepath.Rel(root, path)
}
