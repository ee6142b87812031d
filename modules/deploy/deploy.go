package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/policy"
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
	// The release's revision (its record is <service>.release.v<revision>).
	Revision int
	// The URL the smoke test called last.
	SmokeUrl string
	// What happened: e.g. "3/3 pods ready, smoke test passed".
	Result string
	// The revision that served before this one (0: none).
	Previous int
	// From the commit's time (Render's --commit-time) to verified live, e.g. 14m3s; empty when not known.
	LeadTime string
	// Whether the release served already: applied again as recorded and verified, no new revision (a re-run).
	Unchanged bool
	// All of the above as one JSON object (a rollout.Outcome of the golden-path pipeline): each query runs the
	// deploy again, so a caller that needs several fields reads this one.
	Outcome dagger.JSON
}

// Deploy applies the release to the cluster (server-side apply, one field
// manager), waits for the rollout, then smoke-tests the live service through
// the API server. Every deploy keeps a release record in the namespace (a
// ConfigMap <service>.release.v<N>: the manifests it applied, image, commit,
// run, times, status; the last 10 are kept). A release is a unit: when the
// rollout times out, the smoke test fails or the cluster fails while they
// run, the release that served before is applied again as its record has it
// and the objects the failed release added are removed; a first release
// that fails removes its objects (and the namespace it created, when that
// holds nothing else). Deploy then fails with the reason, the failing pods'
// events and last log lines, and what was put back. A release that
// succeeds removes the objects of the previous one that it no longer has.
// A release the same as the one that serves (a re-run of its commit) is
// applied again as recorded and verified, with no new revision.
// Deploys of one service are serialized by a Lease in its namespace,
// renewed while the deploy runs (a killed run's lock frees itself a minute
// after its last renewal). Every query deploys (a side effect is never
// answered from a cache): read one field, Outcome when you need several.
// +cache="never"
func (r *Release) Deploy(
	ctx context.Context,
	// Kubeconfig of the cluster, with its credential in the file (kubectl runs in a container with no exec plugin such as kubelogin: for AKS, an Entra ID token in place of the exec, as the template's workflow writes it).
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
	d, err := start(ctx, r, kubeconfig, kubeApi, runId, timeout)
	if err != nil {
		return nil, err
	}
	res, err := d.deploy(ctx, smokePath)
	if err != nil {
		return nil, stageError("deploy", err)
	}
	return res, nil
}

