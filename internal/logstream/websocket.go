package logstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/keptn-api/keptn-api/internal/httpx"
)

// Header names of the Keptn 0.7 log websocket.
const (
	headerToken   = "Token"
	headerChannel = "Keptn-Ws-Channel-Id"
)

// Connection settings. Keptn 0.7 pinged listeners every 2.7 seconds; the keptn
// CLI warns after 90 seconds without a message. A producer's message above
// maxMessageBytes closes its connection with status 1009. The 16 KiB is an
// estimate that leaves room for a log line with a long error text.
const (
	pingInterval    = 2700 * time.Millisecond
	writeTimeout    = 10 * time.Second
	maxMessageBytes = 16 << 10
)

// busyRetryAfter is the Retry-After of the 503 beyond the connection cap, in
// seconds.
const busyRetryAfter = "10"

// shutdownReason is the close reason that Close sends with status 1001.
const shutdownReason = "keptn-api is shutting down"

// connections is the set of open websocket connections, which Close ends.
type connections struct {
	mu     sync.Mutex
	closed bool
	open   map[*websocket.Conn]struct{}
	// active counts the requests between acquire and release, including
	// those still in the handshake.
	active int
	// rejected counts the requests rejected for the cap since
	// lastRejectLog.
	rejected      int
	lastRejectLog time.Time
	// serving counts the handlers that hold a connection of open.
	serving sync.WaitGroup
}

// add registers an accepted connection. It reports false after Close, when
// the caller must close the connection itself.
func (c *connections) add(conn *websocket.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if c.open == nil {
		c.open = map[*websocket.Conn]struct{}{}
	}
	c.open[conn] = struct{}{}
	c.serving.Add(1)
	return true
}

// acquire takes one of limit connection slots. It reports false when all are
// taken; the caller must call release after a true result.
func (c *connections) acquire(limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active >= limit {
		c.rejected++
		return false
	}
	c.active++
	return true
}

func (c *connections) release() {
	c.mu.Lock()
	c.active--
	c.mu.Unlock()
}

// logRejected logs the connections rejected for the cap, at most once per
// interval, so that a flood of connections does not flood the log too.
func (c *connections) logRejected(log *slog.Logger, limit int, now time.Time, interval time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rejected == 0 || now.Sub(c.lastRejectLog) < interval {
		return
	}
	log.Warn("rejected log websocket connections: too many are open", "rejected", c.rejected, "max", limit)
	c.rejected, c.lastRejectLog = 0, now
}

func (c *connections) remove(conn *websocket.Conn) {
	c.mu.Lock()
	delete(c.open, conn)
	c.mu.Unlock()
	c.serving.Done()
}

// Close closes every open websocket connection with status 1001 (going
// away) and waits until their handlers have returned, or until ctx is done.
// A connection accepted later is closed at once. Websocket connections are
// hijacked, so http.Server.Shutdown neither waits for them nor closes them:
// call Close after Shutdown, when no workflow writes log lines any more.
func (h *Hub) Close(ctx context.Context) error {
	h.conns.mu.Lock()
	h.conns.closed = true
	open := slices.Collect(maps.Keys(h.conns.open))
	h.conns.mu.Unlock()

	// In coder/websocket v1.8, Conn.Close waits up to 5 seconds for the
	// client's close frame, so the connections close in parallel.
	var closing sync.WaitGroup
	for _, conn := range open {
		closing.Go(func() { _ = conn.Close(websocket.StatusGoingAway, shutdownReason) })
	}
	done := make(chan struct{})
	go func() {
		closing.Wait()
		h.conns.serving.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close the log websocket connections: %d were open and not all closed in time: %w", len(open), ctx.Err())
	}
}

// TokenVerifier checks the token of an eventContext.
type TokenVerifier interface {
	Verify(token string) error
}

