package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// storedCounts returns the number of stored events of project sockshop and
// the number of stored events without a project.
func (s *testServer) storedCounts(t *testing.T) (project, unmapped int64) {
	t.Helper()
	return s.totalCount(t, query("project", "sockshop")), s.totalCount(t, query())
}

// badPost is a request that must be rejected. message is the exact error
// message, or, when messagePart is set instead, a part of it.
type badPost struct {
	name        string
	body        string
	contentType string // "" sends application/json
	status      int
	code        int64
	message     string
	messagePart string
}

// checkRejected posts each request and checks its error and that the
// stored counts did not change.
func checkRejected(t *testing.T, s *testServer, path string, tests []badPost) {
	t.Helper()
	project, unmapped := s.storedCounts(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []requestOption
			if tt.contentType != "" {
				opts = append(opts, withHeader("Content-Type", tt.contentType))
			}
			r := s.send(t, http.MethodPost, path, tt.body, opts...)

			if tt.messagePart == "" {
				checkError(t, r, tt.status, tt.code, tt.message)
			} else {
				checkStatus(t, r, tt.status)
				if msg := errorMessage(r); !strings.Contains(msg, tt.messagePart) {
					t.Errorf("message = %q, want it to contain %q", msg, tt.messagePart)
				}
			}

			gotProject, gotUnmapped := s.storedCounts(t)
			if gotProject != project {
				t.Errorf("events of project sockshop: %d after the rejected request, want %d", gotProject, project)
			}
			if gotUnmapped != unmapped {
				t.Errorf("events without project: %d after the rejected request, want %d", gotUnmapped, unmapped)
			}
		})
	}
}

func TestDatastorePostRejected(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)
	base := examples["04"].event
	fresh := map[string]any{"id": "d9e8f7a6-b5c4-4d3e-8f2a-1b0c9d8e7f65"}

	withFresh := func(changes map[string]any) string {
		for k, v := range fresh {
			if _, ok := changes[k]; !ok {
				changes[k] = v
			}
		}
		return string(withChanges(t, base, changes))
	}

	tests := []badPost{
		{name: "missing type", body: withFresh(map[string]any{"type": nil}),
			status: 422, code: 602, message: "type in body is required"},
		{name: "missing source", body: withFresh(map[string]any{"source": nil}),
			status: 422, code: 602, message: "source in body is required"},
		{name: "empty type", body: withFresh(map[string]any{"type": ""}),
			status: 422, code: 604, message: "type in body should be at least 1 chars long"},
		{name: "empty source", body: withFresh(map[string]any{"source": ""}),
			status: 422, code: 604, message: "source in body should be at least 1 chars long"},
		{name: "unparsable time", body: withFresh(map[string]any{"time": "yesterday"}),
			status: 400, messagePart: "yesterday"},
		{name: "time after 2262", body: withFresh(map[string]any{"time": "3000-01-01T00:00:00Z"}),
			status: 400, code: 400, message: `invalid time "3000-01-01T00:00:00Z": it must lie between the years 1678 and 2262`},
		{name: "time before 1678", body: withFresh(map[string]any{"time": "1600-01-01T00:00:00Z"}),
			status: 400, code: 400, message: `invalid time "1600-01-01T00:00:00Z": it must lie between the years 1678 and 2262`},
		{name: "malformed JSON", body: `{"type":"sh.keptn.events.deployment-finished","source":"helm-service","data":{"project":"sockshop"}`,
			status: 400, messagePart: `parsing body body from "" failed, because `},
		{name: "array body", body: `[` + withFresh(map[string]any{}) + `]`,
			status: 400, messagePart: `parsing body body from "" failed, because `},
		{name: "missing body", body: "",
			status: 422, code: 602, message: "body in body is required"},
		// go-swagger decodes null as an empty event, so the first required
		// member is reported.
		{name: "null body", body: "null",
			status: 422, messagePart: " in body is required"},
		{name: "text/plain", body: withFresh(map[string]any{}), contentType: "text/plain",
			status: 415, code: 415, messagePart: `unsupported media type "text/plain"`},
	}
	checkRejected(t, s, datastoreEvents, tests)
}