// start begins a deploy (or a rollback) of r: connected to the cluster, identified by runId (a
// run-<time> of its own when empty).
func start(ctx context.Context, r *Release, kubeconfig *dagger.Secret, kubeApi *dagger.Service, runId string, timeout int) (*deployment, error) {
	run := runId
	if run == "" {
		run = "run-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	k, err := connect(ctx, r.KubectlImage, kubeconfig, kubeApi, run)
	if err != nil {
		return nil, err
	}
	return &deployment{k: k, r: r, run: run, timeout: time.Duration(timeout) * time.Second, now: time.Now}, nil
}

// connect returns kubectl for the kubeconfig's cluster.
func connect(ctx context.Context, image string, kubeconfig *dagger.Secret, kubeApi *dagger.Service, run string) (*kubectl, error) {
	// Every kubectl step of this deploy is its own exec: GP_DEPLOY (unique per
	// deploy, whatever the run id) and GP_STEP keep the engine from answering a
	// step that changes the cluster from the cache of an earlier deploy.
	ctr := dag.Container().From(image).
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
	// Whether the cluster is reachable and takes the credentials, the first read says (an explained ClusterError).
	return k, nil
}

// deployment is one Deploy of a release.
type deployment struct {
	k       *kubectl
	r       *Release
	run     string
	timeout time.Duration
	now     func() time.Time
}

// Where kubectl finds a release record and the manifests of the release a
// rollback puts back.
const (
	recordPath   = "/gp/record.json"
	previousPath = "/gp/previous.yaml"
	statusPath   = "/gp/status.json"
)

func (d *deployment) deploy(ctx context.Context, smokePath string) (*Rollout, error) {
	ns, name := d.r.Namespace, d.r.Service
	nsExists, err := d.namespaceExists(ctx)
	if err != nil {
		return nil, err
	}
	manifests, err := d.r.Manifests.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("deploy: cannot read the rendered manifests: %s", err.Error())
	}
	annotated, err := rollout.Annotate([]byte(manifests), name, d.annotations())
	if err != nil {
		return nil, err
	}
	inventory, err := rollout.Inventory(annotated)
	if err != nil {
		return nil, err
	}
	// The manifests reach kubectl as a mounted file: as stdin they would be a call argument, which the progress
	// output prints in full.
	if err := d.mount(ctx, releasePath, annotated); err != nil {
		return nil, err
	}
	// Created by this deploy (a run that finds it created by another leaves it alone).
	createdNS := false
	if !nsExists {
		_, err := d.k.run(ctx, "create the namespace "+ns, "", "create", "namespace", ns)
		if err != nil && !strings.Contains(err.Error(), "AlreadyExists") {
			return nil, err
		}
		createdNS = err == nil
	}
	ctx, unlock, records, err := d.holdRecords(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	current := rollout.Current(records)
	if current != nil && d.unchanged(current, annotated) {
		return d.reverify(ctx, current, smokePath)
	}
	// What this release adds to what the service owns must not be another's: applied under golden-path's field
	// manager, it would be taken over without a conflict. (A namespace this deploy created holds nothing yet.)
	if fresh := rollout.Missing(inventory, rollout.Owned(records)); len(fresh) > 0 && !createdNS {
		if err := d.refuseClaimed(ctx, fresh); err != nil {
			return nil, err
		}
	}
	// The API server validates every object before any is applied, so a
	// refused object changes nothing.
	if err := d.apply(ctx, "validate the manifests (server-side dry run)", "--dry-run=server", "-f", releasePath); err != nil {
		if createdNS {
			d.removeNamespace(ctx, inventory)
		}
		return nil, err
	}
	rec := rollout.Record{
		Service: name, Namespace: ns, Revision: rollout.NextRevision(records), Image: d.r.Image, Commit: d.r.Commit,
		Environment: d.r.Environment, Run: d.run, Inventory: inventory, HealthPaths: d.r.HealthPaths, SmokePath: smokePath,
	}
	if d.r.CommitTime != "" {
		rec.CommitTime, _ = time.Parse(time.RFC3339, d.r.CommitTime) // Render checked it
	}
	// Without a record of what serves, the objects of this release that exist already are not this deploy's to
	// remove if it fails.
	var existed []rollout.ObjectRef
	if current == nil {
		if existed, err = d.existing(ctx); err != nil {
			return nil, err
		}
	} else {
		rec.Previous = current.Revision
	}
	rec.Started = d.now().UTC()
	cm, err := rec.ConfigMap(annotated)
	if err != nil {
		return nil, fmt.Errorf("deploy: %s", err.Error())
	}
	if err := d.mount(ctx, recordPath, cm); err != nil {
		return nil, err
	}
	// The release's record goes in the same request.
	if err := d.apply(ctx, "apply the manifests", "-f", releasePath, "-f", recordPath); err != nil {
		return nil, err
	}

	res := &Rollout{Namespace: ns, Deployment: name, Image: d.r.Image, Revision: rec.Revision, Previous: rec.Previous}
	failure := d.verify(ctx, res, smokePath)
	if errors.Is(context.Cause(ctx), errLockLost) {
		return nil, errLockLost
	}
	if failure != nil {
		return nil, d.rollback(ctx, rec, records, existed, createdNS, failure)
	}
	finished := d.now().UTC()
	if !rec.CommitTime.IsZero() {
		res.LeadTime = finished.Sub(rec.CommitTime).Round(time.Second).String()
		res.Result += "; lead time " + res.LeadTime + " from commit to verified"
	}
	updates := append(unfinished(records, finished), rollout.StatusUpdate{Revision: rec.Revision, Status: rollout.StatusDeployed, Finished: finished})
	if current != nil {
		updates = append(updates, rollout.StatusUpdate{Revision: current.Revision, Status: rollout.StatusSuperseded,
			Finished: current.Finished, Message: fmt.Sprintf("replaced by revision %d", rec.Revision)})
	}
	// What the previous release had and this one has not goes: the release is whole, not the sum of all.
	if gone := rollout.Missing(rollout.Owned(records), inventory); len(gone) > 0 {
		if err := d.remove(ctx, gone); err != nil {
			res.Result += fmt.Sprintf("; %d object(s) of revision %d that this release no longer has could not be removed: %s",
				len(gone), rec.Previous, err.Error())
		} else {
			res.Result += fmt.Sprintf("; removed %s of revision %d", refList(gone), rec.Previous)
		}
	}
	if err := d.setStatus(ctx, updates...); err != nil {
		res.Result += "; the release record's status could not be set: " + err.Error()
	}
	d.expire(ctx, records)
	return res.withOutcome()
}

// hold takes the service's deploy lock and keeps it renewed until unlock;
// the context it returns is cancelled (errLockLost) if the lock is lost.
func (d *deployment) hold(ctx context.Context) (context.Context, func(), error) {
	lock := &deployLock{
		api:       kubectlLeases{k: d.k, namespace: d.r.Namespace, service: d.r.Service},
		namespace: d.r.Namespace, service: d.r.Service, holder: d.run,
		now: d.now, sleep: sleepCtx, poll: 3 * time.Second,
	}
	if err := lock.acquire(ctx, d.timeout+5*time.Minute); err != nil {
		return nil, nil, err
	}
	held, cancel := context.WithCancelCause(ctx)
	lock.keep(held, cancel)
	return held, func() {
		cancel(nil)
		lock.release(ctx)
	}, nil
}

// unchanged says whether the release that serves applied the same manifests
// as this one (the run's own annotations aside): then there is nothing to
// apply.
func (d *deployment) unchanged(current *rollout.StoredRecord, annotated []byte) bool {
	again, err := rollout.Annotate(current.Manifests, d.r.Service, d.annotations())
	return err == nil && bytes.Equal(again, annotated)
}

// annotations are what the pipeline puts on the release's Deployment.
func (d *deployment) annotations() map[string]string {
	return map[string]string{
		rollout.AnnotationCommit:      d.r.Commit,
		rollout.AnnotationRun:         d.run,
		rollout.AnnotationChangeCause: "golden-path: commit " + d.r.Commit + " (" + d.run + ")",
	}
}

// reverify checks the release that serves, unchanged: it is applied again as
// its record has it (which takes back any hand edit since, and changes
// nothing else: no new pods, no new record), then its rollout and smoke
// test run. When it is not healthy there is nothing to roll back to: the
// error says so.
func (d *deployment) reverify(ctx context.Context, current *rollout.StoredRecord, smokePath string) (*Rollout, error) {
	res := &Rollout{Namespace: d.r.Namespace, Deployment: d.r.Service, Image: current.Image,
		Revision: current.Revision, Previous: current.Previous, Unchanged: true}
	if err := d.mount(ctx, previousPath, current.Manifests); err != nil {
		return nil, err
	}
	if err := d.apply(ctx, fmt.Sprintf("apply revision %d again", current.Revision), "-f", previousPath); err != nil {
		return nil, err
	}
	if err := d.verify(ctx, res, smokePath); err != nil {
		return nil, &releaseError{fmt.Sprintf("deploy: %s in %s is unchanged since revision %d (commit %s), which serves, but it is not healthy: %s\n%s"+
			"There is nothing to roll back to. Fix the service and ship again.", d.r.Service, d.r.Namespace, current.Revision, current.Commit,
			err.Error(), d.diagnosis(ctx)), fmt.Sprintf("unchanged since revision %d, which is not healthy", current.Revision)}
	}
	res.Result = fmt.Sprintf("unchanged since revision %d (applied again as recorded); %s", current.Revision, res.Result)
	return res.withOutcome()
}

// unfinished marks failed the releases whose deploy died before their verdict.
func unfinished(records []rollout.StoredRecord, now time.Time) []rollout.StatusUpdate {
	var out []rollout.StatusUpdate
	for _, r := range rollout.Unfinished(records) {
		out = append(out, rollout.StatusUpdate{Revision: r.Revision, Status: rollout.StatusFailed, Finished: now,
			Message: "its deploy ended before it was verified (cancelled or killed)"})
	}
	return out
}

// holdRecords takes the deploy lock (hold), then reads the release records
// under it: what serves now, that no other run changes until unlock.
func (d *deployment) holdRecords(ctx context.Context) (context.Context, func(), []rollout.StoredRecord, error) {
	held, unlock, err := d.hold(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	records, err := d.records(held)
	if err != nil {
		unlock()
		return nil, nil, nil, err
	}
	return held, unlock, records, nil
}

// apply server-side applies files (kubectl arguments: -f PATH …, and
// options such as --dry-run=server) as the one field manager golden-path,
// which takes back fields that a rollback or a hand edit changed since.
func (d *deployment) apply(ctx context.Context, action string, args ...string) error {
	_, err := d.k.run(ctx, action, "", append([]string{"apply", "--server-side", "--field-manager=golden-path", "--force-conflicts"}, args...)...)
	return err
}

// mount writes data to a file of the kubectl container at path.
func (d *deployment) mount(ctx context.Context, path string, data []byte) error {
	f, err := workdirFile(ctx, strings.TrimPrefix(path, "/gp/"), data)
	if err != nil {
		return fmt.Errorf("deploy: %s", err.Error())
	}
	d.k.ctr = d.k.ctr.WithMountedFile(path, f)
	return nil
}

// namespaceExists says whether the release's namespace exists.
func (d *deployment) namespaceExists(ctx context.Context) (bool, error) {
	_, stderr, code, err := d.k.try(ctx, "", "get", "namespace", d.r.Namespace, "-o", "name")
	if err != nil {
		return false, err
	}
	if code != 0 && !strings.Contains(stderr, "NotFound") {
		return false, rollout.Classify("read the namespace "+d.r.Namespace, d.k.server, stderr)
	}
	return code == 0, nil
}

// records reads the service's release records.
func (d *deployment) records(ctx context.Context) ([]rollout.StoredRecord, error) {
	out, err := d.k.run(ctx, "read the release records", "", "get", "configmaps", "-n", d.r.Namespace,
		"-l", rollout.LabelReleaseOf+"="+d.r.Service, "-o", "json")
	if err != nil {
		return nil, err
	}
	return rollout.ParseRecords([]byte(out), d.r.Service)
}

// refuseClaimed reads the objects of refs that exist and fails, naming each
// and its owner, when one is not this service's (rollout.Claimed).
func (d *deployment) refuseClaimed(ctx context.Context, refs []rollout.ObjectRef) error {
	args := []string{"get", "-n", d.r.Namespace, "--ignore-not-found", "--show-managed-fields", "-o", "json"}
	for _, r := range refs {
		args = append(args, r.String())
	}
	out, err := d.k.run(ctx, "read who owns the objects this release adds", "", args...)
	if err != nil {
		return err
	}
	claims, err := rollout.Claimed([]byte(out), d.r.team(), d.r.Service)
	if err != nil {
		return err
	}
	if len(claims) > 0 {
		return fmt.Errorf("deploy: %w", &rollout.ClaimedError{Namespace: d.r.Namespace, Service: d.r.Service, Claims: claims})
	}
	return nil
}

// team is the team the release's labels name.
func (r *Release) team() string {
	for _, l := range r.Labels {
		if v, ok := strings.CutPrefix(l, policy.LabelTeam+"="); ok {
			return v
		}
	}
	return ""
}

// existing lists the objects of the release that exist before it is applied.
func (d *deployment) existing(ctx context.Context) ([]rollout.ObjectRef, error) {
	out, err := d.k.run(ctx, "read the objects of the release that exist", "", "get", "-f", releasePath,
		"--ignore-not-found", "-o", "json")
	if err != nil {
		return nil, err
	}
	return rollout.Objects([]byte(out))
}

// remove deletes objects of the namespace (only ones this service's records own).
func (d *deployment) remove(ctx context.Context, refs []rollout.ObjectRef) error {
	args := []string{"delete", "-n", d.r.Namespace, "--ignore-not-found", "--wait=false"}
	for _, r := range refs {
		args = append(args, r.String())
	}
	_, err := d.k.run(ctx, "remove "+refList(refs), "", args...)
	return err
}

// setStatus sets the status of release records.
func (d *deployment) setStatus(ctx context.Context, updates ...rollout.StatusUpdate) error {
	patch, err := rollout.StatusPatch(d.r.Namespace, d.r.Service, updates...)
	if err != nil {
		return err
	}
	if err := d.mount(ctx, statusPath, patch); err != nil {
		return err
	}
	_, err = d.k.run(ctx, "set the release records' status", "", "apply", "--server-side",
		"--field-manager="+rollout.StatusFieldManager, "--force-conflicts", "-f", statusPath)
	return err
}

// expire deletes the records beyond the history kept; a failure only keeps them longer.
func (d *deployment) expire(ctx context.Context, records []rollout.StoredRecord) {
	// records was read before this release's: one more is kept.
	old := rollout.Beyond(records)
	if len(old) == 0 {
		return
	}
	args := []string{"delete", "configmaps", "-n", d.r.Namespace, "--ignore-not-found"}
	for _, r := range old {
		args = append(args, rollout.RecordName(d.r.Service, r.Revision))
	}
	d.k.try(ctx, "", args...)
}

// removeNamespace deletes the namespace this deploy created when it holds
// nothing but what this release put there: a sibling service's objects,
// records or deploy lock keep it.
func (d *deployment) removeNamespace(ctx context.Context, inventory []rollout.ObjectRef) string {
	ns := d.r.Namespace
	out, err := d.k.run(ctx, "list the namespace's objects", "", "get",
		"deployments,services,configmaps,serviceaccounts,ingresses,networkpolicies,leases", "-n", ns, "-o", "json")
	if err != nil {
		return fmt.Sprintf("The namespace %s, which this deploy created, was kept: its objects could not be listed (%s).", ns, firstLine(err.Error()))
	}
	others, err := rollout.Others([]byte(out), d.r.Service, inventory)
	if err != nil {
		return fmt.Sprintf("The namespace %s, which this deploy created, was kept: %s.", ns, err.Error())
	}
	if len(others) > 0 {
		return fmt.Sprintf("The namespace %s, which this deploy created, was kept: it holds other objects now (%s).", ns, strings.Join(others, ", "))
	}
	if _, err := d.k.run(ctx, "delete the namespace "+ns, "", "delete", "namespace", ns, "--ignore-not-found", "--wait=false"); err != nil {
		return fmt.Sprintf("The namespace %s, which this deploy created, could not be removed: %s", ns, firstLine(err.Error()))
	}
	return fmt.Sprintf("The namespace %s, which this deploy created and which holds nothing else, was removed.", ns)
}

// rollback puts back the release that served before a failed one, whole,
// and returns the error that fails the pipeline: the reason, the failing
// pods' events and last log lines, and what was restored.
func (d *deployment) rollback(ctx context.Context, rec rollout.Record, records []rollout.StoredRecord, existed []rollout.ObjectRef,
	createdNS bool, failure error) error {
	ns, name := d.r.Namespace, d.r.Service
	current := rollout.Current(records)
	var b strings.Builder
	fmt.Fprintf(&b, "deploy: %s@%s in %s (revision %d) failed: %s\n", name, shortDigest(d.r.Image), ns, rec.Revision, failure.Error())
	b.WriteString(d.diagnosis(ctx))
	var ce *rollout.ClusterError
	if errors.As(failure, &ce) && ce.Kind != rollout.Failed {
		b.WriteString("The cluster, not the release, failed while it was verified: the rollback is tried all the same.\n")
	}
	failed := func(msg string) {
		now := d.now().UTC()
		updates := append(unfinished(records, now), rollout.StatusUpdate{Revision: rec.Revision, Status: rollout.StatusFailed, Finished: now, Message: msg})
		if err := d.setStatus(ctx, updates...); err != nil {
			fmt.Fprintf(&b, "The release record %s could not be marked failed: %s\n", rollout.RecordName(name, rec.Revision), firstLine(err.Error()))
		}
	}
	const fix = "Fix the service (see the events and logs above) and ship again."
	reason := firstLine(failure.Error())
	if current != nil {
		// The previous release, applied again as it was, takes back every field this one changed; what this one
		// added goes.
		if err := d.mount(ctx, previousPath, current.Manifests); err != nil {
			return &releaseError{b.String() + "The rollback could not start: " + err.Error(), fmt.Sprintf("revision %d failed; the rollback could not start", rec.Revision)}
		}
		if err := d.apply(ctx, fmt.Sprintf("put back revision %d", current.Revision), "-f", previousPath); err != nil {
			fmt.Fprintf(&b, "The rollback to revision %d failed: revision %d is still applied.\n%s\n", current.Revision, rec.Revision, err.Error())
			failed(reason + " (rollback failed)")
			return &releaseError{b.String() + fmt.Sprintf("When the cluster answers, ship commit %s (revision %d) again to put it back, or ship a fix.",
				current.Commit, current.Revision), fmt.Sprintf("revision %d failed; the rollback to revision %d failed: revision %d is still applied", rec.Revision, current.Revision, rec.Revision)}
		}
		added := rollout.Missing(append(rollout.Owned(records), rec.Inventory...), current.Inventory)
		if len(added) > 0 {
			if err := d.remove(ctx, added); err != nil {
				fmt.Fprintf(&b, "The objects this release added could not be removed (%s): %s\n", refList(added), firstLine(err.Error()))
			}
		}
		failed(reason)
		_, stderr, code, err := d.k.try(ctx, "", "rollout", "status", "deployment/"+name, "-n", ns,
			fmt.Sprintf("--timeout=%ds", int(d.timeout.Seconds())))
		what := fmt.Sprintf("Rolled back to revision %d (commit %s, image %s): its %d objects were put back as they were",
			current.Revision, current.Commit, current.Image, len(current.Inventory))
		if len(added) > 0 {
			what += fmt.Sprintf(" and the %d this release added were removed (%s)", len(added), refList(added))
		}
		detail := fmt.Sprintf("revision %d failed; rolled back to revision %d (%s)", rec.Revision, current.Revision, shortDigest(current.Image))
		if err != nil || code != 0 {
			fmt.Fprintf(&b, "%s, but it is not healthy either: %s\n", what, strings.TrimSpace(stderr))
			detail += ", not healthy either"
		} else {
			fmt.Fprintf(&b, "%s; it is healthy and serving again.\n", what)
			detail += ", serving again"
		}
		return &releaseError{b.String() + fix, detail}
	}
	// No record of what served before: what this release created goes; what existed stays as it was applied.
	created := rollout.Missing(rec.Inventory, existed)
	if len(created) > 0 {
		if err := d.remove(ctx, created); err != nil {
			fmt.Fprintf(&b, "The objects this release created could not be removed (%s): %s\n", refList(created), firstLine(err.Error()))
		}
	}
	if slices.ContainsFunc(existed, func(o rollout.ObjectRef) bool { return o.Kind == "Deployment" && o.Name == name }) {
		// Deployed before release records were kept: only the Deployment knows what ran before.
		failed(reason)
		if _, err := d.k.run(ctx, "roll back the Deployment", "", "rollout", "undo", "deployment/"+name, "-n", ns); err != nil {
			return &releaseError{b.String() + "The rollback failed too: " + err.Error(), fmt.Sprintf("revision %d failed; the Deployment's rollback failed", rec.Revision)}
		}
		fmt.Fprintf(&b, "There is no release record of what served before (it was deployed before golden-path kept them): the Deployment "+
			"was rolled back to its previous revision, the objects this release created were removed (%s), and the %d that existed "+
			"before stay as this release applied them.\n", refList(created), len(existed)-1)
		return &releaseError{b.String() + fix, fmt.Sprintf("revision %d failed; the Deployment was rolled back (no record of the release before)", rec.Revision)}
	}
	fmt.Fprintf(&b, "There was no previous release to roll back to: the objects of this release were removed (%s).\n", refList(created))
	failed(reason)
	if createdNS {
		b.WriteString(d.removeNamespace(ctx, rec.Inventory) + "\n")
	}
	return &releaseError{b.String() + fix, fmt.Sprintf("revision %d failed; its objects were removed (no previous release)", rec.Revision)}
}

// refList names objects for a message: Kind/name, comma-separated.
func refList(refs []rollout.ObjectRef) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Kind + "/" + r.Name
	}
	return strings.Join(names, ", ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// withOutcome sets r.Outcome from its fields.
func (r *Rollout) withOutcome() (*Rollout, error) {
	data, err := json.Marshal(rollout.Outcome{
		Namespace: r.Namespace, Deployment: r.Deployment, Image: r.Image, Revision: r.Revision, SmokeURL: r.SmokeUrl, Result: r.Result,
		Previous: r.Previous, LeadTime: r.LeadTime, Unchanged: r.Unchanged,
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
