package trivydb

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The database's layout, as trivy-db writes it for Debian 12.
const (
	// SchemaVersion is the trivy-db schema Trivy v0.74.0 reads; Trivy
	// downloads it as tag ":2" of the DB repository.
	SchemaVersion = 2
	// DBFile and MetadataFile are the files of a database folder (Trivy's
	// <cache-dir>/db).
	DBFile       = "trivy.db"
	MetadataFile = "metadata.json"

	// DataSourceBucket maps each advisory bucket to where its data came
	// from.
	DataSourceBucket = "data-source"
	// DebianBucket holds one nested bucket per Debian 12 source package,
	// mapping vulnerability IDs to advisories.
	DebianBucket = "debian 12"
	// PipBucket holds one nested bucket per Python distribution (its name
	// lower case, "_" as "-"), as trivy-db's GitHub Security Advisory
	// source writes them; Trivy reads every bucket named "pip::…".
	PipBucket = "pip::GitHub Security Advisory pip"
	// VulnerabilityBucket maps vulnerability IDs to their details.
	VulnerabilityBucket = "vulnerability"
)

// farFuture is the NextUpdate of a planted database: Trivy never considers
// it stale, so it never tries to download a newer one.
var farFuture = time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC)

// dataSource is a data-source value.
type dataSource struct {
	ID   string `json:",omitempty"`
	Name string `json:",omitempty"`
	URL  string `json:",omitempty"`
}

// debianSource is the data source trivy-db records for Debian advisories.
var debianSource = dataSource{
	ID:   "debian",
	Name: "Debian Security Tracker",
	URL:  "https://salsa.debian.org/security-tracker-team/security-tracker",
}

// pipSource is the data source trivy-db records for pip advisories.
var pipSource = dataSource{
	ID:   "ghsa",
	Name: "GitHub Security Advisory pip",
	URL:  "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip",
}

// statusAffected is trivy-db's number for "affected", which it stores for
// Debian's unfixed vulnerabilities.
const statusAffected = 2

// advisory is a "debian 12"/<pkg>/<id> value (the fixed version, or the
// status when there is no fix) or a pip one (version ranges).
type advisory struct {
	FixedVersion       string   `json:",omitempty"`
	Status             int      `json:",omitempty"`
	VulnerableVersions []string `json:",omitempty"`
	PatchedVersions    []string `json:",omitempty"`
}

// vulnerability is a vulnerability/<id> value. Trivy takes the severity
// from VendorSeverity["debian"] for Debian packages and ["ghsa"] for pip
// ones, NVD's as fallback.
type vulnerability struct {
	Title          string         `json:",omitempty"`
	Description    string         `json:",omitempty"`
	Severity       string         `json:",omitempty"`
	VendorSeverity map[string]int `json:",omitempty"`
}

// Metadata is the content of metadata.json.
type Metadata struct {
	// Version is the schema version, SchemaVersion.
	Version int
	// NextUpdate is when Trivy would look for a newer database.
	NextUpdate time.Time
	// UpdatedAt is when the database was built.
	UpdatedAt time.Time
	// DownloadedAt is when it was downloaded; Trivy needs it set to use a
	// pre-filled cache without downloading.
	DownloadedAt time.Time
}

// Write writes the database of advisories into dir (created if needed):
// dir/trivy.db and dir/metadata.json, replacing any already there. now is
// the build and download time.
func Write(dir string, advisories []Advisory, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, DBFile)
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return fill(tx, advisories) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	now = now.UTC()
	meta, err := json.Marshal(Metadata{Version: SchemaVersion, NextUpdate: farFuture, UpdatedAt: now, DownloadedAt: now})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, MetadataFile), append(meta, '\n'), 0o644)
}

// fill puts the advisories into an empty database.
func fill(tx *bolt.Tx, advisories []Advisory) error {
	sources, err := tx.CreateBucket([]byte(DataSourceBucket))
	if err != nil {
		return err
	}
	if err := putJSON(sources, DebianBucket, debianSource); err != nil {
		return err
	}
	debian, err := tx.CreateBucket([]byte(DebianBucket))
	if err != nil {
		return err
	}
	vulns, err := tx.CreateBucket([]byte(VulnerabilityBucket))
	if err != nil {
		return err
	}
	var pip *bolt.Bucket // created with the first pip advisory
	for _, a := range advisories {
		var pkg *bolt.Bucket
		var adv advisory
		switch a.Ecosystem {
		case "", Debian:
			if pkg, err = debian.CreateBucketIfNotExists([]byte(a.SourcePackage)); err != nil {
				return err
			}
			adv.FixedVersion = a.FixedVersion
			if a.FixedVersion == "" {
				adv.Status = statusAffected
			}
		case Pip:
			if pip == nil {
				if err := putJSON(sources, PipBucket, pipSource); err != nil {
					return err
				}
				if pip, err = tx.CreateBucket([]byte(PipBucket)); err != nil {
					return err
				}
			}
			if pkg, err = pip.CreateBucketIfNotExists([]byte(pipName(a.Package))); err != nil {
				return err
			}
			adv.VulnerableVersions, adv.PatchedVersions = []string{"<" + a.FixedVersion}, []string{a.FixedVersion}
		default:
			return fmt.Errorf("%s: ecosystem %q is not one of %s, %s", a.ID, a.Ecosystem, Debian, Pip)
		}
		if err := putJSON(pkg, a.ID, adv); err != nil {
			return err
		}
		sev := severityNumber(a.Severity)
		if sev < 0 {
			return fmt.Errorf("%s: severity %q is not one of %v", a.ID, a.Severity, severities)
		}
		if err := putJSON(vulns, a.ID, vulnerability{
			Title:          a.Title,
			Description:    a.Description,
			Severity:       a.Severity,
			VendorSeverity: map[string]int{"debian": sev, "ghsa": sev, "nvd": sev},
		}); err != nil {
			return err
		}
	}
	return nil
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}
