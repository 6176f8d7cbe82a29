// Package httpx holds the net/http wrappers that keptn-api puts around the
// generated APIs (request ids, panic recovery, body limits, access logs and
// token auth) and the JSON error body every collection answers with.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	oaerrors "github.com/go-openapi/errors"
)

// ErrorBody is the error shape of all three Keptn collections.
type ErrorBody struct {
	Code    int64  `json:"code,omitempty"`
	Message string `json:"message"`
}

// WriteError writes a JSON error with the HTTP status as its code.
func WriteError(w http.ResponseWriter, status int, message string) {
	writeErrorBody(w, status, ErrorBody{Code: int64(status), Message: message})
}

func writeErrorBody(w http.ResponseWriter, status int, body ErrorBody) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// ServeError writes the errors that the generated APIs find before a handler
// runs: unknown routes, methods and media types, and parameters or bodies
// that fail to parse or validate. It replaces go-swagger's default so that
// every body has the shape {"code", "message"}, a body cut by the size limit
// is a 413 and the first validation error is the one reported.
func ServeError(w http.ResponseWriter, r *http.Request, err error) {
	var composite *oaerrors.CompositeError
	for errors.As(err, &composite) && len(composite.Errors) > 0 {
		err = composite.Errors[0]
	}

	var tooLarge *http.MaxBytesError
	var parseErr *oaerrors.ParseError
	if errors.As(err, &parseErr) && errors.As(parseErr.Reason, &tooLarge) || errors.As(err, &tooLarge) {
		WriteError(w, http.StatusRequestEntityTooLarge, bodyTooLargeMessage(tooLarge.Limit))
		return
	}

	// go-swagger lists allowed methods and media types in map order, so
	// they are sorted here to give the same answer every time.
	var notAllowed *oaerrors.MethodNotAllowedError
	if errors.As(err, &notAllowed) {
		allowed := slices.Sorted(slices.Values(notAllowed.Allowed))
		w.Header().Set("Allow", strings.Join(allowed, ","))
		WriteError(w, http.StatusMethodNotAllowed,
			fmt.Sprintf("method %s is not allowed, but [%s] are", r.Method, strings.Join(allowed, ",")))
		return
	}

	var apiErr oaerrors.Error
	if errors.As(err, &apiErr) {
		status := int(apiErr.Code())
		message := apiErr.Error()
		if status == http.StatusUnsupportedMediaType {
			message = sortBracketList(message)
		}
		// Validation errors carry codes 601 to 609 in the body and go out
		// as 422, as go-swagger servers answer.
		if status >= 600 {
			status = http.StatusUnprocessableEntity
		}
		writeErrorBody(w, status, ErrorBody{Code: int64(apiErr.Code()), Message: message})
		return
	}
	WriteError(w, http.StatusInternalServerError, "internal server error")
}

func bodyTooLargeMessage(limit int64) string {
	return fmt.Sprintf("request body is larger than the limit of %d bytes", limit)
}

var bracketList = regexp.MustCompile(`\[([^\]]*)\]`)

// sortBracketList sorts the space-separated items of the last bracketed list
// in a message, such as the accepted media types of a 415.
func sortBracketList(message string) string {
	loc := bracketList.FindAllStringSubmatchIndex(message, -1)
	if len(loc) == 0 {
		return message
	}
	last := loc[len(loc)-1]
	items := strings.Fields(message[last[2]:last[3]])
	slices.Sort(items)
	return message[:last[2]] + strings.Join(items, " ") + message[last[3]:]
}
