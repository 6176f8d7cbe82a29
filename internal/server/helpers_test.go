package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/server"
	"github.com/keptn-api/keptn-api/internal/testmongo"
	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/gitrepo"
	"github.com/keptn-api/keptn-api/store/mongodb"
	"github.com/keptn-api/keptn-api/store/sqlite"
)

const (
	testToken = "test-api-token-0123456789"

	// defaultBodyLimit is large enough for every example event.
	defaultBodyLimit = 1 << 20

	// storedTimeLayout is how the datastore writes a UTC event time.
	storedTimeLayout = "2006-01-02T15:04:05.000Z"

	datastoreEvents = "/api/mongodb-datastore/event"
)

// testServer is the composite router served over loopback HTTP, backed by a
// SQLite file in a temporary directory.
type testServer struct {
	url    string
	client *http.Client
}

// startServer starts a server with the given body limit. The server and its
// store are closed when the test ends.
func startServer(t *testing.T, maxBodyBytes int64) *testServer {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, stop, err := newServer(t.TempDir(), maxBodyBytes, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	reportBackend(t)
	return s
}

// reportBackend names the backend in the output of a failed test, as each
// test runs once per backend under the same name.
func reportBackend(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("store backend: %s", backend.name)
		}
	})
}

// testBackend is a store for events and the configuration view. TestMain
// runs every test of the package once per backend in backends.
type testBackend struct {
	name     string
	mongoURL string // "" for SQLite
}

// backend is the backend of the current run.
var backend testBackend

// eventStore is what a backend opens.
type eventStore interface {
	store.Events
	store.Projects
}

// openStore opens the current backend's store: a SQLite file in dir, or a
// database of its own on the MongoDB-wire server, dropped by the returned
// cleanup.
func openStore(dir string) (eventStore, func() error, error) {
	if backend.mongoURL == "" {
		s, err := sqlite.Open(context.Background(), filepath.Join(dir, "events.db"), sqlite.Options{})
		if err != nil {
			return nil, nil, fmt.Errorf("open SQLite store: %w", err)
		}
		return s, s.Close, nil
	}
	database := testmongo.DatabaseName()
	s, err := mongodb.Open(backend.mongoURL, mongodb.Options{Database: database})
	if err != nil {
		return nil, nil, fmt.Errorf("open MongoDB store: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	closeAndDrop := func() error {
		return errors.Join(s.Close(), testmongo.DropDatabase(backend.mongoURL, database))
	}
	if err := s.WaitReady(ctx); err != nil {
		closeAndDrop()
		return nil, nil, err
	}
	return s, closeAndDrop, nil
}

// newServer starts a server whose stores live in dir. stop closes the
// server and then the stores.
func newServer(dir string, maxBodyBytes int64, log *slog.Logger) (s *testServer, stop func() error, err error) {
	return newServerWithConfig(dir, server.Config{MaxBodyBytes: maxBodyBytes, Log: log})
}

// newServerWithConfig is newServer with the settings of cfg: its body
// limit, logger and file upstream root. The stores, token and data
// directory are set here.
func newServerWithConfig(dir string, cfg server.Config) (s *testServer, stop func() error, err error) {
	events, closeEvents, err := openStore(dir)
	if err != nil {
		return nil, nil, err
	}
	return newServerWith(dir, events, closeEvents, cfg)
}

// newServerWith starts a server with the settings of cfg on the given
// store, with its git repositories in dir. stop closes the server, then the
// repositories, and then calls closeEvents.
func newServerWith(dir string, events eventStore, closeEvents func() error, cfg server.Config) (s *testServer, stop func() error, err error) {
	repos, err := gitrepo.Open(filepath.Join(dir, "repos"), gitrepo.Options{})
	if err != nil {
		closeEvents()
		return nil, nil, fmt.Errorf("open git repositories: %w", err)
	}
	cfg.APIToken = testToken
	cfg.Events, cfg.Projects, cfg.Repositories = events, events, repos
	cfg.DataDir = dir
	router, _, err := server.New(cfg)
	if err != nil {
		closeEvents()
		repos.Close()
		return nil, nil, fmt.Errorf("server.New: %w", err)
	}

	srv := httptest.NewServer(router)
	client := srv.Client()
	// Redirects are part of what the tests check, so none is followed.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	stop = func() error {
		srv.Close()
		if err := repos.Close(); err != nil {
			return fmt.Errorf("close git repositories: %w", err)
		}
		if err := closeEvents(); err != nil {
			return fmt.Errorf("close %s store: %w", backend.name, err)
		}
		return nil
	}
	return &testServer{url: srv.URL, client: client}, stop, nil
}

