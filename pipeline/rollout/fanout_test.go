package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/tenancy"
)

// fakeTenants deploys to tenants in memory: each deploy takes a tick of a
// fake clock; the tenants named in fail fail. It records the order of the
// starts, the most deploys running at once and the undos.
type fakeTenants struct {
	fail      map[string]bool
	unchanged map[string]bool // served the release already

	mu        sync.Mutex
	clock     time.Time
	running   int
	most      int
	started   []string
	undone    []string
	undoFails bool
	// gate, when set, holds each deploy until the test lets it go.
	gate chan struct{}
}

func (f *fakeTenants) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = f.clock.Add(time.Second)
	return f.clock
}

func (f *fakeTenants) deploy(ctx context.Context, t tenancy.Tenant) (TenantResult, error) {
	f.mu.Lock()
	f.started = append(f.started, t.Name)
	f.running++
	f.most = max(f.most, f.running)
	f.mu.Unlock()
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	f.running--
	f.mu.Unlock()
	res := TenantResult{Revision: 2, Image: "acr.example/payments/hello-api@sha256:aa"}
	if f.unchanged[t.Name] {
		res.Revision, res.Outcome = 1, TenantUnchanged
	}
	if f.fail[t.Name] {
		return res, fmt.Errorf("deploy: revision 2 in %s failed: 0/1 pods ready: Insufficient memory\nrolled back to revision 1", t.Namespace)
	}
	res.Detail = "1/1 pods ready, smoke test passed"
	return res, nil
}

func (f *fakeTenants) undo(_ context.Context, t tenancy.Tenant, r TenantResult) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.undone = append(f.undone, t.Name)
	if f.undoFails {
		return "", errors.New("rollback: the API server refused")
	}
	return fmt.Sprintf("revision %d rolled back to revision 1", r.Revision), nil
}

func tenantsNamed(names ...string) []tenancy.Tenant {
	var out []tenancy.Tenant
	for _, n := range names {
		out = append(out, tenancy.Tenant{Name: n, Namespace: "payments-prod-" + n})
	}
	return out
}

func outcomes(results []TenantResult) []string {
	var out []string
	for _, r := range results {
		out = append(out, fmt.Sprintf("%d %s: %s", r.Wave, r.Tenant, r.Outcome))
	}
	return out
}

func TestFanOutAllUpdated(t *testing.T) {
	f := &fakeTenants{}
	results, err := FanOut{
		Waves:       [][]tenancy.Tenant{tenantsNamed("acme"), tenantsNamed("b", "c", "d", "e", "f")},
		Parallelism: 2, OnFailure: tenancy.OnFailureKeep, Deploy: f.deploy, Now: f.now,
	}.Run(context.Background())
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(outcomes(results), []string{
		"1 acme: updated", "2 b: updated", "2 c: updated", "2 d: updated", "2 e: updated", "2 f: updated"}))
	assert.Check(t, is.Equal(f.started[0], "acme"), "the canary wave first, alone: %v", f.started)
	assert.Check(t, is.DeepEqual(Tally(results), map[TenantOutcome]int{TenantUpdated: 6}))
	assert.Check(t, is.DeepEqual(results[0], TenantResult{Tenant: "acme", Namespace: "payments-prod-acme", Wave: 1, Revision: 2,
		Image: "acr.example/payments/hello-api@sha256:aa", Outcome: TenantUpdated, Detail: "1/1 pods ready, smoke test passed", Took: time.Second}))
}

func TestFanOutParallelismBound(t *testing.T) {
	f := &fakeTenants{gate: make(chan struct{})}
	names := []string{"b", "c", "d", "e", "f", "g", "h"}
	done := make(chan []TenantResult)
	go func() {
		results, err := FanOut{
			Waves:       [][]tenancy.Tenant{tenantsNamed("acme"), tenantsNamed(names...)},
			Parallelism: 3, OnFailure: tenancy.OnFailureKeep, Deploy: f.deploy, Now: f.now,
		}.Run(context.Background())
		assert.Check(t, err)
		done <- results
	}()
	// The canary alone; then, the others being held, as many as Parallelism start: let one go at a time once
	// they have.
	waitRunning(t, f, 1)
	f.gate <- struct{}{}
	for left := len(names); left > 0; left-- {
		waitRunning(t, f, min(3, left))
		f.gate <- struct{}{}
	}
	results := <-done
	assert.Check(t, is.Len(results, 8))
	assert.Check(t, is.Equal(f.most, 3), "at most Parallelism deploys at once")
	assert.Check(t, is.Equal(f.started[0], "acme"))
}

// waitRunning waits until n deploys of f are running (one released may still
// be finishing), and then that no more start.
func waitRunning(t *testing.T, f *fakeTenants, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		running := f.running
		f.mu.Unlock()
		if running == n {
			time.Sleep(10 * time.Millisecond) // a deploy that should not start has the time to
			f.mu.Lock()
			running = f.running
			f.mu.Unlock()
			assert.Assert(t, is.Equal(running, n))
			return
		}
		assert.Assert(t, time.Now().Before(deadline), "%d deploys running after 10s, want %d", running, n)
		time.Sleep(time.Millisecond)
	}
}

