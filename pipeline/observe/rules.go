package observe

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/golden-path/golden-path/pipeline/config"
)

// Severities of the alerts.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// Rule is one alerting rule of the PrometheusRule.
type Rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type ruleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

type prometheusRule struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Groups []ruleGroup `yaml:"groups"`
	} `yaml:"spec"`
}

// PrometheusRule returns the YAML of the monitoring.coreos.com/v1
// PrometheusRule holding the service's RED alerts (see Rules).
func PrometheusRule(cfg *config.Config, opts ...Option) ([]byte, error) {
	o, err := newOptions(cfg, opts)
	if err != nil {
		return nil, err
	}
	return marshalYAML(o.prometheusRule(cfg))
}

func (o *options) prometheusRule(cfg *config.Config) prometheusRule {
	r := prometheusRule{
		typeMeta: typeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule"},
		Metadata: o.meta(cfg.Name, cfg),
	}
	r.Spec.Groups = []ruleGroup{{Name: cfg.Name + ".red", Rules: o.rules(cfg)}}
	return r
}

// Rules returns the service's alerting rules, each firing after
// slo.alertFor:
//
//   - <Service>HighErrorRatio: the share of 5xx answers above slo.errorRatio;
//   - <Service>HighLatencyP95 and ...P99: the 95th and 99th percentile of
//     request durations above slo.latencyP95 and slo.latencyP99;
//   - <Service>TargetDown: Prometheus cannot scrape a pod (up == 0);
//   - <Service>TargetAbsent: Prometheus has no target of the service at all
//     (absent(up)): no pod runs, or the ServiceMonitor selects nothing.
//
// Request metrics leave out the probe and metrics routes (health.liveness,
// health.readiness, metrics.path): they answer fast and always, and would
// hide real traffic's errors and latency.
func Rules(cfg *config.Config, opts ...Option) ([]Rule, error) {
	o, err := newOptions(cfg, opts)
	if err != nil {
		return nil, err
	}
	return o.rules(cfg), nil
}

func (o *options) rules(cfg *config.Config) []Rule {
	slo := cfg.SLO
	prefix := alertPrefix(cfg.Name)
	forDur := config.FormatDuration(slo.AlertFor)
	target := o.targetMatchers(cfg)
	requests := o.requestMatchers(cfg)
	where := cfg.Name
	if o.namespace != "" {
		where += " in " + o.namespace
	}

	latency := func(q float64, threshold string, thresholdSec float64, severity string) Rule {
		pct := strconv.Itoa(int(q * 100))
		return Rule{
			Alert: prefix + "HighLatencyP" + pct,
			Expr: fmt.Sprintf("histogram_quantile(%s,\n  sum by (le) (rate(%s_bucket{%s}[%s]))\n) > %s",
				formatFloat(q), cfg.Metrics.Duration, requests, RateWindow, formatFloat(thresholdSec)),
			For:    forDur,
			Labels: o.alertLabels(cfg, severity),
			Annotations: o.annotations(prefix+"HighLatencyP"+pct,
				fmt.Sprintf("%s: p%s latency above %s", cfg.Name, pct, threshold),
				fmt.Sprintf("%s%% of requests to %s took up to {{ $value | humanizeDuration }} over the last %s, above the objective of %s (slo.latencyP%s in golden-path.yaml).",
					pct, where, RateWindow, threshold, pct)),
		}
	}

	return []Rule{
		{
			Alert: prefix + "HighErrorRatio",
			Expr: fmt.Sprintf("sum(rate(%s{%s,%s=~\"5..\"}[%s]))\n/\nsum(rate(%s{%s}[%s]))\n> %s",
				cfg.Metrics.Requests, requests, cfg.Metrics.StatusLabel, RateWindow, cfg.Metrics.Requests, requests, RateWindow, formatFloat(slo.ErrorRatio)),
			For:    forDur,
			Labels: o.alertLabels(cfg, SeverityCritical),
			Annotations: o.annotations(prefix+"HighErrorRatio",
				fmt.Sprintf("%s: more than %s of requests fail", cfg.Name, formatPercent(slo.ErrorRatio)),
				fmt.Sprintf("{{ $value | humanizePercentage }} of the requests to %s were answered with a 5xx status over the last %s, above the objective of %s (slo.errorRatio in golden-path.yaml).",
					where, RateWindow, formatPercent(slo.ErrorRatio))),
		},
		latency(0.95, humanDuration(slo.LatencyP95), slo.LatencyP95.Seconds(), SeverityWarning),
		latency(0.99, humanDuration(slo.LatencyP99), slo.LatencyP99.Seconds(), SeverityCritical),
		{
			Alert:  prefix + "TargetDown",
			Expr:   fmt.Sprintf("up{%s} == 0", target),
			For:    forDur,
			Labels: o.alertLabels(cfg, SeverityWarning),
			Annotations: o.annotations(prefix+"TargetDown",
				fmt.Sprintf("%s: Prometheus cannot scrape {{ $labels.pod }}", cfg.Name),
				fmt.Sprintf("Scraping %s of pod {{ $labels.pod }} of %s fails: the pod is overloaded, restarting or does not serve metrics there.",
					cfg.Metrics.Path, where)),
		},
		{
			Alert:  prefix + "TargetAbsent",
			Expr:   fmt.Sprintf("absent(up{%s})", target),
			For:    forDur,
			Labels: o.alertLabels(cfg, SeverityCritical),
			Annotations: o.annotations(prefix+"TargetAbsent",
				fmt.Sprintf("%s: no target to scrape", cfg.Name),
				fmt.Sprintf("Prometheus has no target of %s: no pod is running, or the ServiceMonitor %s selects no Service with a port named %q.",
					where, cfg.Name, PortName)),
		},
	}
}

