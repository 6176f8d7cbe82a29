package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/keptn-api/keptn-api/internal/server"
	"github.com/keptn-api/keptn-api/store/gitrepo"
	"github.com/keptn-api/keptn-api/store/sqlite"
)

func TestNewWiresAllOperations(t *testing.T) {
	t.Parallel()

	events, err := sqlite.Open(t.Context(), t.TempDir()+"/events.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	repos, err := gitrepo.Open(t.TempDir(), gitrepo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repos.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dataDir := t.TempDir()

	router, bus, err := server.New(server.Config{APIToken: testToken, MaxBodyBytes: 1024, Events: events, Projects: events, Repositories: repos, DataDir: dataDir, Log: log})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if router == nil {
		t.Error("server.New returned a nil router")
	}
	if bus == nil {
		t.Error("server.New returned a nil event bus")
	}

	invalid := []struct {
		name string
		cfg  server.Config
	}{
		{"empty token", server.Config{APIToken: "", MaxBodyBytes: 1024, Events: events, Projects: events, Repositories: repos, DataDir: dataDir, Log: log}},
		{"zero body limit", server.Config{APIToken: testToken, MaxBodyBytes: 0, Events: events, Projects: events, Repositories: repos, DataDir: dataDir, Log: log}},
		{"negative body limit", server.Config{APIToken: testToken, MaxBodyBytes: -1, Events: events, Projects: events, Repositories: repos, DataDir: dataDir, Log: log}},
		{"no repositories", server.Config{APIToken: testToken, MaxBodyBytes: 1024, Events: events, Projects: events, DataDir: dataDir, Log: log}},
		{"no data directory", server.Config{APIToken: testToken, MaxBodyBytes: 1024, Events: events, Projects: events, Repositories: repos, Log: log}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := server.New(tt.cfg); err == nil {
				t.Error("server.New succeeded, want an error")
			}
		})
	}
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)

	tests := []struct {
		name, path, message string
	}{
		{"api", "/api/v1/foo", "path /v1/foo was not found"},
		{"configuration-service", "/api/configuration-service/v1/foo", "path /v1/foo was not found"},
		{"datastore", "/api/mongodb-datastore/foo", "path /foo was not found"},
		{"outside the collections", "/foo", "path /foo was not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, http.MethodGet, tt.path, "")
			checkError(t, r, http.StatusNotFound, http.StatusNotFound, tt.message)
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)

	tests := []struct {
		name, path string
		allowed    []string // sorted
	}{
		{"api event", "/api/v1/event", []string{"GET", "POST"}},
		{"datastore event", "/api/mongodb-datastore/event", []string{"GET", "POST"}},
		{"api metadata", "/api/v1/metadata", []string{"GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, http.MethodPatch, tt.path, "")
			checkStatus(t, r, http.StatusMethodNotAllowed)

			allow := strings.Split(r.header.Get("Allow"), ",")
			slices.Sort(allow)
			if !slices.Equal(allow, tt.allowed) {
				t.Errorf("Allow = %q, want the methods %v", r.header.Get("Allow"), tt.allowed)
			}
			// The message lists the methods in the order of the Allow
			// header.
			want := "method PATCH is not allowed, but [" + r.header.Get("Allow") + "] are"
			checkError(t, r, http.StatusMethodNotAllowed, http.StatusMethodNotAllowed, want)
		})
	}

	// Identical requests should get identical responses, with the methods
	// sorted. When the order comes from map iteration, the rarer order
	// showed up in 6 to 28 percent of the requests in trial runs, so 500
	// requests reveal it reliably.
	t.Run("stable order", func(t *testing.T) {
		const requests = 500
		seen := map[string]int{}
		for range requests {
			r := s.send(t, http.MethodPatch, "/api/v1/event", "")
			seen[r.header.Get("Allow")]++
		}
		if len(seen) != 1 || seen["GET,POST"] != requests {
			t.Errorf("Allow headers of %d identical requests = %v, want GET,POST every time", requests, seen)
		}
	})
}

