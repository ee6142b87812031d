package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/fs"

	"github.com/golden-path/golden-path/internal/daggertest"
)

// plantedDB builds a Trivy DB with these advisories and pushes it to the
// local registry under a repository named after its content; it returns the
// repository as the scanner sees it through its db-registry binding.
func plantedDB(t *testing.T, advisories string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(advisories))
	repo := "trivy-db-test-" + hex.EncodeToString(sum[:6])
	file := fs.NewFile(t, "advisories", fs.WithContent(advisories)).Path()
	cmd := exec.Command("go", "run", "./hack/trivydb", "push", "--advisories", file, "--ref", daggertest.RegistryAddr()+"/"+repo+":2")
	cmd.Dir = daggertest.RepoRoot(t)
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, string(out))
	return "db-registry:" + registryPort() + "/" + repo
}

func registryPort() string {
	return daggertest.RegistryAddr()[strings.LastIndex(daggertest.RegistryAddr(), ":")+1:]
}

const (
	criticalOnPlantedPython = `advisories:
  - {id: CVE-2099-1003, ecosystem: pip, package: gp-planted, fixed_version: "1.0.1", severity: CRITICAL, title: planted python critical}
`
	criticalOnApt = `advisories:
  - {id: CVE-2099-1001, source_package: apt, fixed_version: "2.6.1+gp1", severity: CRITICAL, title: planted critical}
`
	highOnZlib = `advisories:
  - {id: CVE-2099-1002, source_package: zlib, fixed_version: "1:9.9.9-1", severity: HIGH, title: planted high}
`
)

// scanResult is the part of the scan module's report the tests read.
type scanResult struct {
	Ok       bool
	Problem  string
	Critical int
	High     int
	Sarif    struct{ Contents string }
	Sbom     struct{ Contents string }
	Json     struct{ Contents string }
}

// scanImage runs the scan module's ImageReport function through the engine, with
// the DB registry reached through a tunnel to the host's registry.
func scanImage(t *testing.T, c *dagger.Client, ref, repo, severity, ignoreFile string) (scanResult, error) {
	t.Helper()
	ctx := context.Background()
	root := daggertest.RepoRoot(t)
	assert.NilError(t, c.ModuleSource(filepath.Join(root, "modules/scan")).AsModule().Serve(ctx))
	port := 0
	_, err := fmt.Sscan(registryPort(), &port)
	assert.NilError(t, err)
	svcID, err := c.Host().Service([]dagger.PortForward{{Frontend: port, Backend: port}}).ID(ctx)
	assert.NilError(t, err)
	vars := map[string]any{"repo": repo, "svc": svcID, "sev": severity, "ref": ref}
	ignoreArg, ignoreVar := "", ""
	if ignoreFile != "" {
		id, err := c.Host().File(ignoreFile).ID(ctx)
		assert.NilError(t, err)
		vars["ignore"] = id
		ignoreArg, ignoreVar = ", ignoreFile: $ignore", ", $ignore: ID!"
	}
	var out struct {
		Scan struct{ ImageReport scanResult }
	}
	err = c.Do(ctx, &dagger.Request{
		Query: `query($repo: String!, $svc: ID!, $sev: String!, $ref: String!` + ignoreVar + `) {
			scan(dbRepository: $repo, dbRegistry: $svc, severity: $sev` + ignoreArg + `) {
				imageReport(ref: $ref) { ok problem critical high sarif { contents } sbom { contents } json { contents } }
			}
		}`,
		Variables: vars,
	}, &dagger.Response{Data: &out})
	return out.Scan.ImageReport, err
}

