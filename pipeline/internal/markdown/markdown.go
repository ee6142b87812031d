// Package markdown holds the markdown helpers the pipeline's report
// renderers share (pipeline and its report packages). Everything that comes from
// outside (test names, messages, file paths, object names) goes into a code
// span or is escaped, so it cannot break the page's layout.
package markdown

import (
	"fmt"
	"strings"
	"time"
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

// MaxMessageLength caps a message shown on one line of markdown.
const MaxMessageLength = 200

// FirstLine returns the first non-blank line of s, trimmed and cut to
// MaxMessageLength.
func FirstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return Truncate(line, MaxMessageLength)
		}
	}
	return ""
}

// Truncate cuts s to n runes, the last one an ellipsis.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Duration renders d compactly and deterministically: "420ms", "3.4s",
// "2m05s".
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Round(time.Millisecond)/time.Millisecond)
	case d.Round(100*time.Millisecond) < time.Minute:
		return fmt.Sprintf("%.1fs", d.Round(100*time.Millisecond).Seconds())
	default:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
}
