// Package ghactions renders the reports of a ship run for GitHub Actions: the
// markdown step summary, the workflow commands that annotate the code
// (::error file=…,line=…::message) and the step outputs. Everything the
// runner reads is written by github.com/sethvargo/go-githubactions, so its
// escaping and formats are the toolkit's.
//
// Dagger functions run sandboxed: they see no GITHUB_* variable and cannot
// write the runner's files. So Render is a function of a Report that returns
// the contents of three files, which `ship` and `report` put in their
// reports folder and the workflow hands across:
//
//   - summary.md (SummaryFile): append it to $GITHUB_STEP_SUMMARY. The stage
//     table with status and time, the image by digest, the smoke-tested URL
//     and the dashboard (pipeline.ShipSummary's rendering), the test counts
//     and failing tests, the lint findings, the vulnerabilities (counts and
//     the blocking ones) and what to fix for failed stages that the sections
//     above do not detail.
//   - annotations.txt (AnnotationsFile): workflow commands; `cat` it in a
//     step. One ::error:: per failing test, lint finding and blocking
//     vulnerability, one per failed stage without such detail, and a
//     ::notice:: for a deployed service.
//   - outputs.env (OutputsFile): append it to $GITHUB_OUTPUT in a step with an
//     id. The library writes every value in the heredoc form GitHub documents
//     (name<<delimiter, value lines, delimiter), which GitHub reads like
//     name=value and which carries values with newlines.
//
// # Outputs
//
// Every output is written on every run, empty when it does not apply, so a
// workflow can test for the empty string:
//
//	ok                        "true" when every stage passed, else "false"
//	service                   the service's name, from golden-path.yaml
//	image                     the published image by digest, <registry>/<repository>@sha256:…
//	digest                    its digest alone, sha256:…
//	smoke-url                 the URL the smoke test called after the deploy
//	dashboard-url             the service's Grafana dashboard
//	failed-stage              the first stage that failed
//	problems                  one line per failed stage: "<stage>: <first line of what to fix>"
//	tests-failed              failed and errored tests; empty when the tests did not run
//	lint-findings             lint findings; empty when lint did not run
//	blocking-vulnerabilities  vulnerabilities that block the release; empty when the scan did not run
//	summary-path              the step summary's path, e.g. reports/summary.md (WithReportsDir)
//	sarif-path                the SARIF report's path, e.g. reports/scan.sarif; empty when the scan did not run
//
// # Annotations
//
// GitHub places an annotation on the file and line it names, relative to the
// repository root; WithServiceDir gives the service's folder inside the
// repository (e.g. examples/fastapi-service), which is prefixed to every
// path. The targets:
//
//   - a failing test: its file, at the deepest line of the traceback in that
//     file (the failing assertion), else the test function's line;
//   - a lint finding: its file, line and column;
//   - a blocking vulnerability: the Dockerfile (Report.Dockerfile), at the FROM
//     line the runtime image's packages come from (Report.BaseImageLine, see
//     dockerfile.Dockerfile.BaseImageLine), because a new base image is the
//     usual fix; the message says how to accept the finding in .trivyignore.yaml instead. A finding
//     that blocks because its ignore entry expired is annotated on that
//     entry's line of the ignore file.
//
// GitHub shows at most 10 error annotations per step (and 50 per job); the
// rest stay in the step's log. Render therefore writes stage failures first,
// then takes failing tests, lint findings and vulnerabilities in turn, so the
// first ten cover every failed gate, and ends with a notice when there are
// more.
package ghactions
