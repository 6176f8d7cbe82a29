package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/keptn"
)

// eventContextBody is the body of a successful POST /api/v1/event.
type eventContextBody struct {
	KeptnContext *string `json:"keptnContext"`
	Token        *string `json:"token"`
}

// postAPIEvent posts an event to the api collection, expects 200 and
// returns the eventContext.
func (s *testServer) postAPIEvent(t *testing.T, body string) eventContextBody {
	t.Helper()
	r := s.send(t, http.MethodPost, "/api/v1/event", body)
	if r.status != http.StatusOK {
		t.Fatalf("POST /api/v1/event: status = %d, want 200; body: %s", r.status, r.body)
	}
	var ec eventContextBody
	if err := json.Unmarshal(r.body, &ec); err != nil {
		t.Fatalf("decode eventContext: %v; body: %s", err, r.body)
	}
	if ec.KeptnContext == nil || ec.Token == nil {
		t.Fatalf("eventContext lacks keptnContext or token: %s", r.body)
	}
	return ec
}

func TestAPIPostEvent(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	change := examples["03"]

	const triggeredID = "a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6d"
	body := withChanges(t, change.event, map[string]any{"triggeredid": triggeredID})
	before := time.Now().UTC().Truncate(time.Millisecond)
	ec := s.postAPIEvent(t, string(body))
	after := time.Now().UTC()

	if *ec.KeptnContext != contextDelivery {
		t.Errorf("keptnContext = %q, want the posted UUID %q", *ec.KeptnContext, contextDelivery)
	}
	signer, err := keptn.NewTokenSigner(testToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.Verify(*ec.Token); err != nil {
		t.Errorf("token %q: %v", *ec.Token, err)
	}

	page := s.getEvents(t, query("keptnContext", *ec.KeptnContext))
	if len(page.Events) != 1 {
		t.Fatalf("stored events of context %s: %d, want 1", *ec.KeptnContext, len(page.Events))
	}
	stored := page.Events[0]

	if id, _ := stored["id"].(string); id == "" || id == change.id() {
		t.Errorf("id = %v, want a new id other than the posted %s", stored["id"], change.id())
	}
	text, _ := stored["time"].(string)
	storedTime, err := time.Parse(storedTimeLayout, text)
	if err != nil {
		t.Errorf("time %q is not in the layout %s: %v", text, storedTimeLayout, err)
	} else if storedTime.Before(before) || storedTime.After(after) {
		t.Errorf("time = %s, want the server time between %s and %s", text,
			before.Format(storedTimeLayout), after.Format(storedTimeLayout))
	}

	wantMembers := map[string]any{
		"specversion":    "0.2",
		"contenttype":    "application/json",
		"type":           change.event["type"],
		"source":         change.event["source"],
		"shkeptncontext": contextDelivery,
		"triggeredid":    triggeredID,
	}
	for key, want := range wantMembers {
		if got := stored[key]; got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	checkData(t, "posted through the api", stored["data"], expectedStored(t, change.event)["data"])

	for _, key := range []string{"extensions", "datacontenttype"} {
		if v, ok := stored[key]; ok {
			t.Errorf("unexpected member %s = %v", key, v)
		}
	}
}

func TestAPIPostEventContext(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)

	tests := []struct {
		name           string
		shkeptncontext any // nil removes the member
		want           string
	}{
		{"not a UUID", "abc", "61626320-2020-4020-a020-202020202020"},
		{"longer than 16 bytes", "my-build-12345678", "6d792d62-7569-4c64-ad31-323334353637"},
		{"UUID kept verbatim", "5B0F3C1E7A2D4E89B6C491D2E8F07A13", "5B0F3C1E7A2D4E89B6C491D2E8F07A13"},
	}
	s := startServer(t, defaultBodyLimit)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ec := s.postAPIEvent(t, string(withChanges(t, examples["03"].event, map[string]any{"shkeptncontext": tt.shkeptncontext})))
			if *ec.KeptnContext != tt.want {
				t.Errorf("keptnContext = %q, want %q", *ec.KeptnContext, tt.want)
			}
			page := s.getEvents(t, query("keptnContext", tt.want))
			if len(page.Events) != 1 {
				t.Fatalf("stored events of context %s: %d, want 1", tt.want, len(page.Events))
			}
			if got := page.Events[0]["shkeptncontext"]; got != tt.want {
				t.Errorf("stored shkeptncontext = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("same input same context", func(t *testing.T) {
		first := s.postAPIEvent(t, string(withChanges(t, examples["03"].event, map[string]any{"shkeptncontext": "abc"})))
		second := s.postAPIEvent(t, string(withChanges(t, examples["03"].event, map[string]any{"shkeptncontext": "abc"})))
		if *first.KeptnContext != *second.KeptnContext {
			t.Errorf("keptnContexts differ: %q and %q", *first.KeptnContext, *second.KeptnContext)
		}
	})

	t.Run("missing gets a new UUID", func(t *testing.T) {
		first := s.postAPIEvent(t, string(withChanges(t, examples["03"].event, map[string]any{"shkeptncontext": nil})))
		second := s.postAPIEvent(t, string(withChanges(t, examples["03"].event, map[string]any{"shkeptncontext": ""})))
		for _, ec := range []eventContextBody{first, second} {
			if !isUUID(*ec.KeptnContext) {
				t.Errorf("keptnContext = %q, want a UUID", *ec.KeptnContext)
			}
		}
		if *first.KeptnContext == *second.KeptnContext {
			t.Errorf("two events without shkeptncontext share the keptnContext %q", *first.KeptnContext)
		}
	})
}

// isUUID reports whether s has the canonical 8-4-4-4-12 hexadecimal form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func TestAPIGetEvent(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)

	// An earlier deployment of the same context, stored after the newer one.
	const olderID = "c3e5a7b9-1d2f-4a6c-8e0b-2d4f6a8c0e13"
	s.postEvent(t, withChanges(t, examples["04"].event, map[string]any{"id": olderID, "time": "2020-11-16T09:18:00.000Z"}))

	getEvent := func(keptnContext, eventType string) string {
		v := url.Values{}
		v.Set("keptnContext", keptnContext)
		v.Set("type", eventType)
		return "/api/v1/event?" + v.Encode()
	}

	t.Run("newest of the type", func(t *testing.T) {
		r := s.send(t, http.MethodGet, getEvent(contextDelivery, "sh.keptn.events.deployment-finished"), "")
		if !checkStatus(t, r, http.StatusOK) {
			return
		}
		checkEvent(t, decodeObject(t, r), expectedStored(t, examples["04"].event))
	})

	t.Run("as stored", func(t *testing.T) {
		r := s.send(t, http.MethodGet, getEvent(contextDelivery, "sh.keptn.event.approval.finished"), "")
		if !checkStatus(t, r, http.StatusOK) {
			return
		}
		checkEvent(t, decodeObject(t, r), expectedStored(t, examples["09"].event))
	})

	t.Run("event posted through the api", func(t *testing.T) {
		ec := s.postAPIEvent(t, `{"type":"sh.keptn.event.configuration.change","source":"https://ci.example.com/pipelines/carts",`+
			`"shkeptncontext":"abc","data":{"project":"sockshop","service":"carts","stage":"dev"}}`)
		r := s.send(t, http.MethodGet, getEvent(*ec.KeptnContext, "sh.keptn.event.configuration.change"), "")
		if !checkStatus(t, r, http.StatusOK) {
			return
		}
		got := decodeObject(t, r)
		if got["shkeptncontext"] != *ec.KeptnContext {
			t.Errorf("shkeptncontext = %v, want %v", got["shkeptncontext"], *ec.KeptnContext)
		}
		data, _ := got["data"].(map[string]any)
		if v, ok := data["eventContext"]; !ok || v != nil {
			t.Errorf("data.eventContext = %v (present %v), want null", v, ok)
		}
	})

	notFound := []struct {
		name, context, eventType string
	}{
		{"type not in context", contextEvaluation, "sh.keptn.events.deployment-finished"},
		{"unknown context", "0f2b8d44-31a7-4c1e-9e55-6a7b8c9d0e1f", "sh.keptn.events.deployment-finished"},
		{"unknown type", contextDelivery, "sh.keptn.event.unknown"},
	}
	for _, tt := range notFound {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, http.MethodGet, getEvent(tt.context, tt.eventType), "")
			checkError(t, r, http.StatusNotFound, http.StatusNotFound,
				"No "+tt.eventType+" event found for Keptn context: "+tt.context)
		})
	}

	missing := []struct {
		name, path, message string
	}{
		{"no parameters", "/api/v1/event", "keptnContext in query is required"},
		{"no type", "/api/v1/event?keptnContext=" + contextDelivery, "type in query is required"},
		{"no keptnContext", "/api/v1/event?type=sh.keptn.events.deployment-finished", "keptnContext in query is required"},
		{"empty keptnContext", "/api/v1/event?keptnContext=&type=sh.keptn.events.deployment-finished", "keptnContext in query is required"},
		{"empty type", "/api/v1/event?type=&keptnContext=" + contextDelivery, "type in query is required"},
	}
	for _, tt := range missing {
		t.Run(tt.name, func(t *testing.T) {
			r := s.send(t, http.MethodGet, tt.path, "")
			checkError(t, r, http.StatusUnprocessableEntity, 602, tt.message)
		})
	}

	t.Run("older event still stored", func(t *testing.T) {
		page := s.getEvents(t, query("keptnContext", contextDelivery, "type", "sh.keptn.events.deployment-finished"))
		want := []string{examples["04"].id(), olderID}
		if got := eventIDs(page.Events); !reflect.DeepEqual(got, want) {
			t.Errorf("event ids = %v, want %v", got, want)
		}
	})
}
