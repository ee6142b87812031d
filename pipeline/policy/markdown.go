package policy

import (
	"fmt"
	"strings"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// maxListedViolations caps the rows of the violations table.
const maxListedViolations = 100

// Markdown renders the gate's decision as a short markdown section, like
// the pipeline's other gates: a headline, then a table of the violations
// and what each broken rule protects against.
func (r *Result) Markdown() string {
	var b strings.Builder
	b.WriteString("### Policy\n\n")
	if len(r.Violations) == 0 {
		fmt.Fprintf(&b, "✅ %s follow the %d golden-path rules (%s–%s).\n",
			markdown.Plural(len(r.Objects), "object", "objects"), len(Rules), Rules[0].ID, Rules[len(Rules)-1].ID)
		return b.String()
	}
	verb := "block"
	if len(r.Violations) == 1 {
		verb = "blocks"
	}
	fmt.Fprintf(&b, "❌ %s of the golden-path rules (in %d of %s) %s the deploy.\n\n",
		markdown.Plural(len(r.Violations), "violation", "violations"), countObjects(r.Violations),
		markdown.Plural(len(r.Objects), "object", "objects"), verb)
	b.WriteString("| Rule | Object | Container | Field | Problem | Fix |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for i, v := range r.Violations {
		if i == maxListedViolations {
			fmt.Fprintf(&b, "\n…and %d more.\n", len(r.Violations)-maxListedViolations)
			break
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", v.Rule,
			markdown.Cell(markdown.Code(v.Object.String())), markdown.Cell(markdown.Code(v.Container)),
			markdown.Cell(markdown.Code(v.Field)), markdown.Cell(mdText(v.Problem)), markdown.Cell(mdText(v.Fix)))
	}
	b.WriteString("\n**Why these rules**\n\n")
	for _, rule := range Rules {
		if broken(r.Violations, rule.ID) {
			fmt.Fprintf(&b, "- **%s %s**: %s.\n", rule.ID, mdText(rule.Title), mdText(rule.Why))
		}
	}
	return b.String()
}

func broken(violations []Violation, id string) bool {
	for _, v := range violations {
		if v.Rule == id {
			return true
		}
	}
	return false
}

// mdText escapes s as plain markdown text on one line (markdown.Cell
// escapes pipes), keeping `code` spans of the rule texts as code.
func mdText(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(markdown.OneLine(s), "`") {
		if i%2 == 1 {
			b.WriteString(markdown.Code(part))
			continue
		}
		for _, r := range part {
			if strings.ContainsRune("\\*_[]<>~&#", r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
