package ghactions

import (
	"fmt"
	"strings"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// markdown is the step summary: the ship summary (verdict, stages, image,
// deployment and dashboard, tests, lint), the vulnerabilities, and what to
// fix for the failed stages the sections do not detail.
func (r Report) markdown() string {
	var b strings.Builder
	b.WriteString(r.Summary.Markdown())
	b.WriteString("\n")
	if r.Scan != nil {
		b.WriteString(r.Scan.Markdown())
	} else {
		b.WriteString("### Vulnerabilities\n\nNo scan report: the scan did not run.\n")
	}

	if ps := r.undetailed(); len(ps) > 0 {
		b.WriteString("\n### What to fix\n")
		for _, p := range ps {
			name := "ship"
			if p.Stage != "" {
				name = p.Stage
			}
			fmt.Fprintf(&b, "\n**%s**\n\n%s\n", markdown.Text(name), codeBlock(p.Message))
		}
	}
	return b.String()
}

// codeBlock fences s as a text block, with a fence longer than any run of
// backticks in s.
func codeBlock(s string) string {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "text\n" + strings.TrimRight(s, "\n") + "\n" + fence
}
