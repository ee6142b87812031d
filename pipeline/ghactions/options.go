package ghactions

import (
	"path"
	"strings"
)

// DefaultReportsDir is where the workflow exports the reports folder
// (`… reports export --path reports`), for the *-path outputs.
const DefaultReportsDir = "reports"

// Option configures Render.
type Option func(*options)

type options struct {
	serviceDir string
	reportsDir string
	tempDir    string
}

// WithServiceDir gives the service's folder inside the repository, e.g.
// "examples/fastapi-service": annotations name files relative to the
// repository root, so src/app.py becomes examples/fastapi-service/src/app.py.
// The default, "", is a service at the repository's root.
func WithServiceDir(dir string) Option { return func(o *options) { o.serviceDir = dir } }

// WithReportsDir gives the folder, relative to the workflow's working
// directory, where the workflow exports the reports (DefaultReportsDir
// otherwise); summary-path and sarif-path name files in it.
func WithReportsDir(dir string) Option { return func(o *options) { o.reportsDir = dir } }

// WithTempDir gives the folder where Render lets go-githubactions write the
// step summary and the outputs, in a private subfolder it removes before
// returning (os.TempDir() otherwise).
func WithTempDir(dir string) Option { return func(o *options) { o.tempDir = dir } }

func newOptions(opts []Option) (*options, error) {
	o := &options{reportsDir: DefaultReportsDir}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	var err error
	if o.serviceDir, err = repoPath("WithServiceDir", o.serviceDir); err != nil {
		return nil, err
	}
	if o.reportsDir, err = repoPath("WithReportsDir", o.reportsDir); err != nil {
		return nil, err
	}
	return o, nil
}

// repoPath checks that p is a relative slash-separated path that stays in
// the repository, and cleans it; "" and "." give "".
func repoPath(field, p string) (string, error) {
	if strings.ContainsAny(p, "\\\n\r") {
		return "", &InputError{Field: field, Reason: "the path " + quote(p) + " has a backslash or a line break; write it with forward slashes, like examples/fastapi-service"}
	}
	if path.IsAbs(p) {
		return "", &InputError{Field: field, Reason: "the path " + quote(p) + " is absolute; give it relative to the repository's root, like examples/fastapi-service"}
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", &InputError{Field: field, Reason: "the path " + quote(p) + " leaves the repository; give it relative to the repository's root, like examples/fastapi-service"}
	}
	if c == "." {
		return "", nil
	}
	return c, nil
}

// inRepo returns the path of file, relative to the service's folder, from
// the repository's root; ok is false for a file that cannot be named so (an
// absolute path, as when a tool ran in a container, or one outside the
// service's folder).
func (o *options) inRepo(file string) (string, bool) {
	if file == "" || strings.ContainsAny(file, "\\\n\r") || path.IsAbs(file) {
		return "", false
	}
	c := path.Clean(file)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return path.Join(o.serviceDir, c), true
}
