package testreport

import (
	"fmt"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
)

// GateError is returned by Report.Err when the tests do not let the
// service ship: some failed or errored, or none ran.
type GateError struct {
	// Total is the number of tests in the report.
	Total int
	// Skipped is the number of skipped tests.
	Skipped int
	// Failures are the failed and errored tests, in report order.
	Failures []Case
}

// NoTests reports whether the gate closed because no test ran: the report
// is empty or every test was skipped.
func (e *GateError) NoTests() bool {
	return len(e.Failures) == 0 && e.Skipped == e.Total
}

// Error lists each failing test with its message, one per line.
func (e *GateError) Error() string {
	if len(e.Failures) == 0 {
		if e.Total == 0 {
			return "no tests ran: pytest collected nothing; add tests under tests/ named test_*.py"
		}
		return fmt.Sprintf("no tests ran: all %s skipped; remove the skip markers "+
			"(or the conditions that skip them) so at least one test runs", markdown.Plural(e.Total, "test was", "tests were"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %s failed:", len(e.Failures), markdown.Plural(e.Total, "test", "tests"))
	for _, c := range e.Failures {
		fmt.Fprintf(&b, "\n  %s: %s", c.ID, c.summary())
	}
	return b.String()
}

// Failures returns the failed and errored tests, in report order.
func (r *Report) Failures() []Case {
	var out []Case
	for _, c := range r.Cases {
		if c.Status == StatusFailed || c.Status == StatusError {
			out = append(out, c)
		}
	}
	return out
}

// Err is the test gate: a *GateError when any test failed or errored,
// or when no test ran (none collected, or all skipped); nil when the
// service may ship.
func (r *Report) Err() error {
	failures := r.Failures()
	if len(failures) == 0 && r.Skipped < r.Total {
		return nil
	}
	return &GateError{Total: r.Total, Skipped: r.Skipped, Failures: failures}
}

// summary is the one-line reason a test did not pass: the first line of its
// message, else pytest's "E " line from the traceback, else its status.
func (c Case) summary() string {
	if m := markdown.FirstLine(c.Message); m != "" {
		return m
	}
	lines := strings.Split(c.Output, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "E ") {
			return markdown.Truncate(strings.TrimSpace(strings.TrimPrefix(l, "E")), markdown.MaxMessageLength)
		}
	}
	return string(c.Status)
}

// maxListedTests caps the failing tests Markdown lists.
const maxListedTests = 50

// Markdown renders the report as a short markdown section: a headline, a
// table of counts and the failing tests with their messages.
func (r *Report) Markdown() string {
	return r.MarkdownListing(maxListedTests)
}

// MarkdownListing renders like Markdown, listing at most maxListed failing tests.
func (r *Report) MarkdownListing(maxListed int) string {
	var b strings.Builder
	b.WriteString("### Tests\n\n")
	b.WriteString(r.headline())
	b.WriteString("\n\n")
	b.WriteString("| Passed | Failed | Errors | Skipped | Total | Time |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: |\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %s |\n",
		r.Passed, r.Failed, r.Errors, r.Skipped, r.Total, markdown.Duration(seconds(r.Duration)))

	failures := r.Failures()
	if len(failures) > 0 {
		b.WriteString("\n**Failing tests**\n\n")
		for i, c := range failures {
			if i == maxListed {
				fmt.Fprintf(&b, "- …and %d more\n", len(failures)-maxListed)
				break
			}
			status := ""
			if c.Status == StatusError {
				status = " (error)"
			}
			fmt.Fprintf(&b, "- %s%s: %s\n", markdown.Code(c.ID), status, markdown.Code(c.summary()))
		}
	}
	return b.String()
}

// headline is the one-line verdict of the report.
func (r *Report) headline() string {
	err := r.Err()
	if err == nil {
		return fmt.Sprintf("✅ %s passed", markdown.Plural(r.Passed, "test", "tests"))
	}
	ge := err.(*GateError)
	if ge.NoTests() {
		if r.Total == 0 {
			return "❌ No tests ran: pytest collected nothing."
		}
		return fmt.Sprintf("❌ No tests ran: all %s skipped.", markdown.Plural(r.Total, "test was", "tests were"))
	}
	return fmt.Sprintf("❌ %d of %s failed", len(ge.Failures), markdown.Plural(r.Total, "test", "tests"))
}

// seconds converts a float number of seconds to a Duration.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}
