package grafanatest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"

	"gotest.tools/v3/assert"
)

// call sends a request with token and returns the status and decoded JSON.
func call(t *testing.T, s *Server, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		assert.NilError(t, err)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	assert.NilError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	data, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	if len(data) > 0 && data[0] == '{' {
		assert.NilError(t, json.Unmarshal(data, &out))
	} else {
		out = map[string]any{"raw": string(data)}
	}
	return resp.StatusCode, out
}

func TestFakeFollowsGrafanaAPI(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.AddToken("editor", Editor)
	s.AddToken("viewer", Viewer)

	code, _ := call(t, s, "", http.MethodGet, "/api/health", nil)
	assert.Equal(t, code, http.StatusOK, "health needs no token")
	code, body := call(t, s, "", http.MethodGet, "/api/folders/x", nil)
	assert.Equal(t, code, http.StatusUnauthorized)
	assert.Equal(t, body["message"], "Invalid API key")
	code, _ = call(t, s, "nope", http.MethodGet, "/api/folders/x", nil)
	assert.Equal(t, code, http.StatusUnauthorized)

	code, body = call(t, s, "viewer", http.MethodGet, "/api/folders/team", nil)
	assert.Equal(t, code, http.StatusNotFound)
	assert.Equal(t, body["message"], "folder not found")
	code, _ = call(t, s, "viewer", http.MethodPost, "/api/folders", map[string]any{"uid": "team", "title": "Team"})
	assert.Equal(t, code, http.StatusForbidden)
	code, _ = call(t, s, "editor", http.MethodPost, "/api/folders", map[string]any{"uid": "team"})
	assert.Equal(t, code, http.StatusBadRequest, "no title")
	code, body = call(t, s, "editor", http.MethodPost, "/api/folders", map[string]any{"uid": "team", "title": "Team"})
	assert.Equal(t, code, http.StatusOK)
	assert.Equal(t, body["uid"], "team")
	assert.Equal(t, body["url"], "/dashboards/f/team/team")
	code, _ = call(t, s, "editor", http.MethodPost, "/api/folders", map[string]any{"uid": "team", "title": "Other"})
	assert.Equal(t, code, http.StatusConflict, "duplicate uid")

	save := func(token string, dashboard map[string]any, overwrite bool) (int, map[string]any) {
		return call(t, s, token, http.MethodPost, "/api/dashboards/db",
			map[string]any{"dashboard": dashboard, "folderUid": "team", "overwrite": overwrite, "message": "m"})
	}
	code, body = save("editor", map[string]any{"uid": "d1"}, false)
	assert.Equal(t, code, http.StatusBadRequest, "no title: %v", body)
	code, _ = save("editor", map[string]any{"uid": "0123456789012345678901234567890123456789x", "title": "T"}, false)
	assert.Equal(t, code, http.StatusBadRequest, "uid too long")
	code, _ = call(t, s, "editor", http.MethodPost, "/api/dashboards/db", map[string]any{"dashboard": map[string]any{"title": "T"}, "folderUid": "nope"})
	assert.Equal(t, code, http.StatusBadRequest, "unknown folder")
	code, _ = save("viewer", map[string]any{"uid": "d1", "title": "My Dash"}, false)
	assert.Equal(t, code, http.StatusForbidden)

	code, body = save("editor", map[string]any{"uid": "d1", "title": "My Dash"}, false)
	assert.Equal(t, code, http.StatusOK)
	assert.DeepEqual(t, body, map[string]any{
		"id": body["id"], "uid": "d1", "url": "/d/d1/my-dash", "status": "success", "version": float64(1), "slug": "my-dash", "folderUid": "team",
	})
	code, body = save("editor", map[string]any{"uid": "d1", "title": "My Dash"}, false)
	assert.Equal(t, code, http.StatusPreconditionFailed, "no version given for an existing dashboard")
	assert.Equal(t, body["status"], "version-mismatch")
	code, body = save("editor", map[string]any{"uid": "d1", "title": "My Dash", "version": 1}, false)
	assert.Equal(t, code, http.StatusOK)
	assert.Equal(t, body["version"], float64(2))
	code, body = save("editor", map[string]any{"uid": "d2", "title": "my dash"}, false)
	assert.Equal(t, code, http.StatusPreconditionFailed)
	assert.Equal(t, body["status"], "name-exists")

	code, body = call(t, s, "viewer", http.MethodGet, "/api/dashboards/uid/d1", nil)
	assert.Equal(t, code, http.StatusOK)
	assert.Equal(t, body["dashboard"].(map[string]any)["version"], float64(2))
	assert.Equal(t, body["meta"].(map[string]any)["folderUid"], "team")
	code, _ = call(t, s, "viewer", http.MethodGet, "/api/dashboards/uid/nope", nil)
	assert.Equal(t, code, http.StatusNotFound)

	code, body = call(t, s, "viewer", http.MethodGet, "/api/search?type=dash-db&query=dash", nil)
	assert.Equal(t, code, http.StatusOK)
	var hits []map[string]any
	assert.NilError(t, json.Unmarshal([]byte(body["raw"].(string)), &hits))
	assert.Equal(t, len(hits), 1)
	assert.Equal(t, hits[0]["uid"], "d1")
}

// NewServerOn serves the same API on the listener it is given.
func TestNewServerOnServesOnListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	s := NewServerOn(l)
	defer s.Close()
	assert.Equal(t, s.URL, "http://"+l.Addr().String())
	s.AddToken("admin", Admin)

	code, body := call(t, s, "", http.MethodGet, "/api/health", nil)
	assert.Equal(t, code, http.StatusOK)
	assert.Equal(t, body["version"], "fake")
	code, _ = call(t, s, "admin", http.MethodPost, "/api/folders", map[string]any{"uid": "team", "title": "Team"})
	assert.Equal(t, code, http.StatusOK)
	assert.DeepEqual(t, s.Requests(), []string{"GET /api/health", "POST /api/folders"})
}
