package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/internal/logstream"
	apimodels "github.com/keptn-api/keptn-api/models/api"
)

// logServer serves keptn-api's log websocket at <endpoint>/websocket and
// returns the endpoint, the hub and an eventContext for a new keptnContext.
func logServer(t *testing.T) (string, *logstream.Hub, *apimodels.EventContext) {
	t.Helper()
	signer, err := keptn.NewTokenSigner("quickstart-log-token")
	if err != nil {
		t.Fatal(err)
	}
	token, err := signer.Sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hub := logstream.NewHub(slog.New(slog.NewTextHandler(io.Discard, nil)), logstream.Limits{})
	mux := http.NewServeMux()
	mux.Handle("GET /api/websocket", hub.Handler(signer))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	keptnContext := keptn.NewContext()
	return srv.URL + "/api", hub, &apimodels.EventContext{KeptnContext: &keptnContext, Token: &token}
}

func publish(hub *logstream.Hub, keptnContext, level, text string, terminate bool) {
	msg := logstream.NewMessage(keptn.NewEventID(), "quickstart-test", keptnContext, level, text, terminate, time.Now())
	hub.Publish(keptnContext, msg, terminate)
}

func TestFollowLogReturnsErrorLine(t *testing.T) {
	endpoint, hub, ec := logServer(t)
	publish(hub, *ec.KeptnContext, logstream.LevelInfo, "Creating service carts", false)
	publish(hub, *ec.KeptnContext, logstream.LevelError, "helm chart rejected", true)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out strings.Builder
	err := followLog(ctx, endpoint, ec, &out)
	if err == nil || err.Error() != "helm chart rejected" {
		t.Errorf("followLog error = %v, want the ERROR line", err)
	}
	if want := "  INFO Creating service carts\n  ERROR helm chart rejected\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}

func TestFollowLogServerStops(t *testing.T) {
	endpoint, hub, ec := logServer(t)
	publish(hub, *ec.KeptnContext, logstream.LevelInfo, "Creating service carts", false)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	followed := make(chan error, 1)
	var out strings.Builder
	go func() { followed <- followLog(ctx, endpoint, ec, &out) }()

	// The closed hub ends the listener whether it connects before or
	// after Close.
	if err := hub.Close(ctx); err != nil {
		t.Fatalf("close the hub: %v", err)
	}
	err := <-followed
	if err == nil {
		t.Fatal("followLog returned no error after the server closed the websocket")
	}
	if !strings.Contains(err.Error(), "log websocket closed before the workflow finished") {
		t.Errorf("followLog error = %v, want the early close", err)
	}
	if !strings.Contains(err.Error(), "keptn-api is shutting down") {
		t.Errorf("followLog error = %v, want the server's close reason", err)
	}
}
