package main

import (
	"context"
	"fmt"

	"dagger/golden-path/internal/dagger"

	"github.com/golden-path/golden-path/pipeline/scaffold"
)

// Init writes a new service from the golden-path template, named and owned
// as given: a FastAPI app with its tests, Dockerfile, golden-path.yaml,
// k8s/, CI workflow and README, ready to ship unchanged, e.g.
// `dagger call init --name orders --team payments export --path ./orders`.
// A name or team that golden-path.yaml would refuse is refused, with the
// fix, and nothing is written.
func (m *GoldenPath) Init(
	ctx context.Context,
	// The new service's name: lowercase letters, digits and '-', starting with a letter, at most 63
	// characters; it names the image, the Kubernetes objects and the dashboard.
	name string,
	// The team that owns it, named like the service: its namespaces are <team>-<environment>.
	team string,
	// The service template.
	// +defaultPath="/examples/fastapi-service"
	// +ignore=["**/__pycache__", "**/.pytest_cache", "**/.venv", "**/*.pyc", "reports"]
	template *dagger.Directory,
) (*dagger.Directory, error) {
	svc, err := scaffold.New(name, team)
	if err != nil {
		return nil, err
	}
	files, err := template.Glob(ctx, "**/*")
	if err != nil {
		return nil, fmt.Errorf("init: cannot list the template: %s", err.Error())
	}
	out := template
	for _, p := range files {
		if p == "" || p[len(p)-1] == '/' {
			continue // a folder
		}
		content, err := template.File(p).Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("init: cannot read the template's %s: %s", p, err.Error())
		}
		next, err := svc.Rewrite(p, content)
		if err != nil {
			return nil, err
		}
		if next != content {
			out = out.WithNewFile(p, next)
		}
	}
	return out, nil
}
