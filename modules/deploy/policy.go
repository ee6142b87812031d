package main

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/policy"
	"github.com/golden-path/golden-path/policy/gatekeeper"
)

// PolicyReport is what the policy check found in rendered manifests.
type PolicyReport struct {
	// Whether nothing the environment enforces is broken (warnings may remain).
	Ok bool
	// Each blocking violation: rule, object, container, field, problem and fix.
	Violations []string
	// Each violation the environment reports without blocking (the rule's enforcement there is warn or
	// dryrun), in the same form.
	Warnings []string
	// Why the gate fails, counting the violations and naming each with its fix; empty when Ok.
	Problem string
	// Markdown: the rules and every violation with its fix.
	Summary string
}

// PolicyReport evaluates the release's manifests with gator against the
// platform's policy, the Gatekeeper ConstraintTemplates and Constraints
// the cluster enforces (no privileged containers, no privilege escalation,
// required labels, resource requests and limits, runAsNonRoot, images by
// digest, liveness and readiness probes), with the enforcement of the
// release's environment. Every violation is listed; violations do not make
// it fail (Check does).
func (r *Release) PolicyReport(ctx context.Context) (*PolicyReport, error) {
	p, _, err := policyReport(ctx, r.GatorImage, r.Manifests, r.team(), r.Environment, "the "+r.Environment+" manifests")
	return p, err
}

// Check fails when the release's manifests break a rule the platform
// enforces in its environment, naming every violation and its fix, at the
// file and line of k8s/ that defines the first object at fault; it returns
// the release when they pass.
func (r *Release) Check(ctx context.Context) (*Release, error) {
	p, first, err := policyReport(ctx, r.GatorImage, r.Manifests, r.team(), r.Environment, "the "+r.Environment+" manifests")
	if err != nil {
		return nil, err
	}
	if _, err := p.Check(); err != nil {
		perr := &policyError{msg: err.Error()}
		for _, o := range r.Origins {
			if o.Object == first {
				perr.file, perr.line = o.File, o.Line
			}
		}
		return nil, stageError("policy", perr)
	}
	return r, nil
}

// policyError is a failed policy check, located at the file and line of
// k8s/ that defines the first object at fault (a pipeline.Located error).
type policyError struct {
	msg, file string
	line      int
}

func (e *policyError) Error() string           { return e.msg }
func (e *policyError) Location() (string, int) { return e.file, e.line }

// PolicyReport evaluates any rendered manifests with gator against the
// platform's policy; each namespace is taken as the platform labels a team
// namespace <team>-<environment> (the team from the objects' team label).
// Violations do not make it fail (Check does).
func (d *Deploy) PolicyReport(
	ctx context.Context,
	// Rendered Kubernetes manifests (multi-document YAML).
	manifests *dagger.File,
) (*PolicyReport, error) {
	name, err := manifests.Name(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: cannot read the manifests: %s", err.Error())
	}
	p, _, err := policyReport(ctx, d.GatorImage, manifests, "", "", name)
	return p, err
}

// Check fails when an object breaks a rule the platform enforces, naming
// every violation and its fix; it returns the report when none does.
func (p *PolicyReport) Check() (*PolicyReport, error) {
	if !p.Ok {
		return nil, fmt.Errorf("policy: %s", p.Problem)
	}
	return p, nil
}

// Policy returns the platform's policy this module evaluates: the
// Gatekeeper ConstraintTemplates, ExpansionTemplates and Constraints of
// policy/gatekeeper, compiled in. The cluster applies the same folder.
func (d *Deploy) Policy() (*dagger.Directory, error) {
	return policyDirectory()
}

// policyDirectory is policy/gatekeeper's templates, expansion and
// constraints as a directory.
func policyDirectory() (*dagger.Directory, error) {
	dir := dag.Directory()
	err := fs.WalkDir(gatekeeper.FS, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := fs.ReadFile(gatekeeper.FS, path)
		if err != nil {
			return err
		}
		dir = dir.WithNewFile(path, string(data))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy: cannot read the platform's policy: %s", err.Error())
	}
	return dir, nil
}

// policyReport evaluates manifests with gator (image), their namespaces
// labelled for team and environment (policy.Namespaces), what names them in the problem; it also returns the
// first object at fault (Kind/namespace/name), "" when none.
func policyReport(ctx context.Context, image string, manifests *dagger.File, team, environment, what string) (*PolicyReport, string, error) {
	data, err := manifests.Contents(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("policy: cannot read the manifests: %s", err.Error())
	}
	namespaces, err := policy.Namespaces([]byte(data), team, environment)
	if err != nil {
		return nil, "", fmt.Errorf("policy: %s", err.Error())
	}
	dir, err := policyDirectory()
	if err != nil {
		return nil, "", err
	}
	out, err := gator(ctx, image, dir, namespaces, manifests)
	if err != nil {
		return nil, "", err
	}
	res, err := policy.Evaluate([]byte(data), out)
	if err != nil {
		return nil, "", fmt.Errorf("policy: %s", err.Error())
	}
	blocking := res.Blocking()
	first := ""
	if len(blocking) > 0 {
		first = blocking[0].Object.String()
	}
	p := &PolicyReport{Ok: len(blocking) == 0, Summary: res.Markdown()}
	for _, v := range blocking {
		p.Violations = append(p.Violations, v.String())
	}
	for _, v := range res.Warnings() {
		p.Warnings = append(p.Warnings, v.String()+" ("+v.Action+")")
	}
	if !p.Ok {
		p.Problem = fmt.Sprintf("%d violation(s) in %s; fix them in k8s/ (or golden-path.yaml):\n%s",
			len(p.Violations), what, "- "+strings.Join(p.Violations, "\n- ")+"\n")
	}
	return p, first, nil
}

// gator runs `gator test -o json` on the policy dir, the namespaces and
// the manifests, and returns its JSON. gator exits 1 when a deny
// Constraint is violated (the JSON says which), and also when it cannot
// run: then its output is no JSON and the error is its message.
func gator(ctx context.Context, image string, dir *dagger.Directory, namespaces []byte, manifests *dagger.File) ([]byte, error) {
	ctr := dag.Container().From(image).
		WithDirectory("/policy", dir).
		WithNewFile("/release/namespaces.yaml", string(namespaces)).
		// Readable by gator's user whatever the mode of the file given (a caller's may be 0600).
		WithFile("/release/manifests.yaml", manifests, dagger.ContainerWithFileOpts{Permissions: 0o644}).
		WithExec([]string{"test", "--output=json", "--filename=/policy", "--filename=/release"},
			dagger.ContainerWithExecOpts{UseEntrypoint: true, Expect: dagger.ReturnTypeAny})
	code, err := ctr.ExitCode(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: gator (%s) did not run: %s", image, err.Error())
	}
	stdout, err := ctr.Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: cannot read gator's results: %s", err.Error())
	}
	if code == 0 || (code == 1 && strings.HasPrefix(strings.TrimSpace(stdout), "[")) {
		return []byte(stdout), nil
	}
	stderr, _ := ctr.Stderr(ctx)
	return nil, fmt.Errorf("policy: gator (%s) failed (exit %d): %s; the platform's policy or the manifests are not what gator can read, tell the platform team",
		image, code, strings.TrimSpace(stderr+" "+stdout))
}
