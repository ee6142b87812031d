// Package yamlfile holds what the pipeline's YAML files (golden-path.yaml,
// .trivyignore.yaml) share: a problem at a field, with its file, line and
// fix, and YAML syntax errors told in words a service team understands.
package yamlfile

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is one problem in a YAML file: where it is, what is wrong and
// how to fix it.
type FieldError struct {
	// File is the file, as its parser was given it.
	File string
	// Line is the 1-based line of the problem, or 0 when it concerns
	// something missing or the whole file.
	Line int
	// Field is the dotted path of the setting, like "port" or
	// "resources.limits.cpu"; empty when the problem concerns the whole file.
	Field string
	// Reason says what is wrong, in terms of the file's content.
	Reason string
	// Fix says what to change.
	Fix string
}

// Error formats the problem as "file:line: field: reason; fix".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SyntaxError turns a yaml.v3 syntax error into a FieldError with the
// line number pulled out of the message.
func SyntaxError(file string, data []byte, err error) *FieldError {
	msg := err.Error()
	line := 0
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if n := tabIndentedLine(data, line); n > 0 {
		return &FieldError{
			File:   file,
			Line:   n,
			Reason: "the line is indented with a tab, which YAML does not allow",
			Fix:    "indent with spaces instead (two per level)",
		}
	}
	return &FieldError{
		File:   file,
		Line:   line,
		Reason: fmt.Sprintf("this is not valid YAML (%s)", msg),
		Fix: "check the indentation (spaces, not tabs; nested settings indented under their group) " +
			"and that each setting is written \"key: value\" with a space after the colon",
	}
}

// tabIndentedLine returns the 1-based number of the line indented with a tab
// that explains a syntax error reported at line (0 when unknown): that line,
// the one before or, as yaml.v3 reports a tab in a block sequence's item on
// the item's first line, the one after. It returns 0 when none is.
func tabIndentedLine(data []byte, line int) int {
	lines := strings.Split(string(data), "\n")
	for _, n := range []int{line, line - 1, line + 1} {
		if n < 1 || n > len(lines) {
			continue
		}
		l := lines[n-1]
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if strings.Contains(indent, "\t") {
			return n
		}
	}
	return 0
}

// Location is the file and the line of the problem.
func (e *FieldError) Location() (string, int) { return e.File, e.Line }

// IsEmpty reports whether doc has no content, as for a file holding
// only comments or a lone "~".
func IsEmpty(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// ResolveAlias follows n through YAML aliases (*name) to the node they refer to.
func ResolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// Describe names what n holds, for messages.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a group of settings"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	default:
		return "something else"
	}
}

// RequireSingleDocument fails when dec holds a second, non-empty YAML
// document; merge says where its content belongs.
func RequireSingleDocument(dec *yaml.Decoder, file string, data []byte, merge string) *FieldError {
	var next yaml.Node
	if err := dec.Decode(&next); err == nil && !IsEmpty(&next) {
		return &FieldError{
			File:   file,
			Line:   next.Line,
			Reason: "the file holds more than one YAML document (separated by ---)",
			Fix:    "keep a single document: remove the second --- and " + merge,
		}
	} else if err != nil && !errors.Is(err, io.EOF) {
		return SyntaxError(file, data, err)
	}
	return nil
}
