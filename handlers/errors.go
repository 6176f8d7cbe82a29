package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"

	"github.com/keptn-api/keptn-api/internal/httpx"
	"github.com/keptn-api/keptn-api/store"
)

// clientError is a failure caused by the request. Its message is returned to
// the client as is, so it must name the offending value and nothing secret.
type clientError struct {
	status int
	// code is the body code when it differs from the status, such as the
	// validation codes 601 to 609 that go-swagger servers send with a 422.
	code    int64
	message string
}

func (e *clientError) Error() string { return e.message }

func badRequest(format string, args ...any) error {
	return &clientError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &clientError{status: http.StatusNotFound, message: fmt.Sprintf(format, args...)}
}

// Validation codes of go-swagger servers, sent in the body of a 422.
const (
	codeInvalidType = 601
	codeRequired    = 602
)

// unprocessable reports a value that fails validation, with the 422, the
// validation code and the message that go-swagger's own validation gives.
func unprocessable(code int64, format string, args ...any) error {
	return &clientError{status: http.StatusUnprocessableEntity, code: code, message: fmt.Sprintf(format, args...)}
}

// errorStatuses maps the store's sentinel errors to HTTP statuses.
var errorStatuses = []struct {
	err    error
	status int
}{
	{store.ErrNotFound, http.StatusNotFound},
	{store.ErrAlreadyExists, http.StatusConflict},
	{store.ErrInvalidQuery, http.StatusBadRequest},
	{store.ErrInvalidName, http.StatusBadRequest},
	{store.ErrTooLarge, http.StatusRequestEntityTooLarge},
	// Before the context errors: an unreachable database can surface as a
	// driver timeout that wraps context.DeadlineExceeded.
	{store.ErrUnavailable, http.StatusServiceUnavailable},
	{context.Canceled, http.StatusServiceUnavailable},
	{context.DeadlineExceeded, http.StatusServiceUnavailable},
}

// internalPrefix matches the package prefixes that store errors carry for
// the log, such as "gitrepo: ".
var internalPrefix = regexp.MustCompile(`\b(gitrepo|sqlite|mongodb|configsvc|workflow): `)

// clientText is the message of a store error that reaches the client as a
// 4xx without an operation's own text: its text without package prefixes.
func clientText(err error) string {
	return internalPrefix.ReplaceAllString(err.Error(), "")
}

// errorResponse is the one place where handler errors become a status, a
// body code and a message. A 5xx is logged once at error level with its
// cause, and its message carries only the request id; a 4xx is logged at
// debug level.
func errorResponse(r *http.Request, log *slog.Logger, err error) (status int, code int64, message string) {
	status, message = errorStatus(r, log, err)
	code = int64(status)
	var ce *clientError
	if errors.As(err, &ce) && ce.code != 0 {
		code = ce.code
	}
	return status, code, message
}

func errorStatus(r *http.Request, log *slog.Logger, err error) (int, string) {
	id := httpx.RequestID(r.Context())

	var ce *clientError
	if errors.As(err, &ce) {
		log.Debug("request rejected", "request_id", id, "status", ce.status, "error", ce.message)
		return ce.status, ce.message
	}
	for _, m := range errorStatuses {
		if !errors.Is(err, m.err) {
			continue
		}
		if m.status < 500 {
			log.Debug("request rejected", "request_id", id, "status", m.status, "error", err)
			return m.status, clientText(err)
		}
		if m.err == store.ErrUnavailable {
			log.Warn("database unavailable", "request_id", id, "error", err)
			return m.status, "the database is unavailable; try again later (request id " + id + ")"
		}
		log.Warn("request aborted", "request_id", id, "error", err)
		return m.status, "request aborted (request id " + id + ")"
	}
	log.Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err)
	return http.StatusInternalServerError, "internal server error (request id " + id + ")"
}
