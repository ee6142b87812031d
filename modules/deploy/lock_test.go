package main

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// fakeLeases keeps one Lease as the API server does: every write gets a new
// resourceVersion, a create of an existing Lease and a replace at an old
// version are refused, and nothing changes then.
type fakeLeases struct {
	mu      sync.Mutex
	lease   *rollout.LeaseRecord
	version int
	writes  []string // each successful write's holder, in order
	// beforeReplace and beforeCreate, when set, run before each replace or
	// create (e.g. another run writing in between).
	beforeReplace, beforeCreate func()
}

// decode reads a Lease object as the fake's API server would.
func decode(t *testing.T, obj []byte) rollout.LeaseRecord {
	node, err := kyaml.Parse(string(obj))
	assert.NilError(t, err)
	js, err := node.MarshalJSON()
	assert.NilError(t, err)
	l, err := rollout.ParseLease(js)
	assert.NilError(t, err)
	return l
}

// fakeAPI is the fake seen by one run.
type fakeAPI struct {
	t *testing.T
	f *fakeLeases
}

func (a fakeAPI) create(_ context.Context, obj []byte) (string, bool, error) {
	if a.f.beforeCreate != nil {
		a.f.beforeCreate()
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	if a.f.lease != nil {
		return "", true, nil
	}
	l := decode(a.t, obj)
	assert.Check(a.t, is.Equal(l.ResourceVersion, ""), "a create carries no resourceVersion")
	return a.f.write(l), false, nil
}

func (a fakeAPI) get(context.Context) (rollout.LeaseRecord, bool, error) {
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	if a.f.lease == nil {
		return rollout.LeaseRecord{}, false, nil
	}
	return *a.f.lease, true, nil
}

func (a fakeAPI) replace(_ context.Context, obj []byte) (string, bool, error) {
	if a.f.beforeReplace != nil {
		a.f.beforeReplace()
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	l := decode(a.t, obj)
	if a.f.lease == nil || l.ResourceVersion != a.f.lease.ResourceVersion {
		return "", true, nil
	}
	return a.f.write(l), false, nil
}

// write stores l as a new version; f.mu is held.
func (f *fakeLeases) write(l rollout.LeaseRecord) string {
	f.version++
	l.ResourceVersion = strconv.Itoa(f.version)
	f.lease = &l
	f.writes = append(f.writes, l.Holder)
	return l.ResourceVersion
}

// clock is a fake clock that sleeping moves forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func newLock(t *testing.T, f *fakeLeases, c *clock, holder string) *deployLock {
	return &deployLock{api: fakeAPI{t, f}, namespace: "payments-dev", service: "hello-api", holder: holder,
		now: c.Now, sleep: c.Sleep, poll: 3 * time.Second}
}

func TestLockTakesAFreeLock(t *testing.T) {
	f, c := &fakeLeases{}, &clock{now: t0}
	l := newLock(t, f, c, "run-a")
	assert.NilError(t, l.acquire(context.Background(), time.Minute))
	assert.Check(t, is.Equal(f.lease.Holder, "run-a"))
	assert.Check(t, is.Equal(f.lease.Duration, rollout.LeaseDuration))

	l.release(context.Background())
	assert.Check(t, is.Equal(f.lease.Holder, ""), "released: free for the next run")
	assert.Check(t, is.DeepEqual(f.writes, []string{"run-a", ""}))

	next := newLock(t, f, c, "run-b")
	assert.NilError(t, next.acquire(context.Background(), time.Minute))
	assert.Check(t, is.Equal(f.lease.Holder, "run-b"))
	assert.Check(t, is.Equal(f.lease.Transitions, 1))
}

func TestLockWaitsForALiveHolder(t *testing.T) {
	f, c := &fakeLeases{}, &clock{now: t0}
	f.lease = &rollout.LeaseRecord{Holder: "run-a", Duration: rollout.LeaseDuration, Acquired: t0, Renewed: t0, ResourceVersion: "7"}
	// run-a renews while run-b waits: run-b never takes it, and gives up after its wait.
	b := newLock(t, f, c, "run-b")
	b.sleep = func(ctx context.Context, d time.Duration) error {
		assert.NilError(t, c.Sleep(ctx, d))
		f.mu.Lock()
		f.lease.Renewed = c.now
		f.mu.Unlock()
		return nil
	}
	err := b.acquire(context.Background(), 2*time.Minute)
	assert.Check(t, is.ErrorContains(err, "another pipeline run (run-a) has held the deploy lock of hello-api in payments-dev"))
	assert.Check(t, is.ErrorContains(err, "a run that died frees the lock 1m0s after its last renewal"))
	assert.Check(t, is.Equal(f.lease.Holder, "run-a"))
	assert.Check(t, is.Len(f.writes, 0), "nothing written")
}

func TestLockTakesOverFromADeadHolder(t *testing.T) {
	f, c := &fakeLeases{}, &clock{now: t0}
	f.lease = &rollout.LeaseRecord{Holder: "run-dead", Duration: rollout.LeaseDuration, Acquired: t0, Renewed: t0, Transitions: 3, ResourceVersion: "7"}
	c.now = t0.Add(rollout.LeaseDuration - time.Second)
	b := newLock(t, f, c, "run-b")
	assert.NilError(t, b.acquire(context.Background(), time.Minute))
	assert.Check(t, is.Equal(f.lease.Holder, "run-b"))
	assert.Check(t, is.Equal(f.lease.Transitions, 4))
	assert.Check(t, !c.Now().Before(t0.Add(rollout.LeaseDuration)), "taken only once the holder's lock ran out")
}

// Two runs find the same dead holder's lock and both replace it at the
// version they read: exactly one of them gets it.
func TestLockTakeOverIsAtomic(t *testing.T) {
	f, c := &fakeLeases{}, &clock{now: t0.Add(time.Hour)}
	f.lease = &rollout.LeaseRecord{Holder: "run-dead", Duration: rollout.LeaseDuration, Acquired: t0, Renewed: t0, ResourceVersion: "7"}
	a, b := newLock(t, f, c, "run-a"), newLock(t, f, c, "run-b")
	// run-a's replace happens between run-b's read and run-b's replace.
	once := sync.Once{}
	f.beforeReplace = func() {
		once.Do(func() {
			f.beforeReplace = nil
			assert.NilError(t, a.acquire(context.Background(), time.Minute))
		})
	}
	err := b.acquire(context.Background(), 30*time.Second)
	assert.Check(t, is.ErrorContains(err, "another pipeline run (run-a)"), "run-b waited for run-a instead of taking its lock")
	assert.Check(t, is.Equal(f.lease.Holder, "run-a"))
	assert.Check(t, is.DeepEqual(f.writes, []string{"run-a"}))
}

// Two first deploys at once: both find no Lease; the one whose create comes
// second sees the first's Lease and waits for it.
func TestLockCreateIsAtomic(t *testing.T) {
	f, c := &fakeLeases{}, &clock{now: t0}
	a, b := newLock(t, f, c, "run-a"), newLock(t, f, c, "run-b")
	once := sync.Once{}
	f.beforeCreate = func() {
		once.Do(func() {
			f.beforeCreate = nil
			assert.NilError(t, a.acquire(context.Background(), time.Minute))
		})
	}
	err := b.acquire(context.Background(), 30*time.Second)
	assert.Check(t, is.ErrorContains(err, "another pipeline run (run-a)"))
	assert.Check(t, is.Equal(f.lease.Holder, "run-a"))
	assert.Check(t, is.DeepEqual(f.writes, []string{"run-a"}))
}

func TestLockRenewsUntilReleased(t *testing.T) {
	f, c := &fakeLeases{}, &clock{now: t0}
	l := newLock(t, f, c, "run-a")
	assert.NilError(t, l.acquire(context.Background(), time.Minute))
	renewed := make(chan struct{}, 100)
	l.sleep = func(ctx context.Context, d time.Duration) error {
		select {
		case renewed <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		return c.Sleep(ctx, d)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	l.keep(ctx, cancel)
	for range 4 {
		<-renewed
	}
	l.release(context.Background())
	assert.Check(t, is.Nil(context.Cause(ctx)), "the deploy was not cancelled")
	assert.Check(t, len(f.writes) >= 4, "%v", f.writes)
	assert.Check(t, is.Equal(f.writes[len(f.writes)-1], ""), "released last")
	for _, h := range f.writes[:len(f.writes)-1] {
		assert.Check(t, is.Equal(h, "run-a"))
	}
	assert.Check(t, f.lease.Renewed.After(t0), "renewed")
}

// When another run took the lock over (this run's renewals were too late),
// this run's deploy is cancelled with errLockLost, and its release leaves
// the other run's lock alone.
func TestLockLostIsNotReleased(t *testing.T) {
	f, c := &fakeLeases{}, &clock{now: t0}
	l := newLock(t, f, c, "run-a")
	assert.NilError(t, l.acquire(context.Background(), time.Minute))
	f.mu.Lock()
	f.write(rollout.LeaseRecord{Holder: "run-b", Duration: rollout.LeaseDuration, Acquired: t0, Renewed: t0})
	f.mu.Unlock()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	l.keep(ctx, cancel)
	<-ctx.Done()
	assert.Check(t, errors.Is(context.Cause(ctx), errLockLost))
	l.release(context.Background())
	assert.Check(t, is.Equal(f.lease.Holder, "run-b"), "the other run's lock is left alone")
	assert.Check(t, is.DeepEqual(f.writes, []string{"run-a", "run-b"}))
}

func TestLockWaitStopsWhenCancelled(t *testing.T) {
	f := &fakeLeases{}
	f.lease = &rollout.LeaseRecord{Holder: "run-a", Duration: rollout.LeaseDuration, Acquired: t0, Renewed: time.Now(), ResourceVersion: "7"}
	l := newLock(t, f, &clock{}, "run-b")
	l.now, l.sleep = time.Now, sleepCtx
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := l.acquire(ctx, time.Hour)
	assert.Check(t, is.ErrorContains(err, "stopped while waiting for the deploy lock held by run-a"))
	assert.Check(t, errors.Is(err, context.DeadlineExceeded))
	assert.Check(t, time.Since(start) < 2*time.Second, "it did not wait out its poll interval")
}

// A renewal cut short by the end of the deploy may have written a version
// this run never read back: release still frees the lock it holds.
func TestLockReleasedAfterARenewalCutShort(t *testing.T) {
	f, c := &fakeLeases{}, &clock{now: t0}
	l := newLock(t, f, c, "run-a")
	assert.NilError(t, l.acquire(context.Background(), time.Minute))
	f.mu.Lock()
	f.write(rollout.LeaseRecord{Holder: "run-a", Duration: rollout.LeaseDuration, Acquired: t0, Renewed: t0.Add(rollout.LeaseRenewal)})
	f.mu.Unlock()
	l.release(context.Background())
	assert.Check(t, is.Equal(f.lease.Holder, ""))
	assert.Check(t, is.DeepEqual(f.writes, []string{"run-a", "run-a", ""}))
}
