package vuln

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/internal/suggest"
	"github.com/golden-path/golden-path/pipeline/yamlfile"
	"gopkg.in/yaml.v3"
)

// Fixes shared by several ignore file problems.
const (
	fixStatement = "add a statement: why this is safe to ignore (e.g. the vulnerable code is never called), " +
		"with a ticket reference"
	fixExpiredAt = "add expired_at: YYYY-MM-DD, at most a year ahead"
	fixID        = "add an id: the vulnerability ID as Trivy reports it, e.g. id: CVE-2023-1234"
)

// ignoreEntryKeys are the keys an entry may have, in the order to list them.
var ignoreEntryKeys = []string{"id", "statement", "expired_at", "paths"}

// ParseIgnoreFile parses an ignore file: Trivy's .trivyignore.yaml format,
//
//	vulnerabilities:
//	  - id: CVE-2023-1234
//	    statement: "Not reachable: we never call inflateGetHeader (JIRA SEC-42)"
//	    expired_at: 2026-03-31
//	    paths: ["usr/lib/**"]   # optional
//
// with statement and expired_at required for every entry. file names the
// file in error messages (IgnoreFileName when empty). An empty file ignores
// nothing. On failure the error is an *IgnoreFileError listing every
// problem, each with its line, entry and fix: missing or empty fields,
// invalid dates or path patterns, unknown keys and IDs listed twice.
// Whether expiry dates are at most a year ahead depends on the date: check
// it with CheckExpiry.
func ParseIgnoreFile(data []byte, file string) (*IgnoreFile, error) {
	if file == "" {
		file = IgnoreFileName
	}
	root, problem := ignoreDocument(data, file)
	if problem != nil {
		return nil, &IgnoreFileError{File: file, Errors: []*yamlfile.FieldError{problem}}
	}
	p := &ignoreParser{file: file}
	f := &IgnoreFile{File: file}
	if root != nil {
		f.Entries = p.root(root)
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, &IgnoreFileError{File: file, Errors: p.errs}
	}
	return f, nil
}

// ignoreDocument returns the root mapping of the single YAML document in
// data, nil for an empty file, or the problem that prevents reading it.
func ignoreDocument(data []byte, file string) (*yaml.Node, *yamlfile.FieldError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || (err == nil && yamlfile.IsEmpty(&doc)) {
		return nil, nil
	}
	if err != nil {
		return nil, yamlfile.SyntaxError(file, data, err)
	}
	root := yamlfile.ResolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		fe := &yamlfile.FieldError{
			File:   file,
			Line:   root.Line,
			Reason: fmt.Sprintf("the file holds %s, not a vulnerabilities: list", yamlfile.Describe(root)),
			Fix: "start the file with the line \"vulnerabilities:\" and list the entries below it, " +
				"each with id, statement and expired_at",
		}
		switch root.Kind {
		case yaml.SequenceNode:
			fe.Reason = "the file holds a list without the vulnerabilities: key above it"
			fe.Fix = "add the line \"vulnerabilities:\" at the top and indent the list under it"
		case yaml.ScalarNode:
			fe.Fix = "this file takes Trivy's YAML ignore format, not the one-ID-per-line .trivyignore: " + fe.Fix
		}
		return nil, fe
	}
	if err := yamlfile.RequireSingleDocument(dec, file, data, "move its entries under the first vulnerabilities:"); err != nil {
		return nil, err
	}
	return root, nil
}

// ignoreParser reads an ignore file's node tree, collecting every problem.
type ignoreParser struct {
	file string
	errs []*yamlfile.FieldError
}

func (p *ignoreParser) add(line int, field, reason, fix string) {
	p.errs = append(p.errs, &yamlfile.FieldError{File: p.file, Line: line, Field: field, Reason: reason, Fix: fix})
}

// root reads the top-level mapping.
func (p *ignoreParser) root(n *yaml.Node) []IgnoreEntry {
	var entries []IgnoreEntry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if first, dup := seen[key.Value]; dup {
			p.add(key.Line, key.Value, fmt.Sprintf("is set twice (first on line %d)", first),
				"keep one vulnerabilities: list and move the entries of the other into it")
			continue
		}
		seen[key.Value] = key.Line
		switch key.Value {
		case "vulnerabilities":
			entries = p.entries(yamlfile.ResolveAlias(val))
		case "misconfigurations", "secrets", "licenses":
			p.add(key.Line, key.Value,
				fmt.Sprintf("golden-path scans for vulnerabilities only (trivy --scanners vuln), so there are no %s to ignore", key.Value),
				"remove it")
		default:
			fix := "remove it; the file holds a single list, vulnerabilities:"
			if s := suggest.Closest(key.Value, []string{"vulnerabilities"}); s != "" {
				fix = fmt.Sprintf("did you mean %q?", s)
			}
			p.add(key.Line, key.Value, "not a known key", fix)
		}
	}
	p.duplicateIDs(entries)
	return entries
}

// entries reads the vulnerabilities: list.
func (p *ignoreParser) entries(n *yaml.Node) []IgnoreEntry {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "vulnerabilities", fmt.Sprintf("expected a list of entries, found %s", yamlfile.Describe(n)),
			"list the entries below it, each starting with \"- id: \"")
		return nil
	}
	entries := make([]IgnoreEntry, len(n.Content))
	for i, item := range n.Content {
		entries[i] = p.entry(yamlfile.ResolveAlias(item), fmt.Sprintf("vulnerabilities[%d]", i))
	}
	return entries
}

