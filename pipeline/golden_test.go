package pipeline

import "strings"

// gate is what the reports with a gate share: the gate's error and the
// markdown section.
type gate interface {
	Err() error
	Markdown() string
}

// writeGate appends a report's gate and markdown to a golden dump, the same
// way for every report kind.
func writeGate(b *strings.Builder, g gate) {
	b.WriteString("\n--- Err() ---\n")
	if err := g.Err(); err != nil {
		b.WriteString(err.Error() + "\n")
	} else {
		b.WriteString("<nil>\n")
	}
	b.WriteString("\n--- Markdown() ---\n")
	b.WriteString(g.Markdown())
}
