package handlers

import (
	"encoding/json"

	"github.com/go-openapi/strfmt"

	"github.com/keptn-api/keptn-api/internal/keptn"
	apimodels "github.com/keptn-api/keptn-api/models/api"
	models "github.com/keptn-api/keptn-api/models/datastore"
	"github.com/keptn-api/keptn-api/store"
)

// datastoreEventsFromStore converts stored events for a datastore response:
// every eventContext in the data comes back as null, and the time is written
// with millisecond precision in the offset it was stored with. No events
// give nil, which the datastore writes as "events": null.
func datastoreEventsFromStore(events []store.Event) []*models.KeptnContextExtendedCE {
	if len(events) == 0 {
		return nil
	}
	out := make([]*models.KeptnContextExtendedCE, len(events))
	for i := range events {
		ev := &events[i]
		out[i] = &models.KeptnContextExtendedCE{
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
	return out
}

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
