package render

import "strings"

// NamePlaceholder is the name the manifests give the service's objects: the
// render names an object called "app" after the service (golden-path.yaml's
// name), and one called "app-<suffix>" <name>-<suffix>, and kustomize follows
// every reference to them (a Deployment's serviceAccountName, an Ingress's
// backend, a ConfigMap mounted by name...). So k8s/ never spells the
// service's name, and a copy of the template ships as soon as
// golden-path.yaml names it. Objects already named after the service keep
// their names.
const NamePlaceholder = "app"

// releaseName returns the name an object of the manifests named n gets in
// the release of the service named service, and whether n is a name of that
// service at all: the service's own names (service, service-<suffix>) are
// kept, the placeholder's (app, app-<suffix>) become the service's.
func releaseName(n, service string) (string, bool) {
	switch {
	case n == service || strings.HasPrefix(n, service+"-"):
		return n, true
	case n == NamePlaceholder:
		return service, true
	case strings.HasPrefix(n, NamePlaceholder+"-"):
		return service + strings.TrimPrefix(n, NamePlaceholder), true
	}
	return n, false
}

// rename is an object of the built overlay that the release renames.
type rename struct {
	group, version, kind string
	from, to             string
}
