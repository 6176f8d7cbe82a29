package logstream

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/keptn-api/keptn-api/internal/keptn"
)

// TestCloseEndsConnections closes the hub with a listener connected, then
// opens another connection, which the closed hub ends at once.
func TestCloseEndsConnections(t *testing.T) {
	signer, err := keptn.NewTokenSigner("close-test-token")
	if err != nil {
		t.Fatal(err)
	}
	token, err := signer.Sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(slog.New(slog.NewTextHandler(io.Discard, nil)), Limits{})
	srv := httptest.NewServer(hub.Handler(signer))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func() *websocket.Conn {
		t.Helper()
		header := http.Header{headerToken: {token}, headerChannel: {keptn.NewContext()}}
		conn, _, err := websocket.Dial(ctx, srv.URL, &websocket.DialOptions{HTTPHeader: header})
		if err != nil {
			t.Fatalf("open a listener: %v", err)
		}
		return conn
	}
	checkGoingAway := func(conn *websocket.Conn) {
		t.Helper()
		_, _, err := conn.Read(ctx)
		var closeErr websocket.CloseError
		if !errors.As(err, &closeErr) || closeErr.Code != websocket.StatusGoingAway || closeErr.Reason != shutdownReason {
			t.Errorf("read: %v, want close status 1001 with reason %q", err, shutdownReason)
		}
	}

	before := dial()
	defer before.CloseNow()
	// The server registers a connection after the handshake that Dial
	// waits for, so the test waits until it is registered.
	for deadline := time.Now().Add(5 * time.Second); openConnections(hub) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the listener was not registered within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		checkGoingAway(before)
	}()
	if err := hub.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	<-read

	after := dial()
	defer after.CloseNow()
	checkGoingAway(after)
}

func openConnections(h *Hub) int {
	h.conns.mu.Lock()
	defer h.conns.mu.Unlock()
	return len(h.conns.open)
}
