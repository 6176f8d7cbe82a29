package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// e2eShipyard is a three-stage shipyard of the Keptn 0.7 format.
const e2eShipyard = `stages:
  - name: dev
    deployment_strategy: direct
    test_strategy: functional
  - name: hardening
    deployment_strategy: blue_green_service
    test_strategy: performance
  - name: production
    deployment_strategy: blue_green_service
    approval_strategy:
      pass: manual
      warning: manual
`

// idleChannel is a keptnContext without log messages, whose listeners wait
// until the server closes their connection.
const idleChannel = "5b0f3c1e-7a2d-4e89-b6c4-91d2e8f07a13"

// eventContext is the response of the api collection's workflow operations.
type eventContext struct {
	KeptnContext string `json:"keptnContext"`
	Token        string `json:"token"`
}

// logMessage is a sh.keptn.events.log message of the log websocket.
type logMessage struct {
	Type         string `json:"type"`
	KeptnContext string `json:"shkeptncontext"`
	Data         struct {
		Message   string `json:"message"`
		Terminate bool   `json:"terminate"`
		LogLevel  string `json:"loglevel"`
	} `json:"data"`
}

// createProject creates a project from e2eShipyard through POST
// /api/v1/project and returns the eventContext of the run.
func createProject(t *testing.T, p *serverProcess, token, name string) eventContext {
	t.Helper()
	body, err := json.Marshal(map[string]string{
		"name":     name,
		"shipyard": base64.StdEncoding.EncodeToString([]byte(e2eShipyard)),
	})
	if err != nil {
		t.Fatal(err)
	}
	status, out := request(t, http.MethodPost, p.endpoint+"/v1/project", token, strings.NewReader(string(body)))
	if status != http.StatusOK {
		t.Fatalf("POST /v1/project: status %d: %s", status, out)
	}
	var ec eventContext
	if err := json.Unmarshal(out, &ec); err != nil {
		t.Fatalf("decode eventContext %s: %v", out, err)
	}
	if ec.KeptnContext == "" || ec.Token == "" {
		t.Fatalf("eventContext lacks keptnContext or token: %s", out)
	}
	return ec
}

// dialLog opens the log websocket as the keptn CLI does: a ws:// URL and
// the eventContext token in the Token header. A channel, the keptnContext to
// follow, makes the connection a listener; without one it is a producer.
func dialLog(ctx context.Context, t *testing.T, p *serverProcess, token, channel string) *websocket.Conn {
	t.Helper()
	url := "ws://" + strings.TrimPrefix(p.endpoint, "http://") + "/websocket"
	header := http.Header{"Token": {token}}
	if channel != "" {
		header.Set("Keptn-Ws-Channel-Id", channel)
	}
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("open the log websocket at %s: %v", url, err)
	}
	return conn
}

// TestProjectCreationLogOnWebsocket creates a project and follows its log
// on the websocket after the POST returned, as the keptn CLI does after
// `keptn create project`: it prints each step and stops at the terminating
// message.
func TestProjectCreationLogOnWebsocket(t *testing.T) {
	token := "websocket-e2e-token"
	p := startServer(t, "--data-dir", t.TempDir(), "--api-token", token)
	ec := createProject(t, p, token, "sockshop")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn := dialLog(ctx, t, p, ec.Token, ec.KeptnContext)
	defer conn.CloseNow()

	var messages []logMessage
	for len(messages) == 0 || !messages[len(messages)-1].Data.Terminate {
		kind, raw, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("log websocket closed before the terminating message: %v; received %+v", err, messages)
		}
		if kind != websocket.MessageText {
			t.Fatalf("log websocket sent a binary message: %x", raw)
		}
		var m logMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("decode log message %s: %v", raw, err)
		}
		messages = append(messages, m)
	}

	want := []string{
		"Creating project sockshop with the stages dev, hardening, production",
		"Stage dev created",
		"Stage hardening created",
		"Stage production created",
		"Shipyard file shipyard.yaml added to project sockshop",
		"Project sockshop created",
	}
	if len(messages) != len(want) {
		t.Fatalf("received %d log messages, want %d: %+v", len(messages), len(want), messages)
	}
	for i, m := range messages {
		if m.Data.Message != want[i] {
			t.Errorf("message %d = %q, want %q", i, m.Data.Message, want[i])
		}
		if m.Type != "sh.keptn.events.log" || m.KeptnContext != ec.KeptnContext || m.Data.LogLevel != "INFO" {
			t.Errorf("message %d has type %q, shkeptncontext %q, loglevel %q; want sh.keptn.events.log, %s, INFO",
				i, m.Type, m.KeptnContext, m.Data.LogLevel, ec.KeptnContext)
		}
		if terminate := i == len(want)-1; m.Data.Terminate != terminate {
			t.Errorf("message %d has terminate %v, want %v", i, m.Data.Terminate, terminate)
		}
	}

	_, _, err := conn.Read(ctx)
	if status := websocket.CloseStatus(err); status != websocket.StatusNormalClosure {
		t.Errorf("read after the terminating message: %v, want a normal closure", err)
	}
}

