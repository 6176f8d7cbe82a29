package main

import (
	"errors"
	"fmt"
	"net"
	"testing"

	apievent "github.com/keptn-api/keptn-api/client/api/event"
	"github.com/keptn-api/keptn-api/client/configuration/project"
	datastoreevent "github.com/keptn-api/keptn-api/client/datastore/event"
	apimodels "github.com/keptn-api/keptn-api/models/api"
	configmodels "github.com/keptn-api/keptn-api/models/configuration"
	datastoremodels "github.com/keptn-api/keptn-api/models/datastore"
)

func TestDescribeReadsErrorBodies(t *testing.T) {
	message := func(s string) *string { return &s }

	validation := project.NewPostProjectUnprocessableEntity()
	validation.Payload = &configmodels.Error{Code: 602, Message: message("projectName in body is required")}
	unexpected := apievent.NewPostEventDefault(503)
	unexpected.Payload = &apimodels.Error{Code: 503, Message: message("server is shutting down")}
	unauthorized := datastoreevent.NewGetEventsUnauthorized()
	unauthorized.Payload = &datastoremodels.Error{Code: 401, Message: message("incorrect api key auth")}

	tests := []struct {
		name   string
		err    error
		status int
		code   int64
		text   string
	}{
		{"configuration 422", validation, 422, 602, "server returned 422 (code 602): projectName in body is required"},
		{"api default", unexpected, 503, 503, "server returned 503: server is shutting down"},
		{"datastore 401 wrapped", fmt.Errorf("read events: %w", unauthorized), 401, 401, "server returned 401: incorrect api key auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *serverError
			if !errors.As(describe(tt.err), &got) {
				t.Fatalf("describe(%v) is no *serverError", tt.err)
			}
			if got.Status != tt.status {
				t.Errorf("Status = %d, want %d", got.Status, tt.status)
			}
			if got.Code != tt.code {
				t.Errorf("Code = %d, want %d", got.Code, tt.code)
			}
			if got.Error() != tt.text {
				t.Errorf("Error() = %q, want %q", got.Error(), tt.text)
			}
			if !errors.Is(got, tt.err) {
				t.Error("the client's error is not reachable with errors.Is")
			}
		})
	}
}

func TestDescribeKeepsOtherErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	if got := describe(refused); got != error(refused) {
		t.Errorf("describe(%v) = %v, want the error unchanged", refused, got)
	}
}

func TestShipyardStages(t *testing.T) {
	stages, err := shipyardStages(shipyard)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(stages) != "[dev hardening production]" {
		t.Errorf("stages of the example shipyard = %q", stages)
	}

	for _, bad := range []string{"stages: []", "stages:\n  - deployment_strategy: direct", "stages: {", ""} {
		if _, err := shipyardStages([]byte(bad)); err == nil {
			t.Errorf("shipyard %q was accepted", bad)
		}
	}
}