// An image with a planted CRITICAL fails the CRITICAL gate, naming the CVE,
// the package, and the installed and fixed versions; the SARIF and SBOM come
// from the same scan.
func TestScanPlantedCritical(t *testing.T) {
	t.Parallel()
	c := daggertest.Connect(t)
	r, err := scanImage(t, c, "python:3.12-slim", plantedDB(t, criticalOnApt), "CRITICAL", "")
	assert.NilError(t, err)
	assert.Check(t, !r.Ok)
	assert.Check(t, r.Critical >= 2, "apt and libapt-pkg6.0: %d", r.Critical)
	assert.Check(t, is.Regexp(`CVE-2099-1001 \(CRITICAL\) in apt 2\.6\.1\S*, fixed in 2\.6\.1\+gp1`, r.Problem))

	var sarif struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
		}
	}
	assert.NilError(t, json.Unmarshal([]byte(r.Sarif.Contents), &sarif))
	assert.Check(t, is.Equal(sarif.Version, "2.1.0"))
	assert.Assert(t, is.Len(sarif.Runs, 1))
	assert.Check(t, is.Len(sarif.Runs[0].Tool.Driver.Rules, 1), "one rule per vulnerability")

	var sbom struct {
		BOMFormat  string
		Components []struct{ Name string }
	}
	assert.NilError(t, json.Unmarshal([]byte(r.Sbom.Contents), &sbom))
	assert.Check(t, is.Equal(sbom.BOMFormat, "CycloneDX"))
	names := map[string]bool{}
	for _, comp := range sbom.Components {
		names[comp.Name] = true
	}
	for _, pkg := range []string{"apt", "python3", "python3-fastapi", "libc6"} {
		assert.Check(t, names[pkg], "SBOM lacks %s", pkg)
	}
}

// A HIGH alone passes a CRITICAL gate and fails a HIGH gate.
func TestScanHighThreshold(t *testing.T) {
	t.Parallel()
	c := daggertest.Connect(t)
	repo := plantedDB(t, highOnZlib)
	r, err := scanImage(t, c, "python:3.12-slim", repo, "CRITICAL", "")
	assert.NilError(t, err)
	assert.Check(t, r.Ok, r.Problem)
	assert.Check(t, r.High >= 1)

	r, err = scanImage(t, c, "python:3.12-slim", repo, "HIGH", "")
	assert.NilError(t, err)
	assert.Check(t, !r.Ok)
	assert.Check(t, is.Regexp(`CVE-2099-1002 \(HIGH\) in zlib1g \S+, fixed in 1:9\.9\.9-1`, r.Problem))
}

// An ignore entry with a reason suppresses the finding; an expired one blocks
// again and says it expired.
func TestScanIgnoreFile(t *testing.T) {
	t.Parallel()
	c := daggertest.Connect(t)
	repo := plantedDB(t, criticalOnApt)
	ignore := func(expires time.Time) string {
		return fs.NewFile(t, "trivyignore", fs.WithContent(fmt.Sprintf(`vulnerabilities:
  - id: CVE-2099-1001
    statement: "apt is not run in production containers (SEC-42)"
    expired_at: %s
`, expires.Format(time.DateOnly)))).Path()
	}
	r, err := scanImage(t, c, "python:3.12-slim", repo, "CRITICAL", ignore(time.Now().AddDate(0, 1, 0)))
	assert.NilError(t, err)
	assert.Check(t, r.Ok, r.Problem)
	// Trivy itself suppressed it: not in the SARIF that code scanning gets, nor in the SBOM's vulnerabilities;
	// in the JSON, suppressed, with the entry's statement.
	assert.Check(t, !strings.Contains(r.Sarif.Contents, "CVE-2099-1001"), "the SARIF lists an accepted finding")
	assert.Check(t, !strings.Contains(r.Sbom.Contents, "CVE-2099-1001"), "the SBOM lists an accepted finding")
	var report struct {
		Results []struct {
			Vulnerabilities []struct{ VulnerabilityID string }
			Modified        []struct {
				Type, Status, Statement string
				Finding                 struct{ VulnerabilityID, PkgName string }
			} `json:"ExperimentalModifiedFindings"`
		}
	}
	assert.NilError(t, json.Unmarshal([]byte(r.Json.Contents), &report))
	var suppressed []string
	for _, res := range report.Results {
		for _, v := range res.Vulnerabilities {
			assert.Check(t, v.VulnerabilityID != "CVE-2099-1001", "the JSON lists the accepted finding as not suppressed")
		}
		for _, m := range res.Modified {
			assert.Check(t, is.Equal(m.Statement, "apt is not run in production containers (SEC-42)"))
			suppressed = append(suppressed, m.Status+" "+m.Type+" "+m.Finding.VulnerabilityID+" "+m.Finding.PkgName)
		}
	}
	assert.Check(t, is.Contains(suppressed, "ignored vulnerability CVE-2099-1001 apt"))
	assert.Check(t, r.Critical >= 2, "the counts include the suppressed findings: %d", r.Critical)

	r, err = scanImage(t, c, "python:3.12-slim", repo, "CRITICAL", ignore(time.Now().AddDate(0, 0, -1)))
	assert.NilError(t, err)
	assert.Check(t, !r.Ok)
	assert.Check(t, is.Contains(r.Problem, "CVE-2099-1001"))
	assert.Check(t, is.Contains(r.Problem, "expired on"))
}

