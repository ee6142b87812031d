package pipeline

import (
	"errors"
	"strings"
)

// Problem is why a stage failed: what went wrong and how to fix it, and the
// file and line it is about where there is one. A stage module returns it as
// its error's extensions (Extensions); the module that composes the stages
// reads it back (ProblemOf) and the reports annotate its file and line.
type Problem struct {
	// Stage is the stage that failed: config, build, test, lint, scan, publish, render, …
	Stage string `json:"stage"`
	// Message says what failed and how to fix it; it may span several lines.
	Message string `json:"message"`
	// File is the file at fault, relative to the service's folder (golden-path.yaml, Dockerfile,
	// k8s/base/deployment.yaml, …); empty when the problem is about no one file.
	File string `json:"file,omitempty"`
	// Line is the 1-based line in File; 0 when unknown.
	Line int `json:"line,omitempty"`
	// Detail is one line for the stage table: what a failed stage left behind where that matters, e.g. which
	// release serves after a rollback; empty for most problems.
	Detail string `json:"detail,omitempty"`
}

// String is "stage: message".
func (p Problem) String() string {
	if p.Stage == "" {
		return p.Message
	}
	return p.Stage + ": " + p.Message
}

// The keys of a problem in an error's extensions (GraphQL errors carry them from a module to its caller).
const (
	extStage  = "goldenPathStage"
	extFile   = "goldenPathFile"
	extLine   = "goldenPathLine"
	extDetail = "goldenPathDetail"
)

// Extensions are the problem's stage, file and line as a GraphQL error's
// extensions; the error's message is String.
func (p Problem) Extensions() map[string]any {
	ext := map[string]any{extStage: p.Stage}
	if p.File != "" {
		ext[extFile] = p.File
	}
	if p.Line > 0 {
		ext[extLine] = p.Line
	}
	if p.Detail != "" {
		ext[extDetail] = p.Detail
	}
	return ext
}

// Detailed is an error with a Problem's Detail.
type Detailed interface {
	error
	// Detail is one line: what the failure left behind.
	Detail() string
}

// Located is an error that points at a file and line.
type Located interface {
	error
	// Location is the file, relative to the service's folder, and the 1-based line (0 when unknown).
	Location() (file string, line int)
}

// StageOf is the stage a module's error names (the stage that failed, e.g.
// "build" for a build inside the test stage); "" when err is nil or names
// none.
func StageOf(err error) string {
	var ext interface{ Extensions() map[string]any }
	if errors.As(err, &ext) {
		s, _ := ext.Extensions()[extStage].(string)
		return s
	}
	return ""
}

// ProblemOf is the problem behind stage's error err: the file and line that
// a stage module put in its error's extensions, or that a Located error in
// err's chain names; the message is err's, without the "stage: " that
// modules put first (theirs, or stage's: a stage of the composing module may
// call a function of another stage's module).
func ProblemOf(stage string, err error) Problem {
	p := Problem{Stage: stage, Message: strings.TrimPrefix(err.Error(), stage+": ")}
	var ext interface{ Extensions() map[string]any }
	if errors.As(err, &ext) {
		if s, ok := ext.Extensions()[extStage].(string); ok && s != "" {
			p.Message = strings.TrimPrefix(p.Message, s+": ")
			p.File, _ = ext.Extensions()[extFile].(string)
			// JSON numbers arrive as float64 through the engine, as int from this process.
			switch l := ext.Extensions()[extLine].(type) {
			case float64:
				p.Line = int(l)
			case int:
				p.Line = l
			}
			p.Detail, _ = ext.Extensions()[extDetail].(string)
			return p
		}
	}
	var loc Located
	if errors.As(err, &loc) {
		p.File, p.Line = loc.Location()
	}
	var d Detailed
	if errors.As(err, &d) {
		p.Detail = d.Detail()
	}
	return p
}
