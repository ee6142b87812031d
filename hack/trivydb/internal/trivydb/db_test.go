package trivydb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"gotest.tools/v3/assert"
)

var buildTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

var planted = []Advisory{
	{ID: "CVE-2099-0001", SourcePackage: "apt", FixedVersion: "2.6.1+gp1", Severity: "CRITICAL", Title: "planted test advisory"},
	{ID: "CVE-2099-0002", SourcePackage: "zlib", Severity: "HIGH", Title: "no fix yet", Description: "every zlib"},
	{ID: "CVE-2099-0001", SourcePackage: "glibc", FixedVersion: "2.36-9+deb12u99", Severity: "CRITICAL", Title: "planted test advisory"},
	{ID: "CVE-2099-0003", Ecosystem: Pip, Package: "Gp_Demo", FixedVersion: "2.0", Severity: "CRITICAL", Title: "planted pip advisory"},
}

// dumpDB returns every key of the database file, nested buckets as
// "bucket/sub/key", with its value (buckets map to "<bucket>").
func dumpDB(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	assert.NilError(t, err)
	defer db.Close()
	got := map[string]string{}
	var walk func(prefix string, b *bolt.Bucket) error
	walk = func(prefix string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			key := prefix + "/" + string(k)
			if v == nil {
				got[key] = "<bucket>"
				return walk(key, b.Bucket(k))
			}
			got[key] = string(v)
			return nil
		})
	}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			got[string(name)] = "<bucket>"
			return walk(string(name), b)
		})
	})
	assert.NilError(t, err)
	return got
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, Write(dir, planted, buildTime))

	assert.DeepEqual(t, dumpDB(t, filepath.Join(dir, DBFile)), map[string]string{
		"data-source":           "<bucket>",
		"data-source/debian 12": `{"ID":"debian","Name":"Debian Security Tracker","URL":"https://salsa.debian.org/security-tracker-team/security-tracker"}`,
		"data-source/pip::GitHub Security Advisory pip": `{"ID":"ghsa","Name":"GitHub Security Advisory pip","URL":"https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip"}`,

		"pip::GitHub Security Advisory pip":                       "<bucket>",
		"pip::GitHub Security Advisory pip/gp-demo":               "<bucket>",
		"pip::GitHub Security Advisory pip/gp-demo/CVE-2099-0003": `{"VulnerableVersions":["\u003c2.0"],"PatchedVersions":["2.0"]}`,
		"vulnerability/CVE-2099-0003":                             `{"Title":"planted pip advisory","Severity":"CRITICAL","VendorSeverity":{"debian":4,"ghsa":4,"nvd":4}}`,

		"debian 12":                     "<bucket>",
		"debian 12/apt":                 "<bucket>",
		"debian 12/apt/CVE-2099-0001":   `{"FixedVersion":"2.6.1+gp1"}`,
		"debian 12/glibc":               "<bucket>",
		"debian 12/glibc/CVE-2099-0001": `{"FixedVersion":"2.36-9+deb12u99"}`,
		"debian 12/zlib":                "<bucket>",
		"debian 12/zlib/CVE-2099-0002":  `{"Status":2}`,
		"vulnerability":                 "<bucket>",
		"vulnerability/CVE-2099-0001":   `{"Title":"planted test advisory","Severity":"CRITICAL","VendorSeverity":{"debian":4,"ghsa":4,"nvd":4}}`,
		"vulnerability/CVE-2099-0002":   `{"Title":"no fix yet","Description":"every zlib","Severity":"HIGH","VendorSeverity":{"debian":3,"ghsa":3,"nvd":3}}`,
	})

	data, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	assert.NilError(t, err)
	assert.Equal(t, string(data),
		`{"Version":2,"NextUpdate":"2999-12-31T00:00:00Z","UpdatedAt":"2026-11-25T10:00:00Z","DownloadedAt":"2026-11-25T10:00:00Z"}`+"\n")
	var meta Metadata
	assert.NilError(t, json.Unmarshal(data, &meta))
	assert.Assert(t, meta.NextUpdate.After(time.Now().AddDate(100, 0, 0)), "NextUpdate must stay in the future")
}

// TestWriteReplaces checks that a second build does not keep advisories of
// the first: bbolt would otherwise add to the existing file.
func TestWriteReplaces(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, Write(dir, planted, buildTime))
	assert.NilError(t, Write(dir, planted[:1], buildTime))
	got := dumpDB(t, filepath.Join(dir, DBFile))
	_, hasZlib := got["debian 12/zlib"]
	assert.Assert(t, !hasZlib, "the zlib advisory of the first build is still there: %v", got)
	assert.Equal(t, got["debian 12/apt/CVE-2099-0001"], `{"FixedVersion":"2.6.1+gp1"}`)
}

func TestWriteEmpty(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, Write(dir, nil, buildTime))
	assert.DeepEqual(t, dumpDB(t, filepath.Join(dir, DBFile)), map[string]string{
		"data-source":           "<bucket>",
		"data-source/debian 12": `{"ID":"debian","Name":"Debian Security Tracker","URL":"https://salsa.debian.org/security-tracker-team/security-tracker"}`,
		"debian 12":             "<bucket>",
		"vulnerability":         "<bucket>",
	})
}
