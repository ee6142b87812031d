// Package reporttest writes what every report with a gate shares into a
// golden dump, for the report packages' tests.
package reporttest

import "strings"

// Gate is what the reports with a gate share: the gate's error and the
// markdown section.
type Gate interface {
	Err() error
	Markdown() string
}

// WriteGate appends a report's gate and markdown to a golden dump, the same
// way for every report kind.
func WriteGate(b *strings.Builder, g Gate) {
	b.WriteString("\n--- Err() ---\n")
	if err := g.Err(); err != nil {
		b.WriteString(err.Error() + "\n")
	} else {
		b.WriteString("<nil>\n")
	}
	b.WriteString("\n--- Markdown() ---\n")
	b.WriteString(g.Markdown())
}
