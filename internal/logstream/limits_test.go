package logstream

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/keptn-api/keptn-api/internal/keptn"
)

// startLimitedHub serves a hub with the given limits and returns its URL and
// a valid eventContext token.
func startLimitedHub(t *testing.T, limits Limits) (url, token string) {
	t.Helper()
	signer, err := keptn.NewTokenSigner("limits-test-token")
	if err != nil {
		t.Fatal(err)
	}
	token, err = signer.Sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(slog.New(slog.NewTextHandler(io.Discard, nil)), limits)
	srv := httptest.NewServer(hub.Handler(signer))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Close()
		if err := hub.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return srv.URL, token
}

func TestConnectionCapRejects(t *testing.T) {
	url, token := startLimitedHub(t, Limits{MaxConnections: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func() (*websocket.Conn, *http.Response, error) {
		header := http.Header{headerToken: {token}, headerChannel: {keptn.NewContext()}}
		return websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	}

	first, _, err := dial()
	if err != nil {
		t.Fatalf("open listener 1: %v", err)
	}
	second, _, err := dial()
	if err != nil {
		t.Fatalf("open listener 2: %v", err)
	}
	defer second.CloseNow()

	_, resp, err := dial()
	if err == nil {
		t.Fatal("listener 3 was accepted beyond the cap of 2")
	}
	if resp == nil {
		t.Fatalf("listener 3: %v, want a 503 response", err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("listener 3: status = %d, want 503", resp.StatusCode)
	}
	if got := resp.Header.Get("Retry-After"); got != busyRetryAfter {
		t.Errorf("Retry-After = %q, want %q", got, busyRetryAfter)
	}
	var body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Errorf("decode the 503 body: %v", err)
	}
	resp.Body.Close()
	if body.Code != http.StatusServiceUnavailable || !strings.Contains(body.Message, "at most 2 may be open") {
		t.Errorf("503 body = %+v, want code 503 and a message naming the cap", body)
	}

	// A closed connection frees its slot once its handler returns.
	first.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		third, _, err := dial()
		if err == nil {
			third.CloseNow()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listener accepted within 5 s after one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestProducerMessageTooBig(t *testing.T) {
	url, token := startLimitedHub(t, Limits{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	producer, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{headerToken: {token}}})
	if err != nil {
		t.Fatalf("open producer: %v", err)
	}
	defer producer.CloseNow()

	text := strings.Repeat("x", maxMessageBytes)
	raw := `{"shkeptncontext":"` + keptn.NewContext() + `","data":{"message":"` + text + `"}}`
	if err := producer.Write(ctx, websocket.MessageText, []byte(raw)); err != nil {
		t.Fatalf("send: %v", err)
	}
	_, _, err = producer.Read(ctx)
	if status := websocket.CloseStatus(err); status != websocket.StatusMessageTooBig {
		t.Errorf("read after a message of %d bytes: %v, want close status 1009", len(raw), err)
	}
}