// entry reads one entry, field being its path, like "vulnerabilities[2]".
func (p *ignoreParser) entry(n *yaml.Node, field string) IgnoreEntry {
	e := IgnoreEntry{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, field, fmt.Sprintf("expected an entry with id, statement and expired_at, found %s", yamlfile.Describe(n)),
			"write the entry as \"- id: CVE-…\" followed by \"statement: …\" and \"expired_at: YYYY-MM-DD\" lines, indented under it")
		return e
	}
	values := map[string]*yaml.Node{}
	// misspelled records the keys an unknown key is a typo of, so that
	// they are not also reported missing.
	misspelled := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], yamlfile.ResolveAlias(n.Content[i+1])
		path := field + "." + key.Value
		if _, dup := values[key.Value]; dup {
			p.add(key.Line, path, fmt.Sprintf("is set twice (first on line %d)", values[key.Value].Line),
				"keep only one of the two")
			continue
		}
		switch key.Value {
		case "id", "statement", "expired_at", "paths":
			values[key.Value] = val
		case "purls":
			p.add(key.Line, path, "purls are not supported: golden-path matches entries by id and paths only",
				"remove purls; to narrow the entry to some files, list them under paths")
		default:
			fix := "remove it; an entry has the keys " + strings.Join(ignoreEntryKeys, ", ")
			if s := suggest.Closest(key.Value, ignoreEntryKeys); s != "" {
				fix = fmt.Sprintf("did you mean %q?", s)
				misspelled[s] = true
			}
			p.add(key.Line, path, "not a known key", fix)
		}
	}

	if values["id"] != nil || !misspelled["id"] {
		e.ID = p.id(values["id"], n, field)
	}
	what := "the entry"
	if e.ID != "" {
		what = "the entry for " + e.ID
	}
	if values["statement"] != nil || !misspelled["statement"] {
		e.Statement = p.statement(values["statement"], n, field, what)
	}
	if values["expired_at"] != nil || !misspelled["expired_at"] {
		e.ExpiresAt = p.expiredAt(values["expired_at"], n, field, what)
	}
	e.Paths = p.paths(values["paths"], field)
	return e
}

// text returns the value of scalar n, or records that it is not one.
func (p *ignoreParser) text(n *yaml.Node, field, example string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.add(n.Line, field, fmt.Sprintf("expected a single value, found %s", yamlfile.Describe(n)),
			fmt.Sprintf("write it on one line, e.g. %s", example))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return strings.TrimSpace(n.Value), true
}

func (p *ignoreParser) id(n, entry *yaml.Node, field string) string {
	if n == nil {
		p.add(entry.Line, field+".id", "the entry has no id", fixID)
		return ""
	}
	field += ".id"
	id, ok := p.text(n, field, "id: CVE-2023-1234")
	switch {
	case !ok:
		return ""
	case id == "":
		p.add(n.Line, field, "the id is empty", fixID)
		return ""
	case strings.ContainsAny(id, " \t"):
		p.add(n.Line, field, fmt.Sprintf("%q is not a vulnerability ID", id),
			"write one ID per entry, as Trivy reports it, e.g. id: CVE-2023-1234")
		return ""
	}
	for _, prefix := range []string{"CVE-", "GHSA-"} {
		if strings.HasPrefix(strings.ToUpper(id), prefix) && !strings.HasPrefix(id, prefix) {
			want := prefix + id[len(prefix):]
			p.add(n.Line, field, fmt.Sprintf("%q is not written as Trivy reports it, so it would match nothing", id),
				fmt.Sprintf("write id: %s", want))
			return ""
		}
	}
	return id
}

func (p *ignoreParser) statement(n, entry *yaml.Node, field, what string) string {
	field += ".statement"
	if n == nil {
		p.add(entry.Line, field, what+" has no statement", fixStatement)
		return ""
	}
	s, ok := p.text(n, field, `statement: "Not reachable: … (JIRA SEC-42)"`)
	if ok && s == "" {
		p.add(n.Line, field, what+" has an empty statement", fixStatement)
	}
	return s
}

func (p *ignoreParser) expiredAt(n, entry *yaml.Node, field, what string) time.Time {
	field += ".expired_at"
	if n == nil {
		p.add(entry.Line, field, what+" has no expiry date", fixExpiredAt)
		return time.Time{}
	}
	s, ok := p.text(n, field, "expired_at: 2026-03-31")
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		p.add(n.Line, field, fmt.Sprintf("%q is not a date of the form YYYY-MM-DD", n.Value), fixExpiredAt)
		return time.Time{}
	}
	return t
}

func (p *ignoreParser) paths(n *yaml.Node, field string) []string {
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	field += ".paths"
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, field, fmt.Sprintf("expected a list of paths, found %s", yamlfile.Describe(n)),
			`write it as a list, e.g. paths: ["usr/lib/python3/**"]`)
		return nil
	}
	var paths []string
	for i, item := range n.Content {
		item = yamlfile.ResolveAlias(item)
		s, ok := p.text(item, fmt.Sprintf("%s[%d]", field, i), `- "usr/lib/python3/**"`)
		if !ok {
			continue
		}
		if reason, fix := checkPathPattern(s); reason != "" {
			p.add(item.Line, fmt.Sprintf("%s[%d]", field, i), reason, fix)
			continue
		}
		paths = append(paths, s)
	}
	return paths
}

// duplicateIDs records each entry whose ID an earlier entry has.
func (p *ignoreParser) duplicateIDs(entries []IgnoreEntry) {
	first := map[string]int{}
	for i, e := range entries {
		if e.ID == "" {
			continue
		}
		j, dup := first[e.ID]
		if !dup {
			first[e.ID] = i
			continue
		}
		p.add(e.Line, fmt.Sprintf("vulnerabilities[%d].id", i),
			fmt.Sprintf("%s is already listed in vulnerabilities[%d] (line %d)", e.ID, j, entries[j].Line),
			"merge the two entries into one: a single statement and expired_at, with the paths of both")
	}
}
