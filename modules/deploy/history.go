package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dagger/deploy/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// History lists a service's releases in a namespace from their release
// records, newest first: revision, status, commit, image, when it started
// and ended, and why a release failed or what replaced it; as a markdown
// table.
// +cache="never"
func (d *Deploy) History(
	ctx context.Context,
	// Kubeconfig of the cluster.
	kubeconfig *dagger.Secret,
	// The namespace of the service's releases: <team>-<environment>.
	namespace string,
	// The service's name, as in golden-path.yaml.
	service string,
	// A service reaching the API server when it is on the caller's loopback, e.g. tcp://localhost:6443; it is
	// bound as host "kube-api", the server name the kubeconfig must use.
	// +optional
	kubeApi *dagger.Service,
) (string, error) {
	if namespace == "" || service == "" {
		return "", fmt.Errorf("history: give --namespace and --service (the namespace is <team>-<environment> of golden-path.yaml)")
	}
	k, err := connect(ctx, d.KubectlImage, kubeconfig, kubeApi, "history-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		return "", err
	}
	dep := &deployment{k: k, r: &Release{Namespace: namespace, Service: service}}
	records, err := dep.records(ctx)
	if err != nil {
		return "", err
	}
	if len(records) == 0 {
		return "", fmt.Errorf("history: %s has no release records in %s: check the namespace (<team>-<environment>) and the service's name", service, namespace)
	}
	return historyTable(records), nil
}

// historyTable is the records as a markdown table, newest first.
func historyTable(records []rollout.StoredRecord) string {
	var b strings.Builder
	b.WriteString("| revision | status | commit | image | started | finished | note |\n|---|---|---|---|---|---|---|\n")
	for i := len(records) - 1; i >= 0; i-- {
		r := records[i]
		note := r.Message
		if r.RollbackOf != 0 {
			note = strings.TrimSuffix(fmt.Sprintf("rollback to revision %d; %s", r.RollbackOf, note), "; ")
		}
		finished := ""
		if !r.Finished.IsZero() {
			finished = r.Finished.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s |\n", r.Revision, r.Status, rollout.ShortCommit(r.Commit), r.Image,
			r.Started.UTC().Format(time.RFC3339), finished, strings.ReplaceAll(note, "|", `\|`))
	}
	return b.String()
}

// Rollback puts back an earlier release of a service, whole, from its
// release record: its manifests are applied again, the objects of the
// release that serves which it does not have are removed, and it is
// verified like a deploy (rollout, health paths and smoke path). It is a new
// release, recorded as a rollback of the revision it restores. Without
// --to-revision, the release that served before the current one is put
// back. --failed marks the current release failed with that reason (e.g.
// the observe stage's error); a first release given --failed is removed.
// +cache="never"
func (d *Deploy) Rollback(
	ctx context.Context,
	// Kubeconfig of the cluster.
	kubeconfig *dagger.Secret,
	// The namespace of the service's releases: <team>-<environment>.
	namespace string,
	// The service's name, as in golden-path.yaml.
	service string,
	// A service reaching the API server when it is on the caller's loopback, e.g. tcp://localhost:6443.
	// +optional
	kubeApi *dagger.Service,
	// The revision to put back (see history); 0: the one that served before the current release.
	// +optional
	toRevision int,
	// Why the current release failed; it is recorded, and a first release is then removed.
	// +optional
	failed string,
	// Identifies this pipeline run in the records and annotations, e.g. a GitHub Actions run URL.
	// +optional
	runId string,
	// How long the rollout may take, in seconds.
	// +optional
	// +default=180
	timeout int,
) (*Rollout, error) {
	switch {
	case namespace == "" || service == "":
		return nil, fmt.Errorf("rollback: give --namespace and --service (the namespace is <team>-<environment> of golden-path.yaml)")
	case toRevision < 0:
		return nil, fmt.Errorf("rollback: --to-revision %d: give a revision from history, or leave it out for the one before the current release", toRevision)
	case timeout <= 0:
		return nil, fmt.Errorf("rollback: --timeout %d: give the seconds the rollout may take, more than 0 (default 180)", timeout)
	}
	dep, err := start(ctx, &Release{Namespace: namespace, Service: service, KubectlImage: d.KubectlImage}, kubeconfig, kubeApi, runId, timeout)
	if err != nil {
		return nil, err
	}
	return dep.rollbackTo(ctx, toRevision, failed)
}

