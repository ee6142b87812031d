package dockerfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/golden-path/golden-path/pipeline"
)

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	// Line is where the instruction starts (1-based); EndLine where it ends.
	Line, EndLine int
	// Keyword is the instruction in upper case: RUN, COPY, FROM, ….
	Keyword string
	// Args is the rest of the instruction, as BuildKit joins it.
	Args string
}

// Dockerfile is a parsed Dockerfile: enough of it to point at lines.
type Dockerfile struct {
	File         string
	Instructions []Instruction
}

// Parse splits a Dockerfile into its instructions with their
// lines. It does not validate them: BuildKit does that.
func Parse(file string, data []byte) *Dockerfile {
	d := &Dockerfile{File: file}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	var cur *Instruction
	var text strings.Builder
	flush := func() {
		if cur != nil {
			kw, args, _ := strings.Cut(strings.TrimSpace(text.String()), " ")
			cur.Keyword, cur.Args = strings.ToUpper(kw), strings.TrimSpace(args)
			d.Instructions = append(d.Instructions, *cur)
			cur = nil
			text.Reset()
		}
	}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur == nil && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur != nil && strings.HasPrefix(trimmed, "#") {
			continue // comments inside a continued instruction are dropped, as BuildKit does
		}
		if cur == nil {
			cur = &Instruction{Line: n}
		}
		cur.EndLine = n
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			text.WriteString(body)
			continue
		}
		text.WriteString(line)
		flush()
	}
	flush()
	return d
}

// At returns the instruction that spans line n.
func (d *Dockerfile) At(n int) (Instruction, bool) {
	for _, in := range d.Instructions {
		if in.Line <= n && n <= in.EndLine {
			return in, true
		}
	}
	return Instruction{}, false
}

// RunOf finds the RUN instruction that BuildKit executed as cmd: shell form
// runs as [/bin/sh -c ARGS], exec form as its JSON array.
func (d *Dockerfile) RunOf(cmd []string) (Instruction, bool) {
	for _, in := range d.Instructions {
		if in.Keyword != "RUN" {
			continue
		}
		args := stripRunFlags(in.Args)
		var exec []string
		if strings.HasPrefix(args, "[") && json.Unmarshal([]byte(args), &exec) == nil {
			if equalStrings(exec, cmd) {
				return in, true
			}
			continue
		}
		if len(cmd) >= 3 && cmd[len(cmd)-2] == "-c" && squash(cmd[len(cmd)-1]) == squash(args) {
			return in, true
		}
	}
	return Instruction{}, false
}

var runFlag = regexp.MustCompile(`^--[a-z-]+(=\S+)?\s+`)

