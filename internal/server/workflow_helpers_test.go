package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// apiBase is the public base path of the api collection.
const apiBase = "/api/v1"

// eventContext is a decoded eventContext response.
type eventContext struct {
	KeptnContext string `json:"keptnContext"`
	Token        string `json:"token"`
}

// expectContext sends a request to the api collection, expects 200 and
// returns the eventContext.
func (s *testServer) expectContext(t *testing.T, method, path, body string) eventContext {
	t.Helper()
	r := s.send(t, method, apiBase+path, body)
	if r.status != http.StatusOK {
		t.Fatalf("%s %s: status = %d, want 200; body: %s", method, path, r.status, r.body)
	}
	var ec eventContext
	if err := json.Unmarshal(r.body, &ec); err != nil {
		t.Fatalf("%s %s: decode eventContext: %v; body: %s", method, path, err, r.body)
	}
	if !isUUID(ec.KeptnContext) || ec.Token == "" {
		t.Fatalf("%s %s: eventContext = %s, want a UUID keptnContext and a token", method, path, r.body)
	}
	return ec
}

// projectBody is a POST /v1/project body with the shipyard encoded.
func projectBody(t *testing.T, name, shipyard string, git ...string) string {
	t.Helper()
	body := map[string]string{"name": name, "shipyard": base64.StdEncoding.EncodeToString([]byte(shipyard))}
	if len(git) == 3 {
		body["gitUser"], body["gitToken"], body["gitRemoteURL"] = git[0], git[1], git[2]
	}
	return jsonBody(t, body)
}

// threeStages is the shipyard of the Keptn 0.7 sockshop tutorial.
const threeStages = `stages:
  - name: "dev"
    deployment_strategy: "direct"
    test_strategy: "functional"
  - name: "hardening"
    deployment_strategy: "blue_green_service"
    test_strategy: "performance"
    approval_strategy:
      pass: "automatic"
      warning: "manual"
  - name: "production"
    deployment_strategy: "blue_green_service"
    approval_strategy:
      pass: "manual"
      warning: "manual"
    remediation_strategy: "automated"
`

// logMessage is a message of the log websocket.
type logMessage struct {
	Type         string `json:"type"`
	KeptnContext string `json:"shkeptncontext"`
	Data         struct {
		Message   string `json:"message"`
		Terminate bool   `json:"terminate"`
		LogLevel  string `json:"loglevel"`
	} `json:"data"`
}

// websocketURL is the log websocket of a server.
func (s *testServer) websocketURL() string {
	return "ws" + strings.TrimPrefix(s.url, "http") + "/api/websocket"
}

// dialLog opens the log websocket as the keptn CLI does: with the token and,
// for a listener, the channel id, and without x-token.
func (s *testServer) dialLog(ctx context.Context, token, channel string) (*websocket.Conn, *http.Response, error) {
	header := http.Header{}
	header.Set("Token", token)
	if channel != "" {
		header.Set("Keptn-Ws-Channel-Id", channel)
	}
	return websocket.Dial(ctx, s.websocketURL(), &websocket.DialOptions{HTTPHeader: header})
}

// followLog listens on the log websocket of an eventContext and returns the
// messages up to the terminating one. It fails when the server closes the
// connection before that, or after ten seconds.
func (s *testServer) followLog(t *testing.T, ec eventContext) []logMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := s.dialLog(ctx, ec.Token, ec.KeptnContext)
	if err != nil {
		t.Fatalf("open the log websocket: %v", err)
	}
	defer conn.CloseNow()

	var messages []logMessage
	for {
		kind, raw, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("log websocket closed before the terminating message: %v; received %v", err, messageTexts(messages))
		}
		if kind != websocket.MessageText {
			t.Fatalf("log websocket sent a binary message")
		}
		var m logMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("decode log message %s: %v", raw, err)
		}
		messages = append(messages, m)
		if m.Data.Terminate {
			break
		}
	}

	// After the terminating message the server closes normally.
	_, _, err = conn.Read(ctx)
	if status := websocket.CloseStatus(err); status != websocket.StatusNormalClosure {
		t.Errorf("read after the terminating message: %v, want a normal closure", err)
	}
	return messages
}

func messageTexts(messages []logMessage) []string {
	texts := make([]string, len(messages))
	for i, m := range messages {
		texts[i] = m.Data.Message
	}
	return texts
}

// checkLog checks that every message is a log message of the context, that
// only the last one terminates, and that the texts are want in order.
func checkLog(t *testing.T, messages []logMessage, ec eventContext, want ...string) {
	t.Helper()
	for i, m := range messages {
		if m.Type != "sh.keptn.events.log" {
			t.Errorf("message %d: type = %q, want sh.keptn.events.log", i, m.Type)
		}
		if m.KeptnContext != ec.KeptnContext {
			t.Errorf("message %d: shkeptncontext = %q, want %q", i, m.KeptnContext, ec.KeptnContext)
		}
		if m.Data.LogLevel != "INFO" {
			t.Errorf("message %d: loglevel = %q, want INFO", i, m.Data.LogLevel)
		}
		if last := i == len(messages)-1; m.Data.Terminate != last {
			t.Errorf("message %d: terminate = %v, want %v", i, m.Data.Terminate, last)
		}
	}
	if got := messageTexts(messages); !slices.Equal(got, want) {
		t.Errorf("log messages =\n\t%q\nwant\n\t%q", got, want)
	}
}

// eventTypes returns the types of the events stored under a keptnContext,
// sorted.
func (s *testServer) eventTypes(t *testing.T, keptnContext string) []string {
	t.Helper()
	page := s.getEvents(t, query("keptnContext", keptnContext, "pageSize", "100"))
	types := []string{}
	for _, ev := range page.Events {
		typ, _ := ev["type"].(string)
		types = append(types, typ)
	}
	slices.Sort(types)
	return types
}

// eventOfType returns the one stored event of a type under a keptnContext.
func (s *testServer) eventOfType(t *testing.T, keptnContext, eventType string) map[string]any {
	t.Helper()
	page := s.getEvents(t, query("keptnContext", keptnContext, "type", eventType))
	if len(page.Events) != 1 {
		t.Fatalf("found %d events of type %s in context %s, want 1", len(page.Events), eventType, keptnContext)
	}
	return page.Events[0]
}

// checkOutcome checks the data of a ".finished" event of a workflow.
func checkOutcome(t *testing.T, ev map[string]any, want map[string]any) {
	t.Helper()
	want["result"], want["status"], want["eventContext"] = "pass", "succeeded", nil
	checkData(t, ev["id"].(string), ev["data"], want)
}

// checkGone checks that a path does not exist in the file system.
func checkGone(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after the delete (stat: %v)", path, err)
	}
}
