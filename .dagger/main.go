// The golden path: build, test, scan, publish, deploy and observe a service.
//
// golden-path is the delivery pipeline of the internal developer platform. A
// product team points `dagger call ship` at its service and gets the whole
// path, the same on a laptop and in CI. Each stage is a module of its own under
// modules/; this root module composes them.
package main

import (
	"github.com/golden-path/golden-path/pipeline"
)

// GoldenPath is the golden path for one service.
type GoldenPath struct{}

// Version returns the golden-path release these modules belong to.
func (m *GoldenPath) Version() string {
	return pipeline.Version
}
