package httpx

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

type contextKey int

const requestIDKey contextKey = 0

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-Id"

// RequestID returns the request id stored by WithRequestID, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithRequestID gives each request an id: the caller's X-Request-Id when it
// is a short printable token, else a new random one. The id is echoed in the
// response header and is available to handlers through RequestID.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Recover turns a panic in next into a logged error and a JSON 500, so that
// the client gets a response instead of a closed connection.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			id := RequestID(r.Context())
			log.Error("handler panicked", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"panic", v, "stack", string(debug.Stack()))
			WriteError(w, http.StatusInternalServerError, "internal server error (request id "+id+")")
		}()
		next.ServeHTTP(w, r)
	})
}

// LimitBody rejects a request whose declared Content-Length exceeds limit
// bytes with a JSON 413 and caps the body of every other request at limit, so
// that a chunked body is cut there too.
func LimitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			// Close the connection: the unread body would otherwise be
			// drained by the server.
			w.Header().Set("Connection", "close")
			WriteError(w, http.StatusRequestEntityTooLarge, bodyTooLargeMessage(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// TokenAuth checks the x-token header of each request against the API token
// in constant time. It answers 401 with the error shape of the Keptn api
// collection: one message for a missing token, another for a wrong one.
type TokenAuth struct {
	digest [sha256.Size]byte
}

// NewTokenAuth returns a checker for the given API token.
func NewTokenAuth(apiToken string) *TokenAuth {
	return &TokenAuth{digest: sha256.Sum256([]byte(apiToken))}
}

// Valid reports whether token is the API token. Comparing digests keeps the
// time independent of the token's length and content.
func (a *TokenAuth) Valid(token string) bool {
	d := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(d[:], a.digest[:]) == 1
}

// Wrap returns next guarded by the token check.
func (a *TokenAuth) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("x-token")
		switch {
		case token == "":
			WriteError(w, http.StatusUnauthorized, "unauthenticated for invalid credentials")
		case !a.Valid(token):
			WriteError(w, http.StatusUnauthorized, "incorrect api key auth")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// AccessLog logs one line per request at info level, or at debug level for
// the liveness probe. It logs no headers and no query, so no token can leak
// into the log.
func AccessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if r.URL.Path == "/health" {
			level = slog.LevelDebug
		}
		log.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", RequestID(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)),
		)
	})
}