// Handler serves GET /api/websocket. A request must carry a valid
// eventContext token in the Token header, else it gets a 401 with an empty
// body. With a Keptn-Ws-Channel-Id header the connection is a listener of
// that keptnContext. Without one it is a producer, whose text messages are
// JSON objects that go to the listeners of their shkeptncontext.
func (h *Hub) Handler(tokens TokenVerifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := tokens.Verify(r.Header.Get(headerToken)); err != nil {
			h.log.Debug("log websocket rejected", "request_id", httpx.RequestID(r.Context()), "error", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !isUpgrade(r) {
			httpx.WriteError(w, http.StatusBadRequest, "invalid request: /api/websocket expects a websocket upgrade (Connection: Upgrade, Upgrade: websocket)")
			return
		}
		limit := h.limits.MaxConnections
		if !h.conns.acquire(limit) {
			h.conns.logRejected(h.log, limit, h.now(), sweepInterval)
			w.Header().Set("Retry-After", busyRetryAfter)
			httpx.WriteError(w, http.StatusServiceUnavailable, fmt.Sprintf("too many log websocket connections: at most %d may be open at a time; retry later", limit))
			return
		}
		defer h.conns.release()
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			// Accept has written the error response already.
			h.log.Debug("log websocket upgrade failed", "request_id", httpx.RequestID(r.Context()), "error", err)
			return
		}
		if !h.conns.add(conn) {
			_ = conn.Close(websocket.StatusGoingAway, shutdownReason)
			return
		}
		defer h.conns.remove(conn)
		if id := r.Header.Get(headerChannel); id != "" {
			h.listen(r.Context(), conn, id)
			return
		}
		h.produce(r.Context(), conn)
	})
}

func isUpgrade(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for token := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), "upgrade") {
				return true
			}
		}
	}
	return false
}

// listen sends the messages of a channel to a listener, pinging it while it
// waits, and closes the connection after the terminating message.
func (h *Hub) listen(ctx context.Context, conn *websocket.Conn, keptnContext string) {
	defer conn.CloseNow()
	// A listener sends only control frames. CloseRead handles them (pongs,
	// the close handshake) and cancels ctx when the client closes.
	ctx = conn.CloseRead(ctx)
	l := h.subscribe(keptnContext)
	defer h.unsubscribe(keptnContext, l)

	ticker := time.NewTicker(pingInterval)
	defer ticker.Stop()
	for {
		raws, terminated := h.pending(keptnContext, l)
		for _, raw := range raws {
			if err := h.write(ctx, conn, raw); err != nil {
				return
			}
		}
		if terminated {
			_ = conn.Close(websocket.StatusNormalClosure, "workflow finished")
			return
		}

		select {
		case <-ctx.Done():
			return
		case <-l.notify:
		case <-ticker.C:
			pingCtx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return
			}
		}
	}
}

func (h *Hub) write(ctx context.Context, conn *websocket.Conn, raw []byte) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return conn.Write(ctx, websocket.MessageText, raw)
}

// producerMessage is the part of a producer's message that routing reads.
type producerMessage struct {
	KeptnContext string `json:"shkeptncontext"`
	Data         struct {
		Terminate bool `json:"terminate"`
	} `json:"data"`
}

// produce routes the messages of a producer until it closes the connection.
// A message that is not a JSON object with a shkeptncontext closes the
// connection with a reason that names the problem.
func (h *Hub) produce(ctx context.Context, conn *websocket.Conn) {
	defer conn.CloseNow()
	conn.SetReadLimit(maxMessageBytes)
	for {
		kind, raw, err := conn.Read(ctx)
		if err != nil {
			var closeErr websocket.CloseError
			if !errors.As(err, &closeErr) && ctx.Err() == nil {
				h.log.Debug("log websocket producer read failed", "error", err)
			}
			return
		}
		if kind != websocket.MessageText {
			_ = conn.Close(websocket.StatusUnsupportedData, "invalid message: send text messages with JSON objects")
			return
		}
		var m producerMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			_ = conn.Close(websocket.StatusInvalidFramePayloadData, "invalid message: it is not a JSON object of a Keptn event")
			return
		}
		if m.KeptnContext == "" {
			_ = conn.Close(websocket.StatusInvalidFramePayloadData, "invalid message: shkeptncontext is missing")
			return
		}
		h.Publish(m.KeptnContext, raw, m.Data.Terminate)
	}
}
