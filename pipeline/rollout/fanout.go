package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golden-path/golden-path/pipeline/tenancy"
)

// TenantOutcome is what became of a release in one tenant instance.
type TenantOutcome string

// The outcomes of a fan-out, per tenant.
const (
	// TenantUpdated: the tenant serves the new release, verified.
	TenantUpdated TenantOutcome = "updated"
	// TenantUnchanged: the tenant served the release already (a re-run);
	// it was verified again, and nothing is put back there.
	TenantUnchanged TenantOutcome = "unchanged"
	// TenantFailed: its deploy failed and the tenant was rolled back (as
	// every failed deploy is); the waves stopped.
	TenantFailed TenantOutcome = "failed"
	// TenantRolledBack: updated, then put back on its previous release
	// because another tenant failed (onFailure: rollback).
	TenantRolledBack TenantOutcome = "rolled back"
	// TenantNotStarted: the waves stopped before this tenant.
	TenantNotStarted TenantOutcome = "not started"
)

// TenantResult is one tenant's row of a fan-out.
type TenantResult struct {
	// Tenant, Namespace and Cluster are the tenant instance.
	Tenant    string `json:"tenant"`
	Namespace string `json:"namespace"`
	Cluster   string `json:"cluster,omitempty"`
	// Wave is the wave the tenant is in: 1 is the canary wave.
	Wave int `json:"wave"`
	// Revision is the release's revision in the tenant's namespace (0 when
	// none was made), Previous the one that served before it (0: none).
	Revision int `json:"revision,omitempty"`
	Previous int `json:"previous,omitempty"`
	// Image is the image the deploy put there, by digest.
	Image string `json:"image,omitempty"`
	// Outcome is what became of the release there.
	Outcome TenantOutcome `json:"outcome"`
	// Detail says what happened: the deploy's result, or why it failed.
	Detail string `json:"detail,omitempty"`
	// Took is how long the tenant's deploy (and rollback) took.
	Took time.Duration `json:"took"`
}

