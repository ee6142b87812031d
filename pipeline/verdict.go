package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Verdict is one stage's decision with the report it decided on. A stage
// module decides once and returns its verdict as JSON; the module that
// composes the stages decodes it (DecodeVerdict) and never decides again.
type Verdict[R any] struct {
	// Ok says whether the stage passed.
	Ok bool `json:"ok"`
	// Problem says why the stage failed and what to fix; empty when Ok.
	Problem string `json:"problem,omitempty"`
	// Report is what the stage found: a *testreport.Report, *lint.Report or *vuln.GateResult.
	Report R `json:"report"`
}

// NewVerdict is the verdict on report, whose gate returned err (nil: passed).
func NewVerdict[R any](report R, err error) Verdict[R] {
	v := Verdict[R]{Ok: err == nil, Report: report}
	if err != nil {
		v.Problem = err.Error()
	}
	return v
}

// Err is the stage's error: nil when it passed, else its Problem.
func (v Verdict[R]) Err() error {
	if v.Ok {
		return nil
	}
	return errors.New(v.Problem)
}

// JSON encodes the verdict.
func (v Verdict[R]) JSON() (string, error) {
	data, err := json.Marshal(v)
	return string(data), err
}

// DecodeVerdict reads the verdict a stage module returned; stage names it in
// the error. A verdict that failed without a problem is refused: a stage that
// fails must say why.
func DecodeVerdict[R any](stage, data string) (Verdict[R], error) {
	var v Verdict[R]
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return v, fmt.Errorf("%s: the stage's verdict is not readable (%s): rebuild its module at the version of this one", stage, err.Error())
	}
	if !v.Ok && v.Problem == "" {
		return v, fmt.Errorf("%s: the stage failed without saying why: rebuild its module at the version of this one", stage)
	}
	return v, nil
}
