package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/golden-path/golden-path/pipeline/internal/suggest"
	"github.com/golden-path/golden-path/pipeline/yamlfile"
	"gopkg.in/yaml.v3"
)

// configDecoder decodes a golden-path.yaml node tree into a Config by walking
// it against the Config struct's yaml tags. Unlike yaml.Node.Decode it never
// stops at the first problem: unknown keys, values of the wrong type and
// duplicate keys each become a yamlfile.FieldError and decoding goes on.
type configDecoder struct {
	file string
	errs []*yamlfile.FieldError
	// set maps the dotted path of each setting the file gives (groups
	// included) to the line of its value. Omitted and null settings are
	// absent, which is how defaults know where to apply.
	set map[string]int
	// broken records the paths whose value could not be decoded, so that
	// validation does not report them a second time as missing.
	broken map[string]bool
	// percent records the paths of fractions written as a percentage
	// ("5%"), so messages quote them the way the file does.
	percent map[string]bool
}

func newConfigDecoder(file string) *configDecoder {
	return &configDecoder{file: file, set: map[string]int{}, broken: map[string]bool{}, percent: map[string]bool{}}
}

// add records a problem.
func (d *configDecoder) add(line int, field, reason, fix string) {
	d.errs = append(d.errs, &yamlfile.FieldError{File: d.file, Line: line, Field: field, Reason: reason, Fix: fix})
}

// decodeStruct decodes mapping node n into the struct out points to; prefix
// is the dotted path of the struct ("" for the root).
func (d *configDecoder) decodeStruct(n *yaml.Node, out any, prefix string) {
	d.decodeMapping(n, reflect.ValueOf(out).Elem(), prefix)
}

// yamlField is a struct field reachable from YAML.
type yamlField struct {
	key   string
	index int
}

// yamlFields lists the fields of struct type t by their yaml key, in
// declaration order.
func yamlFields(t reflect.Type) []yamlField {
	var fields []yamlField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "-" {
			continue
		}
		if key == "" {
			key = strings.ToLower(f.Name)
		}
		fields = append(fields, yamlField{key: key, index: i})
	}
	return fields
}

func yamlKeys(t reflect.Type) []string {
	fields := yamlFields(t)
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	return keys
}

// decodeMapping decodes the pairs of mapping n into struct v.
func (d *configDecoder) decodeMapping(n *yaml.Node, v reflect.Value, prefix string) {
	fields := yamlFields(v.Type())
	byKey := make(map[string]yamlField, len(fields))
	for _, f := range fields {
		byKey[f.key] = f
	}

	// YAML merge keys ("<<: *defaults") come first so that keys written
	// out in this mapping override what they merge in.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if key := n.Content[i]; key.Tag == "!!merge" {
			d.decodeMerge(n.Content[i+1], v, prefix)
		}
	}

	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Tag == "!!merge" {
			continue
		}
		path := joinPath(prefix, key.Value)
		if first, dup := seen[key.Value]; dup {
			d.add(key.Line, path,
				fmt.Sprintf("is set twice (first on line %d)", first),
				"keep only one of the two")
			continue
		}
		seen[key.Value] = key.Line

		f, ok := byKey[key.Value]
		if !ok || key.Kind != yaml.ScalarNode {
			d.unknownKey(key, prefix, yamlKeys(v.Type()))
			continue
		}
		d.decodeValue(val, v.Field(f.index), path)
	}
}

// decodeMerge decodes the value of a YAML merge key: a mapping or a list of
// mappings, usually aliases.
func (d *configDecoder) decodeMerge(n *yaml.Node, v reflect.Value, prefix string) {
	n = yamlfile.ResolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		d.decodeMapping(n, v, prefix)
	case yaml.SequenceNode:
		for _, item := range n.Content {
			d.decodeMerge(item, v, prefix)
		}
	default:
		d.add(n.Line, joinPath(prefix, "<<"),
			fmt.Sprintf("a YAML merge (<<) must refer to settings, found %s", yamlfile.Describe(n)),
			"refer to a group of settings with an alias such as <<: *defaults, or write the settings out")
	}
}

