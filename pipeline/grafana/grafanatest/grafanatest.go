// Package grafanatest is a fake Grafana for tests: an httptest server that
// implements the few endpoints of Grafana's HTTP API the golden-path client
// uses, with the requests, responses and status codes Grafana documents. It
// is a fake, not Grafana: it keeps everything in memory, knows no
// permissions but three roles, and checks only what the documented errors
// need.
//
// Endpoints:
//
//   - GET /api/health (no auth);
//   - GET /api/folders/{uid}: 404 when unknown;
//   - POST /api/folders {uid, title}: 400 without a title, 409 when the uid
//     is taken;
//   - POST /api/dashboards/db {dashboard, folderUid, overwrite, message} →
//     {id, uid, url, status, version, slug, folderUid}: 400 without a title,
//     with a uid longer than 40 characters or an unknown folder; 412
//     "version-mismatch" when the dashboard's version is not the stored one,
//     412 "name-exists" when another dashboard of the folder has its title
//     (both only without overwrite; with overwrite the dashboard replaces
//     what is there, as in Grafana);
//   - GET /api/dashboards/uid/{uid} → {dashboard, meta}: 404 when unknown;
//   - GET /api/search?query=&type=&folderUIDs=.
//
// Authentication is a Bearer token (a service account token) added with
// AddToken: 401 for a missing or unknown token, 403 when a Viewer token
// writes.
package grafanatest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"
)

// Role is the role of a token's service account.
type Role string

// The roles of Grafana's basic role model.
const (
	Viewer Role = "Viewer"
	Editor Role = "Editor"
	Admin  Role = "Admin"
)

// MaxUIDLength is the longest uid Grafana accepts.
const MaxUIDLength = 40

// Server is a running fake Grafana. Its URL field is the base URL to give a
// client. Close it when done.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	tokens     map[string]Role
	folders    map[string]*Folder
	dashboards map[string]*Dashboard
	nextID     int64
	requests   []string
	now        func() time.Time
}

// Folder is a folder as the fake stores and returns it.
type Folder struct {
	ID      int64  `json:"id"`
	UID     string `json:"uid"`
	Title   string `json:"title"`
	URL     string `json:"url"`
	Version int    `json:"version"`
}

// Dashboard is a dashboard as the fake stores it.
type Dashboard struct {
	ID        int64
	UID       string
	Title     string
	Slug      string
	FolderUID string
	Version   int
	// Model is the dashboard JSON as saved, with id, uid and version set.
	Model map[string]any
	// Message is the commit message of the last save.
	Message string
	Created time.Time
	Updated time.Time
}

// NewServer starts a fake Grafana with no token, folder or dashboard, on a
// random loopback port.
func NewServer() *Server {
	s := newServer()
	s.Server = httptest.NewServer(s.handler())
	return s
}

// NewServerOn is NewServer serving on l instead, e.g. a fixed address for a
// long-running stand-in (hack/grafanafake). Close closes l.
func NewServerOn(l net.Listener) *Server {
	s := newServer()
	s.Server = httptest.NewUnstartedServer(s.handler())
	s.Server.Listener.Close()
	s.Server.Listener = l
	s.Server.Start()
	return s
}

func newServer() *Server {
	return &Server{
		tokens:     map[string]Role{},
		folders:    map[string]*Folder{},
		dashboards: map[string]*Dashboard{},
		now:        time.Now,
	}
}

// handler routes the API's endpoints, recording every request.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", s.health)
	mux.HandleFunc("GET /api/folders/{uid}", s.auth(Viewer, s.getFolder))
	mux.HandleFunc("POST /api/folders", s.auth(Editor, s.createFolder))
	mux.HandleFunc("POST /api/dashboards/db", s.auth(Editor, s.saveDashboard))
	mux.HandleFunc("GET /api/dashboards/uid/{uid}", s.auth(Viewer, s.getDashboard))
	mux.HandleFunc("GET /api/search", s.auth(Viewer, s.search))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not found"})
	})
	return s.record(mux)
}

// AddToken lets token in with role.
func (s *Server) AddToken(token string, role Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = role
}

// AddFolder stores a folder, as if created earlier.
func (s *Server) AddFolder(uid, title string) Folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addFolder(uid, title)
}

// Folder returns the folder with uid.
func (s *Server) Folder(uid string) (Folder, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.folders[uid]
	if !ok {
		return Folder{}, false
	}
	return *f, true
}

// Dashboard returns a copy of the dashboard with uid.
func (s *Server) Dashboard(uid string) (Dashboard, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dashboards[uid]
	if !ok {
		return Dashboard{}, false
	}
	c := *d
	c.Model = maps.Clone(d.Model)
	return c, true
}

// Dashboards returns how many dashboards the fake holds.
func (s *Server) Dashboards() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.dashboards)
}

// Requests lists the requests served so far, as "METHOD /path".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

var roleRank = map[Role]int{Viewer: 1, Editor: 2, Admin: 3}

// auth wraps h: the request's Bearer token must belong to a role of at
// least min.
func (s *Server) auth(min Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		role, known := s.tokens[token]
		s.mu.Unlock()
		if !ok || !known {
			writeJSON(w, http.StatusUnauthorized, map[string]any{
				"message": "Invalid API key", "messageId": "api-key.invalid", "statusCode": http.StatusUnauthorized,
			})
			return
		}
		if roleRank[role] < roleRank[min] {
			writeJSON(w, http.StatusForbidden, map[string]any{
				"message": "You'll need additional permissions to perform this action. Permissions needed: any of dashboards:write, folders:create",
				"status":  "forbidden",
			})
			return
		}
		h(w, r)
	}
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"database": "ok", "version": "fake"})
}

