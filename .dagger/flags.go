package main

import (
	"fmt"
	"strings"
)

// shipFlags says which of ship's optional flags were given, by name
// ("--registry"), and holds the values that must be positive: enough to
// refuse, before anything runs, flags that would be silently ignored or
// cannot work.
type shipFlags struct {
	// fn is the function the flags are of: ship when empty, or promote.
	fn string
	// given says of each flag the function has whether it was given; a rule about a flag the function does
	// not have (promote has no --registry) does not apply.
	given                         map[string]bool
	rolloutTimeout, scrapeTimeout int
	onObserveFailure              string
}

// flagNeeds are ship's flags that work only with another (needs), and why, in
// the order a user reads them: publish, deploy, observe.
var flagNeeds = []struct{ flag, needs, why string }{
	{"--repository", "--registry", "nothing is published without a registry"},
	{"--commit", "--registry", "the commit only tags a published image"},
	{"--username", "--registry", "nothing is published without a registry"},
	{"--password", "--registry", "nothing is published without a registry"},
	{"--registry-tunnel", "--registry", "nothing is published without a registry"},
	{"--source-url", "--registry", "the URL only labels a published image"},
	{"--registry", "--commit", "the image is tagged with the commit it was built from (in GitHub Actions, ${{ github.sha }})"},
	{"--kubeconfig", "--registry", "a cluster runs only a published image"},
	{"--kube-api", "--kubeconfig", "nothing is deployed without a kubeconfig"},
	{"--run-id", "--kubeconfig", "the run id only annotates a deploy"},
	{"--smoke-path", "--kubeconfig", "the smoke test runs after a deploy"},
	{"--prometheus-url", "--kubeconfig", "Prometheus is asked about a deployed service"},
	{"--prometheus-tunnel", "--prometheus-url", "the tunnel only reaches a Prometheus that is asked"},
	{"--grafana-url", "--kubeconfig", "a dashboard is registered for a deployed service"},
	{"--grafana-url", "--grafana-token", "Grafana takes a dashboard only from a service account token with the Editor role"},
	{"--grafana-token", "--grafana-url", "the token is only used to register the dashboard in Grafana"},
	{"--grafana-tunnel", "--grafana-url", "the tunnel only reaches a Grafana that is given"},
	{"--on-observe-failure", "--kubeconfig", "only a deployed release is observed"},
}

// check returns an error that names every flag that would be silently
// ignored or cannot work, and what to add or remove; nil when none.
func (f shipFlags) check() error {
	var problems []string
	if f.rolloutTimeout <= 0 {
		problems = append(problems, fmt.Sprintf("--rollout-timeout %d: give the seconds a rollout may take before it is rolled back, more than 0 (default 180)", f.rolloutTimeout))
	}
	if f.scrapeTimeout <= 0 {
		problems = append(problems, fmt.Sprintf("--scrape-timeout %d: give the seconds Prometheus has to scrape the service, more than 0 (default 120)", f.scrapeTimeout))
	}
	if f.onObserveFailure != "rollback" && f.onObserveFailure != "warn" {
		problems = append(problems, fmt.Sprintf("--on-observe-failure %q: give rollback (the default: a release Prometheus cannot scrape is rolled back) or warn (it stays)", f.onObserveFailure))
	}
	for _, n := range flagNeeds {
		if needed, has := f.given[n.needs]; f.given[n.flag] && has && !needed {
			problems = append(problems, fmt.Sprintf("%s needs %s (%s): add %s, or remove %s", n.flag, n.needs, n.why, n.needs, n.flag))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	fn := f.fn
	if fn == "" {
		fn = "ship"
	}
	return fmt.Errorf("%s: nothing ran, the flags do not fit together:\n  %s", fn, strings.Join(problems, "\n  "))
}
