package handlers

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keptn-api/keptn-api/store"
)

// TestStoreErrorsReachClientsWithoutPrefix maps store errors as the git
// and SQLite stores word them: an operation's text replaces a missing
// project, and any other 4xx keeps its facts without the package prefix.
func TestStoreErrorsReachClientsWithoutPrefix(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := httptest.NewRequest(http.MethodGet, "/project/up", nil)
	texts := errTexts{status: http.StatusBadRequest, project: "Project does not exist"}
	cases := []struct {
		name        string
		texts       errTexts
		err         error
		status      int
		wantMessage string
	}{
		{"unknown project with a text", texts, fmt.Errorf("gitrepo: project %q: %w", "up", store.ErrProjectNotFound), http.StatusBadRequest, "Project does not exist"},
		{"missing branch without a text", errTexts{}, fmt.Errorf("gitrepo: project %q: branch %q: %w", "up", "dev", store.ErrNotFound), http.StatusNotFound, `project "up": branch "dev": not found`},
		{"existing branch without a text", errTexts{}, fmt.Errorf("gitrepo: project %q: branch %q: %w", "up", "dev", store.ErrAlreadyExists), http.StatusConflict, `project "up": branch "dev": already exists`},
		{"invalid query", errTexts{}, fmt.Errorf("sqlite: query events: %w: bad filter", store.ErrInvalidQuery), http.StatusBadRequest, "query events: invalid query: bad filter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, message := errorResponse(r, log, tc.texts.translate(tc.err))
			if status != tc.status {
				t.Errorf("status = %d, want %d", status, tc.status)
			}
			if message != tc.wantMessage {
				t.Errorf("message = %q, want %q", message, tc.wantMessage)
			}
			if strings.Contains(message, "gitrepo") || strings.Contains(message, "sqlite") {
				t.Errorf("message %q has a package prefix", message)
			}
		})
	}
}
