package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// releasePath is where kubectl finds the release's manifests.
const releasePath = "/gp/release.yaml"

// deployment is one Deploy of a release.
type deployment struct {
	k       *kubectl
	r       *Release
	run     string
	timeout time.Duration
}

// previous is the Deployment as it was before this deploy.
type previous struct {
	exists    bool
	revision  string
	image     string
	namespace bool // the namespace existed
}

func (d *deployment) deploy(ctx context.Context, smokePath string) (*Rollout, error) {
	ns, name := d.r.Namespace, d.r.Service
	prev, err := d.before(ctx)
	if err != nil {
		return nil, err
	}
	manifests, err := d.r.Manifests.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("deploy: cannot read the rendered manifests: %s", err.Error())
	}
	annotated, err := rollout.Annotate([]byte(manifests), name, map[string]string{
		rollout.AnnotationCommit:      d.r.Commit,
		rollout.AnnotationRun:         d.run,
		rollout.AnnotationChangeCause: "golden-path: commit " + d.r.Commit + " (" + d.run + ")",
	})
	if err != nil {
		return nil, err
	}
	// The manifests reach kubectl as a mounted file: as stdin they would be a call argument, which the progress
	// output prints in full.
	release, err := workdirFile(ctx, "release.yaml", annotated)
	if err != nil {
		return nil, fmt.Errorf("deploy: %s", err.Error())
	}
	d.k.ctr = d.k.ctr.WithMountedFile(releasePath, release)
	createdNS := !prev.namespace
	if createdNS {
		if _, err := d.k.run(ctx, "create the namespace "+ns, "", "create", "namespace", ns); err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
			return nil, err
		}
	}
	// The API server validates every object before any is applied, so a
	// refused object changes nothing.
	if _, err := d.k.run(ctx, "validate the manifests (server-side dry run)", "",
		"apply", "--server-side", "--dry-run=server", "--field-manager=golden-path", "--force-conflicts", "-f", releasePath); err != nil {
		if createdNS {
			d.k.try(ctx, "", "delete", "namespace", ns, "--ignore-not-found", "--wait=false")
		}
		return nil, err
	}
	unlock, err := d.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Read again under the lock: another run may have deployed meanwhile.
	if prev, err = d.before(ctx); err != nil {
		return nil, err
	}
	prev.namespace = prev.namespace && !createdNS // ours to remove if this deploy fails
	// One field manager, golden-path, owns what the pipeline sets; it takes
	// back fields that a `rollout undo` or a hand edit changed since.
	if _, err := d.k.run(ctx, "apply the manifests", "",
		"apply", "--server-side", "--field-manager=golden-path", "--force-conflicts", "-f", releasePath); err != nil {
		return nil, err
	}

	res := &Rollout{Namespace: ns, Deployment: name, Image: d.r.Image}
	failure := d.verify(ctx, res, smokePath)
	if failure == nil {
		res.Revision, _ = d.revision(ctx)
		return res.withOutcome()
	}
	return nil, d.rollback(ctx, prev, failure)
}