// stripRunFlags drops RUN's own flags (--mount=…, --network=…).
func stripRunFlags(args string) string {
	for {
		loc := runFlag.FindStringIndex(args)
		if loc == nil {
			return args
		}
		args = args[loc[1]:]
	}
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Error is a build failure pinned to a Dockerfile line.
type Error struct {
	// File is the Dockerfile's path in the source folder.
	File string
	// Line is 0 when the failure could not be pinned to a line.
	Line int
	// Instruction is the instruction at Line, continuation lines joined.
	Instruction string
	// Reason says what went wrong and what to do.
	Reason string
	// Output is the tail of the failing step's output.
	Output string
}

// Error is "FILE:LINE: reason", the instruction, then the output's last lines.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "%s:%d: %s", e.File, e.Line, e.Reason)
		fmt.Fprintf(&b, "\n    %d | %s", e.Line, e.Instruction)
	} else {
		fmt.Fprintf(&b, "%s: %s", e.File, e.Reason)
	}
	if e.Output != "" {
		b.WriteString("\n  output (last lines):\n")
		for _, l := range strings.Split(e.Output, "\n") {
			b.WriteString("    " + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

var parseErrLine = regexp.MustCompile(`(?i)line (\d+): (.*)`)

// ParseErrorAt pins a BuildKit Dockerfile parse error ("dockerfile parse
// error on line 3: unknown instruction: FOOBAR") to its line; nil when msg is
// not one.
func (d *Dockerfile) ParseErrorAt(msg string) *Error {
	if !strings.Contains(strings.ToLower(msg), "dockerfile") {
		return nil
	}
	m := parseErrLine.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	n, _ := strconv.Atoi(m[1])
	e := &Error{File: d.File, Line: n, Reason: strings.TrimSpace(m[2])}
	if in, ok := d.At(n); ok {
		e.Line, e.Instruction = in.Line, in.Keyword+" "+in.Args
	}
	return e
}

// RunError pins a failed RUN (the command BuildKit executed, its exit code
// and output) to its Dockerfile line.
func (d *Dockerfile) RunError(cmd []string, exitCode int, output string) *Error {
	e := &Error{
		File:   d.File,
		Reason: fmt.Sprintf("RUN failed with exit code %d; fix the command or what it needs", exitCode),
		Output: pipeline.LastLines(output, 15),
	}
	if in, ok := d.RunOf(cmd); ok {
		e.Line, e.Instruction = in.Line, in.Keyword+" "+in.Args
	} else {
		e.Reason = fmt.Sprintf("command %q failed with exit code %d", strings.Join(cmd, " "), exitCode)
	}
	return e
}

// Location is the Dockerfile and the line of the failing instruction.
func (e *Error) Location() (string, int) { return e.File, e.Line }

// Stage is one build stage of a Dockerfile: a FROM and what follows it.
type Stage struct {
	// Line is the line of its FROM.
	Line int
	// Image is what it is built on: an image, or an earlier stage's name.
	Image string
	// Name is its name (FROM … AS name), lower case; empty when it has none.
	Name string
}

// Stages lists the stages of d in order.
func (d *Dockerfile) Stages() []Stage {
	var stages []Stage
	for _, in := range d.Instructions {
		if in.Keyword != "FROM" {
			continue
		}
		var args []string
		for _, f := range strings.Fields(in.Args) {
			if !strings.HasPrefix(f, "--") { // --platform=…
				args = append(args, f)
			}
		}
		if len(args) == 0 {
			continue
		}
		st := Stage{Line: in.Line, Image: args[0]}
		if len(args) >= 3 && strings.EqualFold(args[1], "AS") {
			st.Name = strings.ToLower(args[2])
		}
		stages = append(stages, st)
	}
	return stages
}

// stage returns the index of the stage named target in stages (the last
// one when target is empty); -1 when there is none.
func stage(stages []Stage, target string) int {
	if target == "" {
		return len(stages) - 1
	}
	for j, st := range stages {
		if st.Name == strings.ToLower(target) {
			return j
		}
	}
	return -1
}

// CheckStage checks that d has a stage named name, where the pipeline
// runs the tests and the linter; setting is golden-path.yaml's setting that
// names it (e.g. "build.test"), which the fix mentions. The error is an
// *Error at the last stage's FROM.
func (d *Dockerfile) CheckStage(name, setting string) error {
	stages := d.Stages()
	if len(stages) == 0 {
		return d.noStage()
	}
	if stage(stages, name) < 0 {
		return d.stageError(stages[len(stages)-1], fmt.Sprintf("has no stage named %q, where the pipeline runs the tests and "+
			"the linter; add one that holds the code, the tests, pytest and flake8 (the template's: FROM base AS test, "+
			"then COPY src/ and tests/), or set %s in golden-path.yaml to the stage that does", name, setting))
	}
	return nil
}

// CheckRuntime checks the stage the pipeline deploys, runtime (the last
// stage when empty): it exists, and it is not test, the stage with the
// tests (a Dockerfile whose last stage is the test stage would ship its
// test image). The settings are golden-path.yaml's that name the two (e.g.
// "build.test"), which the fix mentions. The error is an *Error at the
// line to change.
func (d *Dockerfile) CheckRuntime(test, runtime, testSetting, runtimeSetting string) error {
	stages := d.Stages()
	if len(stages) == 0 {
		return d.noStage()
	}
	i := stage(stages, runtime)
	if i < 0 {
		return d.stageError(stages[len(stages)-1], fmt.Sprintf("has no stage named %q (%s in golden-path.yaml), the image "+
			"to deploy; name the stage that runs the service so (FROM … AS %s), or change %s", runtime, runtimeSetting, runtime, runtimeSetting))
	}
	rt := stages[i]
	switch {
	case rt.Name != strings.ToLower(test):
		return nil
	case runtime == "":
		return d.stageError(rt, fmt.Sprintf("its last stage is %q, the test stage: the pipeline deploys the last stage, so "+
			"the image with the tests would run in production; put the stage that runs the service last, or set %s in "+
			"golden-path.yaml to it", test, runtimeSetting))
	default:
		return d.stageError(rt, fmt.Sprintf("%s and %s in golden-path.yaml both name the stage %q: the image with the "+
			"tests would run in production; set %s to the stage that runs the service", testSetting, runtimeSetting, rt.Name, runtimeSetting))
	}
}

func (d *Dockerfile) noStage() *Error {
	return &Error{File: d.File, Reason: "has no FROM instruction, so no stage to build; start it with FROM <image> (see the template's Dockerfile)"}
}

// stageError is an *Error at the FROM of st.
func (d *Dockerfile) stageError(st Stage, reason string) *Error {
	e := &Error{File: d.File, Line: st.Line, Reason: reason}
	if in, ok := d.At(st.Line); ok {
		e.Instruction = in.Keyword + " " + in.Args
	}
	return e
}

// BaseImageLine is the line of the FROM instruction that the image of
// stage target is built on, following stages built on earlier stages
// ("FROM base AS runtime") back to the FROM that names an image: the OS
// packages a scan finds in the image come from there. An empty target is
// the last stage, the default build target. It is 0 when d has no FROM
// or no stage named target.
func (d *Dockerfile) BaseImageLine(target string) int {
	stages := d.Stages()
	i := stage(stages, target)
	if i < 0 {
		return 0
	}
	// Follow "FROM <earlier stage>" back; a stage can only build on one
	// before it, so this ends.
	for {
		parent := -1
		for j := i - 1; j >= 0; j-- {
			if stages[j].Name != "" && stages[j].Name == strings.ToLower(stages[i].Image) {
				parent = j
				break
			}
		}
		if parent < 0 {
			return stages[i].Line
		}
		i = parent
	}
}
