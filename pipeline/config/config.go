package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/golden-path/golden-path/pipeline/yamlfile"
	"gopkg.in/yaml.v3"
)

// FileName is the name of the one file a team edits: it sits at the root of
// the service's source and describes the service to the pipeline.
const FileName = "golden-path.yaml"

// APIVersion is the only apiVersion of golden-path.yaml this release
// reads.
const APIVersion = "golden-path/v1"

// Defaults applied by Parse to settings a team leaves out.
const (
	DefaultPort          = 8000
	DefaultLivenessPath  = "/health"
	DefaultReadinessPath = "/ready"
	DefaultMetricsPath   = "/metrics"
	DefaultTestStage     = "test"
	// The metrics of the template's HTTP server
	// (examples/fastapi-service/src/observability.py).
	DefaultRequestsMetric = "http_requests_total"
	DefaultDurationMetric = "http_request_duration_seconds"
	DefaultStatusLabel    = "status"
	DefaultRouteLabel     = "route"
	// DefaultTestCommand runs pytest; the pipeline adds its report's
	// options.
	DefaultTestCommand = "python3 -m pytest"
	// DefaultLintCommand lints every Python file of the test stage's
	// working folder; the pipeline pins flake8's output format.
	DefaultLintCommand   = "flake8 ."
	DefaultCPURequest    = "100m"
	DefaultMemoryRequest = "128Mi"
	DefaultCPULimit      = "500m"
	DefaultMemoryLimit   = "256Mi"
	// MaxReplicas is the most copies of a service golden-path.yaml may ask
	// for.
	MaxReplicas = 50
)

// Config is the content of golden-path.yaml after defaults are applied.
type Config struct {
	// APIVersion is the version of this file's format; always
	// APIVersion once parsed.
	APIVersion string `yaml:"apiVersion"`
	// Name is the service's name. It names Kubernetes objects, so it is a
	// DNS-1123 label: at most 63 lowercase letters, digits and '-', starting
	// and ending with a letter or digit.
	Name string `yaml:"name"`
	// Team is the owning team, a DNS-1123 label like Name.
	Team string `yaml:"team"`
	// Port is the TCP port the service listens on inside its container.
	Port int `yaml:"port"`
	// Replicas is how many copies of the service run in every environment;
	// 0 when the file leaves it out: then k8s/'s overlays decide, and
	// without k8s/ one copy runs.
	Replicas int `yaml:"replicas"`
	// Health holds the HTTP paths Kubernetes probes.
	Health Health `yaml:"health"`
	// Metrics holds where Prometheus scrapes the service.
	Metrics Metrics `yaml:"metrics"`
	// Build holds the Dockerfile stages the pipeline builds.
	Build Build `yaml:"build"`
	// Test holds how the test stage runs the tests.
	Test Command `yaml:"test"`
	// Lint holds how the test stage runs the linter.
	Lint Command `yaml:"lint"`
	// Monitoring holds settings of the alerts and monitoring objects.
	Monitoring Monitoring `yaml:"monitoring"`
	// Resources holds the CPU and memory the service asks for and may use.
	Resources Resources `yaml:"resources"`
	// SLO holds the thresholds of the service's alerts (see SLO).
	SLO SLO `yaml:"slo"`

	// lines maps the dotted path of each setting the file gives to its line.
	lines map[string]int
}

// Line is the line of golden-path.yaml that gives the setting at the dotted
// path key (e.g. "port", "health.liveness"); 0 when the file leaves it to
// its default. Where a problem with the setting is annotated.
func (c *Config) Line(key string) int { return c.lines[key] }

// Namespace is the namespace of the service in an environment (dev,
// staging, prod): <team>-<environment>. The render puts the release there,
// the observe stage scopes the alerts to it.
func (c *Config) Namespace(environment string) string {
	return c.Team + "-" + environment
}

// Health holds the HTTP paths of the service's health checks.
type Health struct {
	// Liveness is the path that answers 2xx while the process is alive;
	// Kubernetes restarts the container when it stops answering.
	Liveness string `yaml:"liveness"`
	// Readiness is the path that answers 2xx when the service can take
	// traffic; Kubernetes holds traffic back until it does.
	Readiness string `yaml:"readiness"`
}