// before reads the namespace and the Deployment as they are.
func (d *deployment) before(ctx context.Context) (previous, error) {
	var p previous
	_, stderr, code, err := d.k.try(ctx, "", "get", "namespace", d.r.Namespace, "-o", "name")
	if err != nil {
		return p, err
	}
	if code != 0 && !strings.Contains(stderr, "NotFound") {
		return p, rollout.Classify("read the namespace "+d.r.Namespace, d.k.server, stderr)
	}
	p.namespace = code == 0
	if !p.namespace {
		return p, nil
	}
	out, stderr, code, err := d.k.try(ctx, "", "get", "deployment", d.r.Service, "-n", d.r.Namespace, "-o", "json")
	if err != nil {
		return p, err
	}
	if code != 0 {
		if strings.Contains(stderr, "NotFound") {
			return p, nil
		}
		return p, rollout.Classify("read the Deployment "+d.r.Service, d.k.server, stderr)
	}
	var dep struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct{ Name, Image string } `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &dep); err != nil {
		return p, fmt.Errorf("deploy: cannot read the Deployment %s: %s", d.r.Service, err.Error())
	}
	p.exists, p.revision = true, dep.Metadata.Annotations["deployment.kubernetes.io/revision"]
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == "app" {
			p.image = c.Image
		}
	}
	return p, nil
}

// lock takes the service's deploy Lease, waiting while another live run
// holds it; a Lease past its duration belongs to a dead run and is taken.
func (d *deployment) lock(ctx context.Context) (func(), error) {
	ns, svc := d.r.Namespace, d.r.Service
	hold := d.timeout + 2*time.Minute
	deadline := time.Now().Add(d.timeout + 5*time.Minute)
	for {
		lease := rollout.Lease(ns, svc, d.run, time.Now(), hold)
		_, stderr, code, err := d.k.try(ctx, string(lease), "create", "-f", "-")
		if err != nil {
			return nil, err
		}
		if code == 0 {
			break
		}
		if !strings.Contains(stderr, "AlreadyExists") {
			return nil, rollout.Classify("take the deploy lock (Lease "+rollout.LockName(svc)+")", d.k.server, stderr)
		}
		out, _, code, err := d.k.try(ctx, "", "get", "lease", rollout.LockName(svc), "-n", ns, "-o", "json")
		if err != nil {
			return nil, err
		}
		if code == 0 {
			holder, expired, err := rollout.LeaseExpired([]byte(out), time.Now())
			if err != nil {
				return nil, err
			}
			if expired {
				d.k.try(ctx, "", "delete", "lease", rollout.LockName(svc), "-n", ns, "--ignore-not-found")
				continue
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("deploy: another pipeline run (%s) has been deploying %s in %s for too long; wait for it, or delete the Lease %s if it died",
					holder, svc, ns, rollout.LockName(svc))
			}
		}
		time.Sleep(3 * time.Second)
	}
	return func() {
		d.k.try(context.WithoutCancel(ctx), "", "delete", "lease", rollout.LockName(svc), "-n", ns, "--ignore-not-found")
	}, nil
}

// verify waits for the rollout and smoke-tests the service; it returns why
// the release is not healthy, or nil.
func (d *deployment) verify(ctx context.Context, res *Rollout, smokePath string) error {
	ns, name := d.r.Namespace, d.r.Service
	out, stderr, code, err := d.k.try(ctx, "", "rollout", "status", "deployment/"+name, "-n", ns,
		fmt.Sprintf("--timeout=%ds", int(d.timeout.Seconds())))
	if err != nil {
		return err
	}
	if code != 0 {
		if ce := rollout.Classify("wait for the rollout", d.k.server, stderr); ce.Kind != rollout.Failed {
			return ce
		}
		return fmt.Errorf("the rollout did not finish within %s: %s", d.timeout, strings.TrimSpace(stderr+out))
	}
	paths := append([]string{}, d.r.HealthPaths...)
	if smokePath != "" {
		paths = append(paths, smokePath)
	}
	for _, p := range paths {
		url, err := d.smoke(ctx, p)
		res.SmokeUrl = url
		if err != nil {
			return err
		}
	}
	res.Result = fmt.Sprintf("rolled out; smoke test passed (%s)", strings.Join(paths, ", "))
	return nil
}

// smoke calls path on the service through the API server's service proxy,
// retrying with backoff (1, 2, 4, 8 s) while it does not answer 2xx.
func (d *deployment) smoke(ctx context.Context, path string) (string, error) {
	raw := fmt.Sprintf("/api/v1/namespaces/%s/services/http:%s:http/proxy/%s", d.r.Namespace, d.r.Service, strings.TrimPrefix(path, "/"))
	url := d.k.server + raw
	wait := time.Second
	var last string
	for attempt := 1; attempt <= 5; attempt++ {
		_, stderr, code, err := d.k.try(ctx, "", "get", "--raw", raw, "--request-timeout=10s")
		if err != nil {
			return url, err
		}
		if code == 0 {
			return url, nil
		}
		last = strings.TrimSpace(stderr)
		if attempt < 5 {
			time.Sleep(wait)
			wait *= 2
		}
	}
	return url, fmt.Errorf("the smoke test GET %s failed 5 times: %s", path, last)
}

func (d *deployment) revision(ctx context.Context) (string, error) {
	out, err := d.k.run(ctx, "read the Deployment's revision", "", "get", "deployment", d.r.Service, "-n", d.r.Namespace,
		"-o", `jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}`)
	return strings.TrimSpace(out), err
}

// rollback puts back what was there before a failed release and returns
// the error that fails the pipeline: the reason, the failing pods' events
// and last log lines, and what was restored.
func (d *deployment) rollback(ctx context.Context, prev previous, failure error) error {
	ns, name := d.r.Namespace, d.r.Service
	var ce *rollout.ClusterError
	if errors.As(failure, &ce) && ce.Kind != rollout.Failed {
		return failure // the cluster, not the release, failed: nothing to roll back
	}
	var b strings.Builder
	fmt.Fprintf(&b, "deploy: %s@%s in %s failed: %s\n", name, shortDigest(d.r.Image), ns, failure.Error())
	b.WriteString(d.diagnosis(ctx))
	if !prev.exists {
		// Nothing to roll back to: remove what this deploy created.
		d.k.try(ctx, "", "delete", "-f", releasePath, "--ignore-not-found", "--wait=false")
		if !prev.namespace {
			d.k.try(ctx, "", "delete", "namespace", ns, "--ignore-not-found", "--wait=false")
			fmt.Fprintf(&b, "There was no previous revision to roll back to: the objects of this release and the namespace %s, which this deploy created, were removed.\n", ns)
		} else {
			fmt.Fprintf(&b, "There was no previous revision to roll back to: the objects of this release were removed from %s.\n", ns)
		}
		return errors.New(b.String() + "Fix the service (see the events and logs above) and ship again.")
	}
	args := []string{"rollout", "undo", "deployment/" + name, "-n", ns}
	if prev.revision != "" {
		args = append(args, "--to-revision="+prev.revision)
	}
	if _, err := d.k.run(ctx, "roll back to the previous revision", "", args...); err != nil {
		return errors.New(b.String() + "The rollback failed too: " + err.Error())
	}
	_, stderr, code, err := d.k.try(ctx, "", "rollout", "status", "deployment/"+name, "-n", ns,
		fmt.Sprintf("--timeout=%ds", int(d.timeout.Seconds())))
	if err != nil || code != 0 {
		fmt.Fprintf(&b, "Rolled back to revision %s (%s), but it is not healthy either: %s\n", prev.revision, prev.image, strings.TrimSpace(stderr))
	} else {
		fmt.Fprintf(&b, "Rolled back to the previous revision (%s, image %s): it is healthy and serving again.\n", prev.revision, prev.image)
	}
	return errors.New(b.String() + "Fix the service (see the events and logs above) and ship again.")
}

// diagnosis lists the release's pods that are not ready, their warning
// events and last log lines.
func (d *deployment) diagnosis(ctx context.Context) string {
	ns := d.r.Namespace
	sel := "app.kubernetes.io/name=" + d.r.Service
	pods, _, code, err := d.k.try(ctx, "", "get", "pods", "-n", ns, "-l", sel, "-o", "json")
	if err != nil || code != 0 {
		return ""
	}
	events, _, _, _ := d.k.try(ctx, "", "get", "events", "-n", ns, "-o", "json")
	problems, err := rollout.Diagnose([]byte(pods), []byte(events), 5)
	if err != nil || len(problems) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Failing pods:\n")
	for i, p := range problems {
		if i == 3 {
			fmt.Fprintf(&b, "… and %d more\n", len(problems)-3)
			break
		}
		b.WriteString("  " + p.String() + "\n")
		if logs := d.podLogs(ctx, p.Pod, ns); logs != "" {
			b.WriteString("    last log lines:\n      " + strings.ReplaceAll(logs, "\n", "\n      ") + "\n")
		}
	}
	return b.String()
}

// podLogs returns the last log lines of a pod's container: the previous one
// (the one that crashed) first, else the current one. While a crashed
// container is being replaced the kubelet answers "unable to retrieve
// container logs for …": that is no log, and both are asked again, three
// times at most, two seconds apart.
func (d *deployment) podLogs(ctx context.Context, pod, ns string) string {
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(2 * time.Second)
		}
		for _, which := range [][]string{{"--previous"}, nil} {
			out, _, code, _ := d.k.try(ctx, "", append([]string{"logs", pod, "-n", ns, "--tail=10"}, which...)...)
			out = strings.TrimSpace(out)
			if code == 0 && out != "" && !strings.HasPrefix(out, "unable to retrieve container logs") {
				return out
			}
		}
	}
	return ""
}

func shortDigest(ref string) string {
	if i := strings.Index(ref, "@sha256:"); i >= 0 && len(ref) >= i+8+12 {
		return ref[i+8 : i+8+12]
	}
	return ref
}

// withOutcome sets r.Outcome from its fields.
func (r *Rollout) withOutcome() (*Rollout, error) {
	data, err := json.Marshal(rollout.Outcome{
		Namespace: r.Namespace, Deployment: r.Deployment, Image: r.Image, Revision: r.Revision, SmokeURL: r.SmokeUrl, Result: r.Result,
	})
	if err != nil {
		return nil, fmt.Errorf("deploy: %s", err.Error())
	}
	r.Outcome = dagger.JSON(data)
	return r, nil
}
