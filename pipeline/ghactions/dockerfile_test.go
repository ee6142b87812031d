package ghactions

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/golden-path/golden-path/pipeline/dockerfile"
	"gotest.tools/v3/assert"
)

func TestBaseImageLine(t *testing.T) {
	// The template's Dockerfile: runtime (the last stage) and test are built on base, FROM ${PYTHON_IMAGE} AS base.
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "fastapi-service", "Dockerfile"))
	assert.NilError(t, err)
	template := dockerfile.Parse("Dockerfile", data)
	assert.Equal(t, BaseImageLine(template, ""), 8)
	assert.Equal(t, BaseImageLine(template, "test"), 8)
	assert.Equal(t, BaseImageLine(template, "runtime"), 8)

	multi := dockerfile.Parse("Dockerfile", []byte(`# syntax=docker/dockerfile:1
ARG GO=1.26
FROM --platform=$BUILDPLATFORM golang:${GO} AS build
RUN go build -o /app .

from Build as Tools
RUN go install example.com/tool@latest

FROM gcr.io/distroless/static:nonroot AS final
COPY --from=build /app /app
`))
	assert.Equal(t, BaseImageLine(multi, ""), 9, "the last stage names an image")
	assert.Equal(t, BaseImageLine(multi, "tools"), 3, "stage names are case-insensitive")
	assert.Equal(t, BaseImageLine(multi, "missing"), 0)

	// "FROM build" with no stage named build before it is an image called build.
	assert.Equal(t, BaseImageLine(dockerfile.Parse("Dockerfile", []byte("FROM build\nFROM alpine AS build\n")), ""), 2)
	assert.Equal(t, BaseImageLine(dockerfile.Parse("Dockerfile", []byte("FROM alpine AS build\nFROM build\n")), ""), 1)
	assert.Equal(t, BaseImageLine(dockerfile.Parse("Dockerfile", []byte("# nothing\n")), ""), 0)
}
