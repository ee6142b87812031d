// Package actionstest checks the GitHub Actions workflows of the repository
// (every .github/workflows folder under examples/, and the repository's own
// .github/workflows when there is one) with actionlint, run as a Go library,
// and checks that every action they use is pinned to a commit SHA.
//
// It is a module of its own so that actionlint and its dependencies stay out
// of the product's module graph. Run it with
//
//	cd hack/actionstest && go vet ./... && go test -count=1 ./...
//
// actionlint's external linters (shellcheck for run: scripts, pyflakes for
// Python ones) are off: they would make the result depend on what the
// machine has on its PATH. The workflows' scripts are short shell; the checks
// that matter here (syntax, expressions and their contexts, step outputs,
// runner labels, action inputs, permissions, untrusted input in scripts) are
// actionlint's own.
//
// The TestAct* tests run the example's workflow end to end with nektos/act
// (built by version into $GP_CACHE/act-<version>) in host mode against the
// local platform: a pull_request (the gates), a push (the full ship) and a
// push whose tests fail. The actions from github.com and the Azure CLI are
// the stand-ins of hack/act (its README says how the run is set up). They
// need the platform's environment, and the push takes several minutes:
//
//	eval "$(hack/platform env)" && cd hack/actionstest && go test -count=1 -timeout 45m ./...
//
// Without the platform (GP_ACR_ADDR unset) they are skipped, except under
// CI=true, where they fail.
package actionstest
