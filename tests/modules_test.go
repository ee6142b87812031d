package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// moduleCase is what a consumer of one module sees: `dagger -m <path>
// functions`, the checks `dagger check` runs, and every example of its
// examples module (<path>/examples/go, the Daggerverse's place for Go examples).
type moduleCase struct {
	// The module's folder, from the repository's root.
	path string
	// The module's name: its examples are named after it (scan-container for Scan.container).
	name string
	// What `dagger functions` lists: each function or field with the start of its description.
	functions map[string]string
	// The module's +check functions.
	checks []string
	// Every example of the examples module: the `dagger call` arguments (the example's name first,
	// then its arguments and the fields to print) and what the output must match.
	examples []exampleCall
}

// exampleCall is one call of an example function.
type exampleCall struct {
	args []string
	want *regexp.Regexp
}

func moduleCases() []moduleCase {
	db := "db-registry:" + registryPort() + "/aquasec/trivy-db"
	dbArgs := []string{"--trivy-db-registry", "tcp://localhost:" + registryPort(), "--trivy-db-repository", db}
	return []moduleCase{{
		path: "modules/build", name: "build",
		functions: map[string]string{
			"base-image-line": "BaseImageLine is the line of the Dockerfile's FROM",
			"build":           "Build builds the Dockerfile into a container",
			"dockerfile":      "Path of the Dockerfile inside the source folder.",
			"lint":            "Lint runs the linter and fails on any finding",
			"lint-report":     "LintReport runs the linter",
			"serve":           "Serve starts the runtime image and fails when a path of the source's",
			"serve-report":    "ServeReport starts the runtime image as a service",
			"service":         "Service runs the built image as a service",
			"source":          "The service's source folder.",
			"test":            "Test runs pytest and fails when a test fails or none ran",
			"test-report":     "TestReport runs pytest and returns its report",
			"test-stage":      "The Dockerfile stage with the code, the tests, pytest and flake8.",
		},
		checks: []string{"lint", "serve", "test"},
		examples: []exampleCall{
			{[]string{"build-build", "env-variable", "--name", "PORT"}, regexp.MustCompile(`^8000\n?$`)},
			{[]string{"build-test"}, regexp.MustCompile(`(?m)^✅ \d+ tests passed`)},
			{[]string{"build-lint"}, regexp.MustCompile(`(?m)^### Lint \(flake8\)\n+✅ No findings\.$`)},
			{[]string{"build-service", "ports", "port"}, regexp.MustCompile(`^8000\n?$`)},
		},
	}, {
		path: "modules/scan", name: "scan",
		functions: map[string]string{
			"container-report": "ContainerReport scans a container's image and returns the report",
			"db-registry":      "A service reaching the DB's registry",
			"db-repository":    "OCI repository Trivy fetches its vulnerability DB from.",
			"ignore-file":      "Accepted findings",
			"ignore-unfixed":   "Leave out findings that have no fixed version yet.",
			"image-report":     "ImageReport scans an image reference",
			"severity":         "Findings at or above this severity block",
			"trivy-image":      "Trivy image to run.",
		},
		examples: []exampleCall{
			{append([]string{"scan-container-report"}, dbArgs...), regexp.MustCompile("(?s)### Vulnerabilities.* in `debian:bookworm-slim`.*\\| Critical \\| High \\|")},
			{append(append([]string{"scan-container-report-check"}, dbArgs...), "contents"), regexp.MustCompile(`"version": "2\.1\.0"`)},
			{append(append([]string{"scan-container-report-sbom"}, dbArgs...), "contents"), regexp.MustCompile(`"bomFormat": "CycloneDX"`)},
		},
	}, {
		path: "modules/deploy", name: "deploy",
		functions: map[string]string{
			"dora":            "Dora reads the release records of namespaces",
			"environments":    "Environments lists the environments the service can be rendered for",
			"history":         "History lists a service's releases in a namespace from their release",
			"kubectl-image":   "The kubectl image that applies and verifies releases.",
			"gator-image":     "The gator image that evaluates the platform's policy on rendered manifests.",
			"observed":        "Observed marks a service's release as observed now",
			"password":        "Registry password or token.",
			"policy":          "Policy returns the platform's policy this module evaluates",
			"policy-report":   "PolicyReport evaluates any rendered manifests with gator against the",
			"promotable":      "Promotable reads a service's release records in a namespace and returns",
			"publish":         "Publish pushes the container's image",
			"registry":        "Registry host[:port] images are pushed to",
			"registry-tunnel": "A service reaching the registry",
			"render":          "Render renders the service's k8s/ base",
			"rollback":        "Rollback puts back an earlier release of a service, whole, from its",
			"username":        "Registry user name.",
		},
		examples: []exampleCall{
			{[]string{"deploy-render", "contents"}, regexp.MustCompile(`(?m)^kind: Deployment$`)},
			{[]string{"deploy-policy-report"}, regexp.MustCompile(`(?m)^✅ \d+ objects follow the \d+ golden-path rules`)},
			{[]string{"deploy-policy", "glob", "--pattern", "**/*.yaml"}, regexp.MustCompile(`(?m)^templates/gp001-privileged-container\.yaml$`)},
		},
	}, {
		path: "modules/observe", name: "observe",
		functions: map[string]string{
			"generate": "Generate makes the ServiceMonitor, the PrometheusRule and the dashboard",
			"lint":     "Lint generates the service's observability objects",
		},
		checks: []string{"lint"},
		examples: []exampleCall{
			{[]string{"observe-generate", "contents"}, regexp.MustCompile(`(?m)^kind: ServiceMonitor$`)},
			{[]string{"observe-generate-dashboard", "contents"}, regexp.MustCompile(`"uid": "gp-hello-api-[0-9a-f]+"`)},
			{[]string{"observe-lint"}, regexp.MustCompile(`^gp-hello-api-[0-9a-f]+\n?$`)},
		},
	}, {
		path: ".", name: "golden-path",
		checks: []string{"gates"},
		examples: []exampleCall{
			{append([]string{"golden-path-ship"}, dbArgs...), regexp.MustCompile(`(?m)^## ✅ Ship hello-api: passed$`)},
			{append(append([]string{"golden-path-report"}, dbArgs...), "entries"), regexp.MustCompile(`(?s)annotations\.txt.*outputs\.env.*scan\.sarif.*summary\.md`)},
			{[]string{"golden-path-init", "file", "--path", "golden-path.yaml", "contents"}, regexp.MustCompile(`(?m)^name: orders\n(?:#.*\n|\n)*team: payments$`)},
		},
		functions: map[string]string{
			"dockerfile":          "Path of the Dockerfile inside the source folder.",
			"gates":               "Gates runs what a pull request runs",
			"init":                "Init writes a new service from the golden-path template",
			"platform":            "The platform the runtime image is built for.",
			"promote":             "Promote deploys to an environment the release that serves verified in",
			"repo-path":           "The service's folder inside its git repository",
			"report":              "Report runs ship's gates",
			"severity":            "Vulnerabilities at or above this severity fail the scan gate.",
			"ship":                "Ship runs the golden path on a service",
			"source":              "The service's source folder",
			"trivy-db-registry":   "A service reaching the DB's registry",
			"trivy-db-repository": "OCI repository of Trivy's vulnerability DB.",
			"version":             "Version returns the golden-path release",
		},
	}}
}