// TestTermClosesWebsockets stops the server with SIGTERM while a listener
// waits on a channel that has no messages and a producer is connected.
// Websocket connections are hijacked, so http.Server.Shutdown does not wait
// for them; the server must close them with status 1001 and exit.
func TestTermClosesWebsockets(t *testing.T) {
	token := "websocket-term-token"
	p := startServer(t, "--data-dir", t.TempDir(), "--api-token", token, "--shutdown-timeout", "10s")
	ec := createProject(t, p, token, "sockshop")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	listener := dialLog(ctx, t, p, ec.Token, idleChannel)
	defer listener.CloseNow()
	producer := dialLog(ctx, t, p, ec.Token, "")
	defer producer.CloseNow()

	// A client responds to the close handshake only while it reads.
	closed := make(chan error, 2)
	for _, conn := range []*websocket.Conn{listener, producer} {
		go func() {
			_, _, err := conn.Read(ctx)
			closed <- err
		}()
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, p.stderr.String())
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("keptn-api took %v to exit with websockets open, want less than 5 s", took)
	}
	if !strings.Contains(p.stderr.String(), "keptn-api stopped") {
		t.Errorf("no clean stop in the log:\n%s", p.stderr.String())
	}

	for range 2 {
		err := <-closed
		var closeErr websocket.CloseError
		if !errors.As(err, &closeErr) {
			t.Errorf("read after SIGTERM: %v, want a close frame", err)
			continue
		}
		if closeErr.Code != websocket.StatusGoingAway || closeErr.Reason != "keptn-api is shutting down" {
			t.Errorf("close frame after SIGTERM: %d %q, want 1001 \"keptn-api is shutting down\"", closeErr.Code, closeErr.Reason)
		}
	}
}

// TestTermWithStalledWebsocket stops the server while listeners neither read
// nor respond to the close handshake. The server must give up on them when
// the shutdown timeout ends.
func TestTermWithStalledWebsocket(t *testing.T) {
	token := "websocket-stalled-token"
	p := startServer(t, "--data-dir", t.TempDir(), "--api-token", token, "--shutdown-timeout", "1s")
	ec := createProject(t, p, token, "sockshop")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// One listener leaves the log lines of the project creation unread,
	// and the other waits on a channel without messages.
	for _, channel := range []string{ec.KeptnContext, idleChannel} {
		stalled := dialLog(ctx, t, p, ec.Token, channel)
		defer stalled.CloseNow()
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := p.wait(t)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("keptn-api took %v to exit with a shutdown timeout of 1 s, want less than 4 s", took)
	}
	if err == nil {
		t.Errorf("keptn-api exited with status 0, want a failure that names the websocket connection")
	}
	if !strings.Contains(p.stderr.String(), "close the log websocket connections: 2 were open and not all closed in time: context deadline exceeded") {
		t.Errorf("the log does not name the unclosed websocket connection:\n%s", p.stderr.String())
	}
}