// decodeValue decodes n into v, the field at path.
func (d *configDecoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	n = yamlfile.ResolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // as if omitted: defaults apply
	}
	if v.Type() == durationType {
		d.decodeDuration(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.add(n.Line, path,
				fmt.Sprintf("expected settings indented under %s, found %s", lastKey(path), yamlfile.Describe(n)),
				fmt.Sprintf("put its settings on the lines below it, indented: %s", strings.Join(yamlKeys(v.Type()), ", ")))
			d.broken[path] = true
			return
		}
		d.set[path] = n.Line
		d.decodeMapping(n, v, path)

	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.add(n.Line, path,
				fmt.Sprintf("expected a single value, found %s", yamlfile.Describe(n)),
				fmt.Sprintf("write %s on one line, e.g. %s: %s", settingWant(path), lastKey(path), settingExample(path)))
			d.broken[path] = true
			return
		}
		v.SetString(n.Value)
		d.set[path] = n.Line

	case reflect.Int:
		if n.Kind != yaml.ScalarNode {
			d.add(n.Line, path,
				fmt.Sprintf("expected a number, found %s", yamlfile.Describe(n)),
				fmt.Sprintf("set %s, e.g. %s: %s", settingWant(path), lastKey(path), settingExample(path)))
			d.broken[path] = true
			return
		}
		i, reason := parseYAMLInt(n)
		if reason != "" {
			d.add(n.Line, path, reason,
				fmt.Sprintf("set %s, e.g. %s: %s", settingWant(path), lastKey(path), settingExample(path)))
			d.broken[path] = true
			return
		}
		v.SetInt(int64(i))
		d.set[path] = n.Line

	case reflect.Float64:
		d.decodeRatio(n, v, path)

	case reflect.Map: // map[string]string: keys a team chooses
		if n.Kind != yaml.MappingNode {
			d.add(n.Line, path,
				fmt.Sprintf("expected key: value lines indented under %s, found %s", lastKey(path), yamlfile.Describe(n)),
				fmt.Sprintf("put one key: value per line below it, indented, e.g. %s", settingExample(path)))
			d.broken[path] = true
			return
		}
		d.set[path] = n.Line
		m := reflect.MakeMap(v.Type())
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], yamlfile.ResolveAlias(n.Content[i+1])
			if first, dup := seen[key.Value]; dup {
				d.add(key.Line, path+"."+key.Value, fmt.Sprintf("is set twice (first on line %d)", first), "keep only one of the two")
				continue
			}
			seen[key.Value] = key.Line
			if key.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
				d.add(key.Line, path+"."+key.Value, fmt.Sprintf("expected a single value, found %s", yamlfile.Describe(val)),
					fmt.Sprintf("write key: value on one line, e.g. %s", settingExample(path)))
				d.broken[path] = true
				continue
			}
			m.SetMapIndex(reflect.ValueOf(key.Value), reflect.ValueOf(val.Value))
			d.set[path+"."+key.Value] = key.Line
		}
		v.Set(m)

	default:
		panic(fmt.Sprintf("pipeline: config field %s has unsupported kind %s", path, v.Kind()))
	}
}

// parseYAMLInt reads a whole number from scalar n. It accepts a quoted
// number too ("8000"), since that is plainly what was meant; otherwise it
// returns why the value is not a whole number.
func parseYAMLInt(n *yaml.Node) (int, string) {
	switch n.Tag {
	case "!!int":
		var i int
		if err := n.Decode(&i); err != nil {
			return 0, fmt.Sprintf("%s is too large", n.Value)
		}
		return i, ""
	case "!!float":
		if strings.Trim(n.Value, "+-0123456789") == "" {
			return 0, fmt.Sprintf("%s is too large", n.Value)
		}
		return 0, fmt.Sprintf("%s is not a whole number", n.Value)
	}
	s := strings.TrimSpace(n.Value)
	i, err := strconv.Atoi(s)
	if err == nil {
		return i, ""
	}
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, fmt.Sprintf("%s is too large", n.Value)
	}
	return 0, fmt.Sprintf("%q is not a number", n.Value)
}

// unknownKey records key as unknown at prefix, where known are the keys
// allowed there, suggesting the setting most likely meant.
func (d *configDecoder) unknownKey(key *yaml.Node, prefix string, known []string) {
	name := key.Value
	if key.Kind != yaml.ScalarNode {
		name = "?"
	}
	var fix string
	if s := suggest.Closest(name, known); s != "" {
		fix = fmt.Sprintf("did you mean %q?", s)
	} else if paths := settingElsewhere(name, prefix); len(paths) > 0 {
		fix = fmt.Sprintf("did you mean %s? %s", quoteJoin(paths, " or "), moveHint(paths))
	} else {
		where := "at the top level"
		if prefix != "" {
			where = "under " + prefix
		}
		fix = fmt.Sprintf("remove it; the settings allowed %s are: %s", where, strings.Join(known, ", "))
	}
	d.add(key.Line, joinPath(prefix, name), "not a known setting", fix)
}

// configPaths lists the dotted path of every setting and group of Config,
// in declaration order.
var configPaths = func() []string {
	var paths []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, f := range yamlFields(t) {
			p := joinPath(prefix, f.key)
			paths = append(paths, p)
			if ft := t.Field(f.index).Type; ft.Kind() == reflect.Struct {
				walk(ft, p)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return paths
}()

// settingElsewhere returns the paths of settings named key that live under
// another group than prefix: the file has put them at the wrong level.
func settingElsewhere(key, prefix string) []string {
	var found []string
	for _, p := range configPaths {
		if parentPath(p) != prefix && suggest.Normalize(lastKey(p)) == suggest.Normalize(key) {
			found = append(found, p)
		}
	}
	return found
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func parentPath(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// moveHint says where to move a setting to reach one of paths.
func moveHint(paths []string) string {
	var groups []string
	for _, p := range paths {
		if parent := parentPath(p); parent != "" {
			groups = append(groups, parent)
		} else {
			return "move it to the top level, without indentation"
		}
	}
	return "move it under " + strings.Join(groups, " or ") + ", indented"
}

// quoteJoin quotes each of s and joins them with sep.
func quoteJoin(s []string, sep string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, sep)
}
