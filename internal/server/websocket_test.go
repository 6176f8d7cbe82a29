package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/keptn-api/keptn-api/internal/keptn"
)

func TestWebsocketRejectsTokens(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)

	other, err := keptn.NewTokenSigner("another-api-token")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.Sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	own, err := keptn.NewTokenSigner(testToken)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := own.Sign(time.Now().Add(-keptn.TokenLifetime - time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, token string }{
		{"missing", ""},
		{"not a JWT", "abc"},
		{"the API token", testToken},
		{"signed with another key", foreign},
		{"expired", expired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, resp, err := s.dialLog(ctx, tt.token, "5b0f3c1e-7a2d-4e89-b6c4-91d2e8f07a13")
			if err == nil {
				conn.CloseNow()
				t.Fatal("the websocket opened, want a 401")
			}
			if resp == nil {
				t.Fatalf("dial failed without a response: %v", err)
			}
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", resp.StatusCode)
			}
			if body, _ := io.ReadAll(resp.Body); len(body) != 0 {
				t.Errorf("body = %q, want none", body)
			}
		})
	}
}

func TestWebsocketWithoutUpgrade(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	signer, err := keptn.NewTokenSigner(testToken)
	if err != nil {
		t.Fatal(err)
	}
	token, err := signer.Sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}

	r := s.send(t, http.MethodGet, "/api/websocket", "", withoutToken(), withHeader("Token", token))
	checkError(t, r, http.StatusBadRequest, http.StatusBadRequest,
		"invalid request: /api/websocket expects a websocket upgrade (Connection: Upgrade, Upgrade: websocket)")
}

// TestWebsocketProducerAndListener routes the messages of a producer
// connection to listeners: those sent before a listener connects are kept
// for it, later ones arrive as they are sent, and the terminating message
// ends the listener's connection.
func TestWebsocketProducerAndListener(t *testing.T) {
	t.Parallel()
	s := sharedServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Any eventContext token opens any channel, as in Keptn 0.7.
	ec := s.postAPIEvent(t, `{"type":"sh.keptn.event.configuration.change","source":"ci","data":{"project":"ws"}}`)
	channel := keptn.NewContext()

	producer, _, err := s.dialLog(ctx, *ec.Token, "")
	if err != nil {
		t.Fatalf("open producer: %v", err)
	}
	defer producer.CloseNow()
	send := func(text string, terminate bool) {
		t.Helper()
		msg := map[string]any{
			"type": "sh.keptn.events.log", "shkeptncontext": channel,
			"data": map[string]any{"message": text, "terminate": terminate, "loglevel": "INFO"},
		}
		raw, err := json.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := producer.Write(ctx, websocket.MessageText, raw); err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
	}
	send("deploying carts", false)
	send("carts deployed", false)

	var pings atomic.Int64
	header := http.Header{"Token": {*ec.Token}, "Keptn-Ws-Channel-Id": {channel}}
	listener, _, err := websocket.Dial(ctx, s.websocketURL(), &websocket.DialOptions{
		HTTPHeader: header,
		OnPingReceived: func(context.Context, []byte) bool {
			pings.Add(1)
			return true
		},
	})
	if err != nil {
		t.Fatalf("open listener: %v", err)
	}
	defer listener.CloseNow()

	read := func() logMessage {
		t.Helper()
		_, raw, err := listener.Read(ctx)
		if err != nil {
			t.Fatalf("listener read: %v", err)
		}
		var m logMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		return m
	}
	for _, want := range []string{"deploying carts", "carts deployed"} {
		if m := read(); m.Data.Message != want || m.KeptnContext != channel {
			t.Errorf("message = %q in %s, want %q in %s", m.Data.Message, m.KeptnContext, want, channel)
		}
	}

	// The server pings a waiting listener every 2.7 seconds. The client
	// handles pings only inside Read, so a read runs while the test waits.
	received := make(chan logMessage, 1)
	go func() {
		_, raw, err := listener.Read(ctx)
		var m logMessage
		if err == nil {
			err = json.Unmarshal(raw, &m)
		}
		if err != nil {
			m.Data.Message = "read failed: " + err.Error()
		}
		received <- m
	}()
	deadline := time.Now().Add(6 * time.Second)
	for pings.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if pings.Load() == 0 {
		t.Error("no ping within 6 seconds")
	}

	send("finished", true)
	if m := <-received; m.Data.Message != "finished" || !m.Data.Terminate {
		t.Errorf("last message = %+v, want the terminating message", m.Data)
	}
	_, _, err = listener.Read(ctx)
	if status := websocket.CloseStatus(err); status != websocket.StatusNormalClosure {
		t.Errorf("read after the terminating message: %v, want a normal closure", err)
	}

	// A message without a keptnContext closes the producer.
	if err := producer.Write(ctx, websocket.MessageText, []byte(`{"type":"sh.keptn.events.log","data":{"message":"x"}}`)); err != nil {
		t.Fatalf("send message without context: %v", err)
	}
	_, _, err = producer.Read(ctx)
	var closeErr websocket.CloseError
	if status := websocket.CloseStatus(err); status != websocket.StatusInvalidFramePayloadData {
		t.Errorf("producer read after an invalid message: %v, want close status 1007", err)
	} else if !errors.As(err, &closeErr) || !strings.Contains(closeErr.Reason, "shkeptncontext is missing") {
		t.Errorf("close reason = %q, want it to name shkeptncontext", closeErr.Reason)
	}
}