func (s *Server) getFolder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.folders[r.PathValue("uid")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "folder not found", "status": "not-found"})
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) createFolder(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UID   string `json:"uid"`
		Title string `json:"title"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.TrimSpace(body.Title) == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "folder title cannot be empty"})
		return
	case len(body.UID) > MaxUIDLength:
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "uid too long, max 40 characters"})
		return
	case s.folders[body.UID] != nil:
		writeJSON(w, http.StatusConflict, map[string]any{"message": "a folder with the same uid already exists"})
		return
	}
	if body.UID == "" {
		body.UID = fmt.Sprintf("fake-folder-%d", s.nextID+1)
	}
	writeJSON(w, http.StatusOK, s.addFolder(body.UID, body.Title))
}

func (s *Server) addFolder(uid, title string) *Folder {
	s.nextID++
	f := &Folder{ID: s.nextID, UID: uid, Title: title, URL: "/dashboards/f/" + uid + "/" + slug(title), Version: 1}
	s.folders[uid] = f
	return f
}

func (s *Server) saveDashboard(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Dashboard map[string]any `json:"dashboard"`
		FolderUID string         `json:"folderUid"`
		Overwrite bool           `json:"overwrite"`
		Message   string         `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Dashboard == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	model := body.Dashboard
	title, _ := model["title"].(string)
	uid, _ := model["uid"].(string)
	version := 0
	if v, ok := model["version"].(float64); ok {
		version = int(v)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.TrimSpace(title) == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Dashboard title cannot be empty", "status": "empty-name"})
		return
	case len(uid) > MaxUIDLength:
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "uid too long, max 40 characters"})
		return
	case body.FolderUID != "" && s.folders[body.FolderUID] == nil:
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "folder not found", "status": "folder-not-found"})
		return
	}

	existing := s.dashboards[uid]
	if existing != nil && !body.Overwrite && version != existing.Version {
		writeJSON(w, http.StatusPreconditionFailed, map[string]any{
			"message": "The dashboard has been changed by someone else", "status": "version-mismatch",
		})
		return
	}
	for _, other := range s.dashboards {
		if other.UID != uid && other.FolderUID == body.FolderUID && strings.EqualFold(other.Title, title) {
			if !body.Overwrite {
				writeJSON(w, http.StatusPreconditionFailed, map[string]any{
					"message": "A dashboard with the same name in the folder already exists", "status": "name-exists",
				})
				return
			}
			delete(s.dashboards, other.UID) // overwritten, as Grafana does
		}
	}

	now := s.now()
	d := existing
	if d == nil {
		s.nextID++
		if uid == "" {
			uid = fmt.Sprintf("fake-%d", s.nextID)
		}
		d = &Dashboard{ID: s.nextID, UID: uid, Created: now}
		s.dashboards[uid] = d
	}
	d.Version++
	d.Title, d.Slug, d.FolderUID, d.Message, d.Updated = title, slug(title), body.FolderUID, body.Message, now
	d.Model = maps.Clone(model)
	d.Model["id"], d.Model["uid"], d.Model["version"] = d.ID, d.UID, d.Version

	writeJSON(w, http.StatusOK, map[string]any{
		"id": d.ID, "uid": d.UID, "url": dashboardURL(d), "status": "success",
		"version": d.Version, "slug": d.Slug, "folderUid": d.FolderUID,
	})
}

func dashboardURL(d *Dashboard) string { return "/d/" + d.UID + "/" + d.Slug }

func (s *Server) getDashboard(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dashboards[r.PathValue("uid")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Dashboard not found", "status": "not-found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"dashboard": d.Model,
		"meta": map[string]any{
			"type": "db", "slug": d.Slug, "url": dashboardURL(d), "folderUid": d.FolderUID,
			"version": d.Version, "created": d.Created.UTC().Format(time.RFC3339), "updated": d.Updated.UTC().Format(time.RFC3339),
			"canSave": true, "canEdit": true,
		},
	})
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := strings.ToLower(q.Get("query"))
	kind := q.Get("type")
	folders := map[string]bool{}
	for _, f := range q["folderUIDs"] {
		for _, uid := range strings.Split(f, ",") {
			folders[uid] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hits := []map[string]any{}
	if kind == "" || kind == "dash-folder" {
		for _, f := range s.folders {
			if strings.Contains(strings.ToLower(f.Title), query) && len(folders) == 0 {
				hits = append(hits, map[string]any{"id": f.ID, "uid": f.UID, "title": f.Title, "url": f.URL, "type": "dash-folder"})
			}
		}
	}
	if kind == "" || kind == "dash-db" {
		for _, d := range s.dashboards {
			if strings.Contains(strings.ToLower(d.Title), query) && (len(folders) == 0 || folders[d.FolderUID]) {
				hits = append(hits, map[string]any{
					"id": d.ID, "uid": d.UID, "title": d.Title, "url": dashboardURL(d), "type": "dash-db",
					"folderUid": d.FolderUID, "tags": d.Model["tags"],
				})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i]["title"].(string) < hits[j]["title"].(string) })
	writeJSON(w, http.StatusOK, hits)
}

// slug makes a URL slug of a title the way Grafana does for ASCII titles.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