// shared is one server for the tests that store nothing they later count.
// Building a router analyses three specs, which takes about half a second
// under the race detector, so sharing it keeps the package fast.
var shared struct {
	once   sync.Once
	dir    string
	server *testServer
	stop   func() error
	err    error
}

// sharedServer returns the shared server, starting it on first use with the
// default body limit. TestMain stops it.
func sharedServer(t *testing.T) *testServer {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "keptn-api-server-test-")
		if shared.err != nil {
			return
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		shared.server, shared.stop, shared.err = newServer(shared.dir, defaultBodyLimit, log)
	})
	if shared.err != nil {
		t.Fatalf("start shared server: %v", shared.err)
	}
	reportBackend(t)
	return shared.server
}

// TestMain runs the tests on SQLite, then on the in-process FerretDB, and
// then on the MongoDB of KEPTN_TEST_MONGODB_URL when it is set.
func TestMain(m *testing.M) {
	os.Exit(testmongo.RunPerBackend(m, func(b testmongo.Backend) {
		backend = testBackend{name: b.Name, mongoURL: b.MongoURL}
	}, stopShared))
}

// stopShared stops the shared server, so that the next backend's run
// starts its own.
func stopShared() {
	if shared.stop != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	shared.once, shared.server, shared.stop, shared.dir, shared.err = sync.Once{}, nil, nil, "", nil
}

// response is a fully read HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// requestOption changes a request before it is sent.
type requestOption func(*http.Request)

func withoutToken() requestOption {
	return func(r *http.Request) { r.Header.Del("x-token") }
}

func withHeader(name, value string) requestOption {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// withChunkedBody makes the client send the body without a Content-Length.
func withChunkedBody() requestOption {
	return func(r *http.Request) {
		body := r.Body
		r.Body = io.NopCloser(struct{ io.Reader }{body})
		r.ContentLength = -1
		r.GetBody = nil
	}
}

// send sends a request with the API token and, when body is not empty, the
// Content-Type application/json.
func (s *testServer) send(t *testing.T, method, path, body string, opts ...requestOption) response {
	t.Helper()

	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, reader)
	if err != nil {
		t.Fatalf("build request %s %s: %v", method, path, err)
	}
	req.Header.Set("x-token", testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, opt := range opts {
		opt(req)
	}

	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response of %s %s: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// checkStatus reports whether the status is want, and logs the body when it
// is not, so that the failure shows the server's message.
func checkStatus(t *testing.T, r response, want int) bool {
	t.Helper()
	if r.status != want {
		t.Errorf("status = %d, want %d; body: %s", r.status, want, r.body)
		return false
	}
	return true
}

// errorBody is the error shape of all three collections. Its pointers
// distinguish a missing member from a zero one.
type errorBody struct {
	Code    *int64  `json:"code"`
	Message *string `json:"message"`
}

// checkError checks the status, the JSON Content-Type and the error body.
func checkError(t *testing.T, r response, status int, code int64, message string) {
	t.Helper()
	checkStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body errorBody
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Errorf("error body is not a JSON object: %v; body: %s", err, r.body)
		return
	}
	if body.Code == nil {
		t.Errorf("error body has no code; body: %s", r.body)
	} else if *body.Code != code {
		t.Errorf("error code = %d, want %d", *body.Code, code)
	}
	if body.Message == nil {
		t.Errorf("error body has no message; body: %s", r.body)
	} else if *body.Message != message {
		t.Errorf("error message = %q, want %q", *body.Message, message)
	}
}

// errorMessage returns the message of an error body, or "" when there is
// none.
func errorMessage(r response) string {
	var body errorBody
	if json.Unmarshal(r.body, &body) != nil || body.Message == nil {
		return ""
	}
	return *body.Message
}

// decodeObject decodes a JSON object body.
func decodeObject(t *testing.T, r response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v; body: %s", err, r.body)
	}
	if m == nil {
		t.Fatalf("body is null, want a JSON object")
	}
	return m
}

