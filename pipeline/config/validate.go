package config

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// settingHelp describes what a setting takes, for error messages.
type settingHelp struct {
	want    string // "a number from 1 to 65535"
	example string // "8000"
}

var settingHelps = map[string]settingHelp{
	"apiVersion":                {"the file format version " + APIVersion, APIVersion},
	"name":                      {"your service's name", "hello-api"},
	"team":                      {"your team's name", "payments"},
	"port":                      {"a number from 1 to 65535", "8000"},
	"replicas":                  {fmt.Sprintf("a number of copies from 1 to %d", MaxReplicas), "2"},
	"health.liveness":           {"an HTTP path", DefaultLivenessPath},
	"health.readiness":          {"an HTTP path", DefaultReadinessPath},
	"metrics.path":              {"an HTTP path", DefaultMetricsPath},
	"build.test":                {"the name of a stage of your Dockerfile", DefaultTestStage},
	"build.runtime":             {"the name of a stage of your Dockerfile", "runtime"},
	"test.command":              {"a command", DefaultTestCommand},
	"metrics.requests":          {"the name of a Prometheus counter", DefaultRequestsMetric},
	"metrics.duration":          {"the name of a Prometheus histogram", DefaultDurationMetric},
	"metrics.statusLabel":       {"the name of a Prometheus label", DefaultStatusLabel},
	"metrics.routeLabel":        {"the name of a Prometheus label", DefaultRouteLabel},
	"monitoring.runbook":        {"a URL", "https://wiki.example.com/runbooks/hello-api"},
	"monitoring.labels":         {"labels", "release: kube-prometheus-stack"},
	"lint.command":              {"a command", DefaultLintCommand},
	"resources.requests.cpu":    {"an amount of CPU", DefaultCPURequest},
	"resources.limits.cpu":      {"an amount of CPU", DefaultCPULimit},
	"resources.requests.memory": {"an amount of memory", DefaultMemoryRequest},
	"resources.limits.memory":   {"an amount of memory", DefaultMemoryLimit},
	"slo.errorRatio":            {"a fraction of requests", "0.05"},
	"slo.latencyP95":            {"a duration", sloDuration(DefaultLatencyP95)},
	"slo.latencyP99":            {"a duration", sloDuration(DefaultLatencyP99)},
	"slo.alertFor":              {"a duration", sloDuration(DefaultAlertFor)},
}

func settingWant(path string) string {
	if h, ok := settingHelps[path]; ok {
		return h.want
	}
	return "a value"
}

func settingExample(path string) string {
	if h, ok := settingHelps[path]; ok {
		return h.example
	}
	return "..."
}

// validate checks the values decoded into cfg (defaults applied) and
// records every problem.
func (d *configDecoder) validate(cfg *Config) {
	d.validateAPIVersion(cfg.APIVersion)
	d.validateLabel("name", cfg.Name, "your service's name", "it names the Kubernetes objects of your service")
	d.validateLabel("team", cfg.Team, "your team's name", "it labels the Kubernetes objects of your service")
	d.validatePort(cfg.Port)
	d.validateReplicas(cfg.Replicas)
	d.validateHTTPPath("health.liveness", cfg.Health.Liveness)
	d.validateHTTPPath("health.readiness", cfg.Health.Readiness)
	d.validateHTTPPath("metrics.path", cfg.Metrics.Path)
	d.validateResources(cfg.Resources)
	d.validateBuild(cfg.Build)
	d.validateMetrics(cfg.Metrics)
	d.validateMonitoring(cfg.Monitoring)
	d.validateCommand("test.command", cfg.Test, "pytest", "python3 -m pytest")
	d.validateCommand("lint.command", cfg.Lint, "flake8", "flake8 src tests")
	d.validateSLO(cfg.SLO)
}

func (d *configDecoder) validateAPIVersion(v string) {
	line, given := d.set["apiVersion"]
	switch {
	case d.broken["apiVersion"]:
	case !given || v == "":
		d.add(line, "apiVersion", "missing",
			fmt.Sprintf("add the line \"apiVersion: %s\" at the top of the file", APIVersion))
	case v != APIVersion:
		d.add(line, "apiVersion", fmt.Sprintf("%q is not a version golden-path knows", v),
			fmt.Sprintf("set apiVersion: %s (the only version this release reads)", APIVersion))
	}
}

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// maxLabelLength is the longest DNS-1123 label.
const maxLabelLength = 63