// Each module loads by path as a consumer's `dagger -m` loads it, and is
// ready for the Daggerverse: it lists its functions with their descriptions;
// the module, every object, function, argument and field is described; its
// checks are the +check functions; and its examples module lists examples
// named after the module's functions and runs one.
func TestModules(t *testing.T) {
	t.Parallel()
	daggertest.RequireEngine(t)
	root := daggertest.RepoRoot(t)
	for _, m := range moduleCases() {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			out := daggertest.MustCLI(t, root, "-m", "./"+m.path, "functions")
			listed := listedFunctions(out)
			assert.Check(t, is.DeepEqual(sortedKeys(listed), sortedKeys(m.functions)), out)
			for name, desc := range m.functions {
				assert.Check(t, strings.HasPrefix(listed[name], desc), "%s: %q does not start with %q", name, listed[name], desc)
			}

			mod := moduleTypeDefs(t, root, m.path)
			assert.Check(t, is.Regexp(`^\S.{20,}`, mod.Description), "the module's description is its package doc comment")
			assert.Check(t, is.DeepEqual(undocumented(mod), []string(nil)))
			var checks []string
			for _, c := range mod.Checks.List {
				checks = append(checks, c.Name)
			}
			slices.Sort(checks)
			assert.Check(t, is.DeepEqual(checks, m.checks))

			examples := filepath.Join(m.path, "examples/go")
			out = daggertest.MustCLI(t, root, "-m", "./"+examples, "functions")
			listed = listedFunctions(out)
			assert.Check(t, len(listed) > 0, out)
			for name, desc := range listed {
				assert.Check(t, strings.HasPrefix(name, m.name+"-"), "%s: an example is named <Module><Function>[_<Name>]", name)
				assert.Check(t, desc != "-", "%s: no description", name)
			}
			// Every example runs.
			var called []string
			for _, ex := range m.examples {
				called = append(called, ex.args[0])
				out = daggertest.MustCLI(t, root, append([]string{"-m", "./" + examples, "call"}, ex.args...)...)
				assert.Check(t, is.Regexp(ex.want, out), ex.args[0])
			}
			slices.Sort(called)
			assert.Check(t, is.DeepEqual(called, sortedKeys(listed)), "call every example the module lists")
		})
	}
}