func TestMediaTypes(t *testing.T) {
	t.Parallel()

	s := startServer(t, defaultBodyLimit)
	event := `{"type":"sh.keptn.event.problem.open","source":"prometheus-service","data":{}}`

	t.Run("text/plain body", func(t *testing.T) {
		r := s.send(t, http.MethodPost, "/api/v1/event", event, withHeader("Content-Type", "text/plain"))
		checkStatus(t, r, http.StatusUnsupportedMediaType)

		// The server sorts the list, which go-swagger builds in map order.
		want := `unsupported media type "text/plain", only [application/cloudevents+json application/json] are allowed`
		if msg := errorMessage(r); msg != want {
			t.Errorf("message = %q, want %q", msg, want)
		}
	})

	t.Run("datastore text/plain body", func(t *testing.T) {
		r := s.send(t, http.MethodPost, datastoreEvents, event, withHeader("Content-Type", "text/plain"))
		checkStatus(t, r, http.StatusUnsupportedMediaType)
		if msg := errorMessage(r); !strings.HasPrefix(msg, `unsupported media type "text/plain"`) {
			t.Errorf("message = %q, want it to name text/plain", msg)
		}
	})

	t.Run("cloudevents body accepted", func(t *testing.T) {
		r := s.send(t, http.MethodPost, datastoreEvents, event, withHeader("Content-Type", "application/cloudevents+json"))
		checkStatus(t, r, http.StatusCreated)
	})

	t.Run("Accept text/html", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/api/v1/metadata", "", withHeader("Accept", "text/html"))
		checkError(t, r, http.StatusNotAcceptable, http.StatusNotAcceptable,
			"unsupported media type requested, only [application/json] are available")
	})

	t.Run("datastore Accept text/html", func(t *testing.T) {
		r := s.send(t, http.MethodGet, datastoreEvents, "", withHeader("Accept", "text/html"))
		checkStatus(t, r, http.StatusNotAcceptable)
	})

	t.Run("datastore produces application/json", func(t *testing.T) {
		r := s.send(t, http.MethodGet, datastoreEvents, "")
		checkStatus(t, r, http.StatusOK)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
	})
}

func TestPageSizeValidation(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)

	tests := []struct {
		pageSize string
		code     int64
		message  string
	}{
		{"abc", 601, `pageSize in query must be of type int64: "abc"`},
		{"101", 608, "pageSize in query should be less than or equal to 100"},
		{"0", 609, "pageSize in query should be greater than or equal to 1"},
	}
	for _, tt := range tests {
		t.Run(tt.pageSize, func(t *testing.T) {
			r := s.send(t, http.MethodGet, datastoreEvents+"?pageSize="+tt.pageSize, "")
			checkError(t, r, http.StatusUnprocessableEntity, tt.code, tt.message)
		})
	}
}

