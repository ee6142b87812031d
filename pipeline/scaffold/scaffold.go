// Package scaffold turns the service template (examples/fastapi-service)
// into a new service: the same files with the new service's name and team,
// ready to ship unchanged. It works on one file at a time, so the caller
// (the root module's init) reads and writes them where they are.
package scaffold

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/golden-path/golden-path/pipeline/config"
)

// The template's own service: what a new service's values replace.
const (
	TemplateName = "hello-api"
	TemplateTeam = "payments"
)

// Service is a new service made from the template.
type Service struct {
	name, team string
}

// InputError is a name or team that golden-path.yaml would refuse.
type InputError struct {
	// Flag is the argument at fault: "name" or "team".
	Flag string
	// Value is what was given.
	Value string
	// Reason and Fix are golden-path.yaml's own words for the setting.
	Reason, Fix string
}

// Error implements error.
func (e *InputError) Error() string {
	return fmt.Sprintf("init: --%s %q: %s; %s", e.Flag, e.Value, e.Reason, e.Fix)
}

// IsInputError reports whether err is an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// New checks name and team with the rules of golden-path.yaml (the same
// reasons and fixes) and returns the service; the error is an *InputError
// naming the first argument at fault.
func New(name, team string) (*Service, error) {
	doc := "apiVersion: " + config.APIVersion + "\nname: " + strconv.Quote(name) + "\nteam: " + strconv.Quote(team) + "\n"
	if _, err := config.Parse([]byte(doc), ""); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			for _, fe := range ce.Errors {
				if v, ok := map[string]string{"name": name, "team": team}[fe.Field]; ok {
					return nil, &InputError{Flag: fe.Field, Value: v, Reason: strings.TrimPrefix(fe.Reason, strconv.Quote(v)+" "), Fix: fe.Fix}
				}
			}
		}
		return nil, fmt.Errorf("init: --name %q --team %q: %w", name, team, err)
	}
	return &Service{name: name, team: team}, nil
}

var (
	nameLine = regexp.MustCompile(`(?m)^name: ` + regexp.QuoteMeta(TemplateName) + `\b`)
	teamLine = regexp.MustCompile(`(?m)^team: ` + regexp.QuoteMeta(TemplateTeam) + `\b`)
)

// Rewrite returns the template's file at path (relative to the template's
// folder) with content, made the service's: golden-path.yaml names it and
// its team; every other text file says the service's name where it said
// the template's, and the team's Key Vault and namespaces where it said the
// template team's. The error says the template's golden-path.yaml lacks
// the lines Rewrite replaces (the template changed under the scaffold).
func (s *Service) Rewrite(path, content string) (string, error) {
	if path == config.FileName {
		if !nameLine.MatchString(content) || !teamLine.MatchString(content) {
			return "", fmt.Errorf("init: the template's %s has no line %q or %q to replace: put them back (init sets the new service's there)",
				config.FileName, "name: "+TemplateName, "team: "+TemplateTeam)
		}
		out := nameLine.ReplaceAllLiteralString(content, "name: "+s.name)
		return teamLine.ReplaceAllLiteralString(out, "team: "+s.team), nil
	}
	return strings.NewReplacer(
		TemplateName, s.name,
		"kv-"+TemplateTeam+"-", "kv-"+s.team+"-",
		TemplateTeam+"-dev", s.team+"-dev",
		TemplateTeam+"-staging", s.team+"-staging",
		TemplateTeam+"-prod", s.team+"-prod",
	).Replace(content), nil
}
