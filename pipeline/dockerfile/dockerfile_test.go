package dockerfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

const sampleDockerfile = `ARG PYTHON_IMAGE=python:3.12-slim
FROM ${PYTHON_IMAGE} AS base
# install
RUN apt-get update && \
    apt-get install -y curl
RUN --mount=type=cache,target=/root/.cache false && echo never
RUN ["python3", "-c", "import fastapi"]
FOOBAR x
CMD ["python3"]
`

func TestParseDockerfileJoinsContinuations(t *testing.T) {
	d := Parse("Dockerfile", []byte(sampleDockerfile))
	assert.Equal(t, len(d.Instructions), 7)
	in := d.Instructions[2]
	assert.Check(t, is.Equal(in.Keyword, "RUN"))
	assert.Check(t, is.Equal(in.Line, 4))
	assert.Check(t, is.Equal(in.EndLine, 5))
	at, ok := d.At(5)
	assert.Assert(t, ok)
	assert.Check(t, is.Equal(at.Line, 4))
}

func TestRunOfFindsTheExecutedCommand(t *testing.T) {
	d := Parse("Dockerfile", []byte(sampleDockerfile))
	for _, tc := range []struct {
		name string
		cmd  []string
		line int
	}{
		{"continued shell form", []string{"/bin/sh", "-c", "apt-get update &&     apt-get install -y curl"}, 4},
		{"shell form after RUN flags", []string{"/bin/sh", "-c", "false && echo never"}, 6},
		{"exec form", []string{"python3", "-c", "import fastapi"}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, ok := d.RunOf(tc.cmd)
			assert.Assert(t, ok)
			assert.Check(t, is.Equal(in.Line, tc.line))
		})
	}
	_, ok := d.RunOf([]string{"/bin/sh", "-c", "not in the file"})
	assert.Check(t, !ok)
}

func TestRunErrorNamesTheLine(t *testing.T) {
	d := Parse("Dockerfile", []byte(sampleDockerfile))
	err := d.RunError([]string{"/bin/sh", "-c", "false && echo never"}, 1, "some output")
	assert.Check(t, is.Equal(err.Line, 6))
	assert.Check(t, is.Contains(err.Error(), "Dockerfile:6: RUN failed with exit code 1"))
	assert.Check(t, is.Contains(err.Error(), "some output"))

	unknown := d.RunError([]string{"/bin/sh", "-c", "elsewhere"}, 2, "")
	assert.Check(t, is.Equal(unknown.Line, 0))
	assert.Check(t, is.Contains(unknown.Error(), `command "/bin/sh -c elsewhere" failed with exit code 2`))
}

func TestParseErrorAt(t *testing.T) {
	d := Parse("Dockerfile", []byte(sampleDockerfile))
	err := d.ParseErrorAt("failed to convert Dockerfile to LLB: dockerfile parse error on line 8: unknown instruction: FOOBAR")
	assert.Assert(t, err != nil)
	assert.Check(t, is.Equal(err.Line, 8))
	assert.Check(t, is.Equal(err.Instruction, "FOOBAR x"))
	assert.Check(t, is.Contains(err.Error(), "Dockerfile:8: unknown instruction: FOOBAR"))
	assert.Check(t, is.Nil(d.ParseErrorAt("connection refused")))
}

func TestBaseImageLine(t *testing.T) {
	// The template's Dockerfile: runtime (the last stage) and test are built on base, FROM ${PYTHON_IMAGE} AS base.
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "fastapi-service", "Dockerfile"))
	assert.NilError(t, err)
	template := Parse("Dockerfile", data)
	assert.Equal(t, template.BaseImageLine(""), 8)
	assert.Equal(t, template.BaseImageLine("test"), 8)
	assert.Equal(t, template.BaseImageLine("runtime"), 8)

	multi := Parse("Dockerfile", []byte(`# syntax=docker/dockerfile:1
ARG GO=1.26
FROM --platform=$BUILDPLATFORM golang:${GO} AS build
RUN go build -o /app .

from Build as Tools
RUN go install example.com/tool@latest

FROM gcr.io/distroless/static:nonroot AS final
COPY --from=build /app /app
`))
	assert.Equal(t, multi.BaseImageLine(""), 9, "the last stage names an image")
	assert.Equal(t, multi.BaseImageLine("tools"), 3, "stage names are case-insensitive")
	assert.Equal(t, multi.BaseImageLine("missing"), 0)

	// "FROM build" with no stage named build before it is an image called build.
	assert.Equal(t, Parse("Dockerfile", []byte("FROM build\nFROM alpine AS build\n")).BaseImageLine(""), 2)
	assert.Equal(t, Parse("Dockerfile", []byte("FROM alpine AS build\nFROM build\n")).BaseImageLine(""), 1)
	assert.Equal(t, Parse("Dockerfile", []byte("# nothing\n")).BaseImageLine(""), 0)
}

// The stages the pipeline builds: the template's Dockerfile passes; a
// missing test stage, a test stage last, a runtime setting naming no stage
// or the test stage are each refused at the line to change.
func TestCheckStages(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "fastapi-service", "Dockerfile"))
	assert.NilError(t, err)
	d := Parse("Dockerfile", data)
	assert.Check(t, d.CheckStage("test", "build.test"))
	assert.Check(t, d.CheckRuntime("test", "", "build.test", "build.runtime"))
	assert.Check(t, d.CheckRuntime("test", "runtime", "build.test", "build.runtime"))
	assert.Check(t, is.DeepEqual(d.Stages()[1], Stage{Line: 25, Image: "base", Name: "test"}))

	lastIsTest := Parse("Dockerfile", []byte("FROM python:3.12-slim AS base\nRUN true\nFROM base AS runtime\nCMD [\"x\"]\nFROM runtime AS test\nRUN pytest\n"))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no test stage", d.CheckStage("checks", "build.test"),
			`Dockerfile:39: has no stage named "checks", where the pipeline runs the tests and the linter; add one that holds the code, the tests, pytest and flake8 (the template's: FROM base AS test, then COPY src/ and tests/), or set build.test in golden-path.yaml to the stage that does` + "\n    39 | FROM base AS runtime"},
		{"test stage last", lastIsTest.CheckRuntime("test", "", "build.test", "build.runtime"),
			`Dockerfile:5: its last stage is "test", the test stage: the pipeline deploys the last stage, so the image with the tests would run in production; put the stage that runs the service last, or set build.runtime in golden-path.yaml to it` + "\n    5 | FROM runtime AS test"},
		{"no runtime stage", d.CheckRuntime("test", "app", "build.test", "build.runtime"),
			`Dockerfile:39: has no stage named "app" (build.runtime in golden-path.yaml), the image to deploy; name the stage that runs the service so (FROM … AS app), or change build.runtime` + "\n    39 | FROM base AS runtime"},
		{"runtime is the test stage", d.CheckRuntime("test", "TEST", "build.test", "build.runtime"),
			`Dockerfile:25: build.test and build.runtime in golden-path.yaml both name the stage "test": the image with the tests would run in production; set build.runtime to the stage that runs the service` + "\n    25 | FROM base AS test"},
		{"no FROM", Parse("Dockerfile", []byte("RUN true\n")).CheckStage("test", "build.test"),
			`Dockerfile: has no FROM instruction, so no stage to build; start it with FROM <image> (see the template's Dockerfile)`},
	} {
		assert.Check(t, is.Error(tc.err, tc.want), tc.name)
		var e *Error
		assert.Check(t, errors.As(tc.err, &e), tc.name)
	}
}
