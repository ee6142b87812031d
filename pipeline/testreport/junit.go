package testreport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Status is the outcome of one test.
type Status string

// Test outcomes.
const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusError   Status = "error"
	StatusSkipped Status = "skipped"
)

// Report is the result of a test run, read from a JUnit XML report.
type Report struct {
	// Total is the number of test cases in the report.
	Total int
	// Passed, Failed, Errors and Skipped count the cases by status; they add
	// up to Total.
	Passed, Failed, Errors, Skipped int
	// Duration is the run's wall time in seconds.
	Duration float64
	// Cases are the test cases in report order.
	Cases []Case
}

// Case is one test of a Report.
type Case struct {
	// ID is the pytest node id, like "tests/test_main.py::test_health" or
	// "tests/test_main.py::TestAPI::test_health[param]": what to pass to
	// pytest to rerun just this test.
	ID string
	// File is the test's file relative to the project root. pytest's xunit1
	// reports give it; for xunit2 reports it is derived from the classname.
	File string
	// Line is the 1-based line of the test function, or 0 when the report
	// does not say (xunit2). pytest writes 0-based lines; they are converted.
	Line int
	// Name is the test's name, with pytest parameters ("test_x[1-2]").
	Name string
	// Classname is the dotted module (and class) path, as pytest writes it.
	Classname string
	// Status is the outcome.
	Status Status
	// Message is the failure, error or skip message, e.g.
	// "AssertionError: assert 500 == 200". It may span several lines.
	Message string
	// Output is the traceback or other detail text of the failure, error or
	// skip.
	Output string
	// Duration is the test's time in seconds.
	Duration float64
}

// ParseError says a test report could not be read. A run whose report is
// unreadable has not passed.
type ParseError struct {
	// Reason says what is wrong with the report.
	Reason string
	// Err is the underlying parse error, if any.
	Err error
}

// Error implements error.
func (e *ParseError) Error() string {
	msg := "the test report is unreadable: " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "; the tests cannot be counted as passing. " +
		"Check that pytest ran to the end with --junitxml and that nothing else writes to the report file"
}

// Unwrap returns the underlying parse error.
func (e *ParseError) Unwrap() error { return e.Err }

// junitSuite is a <testsuites> or <testsuite> element; they nest.
type junitSuite struct {
	XMLName xml.Name
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
	Cases   []junitCase  `xml:"testcase"`
}

type junitCase struct {
	Classname string         `xml:"classname,attr"`
	Name      string         `xml:"name,attr"`
	File      string         `xml:"file,attr"`
	Line      string         `xml:"line,attr"`
	Time      string         `xml:"time,attr"`
	Failures  []junitOutcome `xml:"failure"`
	Errors    []junitOutcome `xml:"error"`
	Skipped   []junitOutcome `xml:"skipped"`
}

type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// ParseJUnit reads a JUnit XML report as pytest writes it with --junitxml,
// in either the xunit1 or the xunit2 family. The root is <testsuites> or a
// bare <testsuite>. Input that is empty or not such XML gives a
// *ParseError.
func ParseJUnit(data []byte) (*Report, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ParseError{Reason: "the file is empty (pytest probably did not finish)"}
	}
	var root junitSuite
	if err := xml.Unmarshal(data, &root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{Reason: "it holds no XML element (is it pytest's console output rather than the --junitxml file?)"}
		}
		return nil, &ParseError{Reason: "it is not valid XML", Err: err}
	}
	if name := root.XMLName.Local; name != "testsuites" && name != "testsuite" {
		return nil, &ParseError{Reason: fmt.Sprintf("it is XML but not JUnit XML: its root element is <%s>, not <testsuites> or <testsuite>", name)}
	}

	r := &Report{}
	var collect func(s junitSuite)
	collect = func(s junitSuite) {
		for _, c := range s.Cases {
			r.Cases = append(r.Cases, newTestCase(c))
		}
		for _, sub := range s.Suites {
			collect(sub)
		}
	}
	collect(root)

	for _, c := range r.Cases {
		switch c.Status {
		case StatusPassed:
			r.Passed++
		case StatusFailed:
			r.Failed++
		case StatusError:
			r.Errors++
		case StatusSkipped:
			r.Skipped++
		}
	}
	r.Total = len(r.Cases)
	r.Duration = reportDuration(root, r.Cases)
	return r, nil
}

