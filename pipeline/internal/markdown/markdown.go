// Package markdown holds the markdown helpers the pipeline's report
// renderers share (pipeline, pipeline/policy). Everything that comes from
// outside (test names, messages, file paths, object names) goes into a code
// span or is escaped, so it cannot break the page's layout.
package markdown

import (
	"fmt"
	"strings"
)

// Code returns s on one line as an inline code span, with a fence longer
// than any run of backticks in s; "" for blank s.
func Code(s string) string {
	s = OneLine(s)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// Cell makes s safe inside a table cell: a pipe ends a cell even within a
// code span unless escaped.
func Cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// Text escapes s as plain markdown text on one line.
func Text(s string) string {
	var b strings.Builder
	for _, r := range OneLine(s) {
		if strings.ContainsRune("\\`*_[]<>|~&#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// OneLine joins the lines of s with spaces and trims it.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Plural returns "1 test" or "3 tests".
func Plural(n int, singular, pluralForm string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, singular)
	}
	return fmt.Sprintf("%d %s", n, pluralForm)
}
