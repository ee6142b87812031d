// Package dora computes the delivery metrics the platform is judged by (the
// DORA four: deployment frequency, lead time for changes, change failure
// rate, time to restore) from the release records deploys keep in each
// namespace (pipeline/rollout), per service and environment, over a window.
// Pure functions over the records and a clock: reading them from a cluster is
// the deploy module's.
package dora

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/rollout"
)

// Release is one release record, as the metrics read it.
type Release struct {
	// Service and Environment the release is of.
	Service, Environment string
	// Revision is the record's revision, 1, 2, … per service and namespace.
	Revision int
	// Commit is the commit SHA released.
	Commit string
	// CommitTime is when the commit was made (as ship was given it); zero
	// when unknown: the release then has no lead time.
	CommitTime time.Time
	// Started is when its deploy began; Finished when its fate was known
	// (zero while pending).
	Started, Finished time.Time
	// Status is the record's status.
	Status rollout.Status
	// Previous is the revision live when it started (0: none).
	Previous int
	// RollbackOf is the revision whose manifests it applied again (0: a new
	// release, a change).
	RollbackOf int
}

// verified says whether the release passed its deploy's checks (it served).
func (r Release) verified() bool {
	return r.Status == rollout.StatusDeployed || r.Status == rollout.StatusSuperseded
}

// Metrics are one service's figures in one environment over the window.
type Metrics struct {
	Service     string `json:"service"`
	Environment string `json:"environment"`
	// Deployments is how many changes (releases that are not rollbacks) were
	// verified live in the window.
	Deployments int `json:"deployments"`
	// PerDay is Deployments per day of the window.
	PerDay float64 `json:"deploymentsPerDay"`
	// LeadTime is the median time from commit to verified live of those
	// deployments whose commit time is known (LeadTimes of them), 0 when none.
	LeadTime  time.Duration `json:"leadTimeNanoseconds"`
	LeadTimes int           `json:"leadTimes"`
	// Changes is how many changes finished in the window, verified or
	// failed; Failures how many of them failed (rolled back by their deploy,
	// or verified and rolled back by a later rollback release).
	Changes  int `json:"changes"`
	Failures int `json:"failures"`
	// ChangeFailureRate is Failures / Changes, 0 when there was no change.
	ChangeFailureRate float64 `json:"changeFailureRate"`
	// TimeToRestore is the median time from a failed change's start to the
	// next verified release of the service (a fix, a rollback, a release), over
	// the Restores failures that have one; Unrestored have none yet.
	TimeToRestore time.Duration `json:"timeToRestoreNanoseconds"`
	Restores      int           `json:"restores"`
	Unrestored    int           `json:"unrestored"`
}

// Compute returns the metrics of every service and environment of releases
// over the window (now-since, now], sorted by service then environment. A
// release counts in the window by when it finished.
func Compute(releases []Release, now time.Time, since time.Duration) ([]Metrics, error) {
	if since <= 0 {
		return nil, fmt.Errorf("dora: the window must be positive, not %s: e.g. --since 720h (30 days)", since)
	}
	from := now.Add(-since)
	in := func(t time.Time) bool { return !t.IsZero() && t.After(from) && !t.After(now) }
	type key struct{ service, env string }
	groups := map[key][]Release{}
	var keys []key
	for _, r := range releases {
		k := key{r.Service, r.Environment}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(strings.Compare(a.service, b.service), strings.Compare(a.env, b.env))
	})

	var out []Metrics
	for _, k := range keys {
		rs := groups[k]
		slices.SortFunc(rs, func(a, b Release) int { return cmp.Compare(a.Revision, b.Revision) })
		m := Metrics{Service: k.service, Environment: k.env}
		rolledBack := map[int]bool{}
		for _, r := range rs {
			if r.RollbackOf > 0 && r.verified() && r.Previous > 0 {
				rolledBack[r.Previous] = true
			}
		}
		var leads, restores []time.Duration
		for i, r := range rs {
			if r.RollbackOf > 0 || !in(r.Finished) {
				continue
			}
			failed := r.Status == rollout.StatusFailed || (r.verified() && rolledBack[r.Revision])
			if r.verified() {
				m.Deployments++
				if !r.CommitTime.IsZero() && !r.Finished.Before(r.CommitTime) {
					leads = append(leads, r.Finished.Sub(r.CommitTime))
				}
			}
			if !r.verified() && !failed {
				continue
			}
			m.Changes++
			if !failed {
				continue
			}
			m.Failures++
			restored := false
			for _, next := range rs[i+1:] {
				if next.verified() && !next.Finished.IsZero() {
					restores = append(restores, next.Finished.Sub(r.Started))
					restored = true
					break
				}
			}
			if !restored {
				m.Unrestored++
			}
		}
		m.PerDay = float64(m.Deployments) / (since.Hours() / 24)
		m.LeadTime, m.LeadTimes = median(leads), len(leads)
		m.TimeToRestore, m.Restores = median(restores), len(restores)
		if m.Changes > 0 {
			m.ChangeFailureRate = float64(m.Failures) / float64(m.Changes)
		}
		out = append(out, m)
	}
	return out, nil
}

// median is the median of ds (the mean of the middle two for an even
// count), 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Markdown renders metrics as a table, the window named in its heading.
func Markdown(metrics []Metrics, since time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Delivery metrics, last %s\n\n", window(since))
	if len(metrics) == 0 {
		b.WriteString("No release in the window.\n")
		return b.String()
	}
	b.WriteString("| Service | Environment | Deployments | Per day | Lead time (median) | Change failure rate | Time to restore (median) |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, m := range metrics {
		lead := "–"
		if m.LeadTimes > 0 {
			lead = fmt.Sprintf("%s (%d)", round(m.LeadTime), m.LeadTimes)
		}
		cfr := "–"
		if m.Changes > 0 {
			cfr = fmt.Sprintf("%.0f%% (%d of %d)", 100*m.ChangeFailureRate, m.Failures, m.Changes)
		}
		restore := "–"
		if m.Restores > 0 {
			restore = fmt.Sprintf("%s (%d)", round(m.TimeToRestore), m.Restores)
		}
		if m.Unrestored > 0 {
			restore += fmt.Sprintf(", %d not restored", m.Unrestored)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.2f | %s | %s | %s |\n", m.Service, m.Environment, m.Deployments, m.PerDay, lead, cfr, restore)
	}
	return b.String()
}

// window names a window in days when it is whole days.
func window(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		days := int(d / (24 * time.Hour))
		if days == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", days)
	}
	return d.String()
}

// round keeps a duration readable: seconds under an hour, minutes above.
func round(d time.Duration) time.Duration {
	if d < time.Hour {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}

// FromRecords are the releases of stored records; a record made before
// records named their environment counts under its namespace.
func FromRecords(records []rollout.StoredRecord) []Release {
	out := make([]Release, 0, len(records))
	for _, r := range records {
		env := r.Environment
		if env == "" {
			env = r.Namespace
		}
		out = append(out, Release{
			Service: r.Service, Environment: env, Revision: r.Revision, Commit: r.Commit, CommitTime: r.CommitTime,
			Started: r.Started, Finished: r.Finished, Status: r.Status, Previous: r.Previous, RollbackOf: r.RollbackOf,
		})
	}
	return out
}