// reportDuration is the run's time: the root's time attribute, else the sum
// of its suites' times, else the sum of the cases' times.
func reportDuration(root junitSuite, cases []Case) float64 {
	if t, ok := parseSeconds(root.Time); ok {
		return t
	}
	sum, found := 0.0, false
	for _, s := range root.Suites {
		if t, ok := parseSeconds(s.Time); ok {
			sum += t
			found = true
		}
	}
	if found {
		return sum
	}
	for _, c := range cases {
		sum += c.Duration
	}
	return sum
}

func newTestCase(c junitCase) Case {
	tc := Case{
		Name:      c.Name,
		Classname: c.Classname,
		File:      c.File,
		Status:    StatusPassed,
	}
	tc.Duration, _ = parseSeconds(c.Time)
	if l, err := strconv.Atoi(strings.TrimSpace(c.Line)); err == nil && l >= 0 {
		tc.Line = l + 1
	}

	// pytest writes a call failure and a teardown error of the same test as
	// two <testcase>s, but a case may still carry both; failure wins.
	var outcomes []junitOutcome
	switch {
	case len(c.Failures) > 0:
		tc.Status = StatusFailed
		outcomes = append(append([]junitOutcome(nil), c.Failures...), c.Errors...)
	case len(c.Errors) > 0:
		tc.Status = StatusError
		outcomes = c.Errors
	case len(c.Skipped) > 0:
		tc.Status = StatusSkipped
		outcomes = c.Skipped
	}
	if len(outcomes) > 0 {
		tc.Message = strings.TrimSpace(outcomes[0].Message)
		if tc.Message == "" {
			tc.Message = strings.TrimSpace(outcomes[0].Type)
		}
		var texts []string
		for _, o := range outcomes {
			if t := strings.TrimSpace(o.Text); t != "" {
				texts = append(texts, t)
			}
		}
		tc.Output = strings.Join(texts, "\n\n")
	}

	tc.ID, tc.File = pytestNodeID(c.Classname, c.Name, c.File)
	return tc
}

// pytestNodeID rebuilds the pytest node id of a test, and its file, from the
// JUnit attributes. pytest writes classname as the node id's path with '/'
// and "::" turned into '.' and ".py" dropped: "tests/test_main.py::TestA::test_x"
// becomes classname "tests.test_main.TestA", name "test_x".
func pytestNodeID(classname, name, file string) (id, testFile string) {
	if file != "" {
		module := strings.ReplaceAll(strings.TrimSuffix(file, ".py"), "/", ".")
		var classes []string
		switch {
		case classname == module:
		case strings.HasPrefix(classname, module+"."):
			classes = strings.Split(strings.TrimPrefix(classname, module+"."), ".")
		default:
			// The test comes from elsewhere than its class (say, an
			// inherited method): the file alone is the best id.
			return file + "::" + name, file
		}
		return strings.Join(append(append([]string{file}, classes...), name), "::"), file
	}

	if classname == "pytest" && name == "internal" {
		return "pytest::internal", "" // an internal error of pytest itself
	}
	if classname == "" {
		// Collection errors: name is the dotted module, e.g.
		// "tests.test_broken".
		if strings.Contains(name, ".") && !strings.ContainsAny(name, "[/ ") {
			f := strings.ReplaceAll(name, ".", "/") + ".py"
			return f, f
		}
		return name, ""
	}

	// Without a file, split classname into module path and classes: pytest
	// collects classes named Test* by default, modules are lower case.
	parts := strings.Split(classname, ".")
	split := len(parts)
	for i := 1; i < len(parts); i++ {
		if strings.HasPrefix(parts[i], "Test") {
			split = i
			break
		}
	}
	testFile = path.Join(parts[:split]...) + ".py"
	return strings.Join(append(append([]string{testFile}, parts[split:]...), name), "::"), testFile
}

// parseSeconds reads a JUnit time attribute ("0.013", "1,234.5").
func parseSeconds(s string) (float64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return f, true
}