func TestFanOutTenantFails(t *testing.T) {
	// Parallelism 1: the order is the file's, so which tenants ran before the failure is known.
	waves := [][]tenancy.Tenant{tenantsNamed("acme", "initech"), tenantsNamed("b", "c", "d", "e")}
	for _, tc := range []struct {
		name      string
		fail      string
		onFailure string
		undoFails bool
		unchanged string
		want      []string
		undone    []string
		msg       string
	}{
		{name: "keep", fail: "c", onFailure: tenancy.OnFailureKeep,
			want: []string{"1 acme: updated", "1 initech: updated", "2 b: updated", "2 c: failed", "2 d: not started", "2 e: not started"},
			msg: "1 of 6 tenants failed and were rolled back: c (payments-prod-c): deploy: revision 2 in payments-prod-c failed: 0/1 pods ready: Insufficient memory; " +
				"the waves stopped (2 not started); 3 updated tenants keep the new release (onFailure: keep). Fix the failed tenants"},
		{name: "rollback", fail: "c", onFailure: tenancy.OnFailureRollback,
			want:   []string{"1 acme: rolled back", "1 initech: rolled back", "2 b: rolled back", "2 c: failed", "2 d: not started", "2 e: not started"},
			undone: []string{"acme", "b", "initech"},
			msg:    "the waves stopped (2 not started); 3 updated tenants were put back on their previous release (onFailure: rollback). Fix"},
		{name: "rollback, one unchanged", fail: "c", onFailure: tenancy.OnFailureRollback, unchanged: "initech",
			want:   []string{"1 acme: rolled back", "1 initech: unchanged", "2 b: rolled back", "2 c: failed", "2 d: not started", "2 e: not started"},
			undone: []string{"acme", "b"},
			msg:    "the waves stopped (2 not started); 2 updated tenants were put back on their previous release (onFailure: rollback); 1 tenants served the release already and keep it. Fix"},
		{name: "canary fails", fail: "acme", onFailure: tenancy.OnFailureRollback,
			want: []string{"1 acme: failed", "1 initech: not started", "2 b: not started", "2 c: not started", "2 d: not started", "2 e: not started"},
			msg:  "1 of 6 tenants failed and were rolled back: acme (payments-prod-acme): deploy: revision 2 in payments-prod-acme failed: 0/1 pods ready: Insufficient memory; the waves stopped (5 not started). Fix"},
		{name: "undo fails", fail: "e", onFailure: tenancy.OnFailureRollback, undoFails: true,
			want:   []string{"1 acme: updated", "1 initech: updated", "2 b: updated", "2 c: updated", "2 d: updated", "2 e: failed"},
			undone: []string{"acme", "b", "c", "d", "initech"},
			msg:    "the waves stopped; 5 updated tenants could not be put back and keep the new release (see the tenant table). Fix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTenants{fail: map[string]bool{tc.fail: true}, unchanged: map[string]bool{tc.unchanged: true}, undoFails: tc.undoFails}
			results, err := FanOut{Waves: waves, Parallelism: 1, OnFailure: tc.onFailure, Deploy: f.deploy, Undo: f.undo, Now: f.now}.Run(context.Background())
			assert.Check(t, IsTenantsFailed(err))
			assert.Check(t, is.ErrorContains(err, tc.msg))
			assert.Check(t, is.ErrorContains(err, "\n\n"+tc.fail+" (payments-prod-"+tc.fail+"):\ndeploy: revision 2 in payments-prod-"+tc.fail+
				" failed: 0/1 pods ready: Insufficient memory\nrolled back to revision 1"), "the failed tenant's whole error")
			assert.Check(t, is.DeepEqual(outcomes(results), tc.want))
			slices.Sort(f.undone)
			assert.Check(t, is.DeepEqual(f.undone, tc.undone))
			for _, r := range results {
				switch r.Outcome {
				case TenantFailed:
					assert.Check(t, is.Equal(r.Revision, 2), "the failed revision is named")
					assert.Check(t, is.Contains(r.Detail, "Insufficient memory"))
				case TenantRolledBack:
					assert.Check(t, is.Equal(r.Detail, "revision 2 rolled back to revision 1"))
					assert.Check(t, is.Equal(r.Took, 2*time.Second), "deploy and undo, a tick each")
				case TenantUpdated:
					if tc.undoFails {
						assert.Check(t, is.Contains(r.Detail, "its rollback failed, the release stays: rollback: the API server refused"))
					}
				case TenantNotStarted:
					assert.Check(t, is.Equal(r.Revision, 0))
					assert.Check(t, is.Equal(r.Took, time.Duration(0)))
				}
			}
		})
	}
}

func TestFanOutInvalid(t *testing.T) {
	f := &fakeTenants{}
	waves := [][]tenancy.Tenant{tenantsNamed("acme")}
	for _, tc := range []struct {
		fan  FanOut
		want string
	}{
		{FanOut{Parallelism: 1, OnFailure: "keep", Deploy: f.deploy}, "no tenants"},
		{FanOut{Waves: waves, OnFailure: "keep", Deploy: f.deploy}, "parallelism 0: deploy at least one tenant at a time"},
		{FanOut{Waves: waves, Parallelism: 1, OnFailure: "retry", Deploy: f.deploy}, `onFailure "retry": give keep or rollback`},
		{FanOut{Waves: waves, Parallelism: 1, OnFailure: "rollback", Deploy: f.deploy}, "Undo"},
	} {
		results, err := tc.fan.Run(context.Background())
		assert.Check(t, is.ErrorContains(err, tc.want))
		assert.Check(t, !IsTenantsFailed(err))
		assert.Check(t, is.Len(results, 0))
	}
	assert.Check(t, is.Len(f.started, 0), "nothing deployed")
}

func TestFanOutCancelled(t *testing.T) {
	f := &fakeTenants{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	results, err := FanOut{Waves: [][]tenancy.Tenant{tenantsNamed("acme"), tenantsNamed("b")}, Parallelism: 1,
		OnFailure: tenancy.OnFailureKeep, Deploy: f.deploy, Now: f.now}.Run(ctx)
	assert.Check(t, is.ErrorIs(err, context.Canceled))
	assert.Check(t, is.DeepEqual(outcomes(results), []string{"1 acme: not started", "2 b: not started"}))
}
