package rollout

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The deploy lock of a service is a Lease in its namespace. A run takes it
// atomically (it creates the Lease, or replaces a free one at the
// resourceVersion it read, so that of two runs replacing the same version one
// wins), renews it every LeaseRenewal while it deploys, and frees it at the
// end by a replace at the version it last wrote: a run never frees a lock
// another run took over.
const (
	// LeaseDuration is how long a lock holds without renewal: the lock of a
	// run that was killed is free at most this long after its last renewal.
	LeaseDuration = 60 * time.Second
	// LeaseRenewal is how often the holder renews its lock.
	LeaseRenewal = 15 * time.Second
)

// LockName is the name of the Lease that serializes deploys of a service
// in its namespace.
func LockName(service string) string { return service + "-golden-path-deploy" }

// LeaseRecord is a deploy lock: who holds it since when, and the version of
// the Lease it was read from or written as.
type LeaseRecord struct {
	// Holder is the run holding the lock; empty when it was freed.
	Holder string
	// Duration is how long the lock holds after Renewed.
	Duration time.Duration
	// Acquired and Renewed are when the holder took and last renewed it.
	Acquired, Renewed time.Time
	// Transitions counts the times the lock changed hands.
	Transitions int
	// ResourceVersion is the Lease's version: a replace at this version
	// fails when someone else wrote the Lease since.
	ResourceVersion string
}

// Free reports whether a run may take the lock at now: nobody holds it, or
// its holder stopped renewing it for longer than its duration.
func (l LeaseRecord) Free(now time.Time) bool {
	return l.Holder == "" || now.After(l.Renewed.Add(l.Duration))
}

// ParseLease reads a Lease as `kubectl get lease -o json` prints it.
func ParseLease(data []byte) (LeaseRecord, error) {
	var l struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
		Spec struct {
			HolderIdentity       string    `json:"holderIdentity"`
			LeaseDurationSeconds int       `json:"leaseDurationSeconds"`
			AcquireTime          time.Time `json:"acquireTime"`
			RenewTime            time.Time `json:"renewTime"`
			LeaseTransitions     int       `json:"leaseTransitions"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(data, &l); err != nil {
		return LeaseRecord{}, fmt.Errorf("deploy: cannot read the deploy lock: %w", err)
	}
	return LeaseRecord{
		Holder: l.Spec.HolderIdentity, Duration: time.Duration(l.Spec.LeaseDurationSeconds) * time.Second,
		Acquired: l.Spec.AcquireTime, Renewed: l.Spec.RenewTime, Transitions: l.Spec.LeaseTransitions,
		ResourceVersion: l.Metadata.ResourceVersion,
	}, nil
}

// leaseTime is the Lease's MicroTime format.
const leaseTime = "2006-01-02T15:04:05.000000Z07:00"

// Lease returns the Lease object of service's deploy lock in namespace as
// l says. Without a ResourceVersion it is for a create; with one, for a
// replace that succeeds only while the Lease is still at that version.
func Lease(namespace, service string, l LeaseRecord) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: %s\n  namespace: %s\n", LockName(service), namespace)
	if l.ResourceVersion != "" {
		fmt.Fprintf(&b, "  resourceVersion: %q\n", l.ResourceVersion)
	}
	fmt.Fprintf(&b, "  labels:\n    app.kubernetes.io/managed-by: golden-path\nspec:\n  holderIdentity: %q\n  leaseDurationSeconds: %d\n",
		l.Holder, int(l.Duration.Seconds()))
	fmt.Fprintf(&b, "  acquireTime: %s\n  renewTime: %s\n  leaseTransitions: %d\n",
		l.Acquired.UTC().Format(leaseTime), l.Renewed.UTC().Format(leaseTime), l.Transitions)
	return []byte(b.String())
}
