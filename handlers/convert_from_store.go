package handlers

import (
	"encoding/json"

	"github.com/go-openapi/strfmt"

	"github.com/keptn-api/keptn-api/internal/keptn"
	apimodels "github.com/keptn-api/keptn-api/models/api"
	"github.com/keptn-api/keptn-api/store"
)

// apiEventFromStore converts a stored event for GET /v1/event, which returns
// it as the datastore does.
func apiEventFromStore(ev store.Event) *apimodels.KeptnContextExtendedCE {
	return &apimodels.KeptnContextExtendedCE{
		ID:              ev.ID,
		Type:            &ev.Type,
		Source:          &ev.Source,
		Specversion:     ev.SpecVersion,
		Contenttype:     ev.ContentType,
		Datacontenttype: ev.DataContentType,
		Shkeptncontext:  ev.KeptnContext,
		Triggeredid:     ev.TriggeredID,
		Time:            strfmt.DateTime(ev.Time),
		Data:            keptn.ScrubEventContext(ev.Data),
		Extensions:      extensions(ev.Extensions),
	}
}

// extensions returns stored extensions as a value that marshals to the same
// bytes, or nil, so that an absent member stays absent.
func extensions(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	return raw
}
