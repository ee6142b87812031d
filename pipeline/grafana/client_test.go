package grafana_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/golden-path/golden-path/pipeline/grafana"
	"github.com/golden-path/golden-path/pipeline/grafana/grafanatest"
)

const (
	editorToken = "glsa_editor_0123456789abcdef"
	viewerToken = "glsa_viewer_0123456789abcdef"
)

// dashboardJSON is a small dashboard model.
func dashboardJSON(t *testing.T, uid, title string, panels ...string) []byte {
	t.Helper()
	var ps []map[string]any
	for i, p := range panels {
		ps = append(ps, map[string]any{"type": "timeseries", "title": p, "id": i + 1})
	}
	out, err := json.Marshal(map[string]any{"uid": uid, "title": title, "tags": []string{"golden-path"}, "panels": ps, "schemaVersion": 42})
	assert.NilError(t, err)
	return out
}

func newFake(t *testing.T) *grafanatest.Server {
	t.Helper()
	srv := grafanatest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddToken(editorToken, grafanatest.Editor)
	srv.AddToken(viewerToken, grafanatest.Viewer)
	return srv
}

func newClient(t *testing.T, url, token string, opts ...grafana.Option) *grafana.Client {
	t.Helper()
	c, err := grafana.New(url, token, append([]grafana.Option{grafana.WithBackoff(time.Millisecond)}, opts...)...)
	assert.NilError(t, err)
	return c
}

func count(reqs []string, want string) int {
	n := 0
	for _, r := range reqs {
		if r == want {
			n++
		}
	}
	return n
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv.URL, editorToken)
	ctx := context.Background()

	first, err := c.UpsertTeamDashboard(ctx, "payments", grafana.Upsert{
		Dashboard: dashboardJSON(t, "gp-hello-api-1234", "payments / hello-api", "Request rate"),
		Message:   "deploy 0123abc",
	})
	assert.NilError(t, err)
	assert.Equal(t, first.Status, "success")
	assert.Equal(t, first.UID, "gp-hello-api-1234")
	assert.Equal(t, first.Version, 1)
	assert.Equal(t, first.URL, srv.URL+"/d/gp-hello-api-1234/payments-hello-api")

	folder, ok := srv.Folder(grafana.FolderUID("payments"))
	assert.Assert(t, ok, "the team's folder is created")
	assert.Equal(t, folder.Title, "payments")
	stored, ok := srv.Dashboard("gp-hello-api-1234")
	assert.Assert(t, ok)
	assert.Equal(t, stored.FolderUID, folder.UID)
	assert.Equal(t, stored.Message, "deploy 0123abc")

	t.Run("same content: nothing saved", func(t *testing.T) {
		again, err := c.UpsertTeamDashboard(ctx, "payments", grafana.Upsert{
			Dashboard: dashboardJSON(t, "gp-hello-api-1234", "payments / hello-api", "Request rate"),
		})
		assert.NilError(t, err)
		assert.Equal(t, again.Status, "unchanged")
		assert.Equal(t, again.Version, 1)
		assert.Equal(t, again.URL, first.URL)
		assert.Equal(t, again.ID, first.ID)
		assert.Equal(t, count(srv.Requests(), "POST /api/dashboards/db"), 1)
		assert.Equal(t, count(srv.Requests(), "POST /api/folders"), 1, "the folder is created once")
	})

	t.Run("new content: next version, same uid", func(t *testing.T) {
		updated, err := c.UpsertTeamDashboard(ctx, "payments", grafana.Upsert{
			Dashboard: dashboardJSON(t, "gp-hello-api-1234", "payments / hello-api", "Request rate", "Latency"),
		})
		assert.NilError(t, err)
		assert.Equal(t, updated.Status, "success")
		assert.Equal(t, updated.Version, first.Version+1)
		assert.Equal(t, updated.UID, first.UID)
		assert.Equal(t, updated.ID, first.ID)
		assert.Equal(t, srv.Dashboards(), 1)
		stored, _ := srv.Dashboard(first.UID)
		assert.Equal(t, len(stored.Model["panels"].([]any)), 2)
	})
}

