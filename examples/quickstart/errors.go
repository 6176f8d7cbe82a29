package main

import (
	"errors"
	"fmt"

	apimodels "github.com/keptn-api/keptn-api/models/api"
	configmodels "github.com/keptn-api/keptn-api/models/configuration"
	datastoremodels "github.com/keptn-api/keptn-api/models/datastore"
)

// serverError is an error response of keptn-api: the HTTP status and the
// body {"code": N, "message": "..."} that every collection returns.
type serverError struct {
	Status  int    // HTTP status of the response
	Code    int64  // code field of the body, which differs from Status on a 422 (602 for a missing field)
	Message string // message field of the body
	err     error  // error of the generated client
}

func (e *serverError) Error() string {
	if e.Code != 0 && e.Code != int64(e.Status) {
		return fmt.Sprintf("server returned %d (code %d): %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("server returned %d: %s", e.Status, e.Message)
}

func (e *serverError) Unwrap() error { return e.err }

// describe returns a *serverError for an error of a generated client that
// carries the server's error body, and any other error, such as a refused
// connection, unchanged.
//
// Each generated error type, one per declared status plus a *Default type
// for the others, has Code() with the HTTP status and GetPayload() with the
// body. The body type differs per collection, so there is one case for each.
func describe(err error) error {
	var status interface{ Code() int }
	if !errors.As(err, &status) {
		return err
	}
	e := &serverError{Status: status.Code(), err: err}

	var apiErr interface{ GetPayload() *apimodels.Error }
	var configErr interface{ GetPayload() *configmodels.Error }
	var datastoreErr interface{ GetPayload() *datastoremodels.Error }
	switch {
	case errors.As(err, &apiErr) && apiErr.GetPayload() != nil:
		e.Code, e.Message = apiErr.GetPayload().Code, deref(apiErr.GetPayload().Message)
	case errors.As(err, &configErr) && configErr.GetPayload() != nil:
		e.Code, e.Message = configErr.GetPayload().Code, deref(configErr.GetPayload().Message)
	case errors.As(err, &datastoreErr) && datastoreErr.GetPayload() != nil:
		e.Code, e.Message = datastoreErr.GetPayload().Code, deref(datastoreErr.GetPayload().Message)
	default:
		return err
	}
	return e
}