func TestMalformedJSON(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)

	for _, path := range []string{datastoreEvents, "/api/v1/event"} {
		t.Run(path, func(t *testing.T) {
			r := s.send(t, http.MethodPost, path, `{"type": "sh.keptn.event.problem.open",`)
			checkStatus(t, r, http.StatusBadRequest)
			msg := errorMessage(r)
			if want := `parsing body body from "" failed, because `; !strings.HasPrefix(msg, want) {
				t.Errorf("message = %q, want the prefix %q", msg, want)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()

	const limit = 1024
	s := startServer(t, limit)

	// The body is valid JSON, so only its size can reject it.
	padding := strings.Repeat("x", 2*limit)
	body := `{"type":"sh.keptn.event.problem.open","source":"prometheus-service",` +
		`"data":{"project":"sockshop","padding":"` + padding + `"}}`
	message := "request body is larger than the limit of 1024 bytes"

	tests := []struct {
		name string
		path string
		opts []requestOption
	}{
		{"datastore with Content-Length", datastoreEvents, nil},
		{"datastore chunked", datastoreEvents, []requestOption{withChunkedBody()}},
		{"api with Content-Length", "/api/v1/event", nil},
		{"api chunked", "/api/v1/event", []requestOption{withChunkedBody()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, tt.path, body, tt.opts...)
			checkError(t, r, http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, message)
		})
	}

	t.Run("nothing stored", func(t *testing.T) {
		if n := s.totalCount(t, query("project", "sockshop")); n != 0 {
			t.Errorf("totalCount = %d after rejected bodies, want 0", n)
		}
	})

	t.Run("body at the limit accepted", func(t *testing.T) {
		head := `{"type":"sh.keptn.event.problem.open","source":"prometheus-service","data":{"project":"sockshop","padding":"`
		tail := `"}}`
		fitting := head + strings.Repeat("x", limit-len(head)-len(tail)) + tail
		r := s.send(t, http.MethodPost, datastoreEvents, fitting)
		checkStatus(t, r, http.StatusCreated)
	})
}

func TestSwaggerUIAndSpecs(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)

	t.Run("api redirects to the UI", func(t *testing.T) {
		for _, path := range []string{"/api", "/api/"} {
			r := s.send(t, http.MethodGet, path, "", withoutToken())
			checkStatus(t, r, http.StatusMovedPermanently)
			if got := r.header.Get("Location"); got != "/api/swagger-ui/" {
				t.Errorf("GET %s: Location = %q, want /api/swagger-ui/", path, got)
			}
		}
	})

	t.Run("UI page without token", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/api/swagger-ui/", "", withoutToken())
		checkStatus(t, r, http.StatusOK)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q, want text/html", ct)
		}
		if !strings.Contains(string(r.body), "swagger-ui") {
			t.Errorf("page does not mention swagger-ui: %.300s", r.body)
		}
	})

	t.Run("missing UI file", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/api/swagger-ui/no-such-file.js", "", withoutToken())
		checkError(t, r, http.StatusNotFound, http.StatusNotFound, "path /no-such-file.js was not found")
	})

	specs := []struct {
		path, basePath string
	}{
		{"/api/swagger-ui/swagger.yaml", "/api/v1"},
		{"/api/configuration-service/swagger-ui/swagger.yaml", "/api/configuration-service/v1"},
		{"/api/mongodb-datastore/swagger-ui/swagger.yaml", "/api/mongodb-datastore"},
	}
	for _, tt := range specs {
		t.Run(tt.path, func(t *testing.T) {
			r := s.send(t, http.MethodGet, tt.path, "", withoutToken())
			if !checkStatus(t, r, http.StatusOK) {
				return
			}
			if got := topLevelValue(string(r.body), "basePath"); got != tt.basePath {
				t.Errorf("basePath = %q, want %q", got, tt.basePath)
			}
			if got := topLevelValue(string(r.body), "swagger"); got != "2.0" {
				t.Errorf("swagger = %q, want 2.0", got)
			}
		})
	}
}

// topLevelValue returns the unquoted value of a top-level "key: value" line
// of a YAML document, or "" when there is none.
func topLevelValue(doc, key string) string {
	for line := range strings.Lines(doc) {
		rest, ok := strings.CutPrefix(line, key+":")
		if !ok {
			continue
		}
		return strings.Trim(strings.TrimSpace(rest), `"'`)
	}
	return ""
}

func TestHealth(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)
	r := s.send(t, http.MethodGet, "/health", "", withoutToken())
	checkStatus(t, r, http.StatusOK)
	if got := strings.TrimSpace(string(r.body)); got != `{"status":"OK"}` {
		t.Errorf("body = %s, want {\"status\":\"OK\"}", got)
	}
}

func TestNginxHealth(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)
	r := s.send(t, http.MethodGet, "/nginx-health", "", withoutToken())
	checkStatus(t, r, http.StatusOK)
	if string(r.body) != "OK\n" {
		t.Errorf("body = %q, want %q", r.body, "OK\n")
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
}