// rollbackTo puts back revision to (0: the one before the current release).
func (d *deployment) rollbackTo(ctx context.Context, to int, failed string) (*Rollout, error) {
	ns, name := d.r.Namespace, d.r.Service
	ctx, unlock, records, err := d.holdRecords(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	current := rollout.Current(records)
	if current == nil {
		return nil, fmt.Errorf("rollback: no release of %s serves in %s (see history): there is nothing to roll back", name, ns)
	}
	if to == 0 {
		to = current.Previous
	}
	now := d.now().UTC()
	if to == 0 {
		if failed == "" {
			return nil, fmt.Errorf("rollback: revision %d is the first release of %s in %s: there is no earlier one to put back", current.Revision, name, ns)
		}
		// A first release that failed goes.
		owned := rollout.Owned(records)
		if err := d.remove(ctx, owned); err != nil {
			return nil, fmt.Errorf("rollback: revision %d failed (%s) and could not be removed: %s", current.Revision, failed, err.Error())
		}
		updates := append(unfinished(records, now), rollout.StatusUpdate{Revision: current.Revision, Status: rollout.StatusFailed, Finished: now,
			Message: failed + "; removed: there was no previous release"})
		if err := d.setStatus(ctx, updates...); err != nil {
			return nil, err
		}
		res := &Rollout{Namespace: ns, Deployment: name, Revision: current.Revision,
			Result: fmt.Sprintf("revision %d was removed (%s): there was no previous release", current.Revision, refList(owned))}
		return res.withOutcome()
	}
	var target *rollout.StoredRecord
	for i := range records {
		if records[i].Revision == to {
			target = &records[i]
		}
	}
	switch {
	case target == nil:
		return nil, fmt.Errorf("rollback: %s has no revision %d in %s (the last %d are kept; see history)", name, to, ns, rollout.HistoryMax)
	case target.Revision == current.Revision:
		return nil, fmt.Errorf("rollback: revision %d is the release that serves: give an earlier one (see history)", to)
	case target.Status != rollout.StatusSuperseded:
		return nil, fmt.Errorf("rollback: revision %d %s, it never served verified: give one whose status is superseded (see history)", to, target.Status)
	}
	rec := target.Record
	rec.Revision, rec.Run, rec.Started = rollout.NextRevision(records), d.run, now
	rec.Previous, rec.RollbackOf = current.Revision, target.Revision
	cm, err := rec.ConfigMap(target.Manifests)
	if err != nil {
		return nil, fmt.Errorf("rollback: %s", err.Error())
	}
	if err := d.mount(ctx, previousPath, target.Manifests); err != nil {
		return nil, err
	}
	if err := d.mount(ctx, recordPath, cm); err != nil {
		return nil, err
	}
	if err := d.apply(ctx, fmt.Sprintf("put back revision %d", target.Revision), "-f", previousPath, "-f", recordPath); err != nil {
		return nil, err
	}
	gone := rollout.Missing(rollout.Owned(records), rec.Inventory)
	if len(gone) > 0 {
		if err := d.remove(ctx, gone); err != nil {
			return nil, fmt.Errorf("rollback: revision %d is applied again, but the objects it does not have could not be removed (%s): %s",
				target.Revision, refList(gone), err.Error())
		}
	}
	d.r.Image, d.r.Commit, d.r.HealthPaths = rec.Image, rec.Commit, rec.HealthPaths
	res := &Rollout{Namespace: ns, Deployment: name, Image: rec.Image, Revision: rec.Revision, Previous: current.Revision}
	replaced := rollout.StatusUpdate{Revision: current.Revision, Status: rollout.StatusSuperseded, Finished: current.Finished,
		Message: fmt.Sprintf("rolled back to revision %d (revision %d)", target.Revision, rec.Revision)}
	if failed != "" {
		replaced.Status, replaced.Finished, replaced.Message = rollout.StatusFailed, now, failed+"; "+replaced.Message
	}
	if failure := d.verify(ctx, res, rec.SmokePath); failure != nil {
		end := d.now().UTC()
		d.setStatus(ctx, append(unfinished(records, end), replaced,
			rollout.StatusUpdate{Revision: rec.Revision, Status: rollout.StatusFailed, Finished: end, Message: firstLine(failure.Error())})...)
		return nil, fmt.Errorf("rollback: revision %d (commit %s) is applied again as revision %d, but it is not healthy: %s\n%s",
			target.Revision, rec.Commit, rec.Revision, failure.Error(), d.diagnosis(ctx))
	}
	end := d.now().UTC()
	if err := d.setStatus(ctx, append(unfinished(records, end), replaced,
		rollout.StatusUpdate{Revision: rec.Revision, Status: rollout.StatusDeployed, Finished: end})...); err != nil {
		res.Result += "; the release records' status could not be set: " + err.Error()
	}
	res.Result = fmt.Sprintf("revision %d (commit %s, image %s) put back as revision %d: %s", target.Revision, rec.Commit, rec.Image, rec.Revision, res.Result)
	if len(gone) > 0 {
		res.Result += fmt.Sprintf("; removed %s", refList(gone))
	}
	d.expire(ctx, records)
	return res.withOutcome()
}
