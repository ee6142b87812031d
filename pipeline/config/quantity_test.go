package config

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestParseQuantity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // exact value in base units as a fraction; "" when invalid
	}{
		// CPU
		{"100m", "1/10"},
		{"0.5", "1/2"},
		{"2", "2"},
		{"1500m", "3/2"},
		{".25", "1/4"},
		{"5.", "5"},
		{"+1", "1"},
		{"-1", "-1"},
		{"250u", "1/4000"},
		// memory
		{"128Mi", "134217728"},
		{"1Gi", "1073741824"},
		{"500M", "500000000"},
		{"1k", "1000"},
		{"1Ki", "1024"},
		{"2Ti", "2199023255552"},
		{"1Ei", "1152921504606846976"},
		{"1E", "1000000000000000000"},
		{"1048576", "1048576"},
		{"1.5Gi", "1610612736"},
		{"1e3", "1000"},
		{"1E3", "1000"},
		{"5e-1", "1/2"},
		{"1e+2", "100"},
		// invalid
		{"", ""},
		{"m", ""},
		{"Mi", ""},
		{".", ""},
		{"lots", ""},
		{"128MB", ""},
		{"128mi", ""},
		{"1K", ""}, // decimal kilo is lowercase k
		{"1 Gi", ""},
		{"1e", ""},
		{"1e+-2", ""},
		{"1e1000", ""},
		{"1..5", ""},
		{"--1", ""},
		{"0x10", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			q, ok := parseQuantity(tc.in)
			if tc.want == "" {
				assert.Assert(t, !ok, "%q parsed as %v", tc.in, q.value)
				return
			}
			assert.Assert(t, ok, "%q did not parse", tc.in)
			assert.Equal(t, q.value.RatString(), tc.want)
		})
	}
}

func TestQuantityCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"500m", "0.5", 0},
		{"1", "1000m", 0},
		{"1Gi", "1024Mi", 0},
		{"1G", "1Gi", -1},
		{"256Mi", "128Mi", 1},
		{"100m", "1", -1},
	} {
		a, okA := parseQuantity(tc.a)
		b, okB := parseQuantity(tc.b)
		assert.Assert(t, okA && okB)
		assert.Equal(t, a.value.Cmp(b.value), tc.want, "%s vs %s", tc.a, tc.b)
	}
}
