package suggest

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestClosestKey(t *testing.T) {
	known := []string{"apiVersion", "name", "team", "port", "health", "metrics", "resources"}
	for _, tc := range []struct {
		key, want string
	}{
		{"prot", "port"},
		{"ports", "port"},
		{"nmae", "name"},
		{"api_version", "apiVersion"},
		{"APIVERSION", "apiVersion"},
		{"healthcheck", "health"},
		{"resource", "resources"},
		{"metric", "metrics"},
		{"replicas", ""},
		{"image", ""},
		{"env", ""},
		{"", ""},
	} {
		t.Run(tc.key, func(t *testing.T) {
			assert.Equal(t, Closest(tc.key, known), tc.want)
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"port", "port", 0},
		{"prot", "port", 1}, // a swap is one edit
		{"port", "ports", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
	} {
		assert.Equal(t, editDistance(tc.a, tc.b), tc.want, "%q → %q", tc.a, tc.b)
	}
}
