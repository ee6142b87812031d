package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/golden-path/golden-path/pipeline/yamlfile"
	"gopkg.in/yaml.v3"
)

// Defaults of the slo section: the thresholds of the alerts every service
// gets.
const (
	DefaultErrorRatio = 0.05
	DefaultLatencyP95 = 500 * time.Millisecond
	DefaultLatencyP99 = time.Second
	DefaultAlertFor   = 5 * time.Minute
)

// Ranges the slo settings must lie in.
const (
	// MinLatencyThreshold is the smallest latency threshold: Prometheus
	// durations count whole milliseconds.
	MinLatencyThreshold = time.Millisecond
	// MaxLatencyThreshold is the largest latency threshold: the upper
	// bound of the largest finite bucket of the template's
	// http_request_duration_seconds histogram (prometheus_client's default
	// buckets). histogram_quantile never reports more, so a higher
	// threshold could never fire.
	MaxLatencyThreshold = 10 * time.Second
	// MinAlertFor and MaxAlertFor bound how long a condition must hold
	// before its alert fires.
	MinAlertFor = time.Minute
	MaxAlertFor = 24 * time.Hour
)

// SLO holds the service's objectives: the thresholds of the RED alerts the
// observe stage generates (errors, latency). Every setting is optional.
type SLO struct {
	// ErrorRatio is the fraction of requests answered with a 5xx status
	// above which the error alert fires: 0.05 is 5%. In the file it is a
	// number between 0 and 1 or a percentage ("5%").
	ErrorRatio float64 `yaml:"errorRatio"`
	// LatencyP95 is the 95th percentile request duration above which the
	// p95 latency alert fires. In the file a duration such as "500ms".
	LatencyP95 time.Duration `yaml:"latencyP95"`
	// LatencyP99 is the same for the 99th percentile; at least LatencyP95.
	LatencyP99 time.Duration `yaml:"latencyP99"`
	// AlertFor is how long a threshold must be crossed before its alert
	// fires (Prometheus' "for").
	AlertFor time.Duration `yaml:"alertFor"`
}

var durationType = reflect.TypeOf(time.Duration(0))

// applySLODefaults fills the slo settings that set does not record as given.
func applySLODefaults(s *SLO, set map[string]int) {
	if _, ok := set["slo.errorRatio"]; !ok {
		s.ErrorRatio = DefaultErrorRatio
	}
	for _, def := range []struct {
		path string
		dst  *time.Duration
		val  time.Duration
	}{
		{"slo.latencyP95", &s.LatencyP95, DefaultLatencyP95},
		{"slo.latencyP99", &s.LatencyP99, DefaultLatencyP99},
		{"slo.alertFor", &s.AlertFor, DefaultAlertFor},
	} {
		if _, ok := set[def.path]; !ok {
			*def.dst = def.val
		}
	}
}

// decodeDuration decodes a duration such as "500ms" or "5m" from n into v,
// the field at path. A bare number is refused: its unit would be a guess.
func (d *configDecoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	example := fmt.Sprintf("e.g. %s: %s", lastKey(path), settingExample(path))
	fail := func(reason, fix string) {
		d.add(n.Line, path, reason, fix)
		d.broken[path] = true
	}
	if n.Kind != yaml.ScalarNode {
		fail(fmt.Sprintf("expected a duration, found %s", yamlfile.Describe(n)),
			"write a number and a unit (ms, s, m or h) on one line, "+example)
		return
	}
	s := strings.TrimSpace(n.Value)
	if n.Tag == "!!int" || n.Tag == "!!float" || isPlainNumber(s) {
		fail(fmt.Sprintf("%s has no unit", n.Value),
			fmt.Sprintf("write it with a unit, e.g. %sms (milliseconds) or %ss (seconds)", s, s))
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		fix := "write a number and a unit (ms, s, m or h), " + example
		if compact := strings.Join(strings.Fields(s), ""); compact != s {
			if _, err := time.ParseDuration(compact); err == nil {
				fix = fmt.Sprintf("write %s, without spaces", compact)
			}
		} else if strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w") {
			fix = "days and weeks are not accepted: write hours, e.g. 24h for a day"
		}
		fail(fmt.Sprintf("%q is not a duration", n.Value), fix)
		return
	}
	v.SetInt(int64(dur))
	d.set[path] = n.Line
}

// isPlainNumber reports whether s is a number without a unit.
func isPlainNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// decodeRatio decodes a fraction from n into v, the field at path: a number
// (0.05) or a percentage ("5%").
func (d *configDecoder) decodeRatio(n *yaml.Node, v reflect.Value, path string) {
	fix := fmt.Sprintf("write a fraction or a percentage, e.g. %s: %s or %s: 5%%", lastKey(path), settingExample(path), lastKey(path))
	if n.Kind != yaml.ScalarNode {
		d.add(n.Line, path, fmt.Sprintf("expected a number, found %s", yamlfile.Describe(n)), fix)
		d.broken[path] = true
		return
	}
	s := strings.TrimSpace(n.Value)
	percent := strings.HasSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil || f != f { // f != f: NaN
		d.add(n.Line, path, fmt.Sprintf("%q is not a number", n.Value), fix)
		d.broken[path] = true
		return
	}
	if percent {
		f /= 100
		d.percent[path] = true
	}
	v.SetFloat(f)
	d.set[path] = n.Line
}

