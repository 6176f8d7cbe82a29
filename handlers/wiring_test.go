package handlers

import (
	"strings"
	"testing"

	restapi "github.com/keptn-api/keptn-api/restapi/datastore"
	"github.com/keptn-api/keptn-api/restapi/datastore/operations"
	"github.com/keptn-api/keptn-api/restapi/datastore/operations/event"
)

// TestValidateFailsWithoutHandler checks that clearHandlers removes the
// generated 501 stubs, so that Validate names an operation left unassigned.
func TestValidateFailsWithoutHandler(t *testing.T) {
	doc, err := loadSpec("mongodb-datastore", restapi.SwaggerJSON)
	if err != nil {
		t.Fatal(err)
	}
	api := operations.NewMongodbDatastoreAPI(doc)
	if err := api.Validate(); err != nil {
		t.Fatalf("generated API with its stubs: Validate = %v, want nil", err)
	}

	clearHandlers(api)
	api.EventGetEventsHandler = event.GetEventsHandlerFunc(func(event.GetEventsParams, any) event.GetEventsResponder { return nil })
	api.EventSaveEventHandler = event.SaveEventHandlerFunc(func(event.SaveEventParams, any) event.SaveEventResponder { return nil })

	err = api.Validate()
	if err == nil {
		t.Fatal("Validate = nil with GetEventsByType unassigned")
	}
	if !strings.Contains(err.Error(), "GetEventsByTypeHandler") {
		t.Errorf("Validate = %q, want it to name GetEventsByTypeHandler", err)
	}
}
