// Package testreport reads a test run's JUnit XML report (pytest's) into a
// Report, and its gate: the run passes when at least one test ran and none
// failed or errored.
package testreport
