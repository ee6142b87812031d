package rollout

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// A release record is what one deploy applied, kept in the release's
// namespace as a ConfigMap (the deployer may not touch Secrets, so a release
// never holds one): the manifests as applied, the image, commit and run, when
// it started, and the inventory of the objects it owns. Its status lives in a
// label, set by a field manager of its own once the release's fate is known;
// a record without one is a release whose deploy never finished.
const (
	// LabelReleaseOf names the service a record belongs to.
	LabelReleaseOf = "golden-path.dev/release-of"
	// LabelRevision is the record's revision, 1, 2, …
	LabelRevision = "golden-path.dev/revision"
	// LabelStatus is the record's Status.
	LabelStatus = "golden-path.dev/status"
	// AnnotationFinished is when the release's fate was known (RFC 3339).
	AnnotationFinished = "golden-path.dev/finished"
	// AnnotationMessage says why a release failed, or what it replaced.
	AnnotationMessage = "golden-path.dev/message"
	// StatusFieldManager owns a record's status, apart from the field
	// manager that applies releases.
	StatusFieldManager = "golden-path-release-status"
	// HistoryMax is how many records of a service are kept.
	HistoryMax = 10
)

// Status is where a release stands.
type Status string

// The statuses of a release record.
const (
	// StatusPending: applied, fate unknown (its deploy runs, or died).
	StatusPending Status = "pending"
	// StatusDeployed: verified; what serves now.
	StatusDeployed Status = "deployed"
	// StatusSuperseded: was deployed; a later release replaced it.
	StatusSuperseded Status = "superseded"
	// StatusFailed: did not verify and was rolled back (or removed).
	StatusFailed Status = "failed"
)

// ObjectRef names one object of a release in its namespace.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// Group is the object's API group ("" for the core group).
func (o ObjectRef) Group() string {
	g, _, ok := strings.Cut(o.APIVersion, "/")
	if !ok {
		return ""
	}
	return g
}

// String is the object as kubectl names it: Kind[.group]/name, e.g.
// Deployment.apps/hello-api, ConfigMap/hello-api-settings.
func (o ObjectRef) String() string {
	if g := o.Group(); g != "" {
		return o.Kind + "." + g + "/" + o.Name
	}
	return o.Kind + "/" + o.Name
}

// same says whether o and p are the same object (any version of its group).
func (o ObjectRef) same(p ObjectRef) bool {
	return o.Kind == p.Kind && o.Name == p.Name && o.Group() == p.Group()
}

// Inventory lists the objects of rendered manifests, in their order.
func Inventory(manifests []byte) ([]ObjectRef, error) {
	dec := yaml.NewDecoder(bytes.NewReader(manifests))
	var refs []ObjectRef
	for {
		var obj struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Metadata   struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		}
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("deploy: the rendered manifests are not YAML: %w", err)
		}
		if obj.Kind == "" && obj.Metadata.Name == "" {
			continue // an empty document
		}
		if obj.APIVersion == "" || obj.Kind == "" || obj.Metadata.Name == "" {
			return nil, fmt.Errorf("deploy: the rendered manifests hold a document that is not a Kubernetes object (apiVersion %q, kind %q, name %q)",
				obj.APIVersion, obj.Kind, obj.Metadata.Name)
		}
		refs = append(refs, ObjectRef{APIVersion: obj.APIVersion, Kind: obj.Kind, Name: obj.Metadata.Name})
	}
	return refs, nil
}

// Missing lists the objects of from that are not in to: what a release
// that replaces from with to must remove.
func Missing(from, to []ObjectRef) []ObjectRef {
	var out []ObjectRef
	for _, o := range from {
		if !slices.ContainsFunc(to, o.same) {
			out = append(out, o)
		}
	}
	return out
}

// Record is one release of a service, as its deploy recorded it.
type Record struct {
	Service   string `json:"service"`
	Namespace string `json:"namespace"`
	Revision  int    `json:"revision"`
	Image     string `json:"image"`
	Commit    string `json:"commit"`
	// CommitTime is when the commit was made, as ship was given it (zero when
	// not): the start of the release's lead time.
	CommitTime time.Time `json:"commitTime,omitzero"`
	// Environment is the environment released to (empty in records made
	// before it was recorded).
	Environment string      `json:"environment,omitempty"`
	Run         string      `json:"run"`
	Started     time.Time   `json:"started"`
	Inventory   []ObjectRef `json:"inventory"`
	// HealthPaths and SmokePath are what the smoke test called.
	HealthPaths []string `json:"healthPaths,omitempty"`
	SmokePath   string   `json:"smokePath,omitempty"`
	// Previous is the revision that was deployed when this one started (0: none).
	Previous int `json:"previous,omitempty"`
	// RollbackOf is the revision whose manifests this release applied again (0: a new release).
	RollbackOf int `json:"rollbackOf,omitempty"`
}

