package actionstest

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// repoRoot is the repository's root, from this package's folder.
const repoRoot = "../.."

// workflows returns every workflow file of the repository: the YAML files of
// each .github/workflows folder under examples/, and of the root's own.
func workflows(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, top := range []string{"examples", ".github"} {
		root := filepath.Join(repoRoot, top)
		if _, err := os.Stat(root); os.IsNotExist(err) {
			continue
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := filepath.Ext(path)
			if !d.IsDir() && (ext == ".yaml" || ext == ".yml") &&
				filepath.Base(filepath.Dir(path)) == "workflows" &&
				filepath.Base(filepath.Dir(filepath.Dir(path))) == ".github" {
				files = append(files, path)
			}
			return nil
		})
		assert.NilError(t, err)
	}
	slices.Sort(files)
	return files
}

// newLinter is actionlint with the options of its CLI run without flags,
// less the external linters (shellcheck, pyflakes), which would make the
// result depend on the machine's PATH.
func newLinter(t *testing.T) *actionlint.Linter {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
		Color:     actionlint.ColorOptionKindNever,
		LogWriter: io.Discard,
		// Shellcheck and Pyflakes left empty: those linters do not run.
	})
	assert.NilError(t, err)
	return l
}

func messages(errs []*actionlint.Error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// TestWorkflowsLint lints every workflow of the repository and fails with
// actionlint's messages.
func TestWorkflowsLint(t *testing.T) {
	files := workflows(t)
	assert.Assert(t, slices.Contains(files, filepath.Join(repoRoot, "examples/fastapi-service/.github/workflows/ci-cd.yaml")),
		"the template's workflow is missing from %v", files)
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, repoRoot+"/"), func(t *testing.T) {
			// The repository the workflow is for: the folder holding its .github (the template's is a
			// service repository of its own), where its local actions and reusable workflows are.
			project, err := actionlint.NewProject(filepath.Dir(filepath.Dir(filepath.Dir(f))))
			assert.NilError(t, err)
			errs, err := newLinter(t).LintFile(f, project)
			assert.NilError(t, err)
			assert.Check(t, len(errs) == 0, "actionlint found %d problem(s):%s", len(errs), messages(errs))
		})
	}
}

// sha is a full commit SHA.
var sha = regexp.MustCompile(`^[0-9a-f]{40}$`)

// TestWorkflowsPinned: every action a workflow uses from another repository
// is pinned to a full commit SHA (a tag can be moved), with the release in a
// comment.
func TestWorkflowsPinned(t *testing.T) {
	for _, f := range workflows(t) {
		data, err := os.ReadFile(f)
		assert.NilError(t, err)
		w, errs := actionlint.Parse(data)
		assert.Assert(t, len(errs) == 0, "%s does not parse:%s", f, messages(errs))
		lines := strings.Split(string(data), "\n")
		for id, job := range w.Jobs {
			for _, step := range job.Steps {
				exec, ok := step.Exec.(*actionlint.ExecAction)
				if !ok || exec.Uses == nil {
					continue
				}
				uses := exec.Uses.Value
				if strings.HasPrefix(uses, "./") || strings.HasPrefix(uses, "docker://") {
					continue // local actions and images by reference are not tags
				}
				_, ref, _ := strings.Cut(uses, "@")
				pos := exec.Uses.Pos
				assert.Check(t, sha.MatchString(ref), "%s:%d: job %s uses %s: pin it to a full commit SHA", f, pos.Line, id, uses)
				line := lines[pos.Line-1]
				assert.Check(t, regexp.MustCompile(`#\s*v\d+(\.\d+)*\s*$`).MatchString(line),
					"%s:%d: say which release %s is with a comment, like # v4.2.2", f, pos.Line, uses)
			}
		}
	}
}

// broken has the mistakes TestLintCatches expects actionlint to find: a
// runner label that does not exist, an output of a step that does not exist,
// and untrusted input expanded into a script.
const broken = `name: broken
on: pull_request
jobs:
  build:
    runs-on: ubuntu-lastest
    steps:
      - id: gen
        run: echo "x=1" >> "$GITHUB_OUTPUT"
      - run: echo "${{ steps.nope.outputs.x }}"
      - run: echo "${{ github.event.pull_request.title }}"
`

// TestLintCatches proves the lint test can fail: actionlint, set up as
// TestWorkflowsLint sets it up, reports each mistake of a broken workflow
// at its line.
func TestLintCatches(t *testing.T) {
	errs, err := newLinter(t).Lint("broken.yaml", []byte(broken), nil)
	assert.NilError(t, err)
	type found struct {
		Line int
		Kind string
	}
	var got []found
	for _, e := range errs {
		got = append(got, found{e.Line, e.Kind})
	}
	all := messages(errs)
	assert.Check(t, is.Contains(got, found{5, "runner-label"}), all)
	assert.Check(t, is.Contains(got, found{9, "expression"}), all)
	assert.Check(t, is.Contains(got, found{10, "expression"}), all)
	assert.Check(t, is.Contains(all, `label "ubuntu-lastest" is unknown`))
	assert.Check(t, is.Contains(all, `property "nope" is not defined`))
	assert.Check(t, is.Contains(all, `"github.event.pull_request.title" is potentially untrusted`))
}

// TestPinnedCatches proves the pin check can fail: a tag is not a pin.
func TestPinnedCatches(t *testing.T) {
	w, errs := actionlint.Parse([]byte("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n"))
	assert.Assert(t, len(errs) == 0, messages(errs))
	exec := w.Jobs["a"].Steps[0].Exec.(*actionlint.ExecAction)
	_, ref, _ := strings.Cut(exec.Uses.Value, "@")
	assert.Check(t, !sha.MatchString(ref))
	assert.Check(t, sha.MatchString("11bd71901bbe5b1630ceea73d27597364c9af683"))
}
