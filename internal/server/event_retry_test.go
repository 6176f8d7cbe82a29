package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/server"
	"github.com/keptn-api/keptn-api/store"
)

// TestRetryOfStoredEventUpdatesView stores an event without the view
// update that follows it, as when the server fails between the two, and
// checks that the client's retry of the event updates the view.
func TestRetryOfStoredEventUpdatesView(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	events, closeEvents, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, stop, err := newServerWith(dir, events, closeEvents, server.Config{MaxBodyBytes: defaultBodyLimit, Log: quietLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	reportBackend(t)
	s := &configServer{testServer: srv, dir: dir}
	const p = "retries"
	s.createProject(t, p, "dev")
	s.createService(t, p, "carts", "dev")

	post := func(id, eventType, data string) (body string, ev store.Event) {
		body = `{"type":"` + eventType + `","source":"t","specversion":"0.2","id":"` + id +
			`","time":"2020-11-16T09:05:00.000Z","shkeptncontext":"ctx-` + id + `","data":` + data + `}`
		ev = store.Event{ID: id, Type: eventType, Source: "t", SpecVersion: "0.2", KeptnContext: "ctx-" + id,
			Time: time.Date(2020, 11, 16, 9, 5, 0, 0, time.UTC), Data: json.RawMessage(data),
			Project: p, Stage: "dev", Service: "carts"}
		return body, ev
	}
	deployed, deployedEv := post("d-1", "sh.keptn.events.deployment-finished",
		`{"project":"retries","stage":"dev","service":"carts","image":"carts","tag":"0.1.0"}`)
	approval, approvalEv := post("a-1", "sh.keptn.event.approval.triggered",
		`{"project":"retries","stage":"dev","service":"carts","image":"carts","tag":"0.1.0"}`)
	for _, ev := range []store.Event{deployedEv, approvalEv} {
		if err := events.InsertEvent(context.Background(), ev); err != nil {
			t.Fatalf("insert %s: %v", ev.ID, err)
		}
	}

	// For a stored event the datastore returns 201 and the configuration
	// service 200. Either way the view now has the event.
	r := s.send(t, http.MethodPost, datastoreEvents, deployed)
	checkStatus(t, r, http.StatusCreated)
	r = s.send(t, http.MethodPost, configBase+"/event", approval)
	checkStatus(t, r, http.StatusOK)
	r = s.send(t, http.MethodPost, configBase+"/event", approval)
	checkStatus(t, r, http.StatusOK)

	svc := s.getService(t, p, "dev", "carts")
	if svc.DeployedImage == nil || *svc.DeployedImage != "carts:0.1.0" {
		t.Errorf("deployedImage after the retry = %v, want carts:0.1.0", deref(svc.DeployedImage))
	}
	for _, eventType := range []string{deployedEv.Type, approvalEv.Type} {
		if _, ok := lastEvent(t, svc, eventType); !ok {
			t.Errorf("lastEventTypes = %v, want %s", svc.LastEventTypes, eventType)
		}
	}
	list, _ := s.listOpen(t, "/project/"+p+"/stage/dev/service/carts/approval", "approvals")
	checkIDs(t, "approvals after two retries", list, "a-1")
}
