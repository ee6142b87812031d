package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A release is verified when its deploy's rollout and smoke test passed
// (status deployed) and the observe stage then saw Prometheus scrape it: the
// observe stage marks its record so, by a field manager of its own.
const (
	// AnnotationObserved is when the observe stage saw the release scraped
	// (RFC 3339).
	AnnotationObserved = "golden-path.dev/observed"
	// ObservedFieldManager owns a record's AnnotationObserved.
	ObservedFieldManager = "golden-path-release-observed"
)

// ObservedPatch is the JSON of the partial ConfigMap that, applied
// server-side by ObservedFieldManager, marks service's revision as observed
// at t.
func ObservedPatch(namespace, service string, revision int, t time.Time) ([]byte, error) {
	c := newConfigMap(namespace, RecordName(service, revision))
	c.Metadata.Annotations = map[string]string{AnnotationObserved: t.UTC().Format(time.RFC3339Nano)}
	return json.MarshalIndent(c, "", "  ")
}

// Promotion is a release that may go on to the next environment: verified
// and serving in its own. Its image is promoted as it is, by digest.
type Promotion struct {
	// Service is the service's name.
	Service string `json:"service"`
	// Namespace and Environment are where the release serves.
	Namespace   string `json:"namespace"`
	Environment string `json:"environment,omitempty"`
	// Revision is the release's revision there.
	Revision int `json:"revision"`
	// Image is the image, by digest.
	Image string `json:"image"`
	// Commit and CommitTime are the release's commit and when it was made
	// (zero when not known): the promoted release keeps them, so that its
	// lead time runs from the commit.
	Commit     string    `json:"commit"`
	CommitTime time.Time `json:"commitTime,omitzero"`
	// Verified is when the observe stage saw it scraped.
	Verified time.Time `json:"verified"`
}

// ErrNotPromotable is the error of a release that may not be promoted
// (IsNotPromotable).
var ErrNotPromotable = errors.New("not promotable")

// IsNotPromotable says whether err is a refused promotion.
func IsNotPromotable(err error) bool { return errors.Is(err, ErrNotPromotable) }

type promotionError struct{ msg string }

func (e *promotionError) Error() string        { return e.msg }
func (e *promotionError) Is(target error) bool { return target == ErrNotPromotable }

func refuse(format string, args ...any) error {
	return &promotionError{fmt.Sprintf(format, args...)}
}

// Promotable is the release of records (one service's, in one namespace) to
// promote: with image "", the release that serves; else image's latest
// release, which must be the one that serves. It is refused, saying why and
// what to do, when there is none, or when it failed, was rolled back, was
// replaced, never finished its deploy, or was never observed; and, with
// commit not "", when it is of another commit (a job promotes the commit it
// was started for).
func Promotable(records []StoredRecord, image, commit string) (*Promotion, error) {
	if len(records) == 0 {
		return nil, refuse("there is no release to promote: nothing was ever deployed there; ship to that environment first")
	}
	var rec *StoredRecord
	if image == "" {
		if rec = Current(records); rec == nil {
			last := records[len(records)-1]
			return nil, refuse("no release serves verified: the last, revision %d (image %s), %s; ship again and let it verify",
				last.Revision, last.Image, statusPhrase(last))
		}
	} else {
		for i := len(records) - 1; i >= 0 && rec == nil; i-- {
			if records[i].Image == image {
				rec = &records[i]
			}
		}
		if rec == nil {
			return nil, refuse("image %s was never deployed there (its last %d releases; see history): promote what serves there, or ship it first",
				image, len(records))
		}
		if rec.Status != StatusDeployed {
			return nil, refuse("image %s, revision %d, %s; promote what serves there (see history), or ship a fix", image, rec.Revision, statusPhrase(*rec))
		}
	}
	if rec.Observed.IsZero() {
		return nil, refuse("revision %d (image %s) passed its rollout and smoke test but was never observed: the observe stage did not see Prometheus scrape it (shipped without --prometheus-url, or with --on-observe-failure=warn when it failed); ship it again with Prometheus",
			rec.Revision, rec.Image)
	}
	if commit != "" && commit != rec.Commit {
		return nil, refuse("revision %d (image %s) is of commit %s, not %s: promote from a run of that commit, or ship %s there first",
			rec.Revision, rec.Image, ShortCommit(rec.Commit), ShortCommit(commit), ShortCommit(commit))
	}
	return &Promotion{
		Service: rec.Service, Namespace: rec.Namespace, Environment: rec.Environment, Revision: rec.Revision,
		Image: rec.Image, Commit: rec.Commit, CommitTime: rec.CommitTime, Verified: rec.Observed,
	}, nil
}

// statusPhrase says what became of a release that is not serving.
func statusPhrase(r StoredRecord) string {
	why := ""
	if r.Message != "" {
		why = ": " + r.Message
	}
	switch r.Status {
	case StatusFailed:
		return "failed and was rolled back" + why
	case StatusSuperseded:
		return "no longer serves" + why
	case StatusPending:
		return "never finished its deploy (its run died before the verdict)"
	}
	return "is " + string(r.Status) + why
}

// ShortCommit is a commit SHA as people read it: its first 12 digits.
func ShortCommit(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// SameRelease says why promotions, one per tenant of an environment, are
// not of one release (the same image and commit), or returns nil: an
// environment whose tenants serve different releases is not promoted.
func SameRelease(found []Promotion) error {
	var differ []string
	for _, p := range found[1:] {
		if p.Image != found[0].Image || p.Commit != found[0].Commit {
			differ = append(differ, fmt.Sprintf("%s serves %s (revision %d, commit %s)", p.Namespace, p.Image, p.Revision, ShortCommit(p.Commit)))
		}
	}
	if len(differ) == 0 {
		return nil
	}
	return refuse("the tenants do not serve one release: %s serves %s (revision %d, commit %s), but %s; ship or promote one release to all of them first",
		found[0].Namespace, found[0].Image, found[0].Revision, ShortCommit(found[0].Commit), strings.Join(differ, "; "))
}