// FanOut deploys a release to an environment's tenant instances in waves:
// each wave's tenants Parallelism at a time, the canary wave alone first.
// When a tenant fails (its deploy rolled it back), no other tenant starts,
// those running finish, and the tenants already updated keep the release
// (tenancy.OnFailureKeep) or are put back by Undo
// (tenancy.OnFailureRollback).
type FanOut struct {
	// Waves are the tenants, wave by wave (tenancy.Team.Waves).
	Waves [][]tenancy.Tenant
	// Parallelism is how many tenants of a wave are deployed at once (at
	// least 1).
	Parallelism int
	// OnFailure is tenancy.OnFailureKeep or tenancy.OnFailureRollback.
	OnFailure string
	// Deploy deploys the release to a tenant and verifies it; it returns
	// the tenant's revision, image and detail, and the outcome
	// TenantUnchanged when the tenant served the release already. An error
	// means the tenant failed and was rolled back by the deploy.
	Deploy func(context.Context, tenancy.Tenant) (TenantResult, error)
	// Undo puts an updated tenant back on the release that served before
	// (its result is Deploy's); it returns what it did.
	Undo func(context.Context, tenancy.Tenant, TenantResult) (string, error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// ErrTenantsFailed is the error of a fan-out in which a tenant failed
// (IsTenantsFailed).
var ErrTenantsFailed = errors.New("tenants failed")

// IsTenantsFailed says whether err is a fan-out's failure.
func IsTenantsFailed(err error) bool { return errors.Is(err, ErrTenantsFailed) }

type fanOutError struct{ msg string }

func (e *fanOutError) Error() string        { return e.msg }
func (e *fanOutError) Is(target error) bool { return target == ErrTenantsFailed }

// check says what is wrong with f, or nil.
func (f FanOut) check() error {
	switch {
	case len(f.Waves) == 0:
		return errors.New("fan-out: no tenants: the environment lists no tenant instances")
	case f.Parallelism < 1:
		return fmt.Errorf("fan-out: parallelism %d: deploy at least one tenant at a time", f.Parallelism)
	case f.OnFailure != tenancy.OnFailureKeep && f.OnFailure != tenancy.OnFailureRollback:
		return fmt.Errorf("fan-out: onFailure %q: give %s or %s", f.OnFailure, tenancy.OnFailureKeep, tenancy.OnFailureRollback)
	case f.Deploy == nil || (f.OnFailure == tenancy.OnFailureRollback && f.Undo == nil):
		return errors.New("fan-out: Deploy (and, to roll back, Undo) must be given")
	}
	return nil
}

// Run deploys, wave by wave, and returns one result per tenant in the
// waves' order. The error, when a tenant failed (IsTenantsFailed), names the
// failed tenants and what became of the others on its first line, then
// each failed tenant's whole error; Run does not cancel a running deploy: a
// tenant is never left half-deployed.
func (f FanOut) Run(ctx context.Context) ([]TenantResult, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	now := f.Now
	if now == nil {
		now = time.Now
	}
	var results []TenantResult
	var waveOf [][]int // indexes into results, per wave
	for w, wave := range f.Waves {
		var idx []int
		for _, t := range wave {
			idx = append(idx, len(results))
			results = append(results, TenantResult{Tenant: t.Name, Namespace: t.Namespace, Cluster: t.Cluster, Wave: w + 1, Outcome: TenantNotStarted})
		}
		waveOf = append(waveOf, idx)
	}

	var (
		mu       sync.Mutex
		failed   bool
		failures = make([]string, len(results)) // each failed tenant's whole error
	)
	for w, wave := range f.Waves {
		sem := make(chan struct{}, f.Parallelism)
		var wg sync.WaitGroup
		for i, t := range wave {
			sem <- struct{}{}
			mu.Lock()
			stop := failed || ctx.Err() != nil
			mu.Unlock()
			if stop {
				<-sem
				break
			}
			wg.Add(1)
			go func(at int, t tenancy.Tenant) {
				defer func() { <-sem; wg.Done() }()
				start := now()
				got, err := f.Deploy(ctx, t)
				mu.Lock()
				defer mu.Unlock()
				r := &results[at]
				r.Revision, r.Previous, r.Image, r.Detail, r.Took = got.Revision, got.Previous, got.Image, got.Detail, now().Sub(start)
				if err != nil {
					r.Outcome, r.Detail, failed = TenantFailed, firstLine(err.Error()), true
					failures[at] = err.Error()
					return
				}
				r.Outcome = TenantUpdated
				if got.Outcome == TenantUnchanged {
					r.Outcome = TenantUnchanged
				}
			}(waveOf[w][i], t)
		}
		wg.Wait()
		if failed || ctx.Err() != nil {
			break
		}
	}
	if !failed {
		if err := ctx.Err(); err != nil {
			return results, fmt.Errorf("fan-out: stopped before every tenant was deployed: %w", err)
		}
		return results, nil
	}
	if f.OnFailure == tenancy.OnFailureRollback {
		f.undo(ctx, results, now)
	}
	msg := failureMessage(results, f.OnFailure)
	for i, r := range results {
		if failures[i] != "" {
			msg += fmt.Sprintf("\n\n%s (%s):\n%s", r.Tenant, r.Namespace, failures[i])
		}
	}
	return results, &fanOutError{msg}
}

// undo puts every updated tenant back, Parallelism at a time.
func (f FanOut) undo(ctx context.Context, results []TenantResult, now func() time.Time) {
	sem := make(chan struct{}, f.Parallelism)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range results {
		if results[i].Outcome != TenantUpdated {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(r *TenantResult) {
			defer func() { <-sem; wg.Done() }()
			start := now()
			t := tenancy.Tenant{Name: r.Tenant, Namespace: r.Namespace, Cluster: r.Cluster}
			mu.Lock()
			done := *r
			mu.Unlock()
			detail, err := f.Undo(ctx, t, done)
			mu.Lock()
			defer mu.Unlock()
			r.Took += now().Sub(start)
			if err != nil {
				r.Detail = "its rollback failed, the release stays: " + firstLine(err.Error())
				return
			}
			r.Outcome, r.Detail = TenantRolledBack, detail
		}(&results[i])
	}
	wg.Wait()
}

// Tally counts the results by outcome.
func Tally(results []TenantResult) map[TenantOutcome]int {
	count := map[TenantOutcome]int{}
	for _, r := range results {
		count[r.Outcome]++
	}
	return count
}

// failureMessage names the failed tenants and what became of the others.
func failureMessage(results []TenantResult, onFailure string) string {
	var failed []string
	count := Tally(results)
	for _, r := range results {
		if r.Outcome == TenantFailed {
			failed = append(failed, fmt.Sprintf("%s (%s): %s", r.Tenant, r.Namespace, r.Detail))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d tenants failed and were rolled back: %s; the waves stopped", count[TenantFailed], len(results), strings.Join(failed, "; "))
	if n := count[TenantNotStarted]; n > 0 {
		fmt.Fprintf(&b, " (%d not started)", n)
	}
	if n := count[TenantRolledBack]; n > 0 {
		fmt.Fprintf(&b, "; %d updated tenants were put back on their previous release (onFailure: rollback)", n)
	}
	if n := count[TenantUnchanged]; n > 0 {
		fmt.Fprintf(&b, "; %d tenants served the release already and keep it", n)
	}
	if n := count[TenantUpdated]; n > 0 && onFailure == tenancy.OnFailureRollback {
		fmt.Fprintf(&b, "; %d updated tenants could not be put back and keep the new release (see the tenant table)", n)
	} else if n > 0 {
		fmt.Fprintf(&b, "; %d updated tenants keep the new release (onFailure: keep)", n)
	}
	return b.String() + ". Fix the failed tenants (see their history) and ship again: every tenant gets the release again"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
