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
package actionstest