// Metrics holds where the service exposes Prometheus metrics.
type Metrics struct {
	// Path is the HTTP path serving metrics in Prometheus text format.
	Path string `yaml:"path"`
	// Requests is the counter of the requests the service handled, with
	// the labels StatusLabel and RouteLabel: the error-ratio alert, the
	// dashboard and the observe stage's check read it.
	Requests string `yaml:"requests"`
	// Duration is the histogram of the requests' durations in seconds,
	// with the label RouteLabel: the latency alerts and panels read it.
	Duration string `yaml:"duration"`
	// StatusLabel is the label of Requests holding the HTTP status code.
	StatusLabel string `yaml:"statusLabel"`
	// RouteLabel is the label of Requests and Duration holding the route.
	RouteLabel string `yaml:"routeLabel"`
}

// Monitoring holds settings of the service's alerts and monitoring objects.
type Monitoring struct {
	// Runbook is the base URL of the alerts' runbook_url annotation (the
	// alert's name is appended as a fragment); empty for the platform's.
	Runbook string `yaml:"runbook"`
	// Labels are added to the ServiceMonitor, the PrometheusRule and the
	// dashboard ConfigMap, e.g. the release label a kube-prometheus-stack's
	// Prometheus selects them by.
	Labels map[string]string `yaml:"labels"`
}

// Build holds the stages of the service's Dockerfile the pipeline builds.
type Build struct {
	// Test is the stage that holds the code, the tests, pytest and flake8:
	// the test and lint gates run in it.
	Test string `yaml:"test"`
	// Runtime is the stage deployed; empty for the Dockerfile's last
	// stage.
	Runtime string `yaml:"runtime"`
}

// Command is a command a gate runs in the test stage.
type Command struct {
	// Command is the program and its arguments, separated by spaces
	// (Args splits it); the pipeline adds the options it reads the output
	// with.
	Command string `yaml:"command"`
}

// Args is the command split into its words.
func (c Command) Args() []string { return strings.Fields(c.Command) }

// Resources holds the service's CPU and memory requests and limits.
type Resources struct {
	// Requests is what the service is guaranteed.
	Requests ResourceList `yaml:"requests"`
	// Limits is the most the service may use; each limit is at least its
	// request.
	Limits ResourceList `yaml:"limits"`
}

// ResourceList is an amount of CPU and memory, as Kubernetes quantities.
type ResourceList struct {
	// CPU in cores: "2", "0.5" or millicores "500m".
	CPU string `yaml:"cpu"`
	// Memory in bytes with an optional suffix: "128Mi", "1Gi", "500M".
	Memory string `yaml:"memory"`
}

// NotFoundError is returned by Load when there is no config file.
// It matches fs.ErrNotExist with errors.Is.
type NotFoundError struct {
	// Path is the path looked for, relative to the source directory.
	Path string
	// Err is the underlying error from the filesystem.
	Err error
}

// Error implements error.
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no %s found: looked for %q in the service's source directory; "+
		"create it there (the smallest one is three lines: apiVersion: %s, name: <service>, team: <team>) "+
		"or set the config flag to the file's path", path.Base(e.Path), e.Path, APIVersion)
}

// Unwrap returns the filesystem error, so errors.Is(err, fs.ErrNotExist)
// holds.
func (e *NotFoundError) Unwrap() error { return e.Err }

// Load reads and parses the config file name from fsys. An empty name
// means FileName. A missing file gives a *NotFoundError; an invalid
// one a *Error listing every problem.
func Load(fsys fs.FS, name string) (*Config, error) {
	if name == "" {
		name = FileName
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &NotFoundError{Path: name, Err: err}
		}
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	return Parse(data, name)
}

// Parse parses the content of a golden-path.yaml, applies defaults and
// validates it. file names the file in error messages (FileName when
// empty). On failure the error is a *Error that lists every problem
// found, each with its line and how to fix it.
func Parse(data []byte, file string) (*Config, error) {
	if file == "" {
		file = FileName
	}
	d := newConfigDecoder(file)
	cfg := &Config{}

	root, problem := parseYAMLDocument(data, file)
	if problem != nil {
		return nil, &Error{File: file, Errors: []*yamlfile.FieldError{problem}}
	}
	d.decodeStruct(root, cfg, "")
	applyDefaults(cfg, d.set)
	d.validate(cfg)

	if len(d.errs) > 0 {
		return nil, newConfigError(file, d.errs)
	}
	cfg.lines = d.set
	return cfg, nil
}

