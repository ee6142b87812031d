package pipeline

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// FieldError is one problem in a config file: where it is, what is wrong and
// how to fix it.
type FieldError struct {
	// File is the config file, as given to ParseConfig or LoadConfig.
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

// ConfigError lists every problem found in a config file.
type ConfigError struct {
	// File is the config file.
	File string
	// Errors holds the problems, ordered by line; problems without a line
	// (missing settings) come first.
	Errors []*FieldError
}

// newConfigError orders errs by line, keeping the order of discovery among
// problems on the same line.
func newConfigError(file string, errs []*FieldError) *ConfigError {
	sorted := append([]*FieldError(nil), errs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Line < sorted[j].Line })
	return &ConfigError{File: file, Errors: sorted}
}

// Error lists the problems, one per line.
func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so errors.As finds a *FieldError.
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		errs[i] = fe
	}
	return errs
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError turns a yaml.v3 syntax error into a FieldError with the
// line number pulled out of the message.
func yamlSyntaxError(file string, data []byte, err error) *FieldError {
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