// example is one Keptn event from testdata/events.
type example struct {
	name string // file name without extension
	raw  []byte
	// event is the decoded event; tests that change it work on a copy.
	event map[string]any
}

func (e example) id() string      { return e.event["id"].(string) }
func (e example) context() string { return e.event["shkeptncontext"].(string) }

// loadExamples reads the example events, keyed by the two-digit prefix of
// their file names ("01" to "12"). They all belong to project sockshop.
func loadExamples(t *testing.T) map[string]example {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 12 {
		t.Fatalf("found %d example events in testdata/events, want 12", len(paths))
	}
	out := make(map[string]example, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var event map[string]any
		if err := json.Unmarshal(raw, &event); err != nil {
			t.Fatalf("decode %s: %v", p, err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		out[name[:2]] = example{name: name, raw: raw, event: event}
	}
	return out
}

// newestFirst lists the examples by descending event time.
var newestFirst = []string{"12", "10", "11", "09", "06", "08", "07", "05", "04", "03", "02", "01"}

// Keptn contexts of the examples.
const (
	contextProjectCreate = "c8e2a4f1-3b6d-4f0a-8e57-2d9b1c6a4e90" // 01
	contextServiceCreate = "2d6f8b1a-5e3c-4c97-8b2d-6a1e4f9c0b37" // 02
	contextDelivery      = "5b0f3c1e-7a2d-4e89-b6c4-91d2e8f07a13" // 03, 04, 05, 07, 08, 09, 11
	contextEvaluation    = "e41d7b93-0c5a-4a6e-9f28-7b3c5d1e8a64" // 06
	contextRemediation   = "9a7c2e5b-1d4f-4b83-a6e0-3f8b2c7d9e15" // 10, 12
)

// postEvent posts an event to the datastore and fails the test unless it
// is stored (201).
func (s *testServer) postEvent(t *testing.T, body []byte) {
	t.Helper()
	r := s.send(t, http.MethodPost, datastoreEvents, string(body))
	if r.status != http.StatusCreated {
		t.Fatalf("POST %s: status = %d, want 201; body: %s; event: %.200s", datastoreEvents, r.status, r.body, body)
	}
}

// postExamples posts the examples in reverse file order, so that the first
// stored event of a context is not its earliest one.
func (s *testServer) postExamples(t *testing.T, examples map[string]example) {
	t.Helper()
	names := make([]string, 0, len(examples))
	for name := range examples {
		names = append(names, name)
	}
	slices.Sort(names)
	slices.Reverse(names)
	for _, name := range names {
		s.postEvent(t, examples[name].raw)
	}
}

// eventPage is the body of GET /event, or of GET /event/type/... which has
// only events. Pointers tell a missing member from a zero one.
type eventPage struct {
	Events      []map[string]any `json:"events"`
	NextPageKey *string          `json:"nextPageKey"`
	PageSize    *int64           `json:"pageSize"`
	TotalCount  *int64           `json:"totalCount"`

	// rawEvents is the events member as sent.
	rawEvents json.RawMessage
}

// getEvents sends a datastore query, expects 200 and decodes the page.
func (s *testServer) getEvents(t *testing.T, pathAndQuery string) eventPage {
	t.Helper()
	r := s.send(t, http.MethodGet, pathAndQuery, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status = %d, want 200; body: %s", pathAndQuery, r.status, r.body)
	}
	var page eventPage
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatalf("GET %s: decode body: %v; body: %s", pathAndQuery, err, r.body)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &members); err != nil {
		t.Fatalf("GET %s: decode body: %v", pathAndQuery, err)
	}
	events, ok := members["events"]
	if !ok {
		t.Fatalf("GET %s: body has no events member: %s", pathAndQuery, r.body)
	}
	page.rawEvents = events
	return page
}

// totalCount returns the totalCount of a query, 0 when the member is absent.
func (s *testServer) totalCount(t *testing.T, pathAndQuery string) int64 {
	t.Helper()
	page := s.getEvents(t, pathAndQuery)
	if page.TotalCount == nil {
		return 0
	}
	return *page.TotalCount
}

// query builds a datastore GET /event path from name/value pairs.
func query(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return datastoreEvents + "?" + v.Encode()
}

// expectedStored returns an event as the datastore returns it: the time at
// millisecond precision in UTC and data.eventContext null.
func expectedStored(t *testing.T, event map[string]any) map[string]any {
	t.Helper()
	want := make(map[string]any, len(event))
	for k, v := range event {
		want[k] = v
	}
	if s, ok := event["time"].(string); ok {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("example time %q: %v", s, err)
		}
		want["time"] = tm.UTC().Format(storedTimeLayout)
	}
	if data, ok := event["data"].(map[string]any); ok {
		if _, has := data["eventContext"]; has {
			copied := make(map[string]any, len(data))
			for k, v := range data {
				copied[k] = v
			}
			copied["eventContext"] = nil
			want["data"] = copied
		}
	}
	return want
}