func TestUpsertConflicts(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv.URL, editorToken)
	ctx := context.Background()
	folder := srv.AddFolder(grafana.FolderUID("payments"), "payments")

	// Someone created a dashboard with the same title by hand.
	_, err := c.UpsertDashboard(ctx, grafana.Upsert{Dashboard: dashboardJSON(t, "handmade", "payments / hello-api"), FolderUID: folder.UID})
	assert.NilError(t, err)

	_, err = c.UpsertDashboard(ctx, grafana.Upsert{Dashboard: dashboardJSON(t, "gp-hello-api-1234", "payments / hello-api"), FolderUID: folder.UID})
	var apiErr *grafana.APIError
	assert.Assert(t, errors.As(err, &apiErr), "error is %T: %v", err, err)
	assert.Equal(t, apiErr.StatusCode, http.StatusPreconditionFailed)
	assert.Equal(t, apiErr.Status, "name-exists")
	assert.Assert(t, errors.Is(err, grafana.ErrConflict))
	assert.Assert(t, is.Contains(err.Error(), `another dashboard in folder `+folder.UID+` is titled "payments / hello-api"; rename or delete it, or upsert with overwrite`))

	res, err := c.UpsertDashboard(ctx, grafana.Upsert{
		Dashboard: dashboardJSON(t, "gp-hello-api-1234", "payments / hello-api"), FolderUID: folder.UID, Overwrite: true,
	})
	assert.NilError(t, err, "overwrite replaces the other dashboard")
	assert.Equal(t, res.UID, "gp-hello-api-1234")
}

