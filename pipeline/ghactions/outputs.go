package ghactions

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// The step outputs, in the order Render writes them. The package doc says
// what each holds.
const (
	OutputOK                      = "ok"
	OutputService                 = "service"
	OutputImage                   = "image"
	OutputDigest                  = "digest"
	OutputSmokeURL                = "smoke-url"
	OutputDashboardURL            = "dashboard-url"
	OutputFailedStage             = "failed-stage"
	OutputProblems                = "problems"
	OutputTestsFailed             = "tests-failed"
	OutputLintFindings            = "lint-findings"
	OutputBlockingVulnerabilities = "blocking-vulnerabilities"
	OutputSummaryPath             = "summary-path"
	OutputSARIFPath               = "sarif-path"
)

// OutputNames are the outputs Render writes, in order.
var OutputNames = []string{
	OutputOK, OutputService, OutputImage, OutputDigest, OutputSmokeURL, OutputDashboardURL,
	OutputFailedStage, OutputProblems, OutputTestsFailed, OutputLintFindings,
	OutputBlockingVulnerabilities, OutputSummaryPath, OutputSARIFPath,
}

// outputDelimiter is the delimiter go-githubactions writes every output
// with (name<<delimiter … delimiter). It is fixed, where the JavaScript
// toolkit draws a random one, so a value holding it could end the value
// early and set other outputs: Render refuses such values, and takes the
// problems' text, which comes from the service's code, apart from it.
const outputDelimiter = "_GitHubActionsFileCommandDelimeter_"

// kebab is an output name: lower case words joined by '-'.
var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

type output struct {
	name, value string
}

// outputs are r's step outputs, checked.
func (r Report) outputs(o *options) ([]output, error) {
	s := r.Summary
	failedStage := ""
	if st := r.firstFailed(); st != nil {
		failedStage = st.Name
	} else if len(r.Problems) > 0 {
		failedStage = r.Problems[0].Stage
	}
	var problems []string
	for _, p := range r.Problems {
		line := firstLine(p.Message)
		if p.Stage != "" {
			line = p.Stage + ": " + line
		}
		problems = append(problems, strings.ReplaceAll(line, outputDelimiter, "(delimiter)"))
	}
	count := func(ran bool, n int) string {
		if !ran {
			return ""
		}
		return strconv.Itoa(n)
	}
	sarif := ""
	if r.Scan != nil {
		sarif = path.Join(o.reportsDir, SARIFFile)
	}
	values := map[string]string{
		OutputOK:                      strconv.FormatBool(r.Ok),
		OutputService:                 s.Service,
		OutputImage:                   s.Image,
		OutputDigest:                  digestOf(s.Image),
		OutputSmokeURL:                s.SmokeURL,
		OutputDashboardURL:            s.Dashboard,
		OutputFailedStage:             failedStage,
		OutputProblems:                strings.Join(problems, "\n"),
		OutputTestsFailed:             count(s.Tests != nil, testsFailed(r)),
		OutputLintFindings:            count(s.Lint != nil, lintFindings(r)),
		OutputBlockingVulnerabilities: count(r.Scan != nil, blocking(r)),
		OutputSummaryPath:             path.Join(o.reportsDir, SummaryFile),
		OutputSARIFPath:               sarif,
	}
	outs := make([]output, 0, len(OutputNames))
	for _, name := range OutputNames {
		out := output{name: name, value: values[name]}
		if err := out.check(); err != nil {
			return nil, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// check refuses what GitHub would not read back as written, as the
// JavaScript toolkit does.
func (out output) check() error {
	switch {
	case !kebab.MatchString(out.name):
		return &OutputError{Name: out.name, Reason: "output names are kebab-case: lower case letters and digits, words joined by '-'"}
	case strings.Contains(out.value, outputDelimiter):
		return &OutputError{Name: out.name, Reason: "the value holds " + outputDelimiter +
			", the delimiter go-githubactions ends values with, so GitHub would cut it short"}
	case strings.Contains(out.value, "\r"):
		return &OutputError{Name: out.name, Reason: "the value holds a carriage return, which GitHub reads as a line break"}
	}
	return nil
}

func testsFailed(r Report) int {
	if r.Summary.Tests == nil {
		return 0
	}
	return len(r.Summary.Tests.Failures())
}

func lintFindings(r Report) int {
	if r.Summary.Lint == nil {
		return 0
	}
	return len(r.Summary.Lint.Findings)
}

func blocking(r Report) int {
	if r.Scan == nil {
		return 0
	}
	return len(r.Scan.Blocking)
}

// digestOf returns the digest of an image reference by digest,
// "sha256:…", or "".
func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok && strings.Contains(d, ":") {
		return d
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