// checkEvent compares a returned event with the expected one member by
// member. Members are compared as decoded JSON.
func checkEvent(t *testing.T, got, want map[string]any) {
	t.Helper()
	id, _ := want["id"].(string)
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("event %s: member %q is missing", id, key)
			continue
		}
		if key == "data" {
			checkData(t, id, g, w)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("event %s: %s = %v, want %v", id, key, g, w)
		}
	}
	for key, g := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("event %s: unexpected member %q = %v", id, key, g)
		}
	}
}

// checkData compares two data objects key by key, so that a failure names
// the member that differs.
func checkData(t *testing.T, id string, got, want any) {
	t.Helper()
	g, gok := got.(map[string]any)
	w, wok := want.(map[string]any)
	if !gok || !wok {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("event %s: data = %v, want %v", id, got, want)
		}
		return
	}
	for key, wv := range w {
		gv, ok := g[key]
		if !ok {
			t.Errorf("event %s: data.%s is missing", id, key)
			continue
		}
		if !reflect.DeepEqual(gv, wv) {
			t.Errorf("event %s: data.%s = %s, want %s", id, key, compactJSON(gv), compactJSON(wv))
		}
	}
	for key, gv := range g {
		if _, ok := w[key]; !ok {
			t.Errorf("event %s: unexpected data.%s = %s", id, key, compactJSON(gv))
		}
	}
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	const maxLength = 200
	if len(b) > maxLength {
		return string(b[:maxLength]) + "..."
	}
	return string(b)
}

// eventIDs returns the ids of events in order.
func eventIDs(events []map[string]any) []string {
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i], _ = ev["id"].(string)
	}
	return ids
}

// exampleIDs returns the event ids of the named examples in order.
func exampleIDs(examples map[string]example, names ...string) []string {
	ids := make([]string, len(names))
	for i, name := range names {
		ids[i] = examples[name].id()
	}
	return ids
}

// checkExamples checks that events are exactly the named examples in that
// order, each with every member as the datastore returns it.
func checkExamples(t *testing.T, events []map[string]any, examples map[string]example, names ...string) {
	t.Helper()
	want := exampleIDs(examples, names...)
	if got := eventIDs(events); !reflect.DeepEqual(got, want) {
		t.Errorf("event ids =\n\t%v\nwant\n\t%v", got, want)
		return
	}
	for i, name := range names {
		checkEvent(t, events[i], expectedStored(t, examples[name].event))
	}
}

// withChanges returns a copy of an event with members replaced; a nil value
// removes the member. Keys of the form "data.x" change the data object.
func withChanges(t *testing.T, event map[string]any, changes map[string]any) []byte {
	t.Helper()
	out := make(map[string]any, len(event))
	for k, v := range event {
		out[k] = v
	}
	if data, ok := event["data"].(map[string]any); ok {
		copied := make(map[string]any, len(data))
		for k, v := range data {
			copied[k] = v
		}
		out["data"] = copied
	}
	for key, v := range changes {
		target := out
		if rest, ok := strings.CutPrefix(key, "data."); ok {
			target = out["data"].(map[string]any)
			key = rest
		}
		if v == nil {
			delete(target, key)
		} else {
			target[key] = v
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonBody marshals v for a request body.
func jsonBody(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
