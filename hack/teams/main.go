// Command teams reads the platform's teams file for hack/platform:
//
//	teams list --file platform/teams.yaml
//	    the teams, one name a line
//	teams manifests --file platform/teams.yaml --team NAME
//	teams manifests --team NAME --namespaces NS,NS…
//	    the team's Namespaces and RoleBindings (pipeline/tenancy), as YAML
//	    for kubectl apply --server-side; without --file, a team the file does
//	    not list (a test's), checked by the file's rules
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/golden-path/golden-path/pipeline/tenancy"
)

const usage = "usage: teams list --file FILE | teams manifests (--file FILE --team NAME | --team NAME --namespaces NS,NS…)"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "teams:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	file := fs.String("file", "", "the teams file, e.g. platform/teams.yaml")
	team := fs.String("team", "", "the team")
	namespaces := fs.String("namespaces", "", "the team's namespaces, comma-separated, for a team the file does not list")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "list":
		teams, err := read(*file)
		if err != nil {
			return err
		}
		for _, t := range teams.Teams {
			fmt.Println(t.Name)
		}
		return nil
	case "manifests":
		t, err := pick(*file, *team, *namespaces)
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(t.Manifests())
		return err
	}
	return errors.New(usage)
}

func read(file string) (*tenancy.Teams, error) {
	if file == "" {
		return nil, errors.New("--file is required: " + usage)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return tenancy.Parse(data, file)
}

// pick is the team from the file, or the team given with its namespaces.
func pick(file, team, namespaces string) (tenancy.Team, error) {
	switch {
	case team == "":
		return tenancy.Team{}, errors.New("--team is required: " + usage)
	case file != "" && namespaces != "":
		return tenancy.Team{}, errors.New("give --file or --namespaces, not both: " + usage)
	case file != "":
		teams, err := read(file)
		if err != nil {
			return tenancy.Team{}, err
		}
		t, ok := teams.Team(team)
		if !ok {
			return tenancy.Team{}, fmt.Errorf("%s lists no team %s: add it there", file, team)
		}
		return t, nil
	case namespaces == "":
		return tenancy.Team{}, errors.New("--file or --namespaces is required: " + usage)
	}
	// Checked as the file would be.
	doc := fmt.Sprintf("teams:\n  - name: %q\n    namespaces: [%s]\n", team, namespaces)
	teams, err := tenancy.Parse([]byte(doc), "--team "+team)
	if err != nil {
		return tenancy.Team{}, err
	}
	return teams.Teams[0], nil
}
