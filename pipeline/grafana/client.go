package grafana

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// MaxUIDLength is the longest uid Grafana accepts.
const MaxUIDLength = 40

// Defaults of the options.
const (
	DefaultRetries = 2
	DefaultBackoff = 250 * time.Millisecond
	DefaultTimeout = 30 * time.Second
)

// maxBody is the most of an answer the client reads.
const maxBody = 4 << 20

// Client talks to one Grafana with one token. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	token   string
	hc      *http.Client
	retries int
	backoff time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (transport, TLS, timeout); the
// default has a DefaultTimeout timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithRetries sets how many times a request is retried after a network
// error or a 429, 502, 503 or 504 answer (DefaultRetries; 0 for none).
func WithRetries(n int) Option { return func(c *Client) { c.retries = max(n, 0) } }

// WithBackoff sets the wait before the first retry, doubled at each next
// one (DefaultBackoff).
func WithBackoff(d time.Duration) Option { return func(c *Client) { c.backoff = max(d, 0) } }

// New returns a client of the Grafana at baseURL (http or https, with an
// optional path prefix when Grafana is served under one) that authenticates
// with the service account token.
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		shown := baseURL
		if err == nil {
			shown = u.Redacted()
		}
		return nil, &InputError{Field: "URL", Reason: fmt.Sprintf("%q is not a Grafana URL: give its http(s) address, e.g. https://grafana.example.com", shown)}
	}
	if u.User != nil {
		return nil, &InputError{Field: "URL", Reason: fmt.Sprintf("%s holds credentials; pass a service account token instead", u.Redacted())}
	}
	if strings.TrimSpace(token) == "" {
		return nil, &InputError{Field: "token", Reason: "it is empty; create a service account token in Grafana (Administration > Service accounts) and pass it"}
	}
	c := &Client{
		base:    u,
		token:   token,
		hc:      &http.Client{Timeout: DefaultTimeout},
		retries: DefaultRetries,
		backoff: DefaultBackoff,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// URL returns the absolute URL of a path of Grafana ("/d/uid/slug").
func (c *Client) URL(path string) string {
	return c.base.String() + "/" + strings.TrimLeft(path, "/")
}

// FolderUID returns the uid of a team's folder: stable for a team name, at
// most MaxUIDLength characters ("gp-team-payments-" and 8 hex digits of the
// name's SHA-256).
func FolderUID(team string) string {
	const prefix = "gp-team-"
	sum := sha256.Sum256([]byte(team))
	hash := hex.EncodeToString(sum[:])[:8]
	room := MaxUIDLength - len(prefix) - len(hash) - 1
	readable := team
	if len(readable) > room {
		readable = readable[:room]
	}
	readable = strings.Trim(readable, "-")
	if readable == "" {
		return prefix + hash
	}
	return prefix + readable + "-" + hash
}

// Folder is a Grafana folder.
type Folder struct {
	ID      int64  `json:"id"`
	UID     string `json:"uid"`
	Title   string `json:"title"`
	URL     string `json:"url"`
	Version int    `json:"version"`
}

// EnsureFolder returns the folder with uid, creating it with title when
// there is none. A folder created meanwhile by someone else (409) is read
// back.
func (c *Client) EnsureFolder(ctx context.Context, uid, title string) (*Folder, error) {
	if uid == "" || len(uid) > MaxUIDLength {
		return nil, &InputError{Field: "folder uid", Reason: fmt.Sprintf("%q must have 1 to %d characters; use FolderUID(team)", uid, MaxUIDLength)}
	}
	op := "read folder " + uid
	var f Folder
	err := c.do(ctx, op, http.MethodGet, "/api/folders/"+url.PathEscape(uid), nil, &f)
	if err == nil {
		return &f, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	op = "create folder " + uid
	err = c.do(ctx, op, http.MethodPost, "/api/folders", map[string]string{"uid": uid, "title": title}, &f)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden {
		apiErr.Fix = fmt.Sprintf("insufficient permissions: creating folder %s needs the Editor role; give it to the service account, "+
			"or create the folder (uid %s, title %q) and give the service account Editor on it", uid, uid, title)
	}
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusConflict {
		// Created between our read and our write: read it back.
		if err := c.do(ctx, "read folder "+uid, http.MethodGet, "/api/folders/"+url.PathEscape(uid), nil, &f); err != nil {
			return nil, err
		}
		return &f, nil
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// UpsertTeamDashboard ensures the team's folder (uid FolderUID(team), titled
// team) and upserts the dashboard into it; u.FolderUID is ignored.
func (c *Client) UpsertTeamDashboard(ctx context.Context, team string, u Upsert) (*Result, error) {
	if strings.TrimSpace(team) == "" {
		return nil, &InputError{Field: "team", Reason: "it is empty; pass the team of golden-path.yaml, whose folder holds the dashboard"}
	}
	f, err := c.EnsureFolder(ctx, FolderUID(team), team)
	if err != nil {
		return nil, err
	}
	u.FolderUID = f.UID
	return c.UpsertDashboard(ctx, u)
}

// Upsert says which dashboard to save where.
type Upsert struct {
	// Dashboard is the dashboard model's JSON; it must have a uid and a
	// title. Its id and version are ignored.
	Dashboard []byte
	// FolderUID is the folder to save it in; "" is the General folder.
	FolderUID string
	// Overwrite replaces the dashboard whatever its version and whatever
	// dashboard of the folder has the same title. Without it, a dashboard
	// changed in Grafana since it was read, or another dashboard with the
	// same title, fails the upsert with a 412 *APIError.
	Overwrite bool
	// Message is the version's commit message in Grafana's history.
	Message string
}

// Result is a saved dashboard.
type Result struct {
	ID      int64
	UID     string
	Slug    string
	Version int
	// URL is the dashboard's absolute URL.
	URL string
	// Status is Grafana's status: "success", or "unchanged" when the
	// dashboard in Grafana was already the same and was not saved again.
	Status string
}

// UpsertDashboard creates or updates the dashboard by its uid. When the
// stored dashboard has the same content and folder, nothing is saved and
// the Result's Status is "unchanged": running it twice changes nothing.
func (c *Client) UpsertDashboard(ctx context.Context, u Upsert) (*Result, error) {
	var model map[string]any
	if err := json.Unmarshal(u.Dashboard, &model); err != nil || model == nil {
		return nil, &InputError{Field: "dashboard", Reason: "it is not a JSON object; pass the dashboard model's JSON"}
	}
	uid, _ := model["uid"].(string)
	title, _ := model["title"].(string)
	switch {
	case uid == "":
		return nil, &InputError{Field: "dashboard", Reason: "it has no uid; without one every upsert would create another dashboard"}
	case len(uid) > MaxUIDLength:
		return nil, &InputError{Field: "dashboard", Reason: fmt.Sprintf("its uid %q is longer than the %d characters Grafana accepts", uid, MaxUIDLength)}
	case strings.TrimSpace(title) == "":
		return nil, &InputError{Field: "dashboard", Reason: "it has no title; Grafana refuses a dashboard without one"}
	}

	existing, err := c.getDashboard(ctx, uid)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	delete(model, "id")
	delete(model, "version")
	if existing != nil {
		if existing.Meta.FolderUID == u.FolderUID && sameDashboard(existing.Dashboard, model) {
			return &Result{
				ID: existing.id(), UID: uid, Slug: existing.Meta.Slug, Version: existing.Meta.Version,
				URL: c.URL(existing.Meta.URL), Status: "unchanged",
			}, nil
		}
		if !u.Overwrite {
			// Optimistic locking: Grafana answers 412 if someone saves in
			// between.
			model["version"] = existing.Meta.Version
		}
	}

	body := map[string]any{"dashboard": model, "folderUid": u.FolderUID, "overwrite": u.Overwrite, "message": u.Message}
	var saved struct {
		ID      int64  `json:"id"`
		UID     string `json:"uid"`
		URL     string `json:"url"`
		Status  string `json:"status"`
		Version int    `json:"version"`
		Slug    string `json:"slug"`
	}
	if err := c.do(ctx, "save dashboard "+uid, http.MethodPost, "/api/dashboards/db", body, &saved); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			apiErr.Fix = saveFix(apiErr, uid, title, u.FolderUID)
		}
		return nil, err
	}
	return &Result{ID: saved.ID, UID: saved.UID, Slug: saved.Slug, Version: saved.Version, URL: c.URL(saved.URL), Status: saved.Status}, nil
}

// saveFix says what to do about a refused save.
func saveFix(e *APIError, uid, title, folder string) string {
	where := "the General folder"
	if folder != "" {
		where = "folder " + folder
	}
	switch {
	case e.StatusCode == http.StatusPreconditionFailed && e.Status == "name-exists":
		return fmt.Sprintf("another dashboard in %s is titled %q; rename or delete it, or upsert with overwrite to replace it", where, title)
	case e.StatusCode == http.StatusPreconditionFailed:
		return fmt.Sprintf("dashboard %s was changed in Grafana while this upsert ran; run it again, or upsert with overwrite to replace the changes", uid)
	case e.StatusCode == http.StatusForbidden:
		return fmt.Sprintf("insufficient permissions: give the service account Editor on %s", where)
	}
	return e.Fix
}

// stored is GET /api/dashboards/uid/:uid's answer.
type stored struct {
	Dashboard map[string]any `json:"dashboard"`
	Meta      struct {
		Slug      string `json:"slug"`
		URL       string `json:"url"`
		FolderUID string `json:"folderUid"`
		Version   int    `json:"version"`
	} `json:"meta"`
}

func (s *stored) id() int64 {
	if f, ok := s.Dashboard["id"].(float64); ok {
		return int64(f)
	}
	return 0
}

func (c *Client) getDashboard(ctx context.Context, uid string) (*stored, error) {
	var s stored
	if err := c.do(ctx, "read dashboard "+uid, http.MethodGet, "/api/dashboards/uid/"+url.PathEscape(uid), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// sameDashboard reports whether the stored model has the content of model,
// ignoring what Grafana sets on save.
func sameDashboard(stored, model map[string]any) bool {
	clean := func(m map[string]any) map[string]any {
		c := make(map[string]any, len(m))
		for k, v := range m {
			switch k {
			case "id", "version":
				continue
			}
			c[k] = v
		}
		return c
	}
	// Compare as JSON values: numbers are float64 on both sides.
	var a, b any
	ja, _ := json.Marshal(clean(stored))
	jb, _ := json.Marshal(clean(model))
	_ = json.Unmarshal(ja, &a)
	_ = json.Unmarshal(jb, &b)
	return reflect.DeepEqual(a, b)
}

// do sends a request with the token and decodes a 2xx answer's JSON into
// out; it retries network errors and 429/502/503/504 answers.
func (c *Client) do(ctx context.Context, op, method, path string, in, out any) error {
	target := c.URL(path)
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return &InputError{Field: "request", Reason: err.Error()}
		}
	}
	var last error
	for attempt := 0; attempt <= c.retries; attempt++ {
		if attempt > 0 {
			wait := c.backoff << (attempt - 1)
			select {
			case <-ctx.Done():
				return redact(last, c.token)
			case <-time.After(wait):
			}
		}
		retry, err := c.once(ctx, op, method, target, payload, out)
		if err == nil {
			return nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return redact(last, c.token)
}

// once sends one request; retry says whether another attempt may succeed.
func (c *Client) once(ctx context.Context, op, method, target string, payload []byte, out any) (retry bool, err error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return false, &InputError{Field: "request", Reason: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error names the URL, which holds no credentials.
		return true, &UnreachableError{Op: op, URL: target, Err: redact(unwrapURLError(err), c.token)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return true, &UnreachableError{Op: op, URL: target, Err: redact(err, c.token)}
	}
	if resp.StatusCode/100 == 2 {
		if out == nil {
			return false, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return false, &APIError{Op: op, Method: method, URL: target, StatusCode: resp.StatusCode,
				Message: "the answer is not the JSON Grafana sends: " + err.Error(),
				Fix:     "check that the URL is Grafana's and not a proxy's or login page's"}
		}
		return false, nil
	}
	e := &APIError{Op: op, Method: method, URL: target, StatusCode: resp.StatusCode}
	var msg struct {
		Message string `json:"message"`
		Status  string `json:"status"`
	}
	if json.Unmarshal(data, &msg) == nil {
		e.Message, e.Status = msg.Message, msg.Status
	} else {
		e.Message = strings.TrimSpace(string(data[:min(len(data), 200)]))
	}
	// Never let an answer that quotes the token (a misbehaving proxy) show
	// it.
	e.Message = strings.ReplaceAll(e.Message, c.token, "[REDACTED]")
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		e.Fix = "token rejected: the service account token is wrong, expired or revoked; create a new token and pass it"
	case http.StatusForbidden:
		e.Fix = "insufficient permissions: give the service account the Editor role on the team's folder"
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		e.Fix = "Grafana is overloaded or restarting; try again later"
		return true, e
	default:
		if resp.StatusCode >= 500 {
			e.Fix = "Grafana failed; look at its logs"
		}
	}
	return false, e
}

// unwrapURLError returns the cause of a *url.Error: the UnreachableError
// names the URL itself.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