// TestUpsertVersionMismatch saves the dashboard in Grafana between the
// client's read and its write.
func TestUpsertVersionMismatch(t *testing.T) {
	srv := newFake(t)
	ctx := context.Background()
	other := newClient(t, srv.URL, editorToken)
	_, err := other.UpsertDashboard(ctx, grafana.Upsert{Dashboard: dashboardJSON(t, "gp-x", "x", "a")})
	assert.NilError(t, err)

	var raced atomic.Bool
	racing := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db" && raced.CompareAndSwap(false, true) {
			if _, err := other.UpsertDashboard(ctx, grafana.Upsert{Dashboard: dashboardJSON(t, "gp-x", "x", "b")}); err != nil {
				return nil, err
			}
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := newClient(t, srv.URL, editorToken, grafana.WithHTTPClient(racing))

	_, err = c.UpsertDashboard(ctx, grafana.Upsert{Dashboard: dashboardJSON(t, "gp-x", "x", "c")})
	var apiErr *grafana.APIError
	assert.Assert(t, errors.As(err, &apiErr), "error is %T: %v", err, err)
	assert.Equal(t, apiErr.Status, "version-mismatch")
	assert.Assert(t, is.Contains(err.Error(), "dashboard gp-x was changed in Grafana while this upsert ran"))

	raced.Store(false)
	_, err = c.UpsertDashboard(ctx, grafana.Upsert{Dashboard: dashboardJSON(t, "gp-x", "x", "c"), Overwrite: true})
	assert.NilError(t, err, "overwrite wins the race")
	stored, _ := srv.Dashboard("gp-x")
	assert.Equal(t, stored.Model["panels"].([]any)[0].(map[string]any)["title"], "c")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// errorCase is a failing call and what its error must say.
type errorCase struct {
	name     string
	err      error
	is       error
	contains []string
}

func TestErrors(t *testing.T) {
	srv := newFake(t)
	ctx := context.Background()
	d := grafana.Upsert{Dashboard: dashboardJSON(t, "gp-hello-api-1234", "payments / hello-api")}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	closedURL := "http://" + closed.Addr().String()
	assert.NilError(t, closed.Close())

	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A misbehaving proxy that quotes the Authorization header back.
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"message":"cannot forward %s"}`, r.Header.Get("Authorization"))
	}))
	defer echo.Close()

	_, unauthorized := newClient(t, srv.URL, "glsa_wrong_token_xyz").UpsertTeamDashboard(ctx, "payments", d)
	_, forbidden := newClient(t, srv.URL, viewerToken).UpsertTeamDashboard(ctx, "payments", d)
	srv.AddFolder(grafana.FolderUID("payments"), "payments")
	_, forbiddenSave := newClient(t, srv.URL, viewerToken).UpsertTeamDashboard(ctx, "payments", d)
	_, unreachable := newClient(t, closedURL, editorToken, grafana.WithRetries(1)).UpsertTeamDashboard(ctx, "payments", d)
	_, echoed := newClient(t, echo.URL, editorToken, grafana.WithRetries(0)).UpsertTeamDashboard(ctx, "payments", d)

	cases := []errorCase{
		{"unauthorized", unauthorized, grafana.ErrUnauthorized, []string{
			"grafana: read folder " + grafana.FolderUID("payments"), "GET " + srv.URL + "/api/folders/", "401 Unauthorized", "token rejected",
		}},
		{"forbidden folder", forbidden, grafana.ErrForbidden, []string{
			"POST " + srv.URL + "/api/folders", "403 Forbidden", "insufficient permissions", "give the service account Editor on it",
		}},
		{"forbidden save", forbiddenSave, grafana.ErrForbidden, []string{
			"save dashboard gp-hello-api-1234", "POST " + srv.URL + "/api/dashboards/db", "403 Forbidden",
			"give the service account Editor on folder " + grafana.FolderUID("payments"),
		}},
		{"unreachable", unreachable, nil, []string{"cannot reach Grafana at " + closedURL + "/api/folders/", "connection refused"}},
		{"echoed token", echoed, nil, []string{"500 Internal Server Error", "cannot forward Bearer [REDACTED]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Assert(t, tc.err != nil)
			if tc.is != nil {
				assert.Assert(t, errors.Is(tc.err, tc.is), "%v", tc.err)
			}
			for _, s := range tc.contains {
				assert.Assert(t, is.Contains(tc.err.Error(), s))
			}
		})
	}
	var ue *grafana.UnreachableError
	assert.Assert(t, errors.As(unreachable, &ue))
	var apiErr *grafana.APIError
	assert.Assert(t, errors.As(echoed, &apiErr), "a redacted answer is still an *APIError: %T", echoed)

	t.Run("no token in any error", func(t *testing.T) {
		for _, tc := range cases {
			for _, token := range []string{editorToken, viewerToken, "glsa_wrong_token_xyz"} {
				assert.Assert(t, !strings.Contains(tc.err.Error(), token), "%s: %v", tc.name, tc.err)
				assert.Assert(t, !strings.Contains(fmt.Sprintf("%+v %#v", tc.err, tc.err), token), "%s: formatted error shows the token", tc.name)
			}
		}
	})
}

func TestRetries(t *testing.T) {
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{"id":1,"uid":"gp-team-x","title":"x","url":"/dashboards/f/gp-team-x/x","version":1}`)
	}))
	defer flaky.Close()

	f, err := newClient(t, flaky.URL, editorToken, grafana.WithRetries(2)).EnsureFolder(context.Background(), "gp-team-x", "x")
	assert.NilError(t, err)
	assert.Equal(t, f.UID, "gp-team-x")
	assert.Equal(t, calls.Load(), int32(3))

	calls.Store(0)
	_, err = newClient(t, flaky.URL, editorToken, grafana.WithRetries(0)).EnsureFolder(context.Background(), "gp-team-x", "x")
	assert.ErrorContains(t, err, "503 Service Unavailable")
	assert.Equal(t, calls.Load(), int32(1))
}

