package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// Rollout is a release applied to a cluster and verified.
type Rollout struct {
	// The namespace the release was applied to.
	Namespace string
	// The service's Deployment.
	Deployment string
	// The image now serving, by digest.
	Image string
	// The Deployment's revision after the rollout.
	Revision string
	// The URL the smoke test called last.
	SmokeUrl string
	// What happened: e.g. "3/3 pods ready, smoke test passed".
	Result string
	// All of the above as one JSON object (a rollout.Outcome of the golden-path pipeline): each query runs the
	// deploy again, so a caller that needs several fields reads this one.
	Outcome dagger.JSON
}

// Deploy applies the release to the cluster (server-side apply, one field
// manager), waits for the rollout, then smoke-tests the live service through
// the API server. When the rollout times out or the smoke test fails, the
// previous revision is restored and waited for, and Deploy fails with the
// reason, the failing pods' events and their last log lines. Deploys of one
// service are serialized by a Lease in its namespace, renewed while the deploy
// runs (a killed run's lock frees itself a minute after its last renewal).
// Every query deploys (a
// side effect is never answered from a cache): read one field, Outcome when
// you need several.
// +cache="never"
func (r *Release) Deploy(
	ctx context.Context,
	// Kubeconfig of the cluster (for AKS: az aks get-credentials, then kubelogin convert-kubeconfig -l workloadidentity in GitHub Actions).
	kubeconfig *dagger.Secret,
	// A service reaching the API server when it is on the caller's loopback, e.g. tcp://localhost:6443; it is
	// bound as host "kube-api", the server name the kubeconfig must use.
	// +optional
	kubeApi *dagger.Service,
	// Identifies this pipeline run in the Deployment's annotations, e.g. a GitHub Actions run URL.
	// +optional
	runId string,
	// How long the rollout may take, in seconds, before it is rolled back.
	// +optional
	// +default=180
	timeout int,
	// A request the smoke test makes after the health paths, e.g. /greet/smoke; it must answer 2xx.
	// +optional
	smokePath string,
) (*Rollout, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("deploy: --timeout %d: give the seconds the rollout may take before it is rolled back, more than 0 (default 180)", timeout)
	}
	run := runId
	if run == "" {
		run = "run-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	// Every kubectl step of this deploy is its own exec: GP_DEPLOY (unique per
	// deploy, whatever the run id) and GP_STEP keep the engine from answering a
	// step that changes the cluster from the cache of an earlier deploy.
	ctr := dag.Container().From(r.KubectlImage).
		WithMountedSecret("/gp/kubeconfig", kubeconfig).
		WithEnvVariable("KUBECONFIG", "/gp/kubeconfig").
		WithEnvVariable("GP_RUN", run).
		WithEnvVariable("GP_DEPLOY", strconv.FormatInt(time.Now().UnixNano(), 36))
	if kubeApi != nil {
		ctr = ctr.WithServiceBinding("kube-api", kubeApi)
	}
	k := &kubectl{ctr: ctr}
	server, _, _, err := k.try(ctx, "", "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	if err != nil {
		return nil, err
	}
	k.server = strings.TrimSpace(server)
	if k.server == "" {
		return nil, fmt.Errorf("deploy: the kubeconfig has no current cluster: pass a kubeconfig whose current-context names a cluster")
	}
	// Reachable and authenticated, before anything changes.
	if _, err := k.run(ctx, "read the cluster's version", "", "version", "-o", "json", "--request-timeout=20s"); err != nil {
		return nil, err
	}
	d := &deployment{k: k, r: r, run: run, timeout: time.Duration(timeout) * time.Second}
	return d.deploy(ctx, smokePath)
}

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
	lock := &deployLock{
		api:       kubectlLeases{k: d.k, namespace: ns, service: name},
		namespace: ns, service: name, holder: d.run,
		now: time.Now, sleep: sleepCtx, poll: 3 * time.Second,
	}
	if err := lock.acquire(ctx, d.timeout+5*time.Minute); err != nil {
		return nil, err
	}
	defer lock.release(ctx)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock.keep(ctx, cancel)
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
	if errors.Is(context.Cause(ctx), errLockLost) {
		return nil, errLockLost
	}
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

func shortDigest(ref string) string {
	if i := strings.Index(ref, "@sha256:"); i >= 0 && len(ref) >= i+8+12 {
		return ref[i+8 : i+8+12]
	}
	return ref
}
