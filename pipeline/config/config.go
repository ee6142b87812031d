package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

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
}

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
