// Package pipeline is the plain-Go core of golden-path. It needs no Dagger
// engine, so it is unit-tested fast. This package holds what every stage
// shares: a stage's Verdict, its Problem (stage, message, file, line), and the
// ship summary; each stage's own reading and deciding is in a package of its
// own: config (golden-path.yaml), dockerfile, testreport (JUnit), lint
// (flake8), vuln (Trivy and the vulnerability gate), render, policy, publish,
// rollout, observe, and ghactions (the CI reports). The Dagger modules under
// modules/ and .dagger/ reach them through a replace directive to the
// repository root (and an include in their dagger.json).
package pipeline

// Version is the golden-path release these modules belong to.
const Version = "0.1.0"