// validateLabel checks that v, the value of path, is a DNS-1123 label:
// Kubernetes object names and label values must be.
func (d *configDecoder) validateLabel(path, v, what, why string) {
	line, given := d.set[path]
	example := settingExample(path)
	switch {
	case d.broken[path]:
	case !given:
		d.add(0, path, "missing",
			fmt.Sprintf("add a line \"%s: %s\" with %s (lowercase letters, digits and '-')", path, example, what))
	case v == "":
		d.add(line, path, "is empty",
			fmt.Sprintf("set it to %s, e.g. %s: %s (lowercase letters, digits and '-')", what, path, example))
	case !dns1123Label.MatchString(v):
		fix := "use only lowercase letters, digits and '-', starting and ending with a letter or digit"
		if s := labelSuggestion(v); s != "" {
			fix = fmt.Sprintf("use %q instead (only lowercase letters, digits and '-', starting and ending with a letter or digit)", s)
		}
		d.add(line, path,
			fmt.Sprintf("%q cannot be used: %s, and Kubernetes allows only lowercase letters, digits and '-' there", v, why),
			fix)
		if len(v) > maxLabelLength {
			d.add(line, path,
				fmt.Sprintf("is %d characters long, more than the %d Kubernetes allows", len(v), maxLabelLength),
				"shorten it")
		}
	case len(v) > maxLabelLength:
		d.add(line, path,
			fmt.Sprintf("is %d characters long, more than the %d Kubernetes allows (%s)", len(v), maxLabelLength, why),
			fmt.Sprintf("shorten it to at most %d characters", maxLabelLength))
	}
}

// labelSuggestion turns v into a valid DNS-1123 label ("Hello_API" →
// "hello-api"), or "" when nothing is left of it.
func labelSuggestion(v string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(v) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := b.String()
	if len(s) > maxLabelLength {
		s = s[:maxLabelLength]
	}
	return strings.TrimRight(s, "-")
}

func (d *configDecoder) validatePort(p int) {
	line, given := d.set["port"]
	if given && (p < 1 || p > 65535) {
		d.add(line, "port", fmt.Sprintf("%d is not a valid port", p), "set a number from 1 to 65535")
	}
}

func (d *configDecoder) validateReplicas(n int) {
	line, given := d.set["replicas"]
	if given && (n < 1 || n > MaxReplicas) {
		d.add(line, "replicas", fmt.Sprintf("%d is not a number of copies the platform runs", n),
			fmt.Sprintf("set a number from 1 to %d (2 or more keeps the service up while a node is drained), "+
				"or remove the line to let k8s/'s overlays decide (one copy without k8s/)", MaxReplicas))
	}
}

