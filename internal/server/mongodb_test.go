package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/keptn-api/keptn-api/internal/server"
	"github.com/keptn-api/keptn-api/internal/testmongo"
	"github.com/keptn-api/keptn-api/store/mongodb"
)

// startMongoServer starts a server on a database of the MongoDB-wire server
// at url. With wait, it returns once the store is ready; without, the
// server starts whatever the state of the database.
func startMongoServer(t *testing.T, url, database string, wait bool) *testServer {
	t.Helper()
	s, err := mongodb.Open(url, mongodb.Options{Database: database, MaxRetryDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("mongodb.Open: %v", err)
	}
	if wait {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.WaitReady(ctx); err != nil {
			s.Close()
			t.Fatalf("WaitReady: %v", err)
		}
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	srv, stop, err := newServerWith(t.TempDir(), s, s.Close, server.Config{MaxBodyBytes: defaultBodyLimit, Log: log})
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// legacyTime formats an event time as the Keptn 0.7 datastore stored it.
func legacyTime(t *testing.T, s string) string {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC().Format(storedTimeLayout)
}

// TestMongoKeptn07Layout writes the example events and a project view as
// the Keptn 0.7 services stored them, straight into a database, and reads
// them through the API.
func TestMongoKeptn07Layout(t *testing.T) {
	if backend.mongoURL == "" {
		t.Skip("needs a MongoDB-wire backend")
	}
	database := testmongo.NewDatabase(t, backend.mongoURL)
	db := testmongo.Client(t, backend.mongoURL).Database(database)
	ctx := context.Background()
	examples := loadExamples(t)

	// The datastore kept only these attributes, with the time at
	// millisecond precision, and the first stored event of each context
	// as its root.
	legacyAttributes := []string{"contenttype", "data", "extensions", "id", "source", "specversion", "time", "type", "shkeptncontext", "triggeredid"}
	roots := map[string]bool{}
	for _, name := range []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"} {
		event := examples[name].event
		doc := bson.M{}
		for _, key := range legacyAttributes {
			if v, ok := event[key]; ok {
				doc[key] = v
			}
		}
		doc["time"] = legacyTime(t, event["time"].(string))
		insertLegacy(t, db.Collection("sockshop"), doc)
		ctxID := event["shkeptncontext"].(string)
		if !roots[ctxID] {
			roots[ctxID] = true
			insertLegacy(t, db.Collection("sockshop-rootEvents"), doc)
			insertLegacy(t, db.Collection("contextToProject"), bson.M{"_id": ctxID, "projectName": "sockshop"})
		}
		if strings.HasSuffix(event["type"].(string), ".invalidated") {
			insertLegacy(t, db.Collection("sockshop-invalidatedEvents"), doc)
		}
	}
	// FerretDB v1 refuses '.' in keys, so there the backend escapes the
	// event types that key lastEventTypes, and so does this test.
	viewJSON := legacyProjectView
	if backend.name == "ferretdb" {
		viewJSON = strings.ReplaceAll(viewJSON, `"sh.keptn.events.deployment-finished"`, `"sh%2Ekeptn%2Eevents%2Edeployment-finished"`)
	}
	var view bson.M
	if err := bson.UnmarshalExtJSON([]byte(viewJSON), false, &view); err != nil {
		t.Fatal(err)
	}
	insertLegacy(t, db.Collection("keptnProjectsMV"), view)

	s := startMongoServer(t, backend.mongoURL, database, true)

	page := s.getEvents(t, query("project", "sockshop", "pageSize", "100"))
	if len(page.Events) != len(newestFirst) {
		t.Fatalf("GET project events: %d events, want %d", len(page.Events), len(newestFirst))
	}
	for i, name := range newestFirst {
		checkEvent(t, page.Events[i], expectedStored(t, examples[name].event))
	}
	page = s.getEvents(t, query("keptnContext", contextDelivery, "pageSize", "100"))
	if len(page.Events) != 7 {
		t.Errorf("GET by keptnContext: %d events, want 7", len(page.Events))
	}
	page = s.getEvents(t, query("project", "sockshop", "root", "true"))
	if len(page.Events) != len(roots) {
		t.Errorf("GET root events: %d events, want %d", len(page.Events), len(roots))
	}
	// 11 invalidates the evaluation 07, which leaves no evaluation-done.
	byType := s.getEvents(t, "/api/mongodb-datastore/event/type/sh.keptn.events.evaluation-done?filter=data.project:sockshop&excludeInvalidated=true")
	if len(byType.Events) != 0 {
		t.Errorf("evaluation-done events with excludeInvalidated: %d, want 0", len(byType.Events))
	}

	r := s.send(t, http.MethodGet, configBase+"/project/sockshop", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET project: status %d; body %s", r.status, r.body)
	}
	var got, want map[string]any
	json.Unmarshal(r.body, &got)
	json.Unmarshal([]byte(legacyProjectView), &want)
	delete(want, "_id")
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("GET project:\n got %s\nwant %s", g, w)
	}

	// A new event goes to the same collections under the same names.
	s.postEvent(t, []byte(`{"type":"sh.keptn.event.tests.triggered","source":"t","specversion":"0.2","id":"new-1",
		"shkeptncontext":"`+contextDelivery+`","data":{"project":"sockshop","stage":"dev"}}`))
	stored, err := db.Collection("sockshop").FindOne(ctx, bson.M{"id": "new-1"}).Raw()
	if err != nil {
		t.Fatalf("find the new event in collection sockshop: %v", err)
	}
	for _, key := range []string{"type", "source", "specversion", "shkeptncontext", "time", "data"} {
		if _, err := stored.LookupErr(key); err != nil {
			t.Errorf("new event document lacks %q: %s", key, stored)
		}
	}
	if project, _ := stored.Lookup("data", "project").StringValueOK(); project != "sockshop" {
		t.Errorf("data.project of the new document = %q, want sockshop", project)
	}
	root, err := db.Collection("sockshop-rootEvents").FindOne(ctx, bson.M{"shkeptncontext": contextDelivery}).Raw()
	if err != nil {
		t.Fatalf("find the root event of %s: %v", contextDelivery, err)
	}
	if id, _ := root.Lookup("id").StringValueOK(); id != examples["03"].id() {
		t.Errorf("root event of %s = %q, want the stored root %s", contextDelivery, id, examples["03"].id())
	}
}

func insertLegacy(t *testing.T, c *mongo.Collection, doc any) {
	t.Helper()
	if _, err := c.InsertOne(context.Background(), doc); err != nil {
		t.Fatalf("insert into %s: %v", c.Name(), err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// legacyProjectView is a keptnProjectsMV document as the Keptn 0.7
// configuration-service wrote it.
const legacyProjectView = `{
  "projectName": "sockshop",
  "gitUser": "keptn-bot",
  "gitRemoteURI": "https://git.example.com/acme/sockshop-config.git",
  "creationDate": "1605517331482731904",
  "stages": [
    {
      "stageName": "hardening",
      "services": [
        {
          "serviceName": "carts",
          "creationDate": "1605517547201958337",
          "deployedImage": "docker.io/keptnexamples/carts:0.12.1",
          "lastEventTypes": {
            "sh.keptn.events.deployment-finished": {
              "eventId": "d2a7f5c9-8e4b-4a16-b0d3-7c1e9f5a2b68",
              "keptnContext": "5b0f3c1e-7a2d-4e89-b6c4-91d2e8f07a13",
              "time": "1605518493911275310"
            }
          },
          "openApprovals": null,
          "openRemediations": null
        }
      ]
    }
  ]
}`

// TestMongoUnavailable starts the server while its database is down, then
// stops and restarts the database between requests: requests meanwhile get
// 503 in the error shape, and nothing acknowledged is lost.
func TestMongoUnavailable(t *testing.T) {
	if backend.name != "ferretdb" {
		t.Skip("stops and starts a FerretDB of its own; runs in the FerretDB pass")
	}
	db := testmongo.Reserve(t)
	// Requests fail after half a second rather than the default 5 s.
	url := db.URL() + "&serverSelectionTimeoutMS=500"
	s := startMongoServer(t, url, "keptn", false)

	expect503 := func(method, path, body string) {
		t.Helper()
		r := s.send(t, method, path, body)
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("%s %s while the database is down: status %d, want 503; body %s", method, path, r.status, r.body)
		}
		var e struct {
			Code    int64  `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(r.body, &e); err != nil || e.Code != 503 || !strings.Contains(e.Message, "database is unavailable") {
			t.Fatalf("%s %s: body %s, want {\"code\":503,\"message\":\"the database is unavailable...\"}", method, path, r.body)
		}
	}
	event := func(id string) string {
		return `{"type":"sh.keptn.event.tests.triggered","source":"t","specversion":"0.2","id":"` + id +
			`","shkeptncontext":"ctx-1","data":{"project":"sockshop"}}`
	}

	// Down at start.
	expect503(http.MethodGet, query("project", "sockshop"), "")
	expect503(http.MethodPost, datastoreEvents, event("before-start"))
	expect503(http.MethodGet, configBase+"/project", "")

	db.Restart(t)
	waitAvailable(t, s)
	s.postEvent(t, []byte(event("first")))

	// Down between two requests of open client connections.
	db.Stop()
	expect503(http.MethodPost, datastoreEvents, event("second"))
	expect503(http.MethodGet, query("project", "sockshop"), "")

	db.Restart(t)
	waitAvailable(t, s)
	// The sender retries the event that got a 503.
	s.postEvent(t, []byte(event("second")))
	page := s.getEvents(t, query("project", "sockshop"))
	var ids []string
	for _, ev := range page.Events {
		ids = append(ids, ev["id"].(string))
	}
	if got := strings.Join(ids, ","); got != "second,first" && got != "first,second" {
		t.Errorf("stored events after recovery = %s, want first and second", got)
	}
}

// waitAvailable polls until the datastore returns 200.
func waitAvailable(t *testing.T, s *testServer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.send(t, http.MethodGet, query("project", "sockshop"), "")
		if r.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the datastore did not recover within 30 s: status %d, body %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
