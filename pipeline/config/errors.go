package config

import (
	"sort"
	"strings"

	"github.com/golden-path/golden-path/pipeline/yamlfile"
)

// Error lists every problem found in a config file.
type Error struct {
	// File is the config file.
	File string
	// Errors holds the problems, ordered by line; problems without a line
	// (missing settings) come first.
	Errors []*yamlfile.FieldError
}

// newConfigError orders errs by line, keeping the order of discovery among
// problems on the same line.
func newConfigError(file string, errs []*yamlfile.FieldError) *Error {
	sorted := append([]*yamlfile.FieldError(nil), errs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Line < sorted[j].Line })
	return &Error{File: file, Errors: sorted}
}

// Error lists the problems, one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so errors.As finds a *yamlfile.FieldError.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		errs[i] = fe
	}
	return errs
}

// Location is the config file and the first problem's line that has one.
func (e *Error) Location() (string, int) {
	for _, fe := range e.Errors {
		if fe.Line > 0 {
			return e.File, fe.Line
		}
	}
	return e.File, 0
}
