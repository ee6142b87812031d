// Package pipeline is the plain-Go core of golden-path: configuration, gates,
// report models and rendering. It needs no Dagger engine, so it is unit-tested
// fast; the Dagger modules under modules/ and .dagger/ reach it through a
// replace directive to the repository root (and an include in their
// dagger.json).
package pipeline

// Version is the golden-path release these modules belong to.
const Version = "0.1.0"
