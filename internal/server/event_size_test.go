package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestEventNestedArrays checks that data with arrays inside arrays is
// stored and read back unchanged on every backend.
func TestEventNestedArrays(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	reportBackend(t)
	s.postEvent(t, []byte(`{"type":"sh.keptn.event.tests.triggered","source":"t","specversion":"0.2","id":"nested-1",
		"shkeptncontext":"ctx-nested","data":{"project":"nested","m":[[1,2],[3,["x"]]],"n":[]}}`))
	page := s.getEvents(t, query("project", "nested"))
	if len(page.Events) != 1 {
		t.Fatalf("events of project nested: %d, want 1", len(page.Events))
	}
	if got, want := compactJSON(page.Events[0]["data"]), `{"m":[[1,2],[3,["x"]]],"n":[],"project":"nested"}`; got != want {
		t.Errorf("data = %s, want %s", got, want)
	}
}

// TestEventTooLarge checks that an event over the document limit of the
// MongoDB backend gets a 413 naming the limit, and that SQLite stores it.
func TestEventTooLarge(t *testing.T) {
	t.Parallel()
	s := startConfigServerWith(t, 32<<20, quietLog(t))
	body := `{"type":"sh.keptn.event.tests.triggered","source":"t","specversion":"0.2","id":"large-1",
		"shkeptncontext":"ctx-large","data":{"project":"large","blob":"` + strings.Repeat("a", 9<<20) + `"}}`
	r := s.send(t, http.MethodPost, datastoreEvents, body)
	if backend.mongoURL == "" {
		checkStatus(t, r, http.StatusCreated)
		return
	}
	checkStatus(t, r, http.StatusRequestEntityTooLarge)
	if msg := errorMessage(r); !strings.Contains(msg, "limit of 16777216 bytes (16 MiB) per document") {
		t.Errorf("message = %q, want it to name the 16 MiB limit", msg)
	}
	if n := s.totalCount(t, query("project", "large")); n != 0 {
		t.Errorf("events of project large after the 413: %d, want 0", n)
	}
}
