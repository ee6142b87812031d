package promapi_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/promapi"
)

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "prometheus:9090", "ftp://prometheus", "http://", "http://user:pw@prometheus:9090"} {
		_, err := promapi.New(u)
		var ie *promapi.InputError
		assert.Check(t, errors.As(err, &ie), "%q: %v", u, err)
	}
	c, err := promapi.New("https://monitor.example.com/prometheus/")
	assert.NilError(t, err)
	assert.Check(t, is.Equal(c.URL("/api/v1/query"), "https://monitor.example.com/prometheus/api/v1/query"))
}

// realPrometheus is the local platform's Prometheus (GP_PROMETHEUS_URL, set by
// `hack/platform env`); without it the test is skipped, except under CI=true.
func realPrometheus(t *testing.T) string {
	u := os.Getenv("GP_PROMETHEUS_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GP_PROMETHEUS_URL is not set: run `hack/platform up` and `eval \"$(hack/platform env)\"`")
		}
		t.Skip("GP_PROMETHEUS_URL is not set")
	}
	return u
}

// Against a real Prometheus: its own targets, an instant and a range query
// with sample times, a query it refuses, a token that never shows.
func TestRealPrometheus(t *testing.T) {
	base := realPrometheus(t)
	ctx := context.Background()
	c, err := promapi.New(base, promapi.WithBearerToken("s3cr3t-token"))
	assert.NilError(t, err)

	targets, err := c.Targets(ctx, "")
	assert.NilError(t, err)
	for _, tg := range targets.Active {
		assert.Check(t, tg.ScrapePool != "" && tg.ScrapeURL != "", "%+v", tg)
		assert.Check(t, is.Contains([]string{"up", "down", "unknown"}, tg.Health))
	}

	now := time.Now()
	series, err := c.Query(ctx, "vector(42)", now)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(series, 1))
	assert.Check(t, is.Len(series[0].Samples, 1))
	assert.Check(t, is.Equal(series[0].Samples[0].Value, 42.0))
	assert.Check(t, series[0].Samples[0].Time.Sub(now).Abs() < time.Second, "%v vs %v", series[0].Samples[0].Time, now)

	// Prometheus scrapes nothing of itself here, but every target gives up{}
	// samples: a range selector returns them with their scrape times.
	if len(targets.Active) > 0 {
		series, err = c.Query(ctx, "up[5m]", time.Time{})
		assert.NilError(t, err)
		for _, s := range series {
			for _, smp := range s.Samples {
				assert.Check(t, time.Since(smp.Time) < 6*time.Minute, "%v", smp.Time)
			}
		}
	}

	_, err = c.Query(ctx, "sum(rate(x[5m])", time.Time{})
	var ae *promapi.APIError
	assert.Assert(t, errors.As(err, &ae), "%v", err)
	assert.Check(t, is.Equal(ae.StatusCode, http.StatusBadRequest))
	assert.Check(t, is.Equal(ae.Type, "bad_data"))
	assert.Check(t, is.Contains(ae.Error(), "unclosed left parenthesis"))
	assert.Check(t, !strings.Contains(ae.Error(), "s3cr3t"))

	_, err = c.Query(ctx, "scalar(vector(1))", time.Time{})
	assert.Check(t, errors.As(err, &ae), "a scalar answer: %v", err)

	// Not Prometheus: the server's root page.
	notProm, err := promapi.New(base + "/nope")
	assert.NilError(t, err)
	_, err = notProm.Targets(ctx, "")
	assert.Check(t, errors.As(err, &ae), "%v", err)
}

func TestUnreachable(t *testing.T) {
	c, err := promapi.New("http://127.0.0.1:1", promapi.WithBearerToken("s3cr3t-token"))
	assert.NilError(t, err)
	_, err = c.Targets(context.Background(), "")
	var ue *promapi.UnreachableError
	assert.Assert(t, errors.As(err, &ue), "%v", err)
	assert.Check(t, is.ErrorContains(err, "prometheus: list targets: cannot reach Prometheus at http://127.0.0.1:1/api/v1/targets"))
	assert.Check(t, !strings.Contains(err.Error(), "s3cr3t"))
}