// targetMatchers select the service's scrape targets: prometheus-operator
// sets job to the Service's name.
func (o *options) targetMatchers(cfg *config.Config) string {
	m := fmt.Sprintf("job=%s", strconv.Quote(cfg.Name))
	if o.namespace != "" {
		m += fmt.Sprintf(",namespace=%s", strconv.Quote(o.namespace))
	}
	return m
}

// requestMatchers select the service's request series, without the probe
// and metrics routes.
func (o *options) requestMatchers(cfg *config.Config) string {
	return o.targetMatchers(cfg) + "," + cfg.Metrics.RouteLabel + "!~" + strconv.Quote(quietRoutes(cfg))
}

// quietRoutes is a regular expression matching the routes of the probes and
// of the metrics endpoint.
func quietRoutes(cfg *config.Config) string {
	var parts []string
	seen := map[string]bool{}
	for _, p := range []string{cfg.Health.Liveness, cfg.Health.Readiness, cfg.Metrics.Path} {
		if p != "" && !seen[p] {
			seen[p] = true
			parts = append(parts, regexp.QuoteMeta(p))
		}
	}
	return strings.Join(parts, "|")
}

func (o *options) alertLabels(cfg *config.Config, severity string) map[string]string {
	return map[string]string{"severity": severity, "team": cfg.Team, "service": cfg.Name}
}

func (o *options) annotations(alert, summary, description string) map[string]string {
	return map[string]string{
		"summary":     summary,
		"description": description,
		"runbook_url": strings.TrimRight(o.runbook, "/") + "#" + strings.ToLower(alert),
	}
}

// alertPrefix turns a service name into the CamelCase prefix of its alert
// names: hello-api → HelloApi. Alert names must not start with a digit.
func alertPrefix(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		if r == '-' {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if s == "" || unicode.IsDigit(rune(s[0])) {
		s = "Service" + s
	}
	return s
}

// humanDuration writes d for people: "300ms", "1.5s", "5m", "1h30m".
func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return d.String()
	}
	return config.FormatDuration(d)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// formatPercent writes a fraction as a percentage: 0.05 → "5%".
func formatPercent(f float64) string {
	return strconv.FormatFloat(f*100, 'g', 4, 64) + "%"
}