// validateSLO checks the slo settings given in the file; defaults are valid.
func (d *configDecoder) validateSLO(s SLO) {
	d.validateErrorRatio(s.ErrorRatio)
	p95 := d.validateDuration("slo.latencyP95", s.LatencyP95, MinLatencyThreshold, MaxLatencyThreshold,
		"the largest bucket of the http_request_duration_seconds histogram, so the alert could never fire")
	p99 := d.validateDuration("slo.latencyP99", s.LatencyP99, MinLatencyThreshold, MaxLatencyThreshold,
		"the largest bucket of the http_request_duration_seconds histogram, so the alert could never fire")
	d.validateDuration("slo.alertFor", s.AlertFor, MinAlertFor, MaxAlertFor,
		"a day: an alert that waits longer is no longer an alert")
	if p95 && p99 && s.LatencyP95 > s.LatencyP99 {
		path, line := "slo.latencyP99", d.set["slo.latencyP99"]
		fix := fmt.Sprintf("raise latencyP99 to %s or more, or lower latencyP95", sloDuration(s.LatencyP95))
		if _, given := d.set["slo.latencyP99"]; !given {
			path, line = "slo.latencyP95", d.set["slo.latencyP95"]
			fix = fmt.Sprintf("lower latencyP95 to at most %s (the default latencyP99), or also set latencyP99", sloDuration(s.LatencyP99))
		}
		d.add(line, path,
			fmt.Sprintf("latencyP95 (%s) is above latencyP99 (%s): the 99th percentile of durations is never below the 95th",
				sloDuration(s.LatencyP95), sloDuration(s.LatencyP99)),
			fix)
	}
}

func (d *configDecoder) validateErrorRatio(r float64) {
	const path = "slo.errorRatio"
	line, given := d.set[path]
	if !given || d.broken[path] {
		return
	}
	shown := strconv.FormatFloat(r, 'g', -1, 64)
	if d.percent[path] {
		shown = strconv.FormatFloat(r*100, 'g', -1, 64) + "%"
	}
	switch {
	case r < 0:
		d.add(line, path, fmt.Sprintf("%s is negative", shown),
			"give the fraction of failed requests that should alert, e.g. errorRatio: 0.05 (5%)")
	case r == 0:
		d.add(line, path, fmt.Sprintf("%s would alert on every single failed request", shown),
			"give a fraction above 0, e.g. errorRatio: 0.01 (1%)")
	case r >= 1 && !d.percent[path] && r <= 100:
		d.add(line, path,
			fmt.Sprintf("%s is more than 1, but errorRatio is a fraction of requests (0.05 = 5%%)", shown),
			fmt.Sprintf("write errorRatio: %s or errorRatio: %s%%", strconv.FormatFloat(r/100, 'g', -1, 64), shown))
	case r >= 1:
		d.add(line, path, fmt.Sprintf("%s is 100%% or more: the alert could never fire", shown),
			"give a fraction below 1, e.g. errorRatio: 0.05 (5%)")
	}
}

// validateDuration checks the duration at path against [lo, hi]; beyond
// says what lies past hi. It reports whether the value is usable.
func (d *configDecoder) validateDuration(path string, v, lo, hi time.Duration, beyond string) bool {
	line, given := d.set[path]
	if d.broken[path] {
		return false
	}
	if !given {
		return true
	}
	key := lastKey(path)
	switch {
	case v <= 0:
		d.add(line, path, fmt.Sprintf("%s is not a positive duration", sloDuration(v)),
			fmt.Sprintf("give a duration of at least %s, e.g. %s: %s", sloDuration(lo), key, settingExample(path)))
	case v%time.Millisecond != 0:
		d.add(line, path, fmt.Sprintf("%s is not a whole number of milliseconds, the finest unit Prometheus takes", sloDuration(v)),
			fmt.Sprintf("round it to milliseconds, e.g. %s: %s", key, sloDuration(max(v.Round(time.Millisecond), lo))))
	case v < lo:
		d.add(line, path, fmt.Sprintf("%s is shorter than %s", sloDuration(v), sloDuration(lo)),
			fmt.Sprintf("give at least %s, e.g. %s: %s", sloDuration(lo), key, settingExample(path)))
	case v > hi:
		d.add(line, path, fmt.Sprintf("%s is longer than %s, %s", sloDuration(v), sloDuration(hi), beyond),
			fmt.Sprintf("give at most %s", sloDuration(hi)))
	default:
		return true
	}
	return false
}

// sloDuration writes d the way people write it in the file: "500ms",
// "1s", "5m", "1h30m", "1m30s" (no trailing zero units as in "5m0s").
func sloDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d < 0 {
		return "-" + sloDuration(-d)
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if n := d / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			d -= n * u.unit
		}
	}
	if d > 0 || b.Len() == 0 {
		// Below a millisecond: fall back to Go's notation.
		b.WriteString(d.String())
	}
	return b.String()
}

// FormatDuration writes d as a Prometheus duration ("500ms", "5m", "1h30m").
// Parts below a millisecond, which Prometheus cannot express, are written in
// Go's notation; Parse refuses them.
func FormatDuration(d time.Duration) string { return sloDuration(d) }
