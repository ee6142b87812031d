package ghactions

import "fmt"

// InputError is a Report or an option Render cannot render: nothing is
// rendered.
type InputError struct {
	// Field names the report field or the option, e.g. "Ok" or
	// "WithServiceDir".
	Field string
	// Reason says what is wrong and how to fix it.
	Reason string
}

// Error implements error.
func (e *InputError) Error() string {
	return fmt.Sprintf("ghactions: %s: %s", e.Field, e.Reason)
}

// OutputError is a step output that cannot be written so that GitHub reads
// it back as it is.
type OutputError struct {
	// Name is the output's name.
	Name string
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *OutputError) Error() string {
	return fmt.Sprintf("ghactions: output %q: %s", e.Name, e.Reason)
}

// WriteError says the environment files go-githubactions writes (the step
// summary and the outputs, in a private temporary folder) could not be
// written or read back.
type WriteError struct {
	// File names the file.
	File string
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *WriteError) Error() string {
	return fmt.Sprintf("ghactions: cannot write %s: %v; give a writable folder with WithTempDir", e.File, e.Err)
}

// Unwrap returns the underlying error.
func (e *WriteError) Unwrap() error { return e.Err }
