package testreport

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golden-path/golden-path/pipeline/internal/reporttest"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// dumpTestReport renders everything parsed from a report, its gate and its
// markdown, for golden files.
func dumpTestReport(r *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "total=%d passed=%d failed=%d errors=%d skipped=%d duration=%g\n",
		r.Total, r.Passed, r.Failed, r.Errors, r.Skipped, r.Duration)
	for _, c := range r.Cases {
		fmt.Fprintf(&b, "\ncase %s\n", c.ID)
		fmt.Fprintf(&b, "  file=%q line=%d name=%q classname=%q status=%s duration=%g\n",
			c.File, c.Line, c.Name, c.Classname, c.Status, c.Duration)
		if c.Message != "" {
			fmt.Fprintf(&b, "  message: %q\n", c.Message)
		}
		if c.Output != "" {
			b.WriteString("  output:\n")
			for _, line := range strings.Split(c.Output, "\n") {
				b.WriteString("    | " + line + "\n")
			}
		}
	}
	reporttest.WriteGate(&b, r)
	return b.String()
}

// TestParseJUnit parses each testdata/junit/<name>.xml and compares the
// report, its gate and its markdown with testdata/junit/<name>.golden.
func TestParseJUnit(t *testing.T) {
	for _, tc := range []struct {
		name                                   string
		total, passed, failed, errors, skipped int
		gate                                   bool // Err() is non-nil
	}{
		{name: "all-pass", total: 3, passed: 3},
		{name: "failures", total: 8, passed: 1, failed: 3, errors: 2, skipped: 2, gate: true},
		{name: "xunit2", total: 3, passed: 2, failed: 1, gate: true},
		{name: "zero-tests", gate: true},
		{name: "all-skipped", total: 2, skipped: 2, gate: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "junit", tc.name+".xml"))
			assert.NilError(t, err)
			r, err := ParseJUnit(data)
			assert.NilError(t, err)

			assert.Equal(t, r.Total, tc.total)
			assert.Equal(t, r.Passed, tc.passed)
			assert.Equal(t, r.Failed, tc.failed)
			assert.Equal(t, r.Errors, tc.errors)
			assert.Equal(t, r.Skipped, tc.skipped)
			assert.Equal(t, len(r.Cases), r.Total)
			assert.Equal(t, len(r.Failures()), tc.failed+tc.errors)

			gateErr := r.Err()
			if tc.gate {
				var ge *GateError
				assert.Assert(t, errors.As(gateErr, &ge), "Err() = %v", gateErr)
			} else {
				assert.NilError(t, gateErr)
			}
			golden.Assert(t, dumpTestReport(r), filepath.Join("junit", tc.name+".golden"))
		})
	}
}

func TestParseJUnitUnreadable(t *testing.T) {
	for _, name := range []string{"garbage", "truncated", "html", "empty"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "junit", name+".xml"))
			assert.NilError(t, err)
			r, err := ParseJUnit(data)
			assert.Assert(t, r == nil, "an unreadable report must not yield a report")
			var re *ParseError
			assert.Assert(t, errors.As(err, &re), "error is %T: %v", err, err)
			assert.Assert(t, is.Contains(err.Error(), "the test report is unreadable"))
			golden.Assert(t, err.Error()+"\n", filepath.Join("junit", name+".golden"))
		})
	}
}

func TestTestCaseIDs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "junit", "failures.xml"))
	assert.NilError(t, err)
	r, err := ParseJUnit(data)
	assert.NilError(t, err)
	var ids []string
	for _, c := range r.Cases {
		ids = append(ids, c.ID)
	}
	assert.DeepEqual(t, ids, []string{
		"tests/test_main.py::test_health",
		"tests/test_main.py::test_create_item",
		"tests/test_main.py::TestItems::test_delete[missing-id]",
		"tests/test_db.py::test_insert",
		"tests/test_cache.py::test_redis",
		"tests/test_cache.py::test_flaky",
		"tests/test_broken.py",
		"tests/test_main.py::test_pipes",
	})
	assert.Equal(t, r.Cases[1].Line, 21, "pytest's 0-based line 20 is line 21")
	assert.Equal(t, r.Cases[1].Message, "AssertionError: assert 500 == 200\n +  where 500 = <Response [500 Internal Server Error]>.status_code")
	assert.Equal(t, r.Cases[1].Status, StatusFailed)
	assert.Equal(t, r.Cases[3].Status, StatusError)
	assert.Equal(t, r.Cases[4].Status, StatusSkipped)
	assert.Equal(t, r.Cases[4].Message, "needs redis")
}

func TestPytestNodeID(t *testing.T) {
	for _, tc := range []struct {
		classname, name, file string
		wantID, wantFile      string
	}{
		{"tests.test_main", "test_health", "tests/test_main.py", "tests/test_main.py::test_health", "tests/test_main.py"},
		{"tests.test_main", "test_health", "", "tests/test_main.py::test_health", "tests/test_main.py"},
		{"tests.test_main.TestA", "test_x", "tests/test_main.py", "tests/test_main.py::TestA::test_x", "tests/test_main.py"},
		{"tests.test_main.TestA", "test_x", "", "tests/test_main.py::TestA::test_x", "tests/test_main.py"},
		{"tests.test_main.TestA.TestInner", "test_x[a.b]", "", "tests/test_main.py::TestA::TestInner::test_x[a.b]", "tests/test_main.py"},
		{"test_root", "test_v", "", "test_root.py::test_v", "test_root.py"},
		{"tests.test_sub.TestB", "test_y", "tests/base.py", "tests/base.py::test_y", "tests/base.py"},
		{"", "tests.test_broken", "", "tests/test_broken.py", "tests/test_broken.py"},
		{"", "test_orphan", "", "test_orphan", ""},
		{"pytest", "internal", "", "pytest::internal", ""},
	} {
		t.Run(tc.wantID, func(t *testing.T) {
			id, file := pytestNodeID(tc.classname, tc.name, tc.file)
			assert.Equal(t, id, tc.wantID)
			assert.Equal(t, file, tc.wantFile)
		})
	}
}

func TestTestGateErrorMessage(t *testing.T) {
	r := &Report{
		Total: 5, Passed: 3, Failed: 1, Errors: 1,
		Cases: []Case{
			{ID: "tests/test_main.py::test_ok", Status: StatusPassed},
			{ID: "tests/test_main.py::test_x", Status: StatusFailed, Message: "AssertionError: assert 500 == 200\nassert 0"},
			{ID: "tests/test_main.py::test_ok2", Status: StatusPassed},
			{ID: "tests/test_db.py::test_y", Status: StatusError, Output: "def test_y(db):\nE       fixture 'db' not found\n"},
			{ID: "tests/test_main.py::test_ok3", Status: StatusPassed},
		},
	}
	assert.Error(t, r.Err(), "2 of 5 tests failed:\n"+
		"  tests/test_main.py::test_x: AssertionError: assert 500 == 200\n"+
		"  tests/test_db.py::test_y: fixture 'db' not found")

	empty := &Report{}
	assert.Error(t, empty.Err(), "no tests ran: pytest collected nothing; add tests under tests/ named test_*.py")
	var ge *GateError
	assert.Assert(t, errors.As(empty.Err(), &ge))
	assert.Assert(t, ge.NoTests())

	one := &Report{Total: 1, Failed: 1, Cases: []Case{{ID: "t.py::a", Status: StatusFailed}}}
	assert.Error(t, one.Err(), "1 of 1 test failed:\n  t.py::a: failed")
}
