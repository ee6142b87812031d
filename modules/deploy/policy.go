package main

import (
	"context"
	"fmt"
	"strings"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/policy"
)

// PolicyReport is what the policy check found in rendered manifests.
type PolicyReport struct {
	// Whether every object passes every rule.
	Ok bool
	// Each violation: rule, object, container, field, problem and fix.
	Violations []string
	// Why the gate fails, counting the violations and naming each with its fix; empty when Ok.
	Problem string
	// Markdown: the rules and every violation with its fix.
	Summary string
}

// PolicyReport checks the release's manifests against the platform's rules
// (the ones the cluster enforces with Gatekeeper): no privileged containers,
// required labels, resource requests and limits, runAsNonRoot, images by
// digest, liveness and readiness probes. Every violation is listed;
// violations do not make it fail (Check does).
func (r *Release) PolicyReport(ctx context.Context) (*PolicyReport, error) {
	p, _, err := policyReport(ctx, r.Manifests, "the "+r.Environment+" manifests")
	return p, err
}

// Check fails when the release's manifests break a rule of the platform,
// naming every violation and its fix, at the file and line of k8s/ that
// defines the first object at fault; it returns the release when they pass.
func (r *Release) Check(ctx context.Context) (*Release, error) {
	p, first, err := policyReport(ctx, r.Manifests, "the "+r.Environment+" manifests")
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

// PolicyReport checks any rendered manifests against the platform's rules;
// violations do not make it fail (Check does).
func (d *Deploy) PolicyReport(
	ctx context.Context,
	// Rendered Kubernetes manifests (multi-document YAML).
	manifests *dagger.File,
) (*PolicyReport, error) {
	name, err := manifests.Name(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: cannot read the manifests: %s", err.Error())
	}
	p, _, err := policyReport(ctx, manifests, name)
	return p, err
}

// Check fails when an object breaks a rule, naming every violation and its
// fix; it returns the report when none does.
func (p *PolicyReport) Check() (*PolicyReport, error) {
	if !p.Ok {
		return nil, fmt.Errorf("policy: %s", p.Problem)
	}
	return p, nil
}

// policyReport checks manifests, what names them in the problem; it also
// returns the first object at fault (Kind/namespace/name), "" when none.
func policyReport(ctx context.Context, manifests *dagger.File, what string) (*PolicyReport, string, error) {
	data, err := manifests.Contents(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("policy: cannot read the manifests: %s", err.Error())
	}
	res, err := policy.Check([]byte(data))
	if err != nil {
		return nil, "", fmt.Errorf("policy: %s", err.Error())
	}
	first := ""
	if len(res.Violations) > 0 {
		first = res.Violations[0].Object.String()
	}
	p := &PolicyReport{Ok: len(res.Violations) == 0, Summary: res.Markdown()}
	for _, v := range res.Violations {
		p.Violations = append(p.Violations, v.String())
	}
	if !p.Ok {
		p.Problem = fmt.Sprintf("%d violation(s) in %s; fix them in k8s/ (or golden-path.yaml):\n%s",
			len(p.Violations), what, "- "+strings.Join(p.Violations, "\n- ")+"\n")
	}
	return p, first, nil
}

// Constraints returns the platform's rules as Gatekeeper Constraints (for
// the gatekeeper-library templates), to enforce in the cluster what the
// pipeline checks.
func (d *Deploy) Constraints(
	ctx context.Context,
	// What the cluster does on a violation: deny, dryrun or warn.
	// +optional
	// +default="deny"
	enforcementAction string,
) (*dagger.File, error) {
	data, err := policy.Constraints(policy.WithEnforcementAction(enforcementAction))
	if err != nil {
		return nil, err
	}
	return workdirFile(ctx, "constraints.yaml", data)
}