// Read loads golden-path.yaml through read, which returns the contents
// of a file of the service's source folder by name (for a Dagger directory,
// its File(name).Contents), and parses it with Parse. Every stage that
// needs the file loads it this way, so a missing file is told the same way
// by each, in words that hold for any service's repository.
func Read(read func(name string) (string, error)) (*Config, error) {
	data, err := read(FileName)
	if err != nil {
		return nil, errors.New(Missing)
	}
	return Parse([]byte(data), FileName)
}

// Missing is Read's error when the source folder has no
// golden-path.yaml.
const Missing = "no " + FileName + " at the top of the service's source folder: add one with the lines " +
	`"apiVersion: ` + APIVersion + `", "name: <your service>" and "team: <your team>" (every other setting has a default)`

// parseYAMLDocument returns the root mapping of the single YAML document in
// data, or the problem that prevents reading it.
func parseYAMLDocument(data []byte, file string) (*yaml.Node, *yamlfile.FieldError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || (err == nil && yamlfile.IsEmpty(&doc)) {
		return nil, &yamlfile.FieldError{
			File:   file,
			Reason: "the file is empty",
			Fix: fmt.Sprintf("describe your service in it, starting from the smallest valid file, three lines: "+
				"apiVersion: %s, name: <your service, e.g. hello-api>, team: <your team, e.g. payments>", APIVersion),
		}
	}
	if err != nil {
		return nil, yamlfile.SyntaxError(file, data, err)
	}
	root := doc.Content[0]
	if root.Kind == yaml.AliasNode {
		root = root.Alias
	}
	if root.Kind != yaml.MappingNode {
		return nil, &yamlfile.FieldError{
			File:   file,
			Line:   root.Line,
			Reason: fmt.Sprintf("the file holds %s, not settings", yamlfile.Describe(root)),
			Fix:    "write one setting per line as \"key: value\", starting with apiVersion: " + APIVersion,
		}
	}

	if err := yamlfile.RequireSingleDocument(dec, file, data, "merge what follows it into the settings above"); err != nil {
		return nil, err
	}
	return root, nil
}

// applyDefaults fills every optional setting that set does not record as
// given in the file.
func applyDefaults(cfg *Config, set map[string]int) {
	defaults := []struct {
		path string
		str  *string
		val  string
	}{
		{"health.liveness", &cfg.Health.Liveness, DefaultLivenessPath},
		{"health.readiness", &cfg.Health.Readiness, DefaultReadinessPath},
		{"metrics.path", &cfg.Metrics.Path, DefaultMetricsPath},
		{"build.test", &cfg.Build.Test, DefaultTestStage},
		{"metrics.requests", &cfg.Metrics.Requests, DefaultRequestsMetric},
		{"metrics.duration", &cfg.Metrics.Duration, DefaultDurationMetric},
		{"metrics.statusLabel", &cfg.Metrics.StatusLabel, DefaultStatusLabel},
		{"metrics.routeLabel", &cfg.Metrics.RouteLabel, DefaultRouteLabel},
		{"test.command", &cfg.Test.Command, DefaultTestCommand},
		{"lint.command", &cfg.Lint.Command, DefaultLintCommand},
		{"resources.requests.cpu", &cfg.Resources.Requests.CPU, DefaultCPURequest},
		{"resources.requests.memory", &cfg.Resources.Requests.Memory, DefaultMemoryRequest},
		{"resources.limits.cpu", &cfg.Resources.Limits.CPU, DefaultCPULimit},
		{"resources.limits.memory", &cfg.Resources.Limits.Memory, DefaultMemoryLimit},
	}
	for _, def := range defaults {
		if _, ok := set[def.path]; !ok {
			*def.str = def.val
		}
	}
	if _, ok := set["port"]; !ok {
		cfg.Port = DefaultPort
	}
	applySLODefaults(&cfg.SLO, set)
}