// stageName is what BuildKit accepts as a stage's name (FROM … AS name).
var stageName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]*$`)

func (d *configDecoder) validateBuild(b Build) {
	for _, s := range []struct{ path, v string }{{"build.test", b.Test}, {"build.runtime", b.Runtime}} {
		line, given := d.set[s.path]
		if given && !stageName.MatchString(s.v) {
			d.add(line, s.path, fmt.Sprintf("%q is not the name of a Dockerfile stage", s.v),
				fmt.Sprintf("give the name after AS in the stage's FROM line (letters, digits, '-', '_' and '.'), e.g. %s: %s",
					lastKey(s.path), settingExample(s.path)))
		}
	}
	if line, given := d.set["build.runtime"]; given && strings.EqualFold(b.Runtime, b.Test) {
		d.add(line, "build.runtime", fmt.Sprintf("%q is also build.test, the stage with the tests", b.Runtime),
			"name the stage that runs the service: the image with the tests must not run in production")
	}
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

func (d *configDecoder) validateMetrics(m Metrics) {
	for _, s := range []struct {
		path, v string
		re      *regexp.Regexp
		what    string
	}{
		{"metrics.requests", m.Requests, metricName, "a metric name (letters, digits, '_' and ':', not starting with a digit)"},
		{"metrics.duration", m.Duration, metricName, "a metric name (letters, digits, '_' and ':', not starting with a digit)"},
		{"metrics.statusLabel", m.StatusLabel, labelName, "a label name (letters, digits and '_', not starting with a digit)"},
		{"metrics.routeLabel", m.RouteLabel, labelName, "a label name (letters, digits and '_', not starting with a digit)"},
	} {
		if line, given := d.set[s.path]; given && !s.re.MatchString(s.v) {
			d.add(line, s.path, fmt.Sprintf("%q is not %s", s.v, s.what),
				fmt.Sprintf("give the name your service exposes at metrics.path, as Prometheus shows it, e.g. %s: %s", lastKey(s.path), settingExample(s.path)))
		}
	}
	if line, given := d.set["metrics.duration"]; given && strings.HasSuffix(m.Duration, "_bucket") {
		d.add(line, "metrics.duration", fmt.Sprintf("%q is one series of a histogram, not its name", m.Duration),
			fmt.Sprintf("give the histogram's name, without _bucket: %s", strings.TrimSuffix(m.Duration, "_bucket")))
	}
}

// k8sLabelKey and k8sLabelValue are what Kubernetes accepts as a label's key
// (an optional DNS prefix and '/') and value.
var (
	k8sLabelKey   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	k8sLabelValue = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
)

func (d *configDecoder) validateMonitoring(m Monitoring) {
	if line, given := d.set["monitoring.runbook"]; given {
		u, err := url.Parse(m.Runbook)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			d.add(line, "monitoring.runbook", fmt.Sprintf("%q is not a web address", m.Runbook),
				"give the full URL of your runbooks, starting with https://, e.g. runbook: "+settingExample("monitoring.runbook"))
		}
	}
	keys := slices.Sorted(maps.Keys(m.Labels))
	for _, k := range keys {
		path := "monitoring.labels." + k
		line := d.set[path]
		switch v := m.Labels[k]; {
		case !k8sLabelKey.MatchString(k):
			d.add(line, path, fmt.Sprintf("%q is not a Kubernetes label key", k),
				"use letters, digits, '-', '_' and '.', at most 63, with an optional DNS prefix and '/', e.g. release")
		case strings.HasPrefix(k, "app.kubernetes.io/") || k == "team" || k == "environment":
			d.add(line, path, fmt.Sprintf("%q is a label the platform sets", k),
				"remove it: the platform sets it from name, team and the environment")
		case !k8sLabelValue.MatchString(v):
			d.add(line, path, fmt.Sprintf("%q is not a Kubernetes label value", v),
				"use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
		}
	}
}

// validateCommand checks a command given in the file; tool is the program
// whose output the pipeline reads.
func (d *configDecoder) validateCommand(path string, c Command, tool, example string) {
	line, given := d.set[path]
	if !given {
		return
	}
	args := c.Args()
	switch {
	case len(args) == 0:
		d.add(line, path, "is empty", fmt.Sprintf("give the command, e.g. %s: %s, or remove the line to use %q", lastKey(path), example, settingExample(path)))
	case !slices.ContainsFunc(args, func(a string) bool { return a == tool || strings.HasSuffix(a, "/"+tool) }):
		d.add(line, path, fmt.Sprintf("%q does not run %s, whose report the pipeline reads", c.Command, tool),
			fmt.Sprintf("run %s, with your own options or paths, e.g. %s: %s", tool, lastKey(path), example))
	case strings.ContainsAny(c.Command, "|;&$`\\\"'<>"):
		d.add(line, path, fmt.Sprintf("%q is a shell line, but the command runs without a shell", c.Command),
			"give one program and its arguments, separated by spaces, without quotes, pipes or variables")
	}
}

// validateHTTPPath checks an HTTP path given in the file; defaults are
// valid.
func (d *configDecoder) validateHTTPPath(path, v string) {
	line, given := d.set[path]
	if !given {
		return
	}
	example := settingExample(path)
	switch {
	case v == "":
		d.add(line, path, "is empty",
			fmt.Sprintf("set it to the HTTP path your service answers on, e.g. %q, or remove the line to use %q", example, example))
	case strings.Contains(v, "://"):
		d.add(line, path, fmt.Sprintf("%q is a full URL, not a path", v),
			fmt.Sprintf("give only the path, starting with '/', e.g. %q", example))
	case !strings.HasPrefix(v, "/"):
		d.add(line, path, fmt.Sprintf("%q is not an HTTP path", v),
			fmt.Sprintf("start it with '/', e.g. %q", "/"+strings.TrimLeft(v, "/ ")))
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		d.add(line, path, fmt.Sprintf("%q contains a space", v),
			"remove the spaces (encode them as %20 if the path really has one)")
	}
}

// resourceKind is CPU or memory, for quantity checks.
type resourceKind int

const (
	cpuResource resourceKind = iota
	memoryResource
)