// A DB that cannot be fetched fails closed, with the scanner's own message,
// not as "vulnerabilities found".
func TestScanDBUnreachableFailsClosed(t *testing.T) {
	t.Parallel()
	c := daggertest.Connect(t)
	_, err := scanImage(t, c, "python:3.12-slim", "db-registry:"+registryPort()+"/no-such-trivy-db", "CRITICAL", "")
	assert.Assert(t, err != nil, "a scan without a DB passed")
	assert.Check(t, is.Contains(err.Error(), "NOT scanned"))
	assert.Check(t, !strings.Contains(err.Error(), "vulnerabilities at or above"))
}

// ship stops on a blocking vulnerability, naming it, with the other gates
// still reported, and pushes nothing; report then returns the summary and
// the SARIF for CI to export.
func TestShipStopsOnCritical(t *testing.T) {
	t.Parallel()
	root := daggertest.RepoRoot(t)
	acr := daggertest.ACR(t)
	repo := plantedDB(t, criticalOnApt)
	withDB := func(args []string) []string {
		for i, a := range args {
			if a == "--trivy-db-repository" {
				args[i+1] = repo
			}
		}
		return args
	}
	commit := newCommit(t)
	args := withDB(ship(example, "--registry", acr.Addr, "--username", acr.Username,
		"--password", "env://GP_TEST_ACR_PASSWORD", "--registry-tunnel", "tcp://localhost:"+acr.Port(),
		"--repository", "tests/vulnerable", "--commit", commit, "summary"))
	r := daggertest.CLIEnv(t, root, acrEnv(acr), args...)
	assert.Check(t, r.ExitCode != 0, "ship passed with a planted CRITICAL:\n%s", r.Stdout)
	msg := r.ErrorText()
	assert.Check(t, is.Regexp(`CVE-2099-1001 \(CRITICAL\) in apt `, msg))
	assert.Check(t, is.Contains(msg, "| scan | ❌ failed |"))
	assert.Check(t, is.Contains(msg, "| test | ✅ passed |"))
	assert.Check(t, !strings.Contains(msg, "| publish |"), "publish ran after a failed gate")
	_, err := tagDigest(t, acr, acr.Addr+"/tests/vulnerable:"+commit)
	assert.Check(t, notFound(err), "the vulnerable image was pushed: %v", err)

	// The same gates through report: no failure, the reports to export.
	reportArgs := asReport(withDB(ship(example, "ok")))
	assert.Check(t, is.Equal(strings.TrimSpace(daggertest.MustCLI(t, root, reportArgs...)), "false"))
	reportArgs[len(reportArgs)-1] = "reports"
	entries := daggertest.MustCLI(t, root, append(reportArgs, "entries")...)
	for _, f := range []string{"summary.md", "annotations.txt", "outputs.env", "junit.xml", "lint.txt", "scan.sarif", "sbom.cdx.json"} {
		assert.Check(t, is.Contains(entries, f))
	}
	sarif := daggertest.MustCLI(t, root, append(reportArgs, "file", "--path", "scan.sarif", "contents")...)
	assert.Check(t, is.Contains(sarif, "CVE-2099-1001"))
	summary := daggertest.MustCLI(t, root, append(reportArgs, "file", "--path", "summary.md", "contents")...)
	assert.Check(t, is.Contains(summary, "| scan | ❌ failed |"))
	assert.Check(t, is.Regexp(`CVE-2099-1001.*apt`, summary))
	// For GitHub Actions: an error annotation on the Dockerfile's FROM line, and the step outputs.
	annotations := daggertest.MustCLI(t, root, append(reportArgs, "file", "--path", "annotations.txt", "contents")...)
	assert.Check(t, is.Regexp(`(?m)^::error file=Dockerfile,line=\d+,title=CRITICAL CVE-2099-1001 in apt::`, annotations))
	outputs := daggertest.MustCLI(t, root, append(reportArgs, "file", "--path", "outputs.env", "contents")...)
	assert.Check(t, is.Contains(outputs, "ok<<_GitHubActionsFileCommandDelimeter_\nfalse\n"))
	assert.Check(t, is.Contains(outputs, "failed-stage<<_GitHubActionsFileCommandDelimeter_\nscan\n"))
}