// listedFunctions reads `dagger functions`: each name with its description
// ("-" when it has none).
func listedFunctions(out string) map[string]string {
	fns := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "\x1b[") || strings.HasPrefix(line, "Skipped ") || strings.TrimSpace(line) == "" {
			continue // the header, and functions the CLI cannot call
		}
		name, desc, _ := strings.Cut(line, " ")
		fns[name] = strings.TrimSpace(desc)
	}
	return fns
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// described is a name and its description in the module's type definitions.
type described struct{ Name, Description string }

type describedFunction struct {
	described
	Args []described
}

type moduleDefs struct {
	Description string
	Objects     []struct {
		AsObject struct {
			described
			Constructor *describedFunction
			Functions   []describedFunction
			Fields      []described
		}
	}
	Checks struct{ List []described }
}

// moduleTypeDefs loads the module at path (from the repository's root) and
// returns its type definitions, as the Daggerverse reads them.
func moduleTypeDefs(t *testing.T, root, path string) moduleDefs {
	t.Helper()
	const fn = `name description args { name description }`
	doc := filepath.Join(t.TempDir(), "typedefs.graphql")
	query := `{ moduleSource(refString: "./` + path + `") { asModule { description
		objects { asObject { name description constructor { ` + fn + ` } functions { ` + fn + ` } fields { name description } } }
		checks { list { name description } } } } }`
	assert.NilError(t, os.WriteFile(doc, []byte(query), 0o644))
	out := daggertest.MustCLI(t, root, "query", "--no-mod", "--doc", doc)
	var res struct{ ModuleSource struct{ AsModule moduleDefs } }
	assert.NilError(t, json.Unmarshal([]byte(out), &res), out)
	return res.ModuleSource.AsModule
}

// undocumented names each object, function, argument and field without a
// description.
func undocumented(m moduleDefs) []string {
	var missing []string
	check := func(what string, d described) {
		if strings.TrimSpace(d.Description) == "" {
			missing = append(missing, what)
		}
	}
	for _, o := range m.Objects {
		obj := o.AsObject
		check(obj.Name, obj.described)
		for _, f := range obj.Functions {
			check(obj.Name+"."+f.Name, f.described)
			for _, a := range f.Args {
				check(obj.Name+"."+f.Name+"("+a.Name+")", a)
			}
		}
		if obj.Constructor != nil {
			for _, a := range obj.Constructor.Args {
				check(obj.Name+"("+a.Name+")", a)
			}
		}
		for _, f := range obj.Fields {
			check(obj.Name+"."+f.Name, f)
		}
	}
	return missing
}

// The deploy module's policy report of any manifests, a file of the
// caller's (0600, as mktemp makes it): gator, run as its image's non-root
// user, reads it; in prod GP001 blocks and the rules the platform only warns
// of there are warnings, each with its fix.
func TestDeployPolicyReportOfAFile(t *testing.T) {
	t.Parallel()
	root := daggertest.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "pipeline", "policy", "testdata", "check", "many-prod.yaml"))
	assert.NilError(t, err)
	f := filepath.Join(t.TempDir(), "manifests.yaml")
	assert.NilError(t, os.WriteFile(f, data, 0o600))
	var report struct {
		Ok                   bool
		Violations, Warnings []string
	}
	for field, into := range map[string]any{"ok": &report.Ok, "violations": &report.Violations, "warnings": &report.Warnings} {
		res := daggertest.CLI(t, root, "call", "-m", "modules/deploy", "policy-report", "--manifests", f, field, "--json")
		assert.Assert(t, res.ExitCode == 0, res.ErrorText())
		assert.NilError(t, json.Unmarshal([]byte(res.Stdout), into), res.Stdout)
	}
	assert.Check(t, !report.Ok)
	assert.Check(t, is.Len(report.Violations, 1))
	assert.Check(t, is.Contains(strings.Join(report.Violations, "\n"),
		"GP001 Deployment/payments-prod/hello-api, container app: spec.template.spec.containers[app].securityContext.privileged is true; fix: remove"))
	assert.Check(t, is.Len(report.Warnings, 9))
	assert.Check(t, is.Contains(strings.Join(report.Warnings, "\n"),
		`GP006 Deployment/payments-prod/hello-api, container app: spec.template.spec.containers[app].image "nginx:latest" uses the tag latest`))
}