func TestAPIPostEventRejected(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)
	base := examples["03"].event

	change := func(changes map[string]any) string {
		return string(withChanges(t, base, changes))
	}

	tests := []badPost{
		{name: "data string", body: change(map[string]any{"data": "sockshop"}),
			status: 400, code: 400, message: "invalid data: it must be a JSON object, not a JSON string"},
		{name: "data array", body: change(map[string]any{"data": []any{"sockshop"}}),
			status: 400, code: 400, message: "invalid data: it must be a JSON object, not a JSON array"},
		{name: "data number", body: change(map[string]any{"data": 42}),
			status: 400, code: 400, message: "invalid data: it must be a JSON object, not a JSON number"},
		{name: "data boolean", body: change(map[string]any{"data": true}),
			status: 400, code: 400, message: "invalid data: it must be a JSON object, not a JSON boolean"},
		// A null data gets the same answer as a missing one.
		{name: "data null", body: `{"type":"sh.keptn.event.configuration.change","source":"https://ci.example.com","data":null}`,
			status: 422, code: 602, message: "data in body is required"},
		{name: "missing data", body: change(map[string]any{"data": nil}),
			status: 422, code: 602, message: "data in body is required"},
		{name: "missing body", body: "",
			status: 422, code: 602, message: "body in body is required"},
		{name: "missing type", body: change(map[string]any{"type": nil}),
			status: 422, code: 602, message: "type in body is required"},
		{name: "missing source", body: change(map[string]any{"source": nil}),
			status: 422, code: 602, message: "source in body is required"},
		{name: "empty type", body: change(map[string]any{"type": ""}),
			status: 422, code: 604, message: "type in body should be at least 1 chars long"},
		{name: "empty source", body: change(map[string]any{"source": ""}),
			status: 422, code: 604, message: "source in body should be at least 1 chars long"},
		{name: "malformed JSON", body: `{"type":"sh.keptn.event.configuration.change",`,
			status: 400, messagePart: `parsing body body from "" failed, because `},
		{name: "text/plain", body: change(map[string]any{}), contentType: "text/plain",
			status: 415, code: 415, messagePart: `unsupported media type "text/plain"`},
	}
	checkRejected(t, s, "/api/v1/event", tests)
}

func TestDatastoreQueryRejected(t *testing.T) {
	t.Parallel()

	s := startServer(t, defaultBodyLimit)
	byType := "/api/mongodb-datastore/event/type/sh.keptn.events.evaluation-done"

	tests := []struct {
		name        string
		path        string
		status      int
		code        int64
		message     string
		messagePart string
	}{
		{name: "non-numeric nextPageKey", path: query("project", "sockshop", "nextPageKey", "abc"),
			status: 400, code: 400, message: `invalid nextPageKey "abc": it must be a non-negative decimal offset`},
		{name: "negative nextPageKey", path: query("project", "sockshop", "nextPageKey", "-5"),
			status: 400, code: 400, message: `invalid nextPageKey "-5": it must be a non-negative decimal offset`},
		{name: "invalid fromTime", path: query("project", "sockshop", "fromTime", "yesterday"),
			status: 400, code: 400, message: `invalid fromTime "yesterday": it must be an RFC 3339 time such as 2020-11-16T09:00:00.000Z`},
		{name: "by type without filter", path: byType,
			status: 422, code: 602, message: "filter in query is required"},
		{name: "by type with empty filter", path: byType + "?filter=",
			status: 422, code: 602, message: "filter in query is required"},
		{name: "filter without project or context", path: byType + "?filter=" + url.QueryEscape("data.stage:hardening"),
			status: 400, code: 400, message: `invalid filter "data.stage:hardening": it must contain data.project or a single shkeptncontext`},
		{name: "filter with two projects", path: byType + "?filter=" + url.QueryEscape("data.project:sockshop,orders"),
			status: 400, messagePart: `"data.project:sockshop,orders"`},
		{name: "filter with unknown field", path: byType + "?filter=" + url.QueryEscape("data.project:sockshop AND stage:dev"),
			status: 400, messagePart: `"stage"`},
		{name: "by type with invalid fromTime", path: byType + "?fromTime=yesterday&filter=" + url.QueryEscape("data.project:sockshop"),
			status: 400, code: 400, message: `invalid fromTime "yesterday": it must be an RFC 3339 time such as 2020-11-16T09:00:00.000Z`},
		{name: "limit 0", path: byType + "?limit=0&filter=" + url.QueryEscape("data.project:sockshop"),
			status: 422, code: 609, message: "limit in query should be greater than or equal to 1"},
		{name: "limit 101", path: byType + "?limit=101&filter=" + url.QueryEscape("data.project:sockshop"),
			status: 422, code: 608, message: "limit in query should be less than or equal to 100"},
		{name: "excludeInvalidated not a boolean", path: byType + "?excludeInvalidated=maybe&filter=" + url.QueryEscape("data.project:sockshop"),
			status: 422, code: 601, message: `excludeInvalidated in query must be of type bool: "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, http.MethodGet, tt.path, "")
			if tt.messagePart == "" {
				checkError(t, r, tt.status, tt.code, tt.message)
				return
			}
			checkStatus(t, r, tt.status)
			if msg := errorMessage(r); !strings.Contains(msg, tt.messagePart) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.messagePart)
			}
		})
	}
}