// RecordName is the name of the ConfigMap of a service's revision.
func RecordName(service string, revision int) string {
	return service + ".release.v" + strconv.Itoa(revision)
}

// recordKeys are the data keys of a record's ConfigMap.
const (
	recordKey    = "record.json"
	manifestsKey = "release.yaml"
)

type configMap struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"metadata"`
	Data map[string]string `json:"data,omitempty"`
}

func newConfigMap(namespace, name string) configMap {
	var c configMap
	c.APIVersion, c.Kind = "v1", "ConfigMap"
	c.Metadata.Name, c.Metadata.Namespace = name, namespace
	return c
}

// ConfigMap is the record with the manifests it applied, as the JSON of the
// ConfigMap that keeps them; it has no status yet (pending).
func (r Record) ConfigMap(manifests []byte) ([]byte, error) {
	rec, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	c := newConfigMap(r.Namespace, RecordName(r.Service, r.Revision))
	c.Metadata.Labels = map[string]string{
		"app.kubernetes.io/managed-by": "golden-path",
		LabelReleaseOf:                 r.Service,
		LabelRevision:                  strconv.Itoa(r.Revision),
	}
	c.Data = map[string]string{recordKey: string(rec), manifestsKey: string(manifests)}
	return json.MarshalIndent(c, "", "  ")
}

// StoredRecord is a record as the cluster keeps it.
type StoredRecord struct {
	Record
	Status   Status
	Finished time.Time
	Message  string
	// Observed is when the observe stage saw the release scraped (zero: not
	// seen, or not asked).
	Observed time.Time
	// Manifests are the manifests the release applied.
	Manifests []byte
}

// ParseRecords reads the records of service from the JSON of `kubectl get
// configmaps -l golden-path.dev/release-of=<service> -o json`, by revision;
// with service "", the records of every service (by service, then revision).
func ParseRecords(list []byte, service string) ([]StoredRecord, error) {
	var l struct {
		Items []configMap `json:"items"`
	}
	if err := json.Unmarshal(list, &l); err != nil {
		return nil, fmt.Errorf("deploy: the release records of %s are not readable: %w", service, err)
	}
	var out []StoredRecord
	for _, c := range l.Items {
		if of := c.Metadata.Labels[LabelReleaseOf]; of == "" || (service != "" && of != service) {
			continue
		}
		var s StoredRecord
		if err := json.Unmarshal([]byte(c.Data[recordKey]), &s.Record); err != nil {
			return nil, fmt.Errorf("deploy: the release record %s is not readable (%s): delete it, or restore it as it was", c.Metadata.Name, err)
		}
		s.Manifests = []byte(c.Data[manifestsKey])
		s.Status = Status(c.Metadata.Labels[LabelStatus])
		if s.Status == "" {
			s.Status = StatusPending
		}
		s.Message = c.Metadata.Annotations[AnnotationMessage]
		if f := c.Metadata.Annotations[AnnotationFinished]; f != "" {
			s.Finished, _ = time.Parse(time.RFC3339Nano, f)
		}
		if o := c.Metadata.Annotations[AnnotationObserved]; o != "" {
			s.Observed, _ = time.Parse(time.RFC3339Nano, o)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b StoredRecord) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), a.Revision-b.Revision)
	})
	return out, nil
}

// Current is the release that serves: the latest deployed record, or nil.
func Current(records []StoredRecord) *StoredRecord {
	for i := len(records) - 1; i >= 0; i-- {
		if records[i].Status == StatusDeployed {
			return &records[i]
		}
	}
	return nil
}

// Unfinished lists the pending records after the current release: under
// the deploy lock, releases whose deploy died between apply and verdict.
// Their objects may be in the cluster.
func Unfinished(records []StoredRecord) []StoredRecord {
	after := 0
	if c := Current(records); c != nil {
		after = c.Revision
	}
	var out []StoredRecord
	for _, r := range records {
		if r.Revision > after && r.Status == StatusPending {
			out = append(out, r)
		}
	}
	return out
}

