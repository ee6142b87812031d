package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/internal/markdown"
	"github.com/golden-path/golden-path/pipeline/lint"
	"github.com/golden-path/golden-path/pipeline/rollout"
	"github.com/golden-path/golden-path/pipeline/testreport"
)

// StageStatus is the outcome of one pipeline stage.
type StageStatus string

// Stage outcomes.
const (
	StagePassed  StageStatus = "passed"
	StageFailed  StageStatus = "failed"
	StageSkipped StageStatus = "skipped"
	// StageWarned: the stage failed, and the caller chose that it only warns.
	StageWarned StageStatus = "warned"
)

// StageResult is what one stage of a ship run did.
type StageResult struct {
	// Name is the stage, e.g. "lint", "test", "build", "publish", "deploy".
	Name string
	// Status is the outcome.
	Status StageStatus
	// Duration is how long the stage took; 0 when it did not run.
	Duration time.Duration
	// Detail is a short note, e.g. "2 of 5 tests failed"; one line.
	Detail string
}

// ShipSummary gathers the results of a ship run for its step summary.
type ShipSummary struct {
	// Verb names the run in the title: Ship (when empty) or Promote. A
	// promotion runs no gates: its summary has no tests or lint.
	Verb string
	// Service and Team come from golden-path.yaml.
	Service, Team string
	// Image is the published image reference; empty when nothing was
	// published.
	Image string
	// SmokeURL is the URL the deploy's smoke test called; empty when
	// nothing was deployed.
	SmokeURL string
	// Dashboard is the service's Grafana dashboard URL; empty when it was
	// not registered.
	Dashboard string
	// Stages are the stages in the order they ran.
	Stages []StageResult
	// Tests is the test report; nil when the tests did not run.
	Tests *testreport.Report
	// Lint is the lint report; nil when lint did not run.
	Lint *lint.Report
	// Tenants are the release's tenant instances, one row each, when the
	// environment has tenants (rollout.FanOut); nil otherwise.
	Tenants []rollout.TenantResult
}

// VerbPromote is the Verb of a promotion's summary.
const VerbPromote = "Promote"

// summaryListed caps the failing tests and lint findings the summary lists.
const summaryListed = 10

// Markdown renders the summary as a markdown step summary (for
// $GITHUB_STEP_SUMMARY or a terminal): a title with the verdict, a stage
// table, the image, the test counts and the lint findings. The output
// depends only on s.
func (s ShipSummary) Markdown() string {
	var b strings.Builder
	service := s.Service
	if service == "" {
		service = "(unnamed service)"
	}
	verb := s.Verb
	if verb == "" {
		verb = "Ship"
	}
	failed := s.firstFailed()
	switch {
	case failed != nil:
		fmt.Fprintf(&b, "## ❌ %s %s: failed at %s\n\n", verb, markdown.Text(service), markdown.Text(failed.Name))
	case len(s.Stages) > 0:
		fmt.Fprintf(&b, "## ✅ %s %s: passed\n\n", verb, markdown.Text(service))
	default:
		fmt.Fprintf(&b, "## %s %s\n\n", verb, markdown.Text(service))
	}
	if s.Team != "" {
		fmt.Fprintf(&b, "Team: %s\n\n", markdown.Code(s.Team))
	}

	if len(s.Stages) > 0 {
		b.WriteString("| Stage | Status | Time | Detail |\n")
		b.WriteString("| --- | --- | ---: | --- |\n")
		for _, st := range s.Stages {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n",
				markdown.Text(st.Name), stageStatusCell(st.Status), stageTime(st), markdown.Text(st.Detail))
		}
		b.WriteString("\n")
	}

	if s.Image != "" {
		fmt.Fprintf(&b, "**Image:** %s\n\n", markdown.Code(s.Image))
	} else {
		b.WriteString("**Image:** not published\n\n")
	}
	if s.SmokeURL != "" {
		fmt.Fprintf(&b, "**Deployed:** %s\n\n", markdown.Code(s.SmokeURL))
	}
	if s.Dashboard != "" {
		fmt.Fprintf(&b, "**Dashboard:** %s\n\n", s.Dashboard)
	}
	if len(s.Tenants) > 0 {
		b.WriteString(tenantTable(s.Tenants))
	}

	if s.Verb == VerbPromote {
		return b.String()
	}
	if s.Tests != nil {
		b.WriteString(s.Tests.MarkdownListing(summaryListed))
	} else {
		b.WriteString("### Tests\n\nNo test report: the tests did not run.\n")
	}
	b.WriteString("\n")
	if s.Lint != nil {
		b.WriteString(s.Lint.MarkdownListing(summaryListed))
	} else {
		b.WriteString("### Lint\n\nNo lint report: lint did not run.\n")
	}
	return b.String()
}

// tenantTable is the tenants' table: one row per tenant instance, in the
// order of the waves.
func tenantTable(rows []rollout.TenantResult) string {
	var b strings.Builder
	b.WriteString("### Tenants\n\n| Tenant | Namespace | Wave | Revision | Digest | Outcome | Time | Detail |\n")
	b.WriteString("| --- | --- | ---: | ---: | --- | --- | ---: | --- |\n")
	for _, r := range rows {
		wave, revision, digest, took := "canary", "–", "–", "–"
		if r.Wave > 1 {
			wave = fmt.Sprint(r.Wave)
		}
		if r.Revision > 0 {
			revision = fmt.Sprint(r.Revision)
		}
		if _, d, ok := strings.Cut(r.Image, "@"); ok {
			digest = markdown.Code(shortDigest(d))
		}
		if r.Took > 0 {
			took = markdown.Duration(r.Took)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", markdown.Text(r.Tenant), markdown.Code(r.Namespace), wave,
			revision, digest, tenantOutcomeCell(r.Outcome), took, markdown.Text(r.Detail))
	}
	return b.String() + "\n"
}

// shortDigest is sha256: and the first 12 hex digits of a digest.
func shortDigest(d string) string {
	if algo, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return algo + ":" + hex[:12]
	}
	return d
}

func tenantOutcomeCell(o rollout.TenantOutcome) string {
	switch o {
	case rollout.TenantUpdated:
		return "✅ updated"
	case rollout.TenantUnchanged:
		return "✅ unchanged"
	case rollout.TenantFailed:
		return "❌ failed, rolled back"
	case rollout.TenantRolledBack:
		return "↩️ rolled back"
	case rollout.TenantNotStarted:
		return "⏸ not started"
	default:
		return "❔ " + markdown.Text(string(o))
	}
}

// firstFailed returns the first failed stage, or nil.
func (s ShipSummary) firstFailed() *StageResult {
	for i := range s.Stages {
		if s.Stages[i].Status == StageFailed {
			return &s.Stages[i]
		}
	}
	return nil
}

func stageStatusCell(st StageStatus) string {
	switch st {
	case StagePassed:
		return "✅ passed"
	case StageFailed:
		return "❌ failed"
	case StageSkipped:
		return "⏭ skipped"
	case StageWarned:
		return "⚠️ warned"
	default:
		return "❔ " + markdown.Text(string(st))
	}
}

func stageTime(st StageResult) string {
	if st.Duration <= 0 {
		return "–"
	}
	return markdown.Duration(st.Duration)
}
