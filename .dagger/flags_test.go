package main

import (
	"testing"

	"dagger/golden-path/internal/dagger"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// given is a shipFlags with the named flags given and the default timeouts.
func given(names ...string) shipFlags {
	f := shipFlags{given: map[string]bool{}, rolloutTimeout: 180, scrapeTimeout: 120, onObserveFailure: "rollback"}
	for _, n := range flagNeeds { // ship has every flag
		f.given[n.flag], f.given[n.needs] = false, false
	}
	for _, n := range names {
		f.given[n] = true
	}
	return f
}

func withObserveFailure(f shipFlags, v string) shipFlags {
	f.onObserveFailure = v
	return f
}

func TestShipFlagsThatFit(t *testing.T) {
	for _, f := range []shipFlags{
		given(), // the gates only: a pull request
		given("--registry", "--commit", "--username", "--password", "--registry-tunnel", "--repository"),
		given("--registry", "--commit", "--kubeconfig", "--kube-api", "--run-id", "--smoke-path"),
		given("--registry", "--commit", "--kubeconfig", "--prometheus-url", "--prometheus-tunnel",
			"--grafana-url", "--grafana-token", "--grafana-tunnel"),
		withObserveFailure(given("--registry", "--commit", "--kubeconfig", "--prometheus-url", "--on-observe-failure"), "warn"),
	} {
		assert.Check(t, f.check(), "%v", f.given)
	}
}

func TestShipFlagsThatWouldBeIgnored(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags shipFlags
		want  []string
	}{
		{"kubeconfig without a registry", given("--kubeconfig"),
			[]string{"--kubeconfig needs --registry (a cluster runs only a published image): add --registry, or remove --kubeconfig"}},
		{"grafana token without its URL", given("--registry", "--commit", "--kubeconfig", "--grafana-token"),
			[]string{"--grafana-token needs --grafana-url"}},
		{"grafana URL without its token", given("--registry", "--commit", "--kubeconfig", "--grafana-url"),
			[]string{"--grafana-url needs --grafana-token"}},
		{"observe without a deploy", given("--registry", "--commit", "--prometheus-url", "--grafana-url", "--grafana-token"),
			[]string{"--prometheus-url needs --kubeconfig", "--grafana-url needs --kubeconfig"}},
		{"registry without a commit", given("--registry"), []string{"--registry needs --commit"}},
		{"observe failure without a deploy", withObserveFailure(given("--on-observe-failure"), "warn"),
			[]string{"--on-observe-failure needs --kubeconfig (only a deployed release is observed)"}},
		{"observe failure neither rollback nor warn", withObserveFailure(given("--registry", "--commit", "--kubeconfig", "--on-observe-failure"), "ignore"),
			[]string{`--on-observe-failure "ignore": give rollback`}},
		{"every problem at once", given("--commit", "--smoke-path", "--prometheus-tunnel"),
			[]string{"--commit needs --registry", "--smoke-path needs --kubeconfig", "--prometheus-tunnel needs --prometheus-url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.flags.check()
			assert.Assert(t, err != nil)
			assert.Check(t, is.Contains(err.Error(), "nothing ran"))
			for _, w := range tc.want {
				assert.Check(t, is.Contains(err.Error(), w))
			}
		})
	}
}

func TestShipTimeoutsMustBePositive(t *testing.T) {
	f := given()
	f.rolloutTimeout, f.scrapeTimeout = 0, -5
	err := f.check()
	assert.ErrorContains(t, err, "--rollout-timeout 0: give the seconds a rollout may take")
	assert.ErrorContains(t, err, "--scrape-timeout -5: give the seconds Prometheus has")
}

// A promotion has no publish flags (its image is published): the rules about them do not apply, the others
// do, and its error names promote.
func TestPromoteFlags(t *testing.T) {
	to := target{kubeconfig: &dagger.Secret{}, rolloutTimeout: 180, onObserveFailure: "rollback",
		observe: observeArgs{scrapeTimeout: 120}}
	f := to.flags(nil)
	f.fn = "promote"
	assert.Check(t, f.check())
	to.observe.grafanaUrl = "http://grafana"
	f = to.flags(nil)
	f.fn = "promote"
	assert.Check(t, is.Error(f.check(), "promote: nothing ran, the flags do not fit together:\n"+
		"  --grafana-url needs --grafana-token (Grafana takes a dashboard only from a service account token with the Editor role): add --grafana-token, or remove --grafana-url"))
}