// Owned is what the current release and the unfinished ones after it may
// have put in the cluster: what a new release that replaces them removes
// when it does not have it.
func Owned(records []StoredRecord) []ObjectRef {
	var out []ObjectRef
	add := func(refs []ObjectRef) {
		for _, o := range refs {
			if !slices.ContainsFunc(out, o.same) {
				out = append(out, o)
			}
		}
	}
	if c := Current(records); c != nil {
		add(c.Inventory)
	}
	for _, r := range Unfinished(records) {
		add(r.Inventory)
	}
	return out
}

// NextRevision is the revision of the next release.
func NextRevision(records []StoredRecord) int {
	if len(records) == 0 {
		return 1
	}
	return records[len(records)-1].Revision + 1
}

// Beyond lists the records beyond the HistoryMax latest, oldest first; a
// deployed record is never among them.
func Beyond(records []StoredRecord) []StoredRecord {
	if len(records) <= HistoryMax {
		return nil
	}
	var out []StoredRecord
	for _, r := range records[:len(records)-HistoryMax] {
		if r.Status != StatusDeployed {
			out = append(out, r)
		}
	}
	return out
}

// StatusUpdate sets the status of one revision. The status field manager
// owns the status, finished time and message together: an update leaves out
// none of them it means to keep (a server-side apply removes what its field
// manager set before and sets no more).
type StatusUpdate struct {
	Revision int
	Status   Status
	Finished time.Time
	Message  string
}

// StatusPatch is the JSON of a List of partial ConfigMaps that, applied
// server-side by StatusFieldManager, set the status of service's records.
func StatusPatch(namespace, service string, updates ...StatusUpdate) ([]byte, error) {
	items := make([]configMap, 0, len(updates))
	for _, u := range updates {
		c := newConfigMap(namespace, RecordName(service, u.Revision))
		c.Metadata.Labels = map[string]string{LabelStatus: string(u.Status)}
		c.Metadata.Annotations = map[string]string{}
		if !u.Finished.IsZero() {
			c.Metadata.Annotations[AnnotationFinished] = u.Finished.UTC().Format(time.RFC3339Nano)
		}
		if u.Message != "" {
			c.Metadata.Annotations[AnnotationMessage] = u.Message
		}
		items = append(items, c)
	}
	return json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
}

// listed is an object as `kubectl get -o json` prints it.
type listed struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name          string            `json:"name"`
		Labels        map[string]string `json:"labels"`
		ManagedFields []struct {
			Manager string `json:"manager"`
		} `json:"managedFields"`
	} `json:"metadata"`
}

func (o listed) ref() ObjectRef {
	return ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Metadata.Name}
}

// readListed reads the output of `kubectl get -o json`: nothing (none
// found with --ignore-not-found), one object, or a list (its items).
func readListed(out []byte) ([]listed, error) {
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, nil
	}
	var l struct {
		listed
		Items []listed `json:"items"`
	}
	if err := json.Unmarshal(out, &l); err != nil {
		return nil, err
	}
	if l.Items != nil || l.Kind == "List" {
		return l.Items, nil
	}
	return []listed{l.listed}, nil
}

// Objects lists the objects in the output of `kubectl get -o json`
// (nothing, one object, or a List).
func Objects(out []byte) ([]ObjectRef, error) {
	items, err := readListed(out)
	if err != nil {
		return nil, fmt.Errorf("deploy: the objects in the cluster are not readable: %w", err)
	}
	refs := make([]ObjectRef, 0, len(items))
	for _, it := range items {
		refs = append(refs, it.ref())
	}
	return refs, nil
}

// Others lists, as Kind/name, the objects of a namespace (the JSON of a
// `kubectl get <kinds> -o json`) that are not service's: not in its
// inventory, not its release records nor its deploy lock, and not what
// Kubernetes puts in every namespace. A namespace with others is never
// deleted by service's deploy.
func Others(list []byte, service string, inventory []ObjectRef) ([]string, error) {
	items, err := readListed(list)
	if err != nil {
		return nil, fmt.Errorf("deploy: the namespace's objects are not readable: %w", err)
	}
	var out []string
	for _, it := range items {
		switch {
		case slices.ContainsFunc(inventory, it.ref().same),
			it.Kind == "ConfigMap" && (it.Metadata.Name == "kube-root-ca.crt" || it.Metadata.Labels[LabelReleaseOf] == service),
			it.Kind == "ServiceAccount" && it.Metadata.Name == "default",
			it.Kind == "Lease" && it.Metadata.Name == LockName(service):
			continue
		}
		out = append(out, it.Kind+"/"+it.Metadata.Name)
	}
	return out, nil
}
