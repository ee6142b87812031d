package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// leaseAPI is what the deploy lock needs of the cluster: the service's Lease,
// read and written whole. kubectlLeases in a deploy; a fake in the unit tests.
type leaseAPI interface {
	// create creates the Lease obj; exists is true, and nothing changed,
	// when the Lease is already there.
	create(ctx context.Context, obj []byte) (resourceVersion string, exists bool, err error)
	// get reads the Lease; found is false when there is none.
	get(ctx context.Context) (lease rollout.LeaseRecord, found bool, err error)
	// replace writes obj at its resourceVersion; conflict is true, and
	// nothing changed, when someone wrote the Lease since (or removed it).
	replace(ctx context.Context, obj []byte) (resourceVersion string, conflict bool, err error)
}

// errLockLost is the cause of a deploy's cancellation when another run took
// its lock (its renewals failed for longer than the lock's duration).
var errLockLost = errors.New("deploy: this run lost the deploy lock to another run while it deployed " +
	"(it could not renew it in time: a slow or unreachable API server); it stopped and rolled nothing back, " +
	"because the other run now owns the release: see that run, then ship again")

// deployLock is the service's deploy lock, taken or waited for.
type deployLock struct {
	api                leaseAPI
	namespace, service string
	holder             string
	now                func() time.Time
	// sleep waits d or until ctx ends (then its error).
	sleep func(ctx context.Context, d time.Duration) error
	// poll is how often a waiting run looks at the lock again.
	poll time.Duration

	// held is the lock as this run last wrote it: written by acquire, then
	// by the renewals only, read by release once they stopped.
	held rollout.LeaseRecord
	done chan struct{}      // closed when the renewals stopped
	stop context.CancelFunc // stops the renewals
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// acquire takes the lock, waiting at most wait while another live run holds
// it; a lock its holder stopped renewing is taken over. It never takes a
// lock another run holds: creating the Lease, and replacing a free one at
// the version read, are atomic in the API server. The Lease is read first:
// after a service's first deploy it exists (free) and one replace takes it.
func (l *deployLock) acquire(ctx context.Context, wait time.Duration) error {
	deadline := l.now().Add(wait)
	for {
		now := l.now()
		want := rollout.LeaseRecord{Holder: l.holder, Duration: rollout.LeaseDuration, Acquired: now, Renewed: now}
		cur, found, err := l.api.get(ctx)
		if err != nil {
			return err
		}
		if !found {
			rv, exists, err := l.api.create(ctx, rollout.Lease(l.namespace, l.service, want))
			if err != nil {
				return err
			}
			if !exists {
				want.ResourceVersion = rv
				l.held = want
				return nil
			}
			continue // another run created it first: look again
		}
		if cur.Free(now) {
			want.Transitions, want.ResourceVersion = cur.Transitions+1, cur.ResourceVersion
			rv, conflict, err := l.api.replace(ctx, rollout.Lease(l.namespace, l.service, want))
			if err != nil {
				return err
			}
			if !conflict {
				want.ResourceVersion = rv
				l.held = want
				return nil
			}
			continue // another run took it first: look again
		}
		if now.After(deadline) {
			return fmt.Errorf("deploy: another pipeline run (%s) has held the deploy lock of %s in %s since %s, longer than this run waits (%s); "+
				"wait for it to finish and ship again (a run that died frees the lock %s after its last renewal, by itself)",
				cur.Holder, l.service, l.namespace, cur.Acquired.UTC().Format(time.RFC3339), wait, rollout.LeaseDuration)
		}
		if err := l.sleep(ctx, l.poll); err != nil {
			return fmt.Errorf("deploy: stopped while waiting for the deploy lock held by %s: %w", cur.Holder, err)
		}
	}
}

// keep renews the lock every rollout.LeaseRenewal until release. When the
// lock can no longer be renewed (another run took it over, or the API server
// did not answer for the lock's whole duration), it cancels the deploy's
// context with errLockLost.
func (l *deployLock) keep(ctx context.Context, cancelDeploy context.CancelCauseFunc) {
	ctx, l.stop = context.WithCancel(ctx)
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		for l.sleep(ctx, rollout.LeaseRenewal) == nil {
			next := l.held
			next.Renewed = l.now()
			rv, conflict, err := l.api.replace(ctx, rollout.Lease(l.namespace, l.service, next))
			switch {
			case err == nil && !conflict:
				next.ResourceVersion = rv
				l.held = next
			case ctx.Err() != nil:
				return
			case conflict, l.now().After(l.held.Renewed.Add(l.held.Duration)):
				cancelDeploy(errLockLost)
				return
			}
			// Any other error: the next renewal tries again, in time while the lock holds.
		}
	}()
}

// release stops the renewals and frees the lock if this run still holds it:
// a replace at the version this run last wrote, or, when that version is
// gone (a renewal cut short may have written one), at the current version
// if the holder is still this run; a lock another run took over is left
// alone. It runs even when the deploy was cancelled.
func (l *deployLock) release(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if l.stop != nil {
		l.stop()
		<-l.done
	}
	freed := l.held
	freed.Holder, freed.Renewed = "", l.now()
	if _, conflict, err := l.api.replace(ctx, rollout.Lease(l.namespace, l.service, freed)); err != nil || !conflict {
		return
	}
	if cur, found, err := l.api.get(ctx); err == nil && found && cur.Holder == l.holder {
		freed.ResourceVersion = cur.ResourceVersion
		l.api.replace(ctx, rollout.Lease(l.namespace, l.service, freed))
	}
}

// kubectlLeases is leaseAPI through kubectl.
type kubectlLeases struct {
	k                  *kubectl
	namespace, service string
}

func (a kubectlLeases) action(verb string) string {
	return verb + " the deploy lock (Lease " + rollout.LockName(a.service) + ")"
}

func (a kubectlLeases) create(ctx context.Context, obj []byte) (string, bool, error) {
	out, stderr, code, err := a.k.try(ctx, string(obj), "create", "-f", "-", "-o", "jsonpath={.metadata.resourceVersion}")
	switch {
	case err != nil:
		return "", false, err
	case code == 0:
		return strings.TrimSpace(out), false, nil
	case strings.Contains(stderr, "AlreadyExists"):
		return "", true, nil
	}
	return "", false, rollout.Classify(a.action("take"), a.k.server, stderr)
}

func (a kubectlLeases) get(ctx context.Context) (rollout.LeaseRecord, bool, error) {
	out, stderr, code, err := a.k.try(ctx, "", "get", "lease", rollout.LockName(a.service), "-n", a.namespace, "-o", "json")
	switch {
	case err != nil:
		return rollout.LeaseRecord{}, false, err
	case code == 0:
		l, err := rollout.ParseLease([]byte(out))
		return l, err == nil, err
	case strings.Contains(stderr, "NotFound"):
		return rollout.LeaseRecord{}, false, nil
	}
	return rollout.LeaseRecord{}, false, rollout.Classify(a.action("read"), a.k.server, stderr)
}

func (a kubectlLeases) replace(ctx context.Context, obj []byte) (string, bool, error) {
	out, stderr, code, err := a.k.try(ctx, string(obj), "replace", "-f", "-", "-o", "jsonpath={.metadata.resourceVersion}")
	switch {
	case err != nil:
		return "", false, err
	case code == 0:
		return strings.TrimSpace(out), false, nil
	case strings.Contains(stderr, "Conflict") || strings.Contains(stderr, "has been modified") || strings.Contains(stderr, "NotFound"):
		return "", true, nil
	}
	return "", false, rollout.Classify(a.action("renew"), a.k.server, stderr)
}
