package pipeline

import (
	"encoding/json"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

const sha = "3f9c2b7e4a1d8c6f0b5e9a2d7c4f1e8b3a6d9c0e"

func TestPublishedSummarySaysWhatThePushDid(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  Published
		want string
	}{
		{"pushed", Published{Tags: []string{sha, "main"}, Attempts: 1}, "pushed, tags " + sha + ", main"},
		{"retried", Published{Tags: []string{sha}, Attempts: 3}, "pushed, tags " + sha + " (3 attempts)"},
		{"already there", Published{Tags: []string{sha}, Existed: true}, "already published (the same image): nothing uploaded, tags " + sha},
		{"reused", Published{Tags: []string{sha}, Existed: true, Reused: true},
			"reused the image published for this commit (built from the same source; this run's rebuild differs and was not pushed), tags " + sha},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Check(t, is.Equal(tc.res.Summary(), tc.want))
		})
	}
}

// The JSON form is what the deploy module hands to the root: it round-trips.
func TestPublishedJSONRoundTrips(t *testing.T) {
	in := Published{Ref: "acr.example/p/s@sha256:ab", Digest: "sha256:ab", Tags: []string{sha}, Existed: true, Reused: true, Attempts: 2}
	data, err := json.Marshal(in)
	assert.NilError(t, err)
	assert.Check(t, is.Contains(string(data), `"reused":true`))
	var out Published
	assert.NilError(t, json.Unmarshal(data, &out))
	assert.Check(t, is.DeepEqual(out, in))
}