func TestEnsureFolderRace(t *testing.T) {
	srv := newFake(t)
	uid := grafana.FolderUID("payments")
	// The folder appears between the client's read (404) and its create.
	racing := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/folders" {
			if _, ok := srv.Folder(uid); !ok {
				srv.AddFolder(uid, "payments")
			}
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	f, err := newClient(t, srv.URL, editorToken, grafana.WithHTTPClient(racing)).EnsureFolder(context.Background(), uid, "payments")
	assert.NilError(t, err, "409 is read back")
	assert.Equal(t, f.UID, uid)
	assert.DeepEqual(t, srv.Requests(), []string{"GET /api/folders/" + uid, "POST /api/folders", "GET /api/folders/" + uid})
}

func TestInputErrors(t *testing.T) {
	for _, tc := range []struct{ url, token, want string }{
		{"grafana.example.com", "t", `grafana: URL: "grafana.example.com" is not a Grafana URL`},
		{"ftp://grafana", "t", "is not a Grafana URL"},
		{"https://admin:hunter2@grafana.example.com", "t", "holds credentials"},
		{"https://grafana.example.com", " ", "grafana: token: it is empty"},
	} {
		_, err := grafana.New(tc.url, tc.token)
		assert.ErrorContains(t, err, tc.want)
		assert.Assert(t, !strings.Contains(err.Error(), "hunter2"))
	}

	srv := newFake(t)
	c := newClient(t, srv.URL, editorToken)
	for _, tc := range []struct {
		dashboard []byte
		want      string
	}{
		{[]byte(`[]`), "it is not a JSON object"},
		{[]byte(`{"title":"x"}`), "it has no uid"},
		{[]byte(`{"uid":"` + strings.Repeat("u", 41) + `","title":"x"}`), "longer than the 40 characters"},
		{[]byte(`{"uid":"u","title":""}`), "it has no title"},
	} {
		_, err := c.UpsertDashboard(context.Background(), grafana.Upsert{Dashboard: tc.dashboard})
		var ie *grafana.InputError
		assert.Assert(t, errors.As(err, &ie), "%v", err)
		assert.ErrorContains(t, err, tc.want)
	}
	assert.DeepEqual(t, srv.Requests(), []string(nil))
}

func TestFolderUID(t *testing.T) {
	long := strings.Repeat("t", 63)
	seen := map[string]bool{}
	for _, team := range []string{"payments", "payment", long, long[:62] + "u"} {
		uid := grafana.FolderUID(team)
		assert.Assert(t, len(uid) <= grafana.MaxUIDLength, uid)
		assert.Equal(t, grafana.FolderUID(team), uid)
		assert.Assert(t, !seen[uid], uid)
		seen[uid] = true
	}
	assert.Assert(t, strings.HasPrefix(grafana.FolderUID("payments"), "gp-team-payments-"))
}

// TestRealGrafana upserts a dashboard twice into the Grafana at GRAFANA_URL
// with GRAFANA_TOKEN (a service account token with Editor rights).
func TestRealGrafana(t *testing.T) {
	url, token := os.Getenv("GRAFANA_URL"), os.Getenv("GRAFANA_TOKEN")
	if url == "" || token == "" {
		t.Skip("set GRAFANA_URL and GRAFANA_TOKEN (Editor service account token) to run against a real Grafana")
	}
	c := newClient(t, url, token)
	ctx := context.Background()
	uid := fmt.Sprintf("gp-test-%d", time.Now().UnixNano())
	first, err := c.UpsertTeamDashboard(ctx, "golden-path-test", grafana.Upsert{
		Dashboard: dashboardJSON(t, uid, "golden-path test "+uid, "a"), Message: "golden-path test",
	})
	assert.NilError(t, err)
	assert.Equal(t, first.UID, uid)
	assert.Assert(t, strings.HasPrefix(first.URL, strings.TrimRight(url, "/")+"/d/"+uid), first.URL)

	second, err := c.UpsertTeamDashboard(ctx, "golden-path-test", grafana.Upsert{
		Dashboard: dashboardJSON(t, uid, "golden-path test "+uid, "a", "b"), Message: "golden-path test",
	})
	assert.NilError(t, err)
	assert.Equal(t, second.UID, uid)
	assert.Assert(t, second.Version > first.Version)
}
