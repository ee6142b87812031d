package pipeline

import (
	"fmt"
	"strings"
	"time"
)

// Text helpers of the report renderers; the escaping helpers are in
// pipeline/internal/markdown, shared with pipeline/policy.

// maxMessageLength caps a message shown on one line of markdown.
const maxMessageLength = 200

// firstLine returns the first non-blank line of s, trimmed and cut to
// maxMessageLength.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return truncate(line, maxMessageLength)
		}
	}
	return ""
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// formatDuration renders d compactly and deterministically: "420ms", "3.4s",
// "2m05s".
func formatDuration(d time.Duration) string {
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

// seconds converts a float number of seconds to a Duration.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}
