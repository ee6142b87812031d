package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const advisories = "testdata/advisories.yaml"

func TestBuild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "db")
	var stdout bytes.Buffer
	assert.NilError(t, run(context.Background(), []string{"build", "--advisories", advisories, "--out", out}, &stdout, now))
	for _, f := range []string{"trivy.db", "metadata.json"} {
		st, err := os.Stat(filepath.Join(out, f))
		assert.NilError(t, err)
		assert.Assert(t, st.Size() > 0, f)
	}
}

func TestPush(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	assert.NilError(t, err)

	var stdout bytes.Buffer
	err = run(context.Background(), []string{"push", "--advisories", advisories, "--ref", u.Host + "/trivy-db:2"}, &stdout, now)
	assert.NilError(t, err)
	assert.Assert(t, strings.HasPrefix(stdout.String(), u.Host+"/trivy-db@sha256:"), stdout.String())
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: trivydb build"},
		{[]string{"pull"}, `unknown command "pull"`},
		{[]string{"build", "--out", "x"}, "build needs --advisories and --out"},
		{[]string{"push", "--advisories", advisories}, "push needs --advisories and --ref"},
		{[]string{"build", "--advisories", "missing.yaml", "--out", "x"}, "missing.yaml"},
		{[]string{"build", "--advisories", advisories, "--out", "x", "extra"}, `unexpected argument "extra"`},
	} {
		err := run(context.Background(), tc.args, io.Discard, now)
		assert.Assert(t, is.ErrorContains(err, tc.want), "args %q", tc.args)
	}
}