// The scan sees the Python distributions of the image, not only its OS
// packages: a distribution that pip would install (a *.dist-info of a version
// with a CRITICAL advisory) stops ship before publish, naming the package, its
// version, the fixed version and the advisory.
func TestShipStopsOnPythonCVE(t *testing.T) {
	t.Parallel()
	root := daggertest.RepoRoot(t)
	acr := daggertest.ACR(t)
	repo := plantedDB(t, criticalOnPlantedPython)
	src := brokenCopy(t, func(dir string) {
		dist := filepath.Join(dir, "site-packages", "gp_planted-1.0.0.dist-info")
		assert.NilError(t, os.MkdirAll(dist, 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(dist, "METADATA"),
			[]byte("Metadata-Version: 2.1\nName: gp-planted\nVersion: 1.0.0\nSummary: planted by a test\n"), 0o644))
		edit(t, filepath.Join(dir, "Dockerfile"), "COPY src/ src/\nUSER", "COPY src/ src/\nCOPY site-packages/ /usr/local/lib/python3/site-packages/\nUSER")
	})
	commit := newCommit(t)
	args := ship(src, "--registry", acr.Addr, "--username", acr.Username,
		"--password", "env://GP_TEST_ACR_PASSWORD", "--registry-tunnel", "tcp://localhost:"+acr.Port(),
		"--repository", "tests/vulnerable-python", "--commit", commit, "summary")
	args[slices.Index(args, "--trivy-db-repository")+1] = repo
	r := daggertest.CLIEnv(t, root, acrEnv(acr), args...)
	assert.Check(t, r.ExitCode != 0, "ship passed with a planted CRITICAL in a Python distribution:\n%s", r.Stdout)
	msg := r.ErrorText()
	assert.Check(t, is.Contains(msg, "CVE-2099-1003 (CRITICAL) in gp-planted 1.0.0, fixed in 1.0.1"))
	assert.Check(t, is.Contains(msg, "| scan | ❌ failed |"))
	assert.Check(t, !strings.Contains(msg, "| publish |"), "publish ran after a failed gate")
	_, err := tagDigest(t, acr, acr.Addr+"/tests/vulnerable-python:"+commit)
	assert.Check(t, notFound(err), "the vulnerable image was pushed: %v", err)
}
