package render

import (
	"cmp"
	"fmt"
	"strings"
)

// UnknownEnvironmentError is returned when there is no overlay for the
// environment asked for, or (Environment empty) no overlay at all.
type UnknownEnvironmentError struct {
	// Environment is the environment asked for; empty when every environment
	// was (Environments).
	Environment string
	// Overlays is the folder holding one folder per environment, e.g.
	// "k8s/overlays".
	Overlays string
	// Known are the environments that have an overlay, sorted.
	Known []string
}

// Error implements error.
func (e *UnknownEnvironmentError) Error() string {
	if e.Environment == "" {
		return fmt.Sprintf("render: no environment: %s/ holds no overlay; create %s/dev/kustomization.yaml "+
			"(copy k8s/overlays of the golden-path template)", e.Overlays, e.Overlays)
	}
	if len(e.Known) == 0 {
		return fmt.Sprintf("render: unknown environment %q: %s/ holds no overlay; create %s/%s/kustomization.yaml "+
			"(copy one from the golden-path template)", e.Environment, e.Overlays, e.Overlays, e.Environment)
	}
	return fmt.Sprintf("render: unknown environment %q: the known environments are %s (the folders of %s/ "+
		"holding a kustomization.yaml); pick one of them, or add %s/%s/ to deploy to a new one",
		e.Environment, strings.Join(e.Known, ", "), e.Overlays, e.Overlays, e.Environment)
}

// MissingFileError is returned when a kustomization lists a file or folder
// that does not exist.
type MissingFileError struct {
	// Kustomization is the kustomization.yaml that lists the file.
	Kustomization string
	// Field is the field of the kustomization listing it, e.g. "resources".
	Field string
	// Entry is the entry as written in the kustomization.
	Entry string
	// Path is the path the entry resolves to.
	Path string
}

// Error implements error.
func (e *MissingFileError) Error() string {
	return fmt.Sprintf("render: %s lists %q under %s, but %s does not exist: create it, "+
		"or fix or remove the entry in %s", e.Kustomization, e.Entry, e.Field, e.Path, e.Kustomization)
}

// Location is the kustomization that lists the missing file.
func (e *MissingFileError) Location() (string, int) { return e.Kustomization, 0 }

// ImageRefError is returned when the image to deploy is not pinned by
// digest.
type ImageRefError struct {
	// Ref is the reference given.
	Ref string
	// Reason says what is wrong with it.
	Reason string
}

// Error implements error.
func (e *ImageRefError) Error() string {
	return fmt.Sprintf("render: image %q %s: deploy the image by digest, as <registry>/<repository>@sha256:<64 hex digits> "+
		"(the digest the push stage returns), so the cluster runs exactly the image that was tested and scanned",
		e.Ref, e.Reason)
}

// InputError is returned when an argument of Render is invalid (a nil
// config, a malformed commit SHA, a bad folder name...).
type InputError struct {
	// Field names the argument.
	Field string
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *InputError) Error() string {
	return fmt.Sprintf("render: invalid %s: %s", e.Field, e.Reason)
}

// Problem is one way the k8s/ folder contradicts golden-path.yaml or lacks
// what the render needs.
type Problem struct {
	// File is the file defining the object, e.g. "k8s/base/deployment.yaml";
	// empty when the object is missing altogether.
	File string
	// Object is the object, as Kind/name.
	Object string
	// Field is the field at fault, e.g. "metadata.name".
	Field string
	// Reason says what is wrong.
	Reason string
	// Fix says what to change.
	Fix string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File + ": ")
	}
	if p.Object != "" {
		b.WriteString(p.Object)
		if p.Field != "" {
			b.WriteString(" " + p.Field)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	if p.Fix != "" {
		b.WriteString("; " + p.Fix)
	}
	return b.String()
}

// ManifestError is returned when the overlay builds but contradicts
// golden-path.yaml or lacks what the render sets from it. It lists every
// problem found.
type ManifestError struct {
	// Environment is the environment rendered.
	Environment string
	// Problems are the problems, in the order of the rendered objects.
	Problems []Problem
}

// Error implements error.
func (e *ManifestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "render %s: the k8s/ manifests do not fit golden-path.yaml (%d problem", e.Environment, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Location is the file of the first problem that names one.
func (e *ManifestError) Location() (string, int) {
	for _, p := range e.Problems {
		if p.File != "" {
			return p.File, 0
		}
	}
	return "", 0
}

// KustomizeError is returned when kustomize fails on the overlay for a
// reason the render does not check itself (invalid YAML, a patch that does
// not apply...).
type KustomizeError struct {
	// Overlay is the overlay built, e.g. "k8s/overlays/dev".
	Overlay string
	// Err is kustomize's error.
	Err error
	// msg is Err's message with the paths the team knows.
	msg string
}

// Error implements error.
func (e *KustomizeError) Error() string {
	return fmt.Sprintf("render: kustomize cannot build %s: %s; fix the file it names (run `kubectl kustomize %s` "+
		"to reproduce)", e.Overlay, cmp.Or(e.msg, fmt.Sprint(e.Err)), e.Overlay)
}

// Unwrap returns kustomize's error.
func (e *KustomizeError) Unwrap() error { return e.Err }