func (d *configDecoder) validateResources(r Resources) {
	cpuReq, okCPUReq := d.validateQuantity("resources.requests.cpu", r.Requests.CPU, cpuResource)
	cpuLim, okCPULim := d.validateQuantity("resources.limits.cpu", r.Limits.CPU, cpuResource)
	memReq, okMemReq := d.validateQuantity("resources.requests.memory", r.Requests.Memory, memoryResource)
	memLim, okMemLim := d.validateQuantity("resources.limits.memory", r.Limits.Memory, memoryResource)
	if okCPUReq && okCPULim {
		d.checkLimit("cpu", r.Requests.CPU, r.Limits.CPU, cpuReq, cpuLim)
	}
	if okMemReq && okMemLim {
		d.checkLimit("memory", r.Requests.Memory, r.Limits.Memory, memReq, memLim)
	}
}

// validateQuantity parses v, the value of path, and records why it is not
// a usable amount of kind.
func (d *configDecoder) validateQuantity(path, v string, kind resourceKind) (quantity, bool) {
	line := d.set[path]
	key := lastKey(path)
	if strings.TrimSpace(v) == "" {
		d.add(line, path, "is empty",
			fmt.Sprintf("set an amount, e.g. %s: %s, or remove the line to use the default", key, settingExample(path)))
		return quantity{}, false
	}
	q, ok := parseQuantity(v)
	if !ok {
		if kind == cpuResource {
			d.add(line, path, fmt.Sprintf("%q is not an amount of CPU", v),
				"give cores or thousandths of a core (millicores), e.g. 100m (a tenth of a core), 0.5 or 2")
		} else {
			fix := "give bytes with a unit, e.g. 128Mi (mebibytes), 1Gi (gibibytes) or 500M (megabytes)"
			if s := memorySuggestion(v); s != "" {
				fix = fmt.Sprintf("write %s: a Kubernetes size is a number and a unit, with no space and no 'B' (Ki, Mi, Gi; or k, M, G for powers of ten)", s)
			}
			d.add(line, path, fmt.Sprintf("%q is not an amount of memory", v), fix)
		}
		return quantity{}, false
	}
	switch {
	case q.value.Sign() < 0:
		d.add(line, path, fmt.Sprintf("%s is negative", v), fmt.Sprintf("give a positive amount, e.g. %s: %s", key, settingExample(path)))
		return quantity{}, false
	case q.value.Sign() == 0:
		d.add(line, path, fmt.Sprintf("%s is zero", v),
			fmt.Sprintf("give a positive amount, e.g. %s: %s", key, settingExample(path)))
		return quantity{}, false
	case kind == cpuResource && isBinarySuffix(q.suffix):
		d.add(line, path, fmt.Sprintf("%s is an amount of memory, not CPU", v),
			"give cores or millicores, e.g. 500m (half a core) or 2")
		return quantity{}, false
	case kind == memoryResource && (q.suffix == "m" || q.suffix == "u" || q.suffix == "n"):
		d.add(line, path,
			fmt.Sprintf("%s means thousandths of a byte: lowercase 'm' is milli, not mega", v),
			fmt.Sprintf("write %sMi (mebibytes) or %sM (megabytes)", strings.TrimSuffix(v, q.suffix), strings.TrimSuffix(v, q.suffix)))
		return quantity{}, false
	}
	return q, true
}

// memorySuggestion rewrites sizes like "128MB" or "1GiB" that people mean
// as Kubernetes quantities ("128Mi", "1Gi"), or returns "".
func memorySuggestion(v string) string {
	i := strings.IndexFunc(v, func(r rune) bool { return !(r >= '0' && r <= '9') && r != '.' })
	if i <= 0 {
		return ""
	}
	number, unit := v[:i], strings.ToUpper(strings.TrimSpace(v[i:]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I")
	switch unit {
	case "K", "M", "G", "T", "P", "E":
		return number + unit + "i"
	}
	return ""
}

// checkLimit records a limit below its request.
func (d *configDecoder) checkLimit(resource, reqText, limText string, req, lim quantity) {
	if lim.value.Cmp(req.value) >= 0 {
		return
	}
	reqPath, limPath := "resources.requests."+resource, "resources.limits."+resource
	if line, given := d.set[limPath]; given {
		d.add(line, limPath,
			fmt.Sprintf("the limit %s is less than the request %s (%s)", limText, reqText, reqPath),
			fmt.Sprintf("a limit must be at least its request: raise %s to %s or more, or lower %s", limPath, reqText, reqPath))
		return
	}
	d.add(d.set[reqPath], reqPath,
		fmt.Sprintf("the request %s is more than the default limit %s", reqText, limText),
		fmt.Sprintf("also set %s to %s or more, or lower the request", limPath, reqText))
}
