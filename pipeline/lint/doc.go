// Package lint reads a linter's findings (flake8's default format) into a
// Report, and its gate: any finding fails it.
package lint
