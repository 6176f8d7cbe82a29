package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keptn-api/keptn-api/internal/keptn"
	cfgmodels "github.com/keptn-api/keptn-api/models/configuration"
	models "github.com/keptn-api/keptn-api/models/datastore"
	"github.com/keptn-api/keptn-api/store"
)

// Event times the stores can hold: int64 nanoseconds since 1970.
var (
	minEventTime = time.Unix(0, -1<<63)
	maxEventTime = time.Unix(0, 1<<63-1)
)

// storeEventFromDatastore converts an event posted to the datastore. A missing
// id gets a new one, and a missing or zero time (Keptn clients send
// 0001-01-01T00:00:00.000Z) becomes now.
func storeEventFromDatastore(in *models.KeptnContextExtendedCE, now time.Time) (store.Event, error) {
	ev := store.Event{
		ID:              in.ID,
		Type:            *in.Type,
		Source:          *in.Source,
		SpecVersion:     in.Specversion,
		ContentType:     in.Contenttype,
		DataContentType: in.Datacontenttype,
		KeptnContext:    in.Shkeptncontext,
		TriggeredID:     in.Triggeredid,
		Time:            time.Time(in.Time),
	}
	data, err := compactJSON(in.Data)
	if err != nil {
		return store.Event{}, err
	}
	ev.Data = data
	if ev.ID == "" {
		ev.ID = keptn.NewEventID()
	}
	if ev.Time.IsZero() {
		ev.Time = now.UTC()
	}
	if ev.Time.Before(minEventTime) || ev.Time.After(maxEventTime) {
		return store.Event{}, badRequest("invalid time %q: it must lie between the years 1678 and 2262",
			ev.Time.Format(time.RFC3339Nano))
	}
	if in.Extensions != nil {
		raw, err := json.Marshal(in.Extensions)
		if err != nil {
			return store.Event{}, fmt.Errorf("encode extensions: %w", err)
		}
		ev.Extensions = raw
	}
	ev.Project, ev.Stage, ev.Service = keptn.DataScope(ev.Data)
	return ev, nil
}

// storeEventFromConfiguration converts an event posted to the
// configuration-service with the rules of storeEventFromDatastore.
func storeEventFromConfiguration(in *cfgmodels.KeptnContextExtendedCE, now time.Time) (store.Event, error) {
	return storeEventFromDatastore(&models.KeptnContextExtendedCE{
		ID:             in.ID,
		Type:           in.Type,
		Source:         in.Source,
		Specversion:    in.Specversion,
		Contenttype:    in.Contenttype,
		Shkeptncontext: in.Shkeptncontext,
		Triggeredid:    in.Triggeredid,
		Time:           in.Time,
		Data:           in.Data,
		Extensions:     in.Extensions,
	}, now)
}

// compactJSON removes the insignificant whitespace of a JSON value, so that
// responses can copy stored data as is. Nil stays nil.
func compactJSON(raw json.RawMessage) (json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return nil, badRequest("invalid data: %v", err)
	}
	return buf.Bytes(), nil
}