func TestAuthCall(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)

	methods := []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodHead}
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			r := s.send(t, method, "/api/v1/auth", "")
			checkStatus(t, r, http.StatusOK)
			if len(r.body) != 0 {
				t.Errorf("body = %q, want empty", r.body)
			}
		})
	}

	t.Run("body is dropped", func(t *testing.T) {
		r := s.send(t, http.MethodPost, "/api/v1/auth", "not json", withHeader("Content-Type", "text/plain"))
		checkStatus(t, r, http.StatusOK)
	})

	t.Run("wrong token", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/api/v1/auth", "", withHeader("x-token", "wrong"))
		checkError(t, r, http.StatusUnauthorized, http.StatusUnauthorized, "incorrect api key auth")
	})
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)

	requests := []struct {
		name, method, path string
	}{
		{"api metadata", http.MethodGet, "/api/v1/metadata"},
		{"api event", http.MethodPost, "/api/v1/event"},
		{"configuration-service project", http.MethodGet, "/api/configuration-service/v1/project"},
		{"datastore event", http.MethodGet, datastoreEvents},
		{"datastore post", http.MethodPost, datastoreEvents},
		// Auth is checked before routing, so unknown paths do not reveal
		// what exists.
		{"api unknown path", http.MethodGet, "/api/v1/foo"},
		{"datastore unknown path", http.MethodGet, "/api/mongodb-datastore/foo"},
		{"configuration-service unknown path", http.MethodGet, "/api/configuration-service/v1/foo"},
	}
	tokens := []struct {
		name    string
		opt     requestOption
		message string
	}{
		{"missing token", withoutToken(), "unauthenticated for invalid credentials"},
		{"empty token", withHeader("x-token", ""), "unauthenticated for invalid credentials"},
		{"wrong token", withHeader("x-token", testToken+"x"), "incorrect api key auth"},
	}
	for _, req := range requests {
		for _, tok := range tokens {
			t.Run(req.name+"/"+tok.name, func(t *testing.T) {
				r := s.send(t, req.method, req.path, "", tok.opt)
				checkError(t, r, http.StatusUnauthorized, http.StatusUnauthorized, tok.message)
			})
		}
	}
}

func TestTrailingSlash(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postEvent(t, examples["04"].raw)

	without := s.getEvents(t, "/api/mongodb-datastore/event?project=sockshop")
	with := s.getEvents(t, "/api/mongodb-datastore/event/?project=sockshop")
	checkExamples(t, with.Events, examples, "04")
	if len(with.Events) != len(without.Events) {
		t.Errorf("with slash %d events, without %d", len(with.Events), len(without.Events))
	}

	t.Run("no redirect", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/api/mongodb-datastore/event/", "")
		checkStatus(t, r, http.StatusOK)
	})

	t.Run("post", func(t *testing.T) {
		r := s.send(t, http.MethodPost, "/api/mongodb-datastore/event/", string(examples["05"].raw))
		checkStatus(t, r, http.StatusCreated)
	})

	t.Run("configuration-service", func(t *testing.T) {
		without := s.send(t, http.MethodGet, "/api/configuration-service/v1/project", "")
		with := s.send(t, http.MethodGet, "/api/configuration-service/v1/project/", "")
		if with.status != without.status {
			t.Errorf("status with slash = %d, without = %d", with.status, without.status)
		}
		if string(with.body) != string(without.body) {
			t.Errorf("body with slash = %s, without = %s", with.body, without.body)
		}
	})
}

func TestRequestID(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)

	t.Run("echoed", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/api/v1/metadata", "", withHeader("X-Request-Id", "test-request-42"))
		if got := r.header.Get("X-Request-Id"); got != "test-request-42" {
			t.Errorf("X-Request-Id = %q, want test-request-42", got)
		}
	})

	t.Run("echoed on errors", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/api/v1/metadata", "", withoutToken(), withHeader("X-Request-Id", "test-request-43"))
		checkStatus(t, r, http.StatusUnauthorized)
		if got := r.header.Get("X-Request-Id"); got != "test-request-43" {
			t.Errorf("X-Request-Id = %q, want test-request-43", got)
		}
	})

	t.Run("generated", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/health", "")
		if got := r.header.Get("X-Request-Id"); got == "" {
			t.Error("X-Request-Id is missing, want a generated id")
		}
	})

	t.Run("invalid id replaced", func(t *testing.T) {
		r := s.send(t, http.MethodGet, "/health", "", withHeader("X-Request-Id", "has space"))
		got := r.header.Get("X-Request-Id")
		if got == "" || got == "has space" {
			t.Errorf("X-Request-Id = %q, want a generated id", got)
		}
	})
}

func TestMetadata(t *testing.T) {
	t.Parallel()

	s := sharedServer(t)
	r := s.send(t, http.MethodGet, "/api/v1/metadata", "")
	if !checkStatus(t, r, http.StatusOK) {
		return
	}
	if strings.TrimSpace(string(r.body)) == "null" {
		t.Fatal("body is null, want a metadata object")
	}
	m := decodeObject(t, r)
	if got := m["keptnversion"]; got != "0.7.3" {
		t.Errorf("keptnversion = %v, want 0.7.3", got)
	}
	if got := m["keptnlabel"]; got != "keptn" {
		t.Errorf("keptnlabel = %v, want keptn", got)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}
