package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-openapi/runtime/middleware"

	"github.com/keptn-api/keptn-api/internal/eventbus"
	"github.com/keptn-api/keptn-api/internal/httpx"
	"github.com/keptn-api/keptn-api/internal/keptn"
	models "github.com/keptn-api/keptn-api/models/datastore"
	restapi "github.com/keptn-api/keptn-api/restapi/datastore"
	"github.com/keptn-api/keptn-api/restapi/datastore/operations"
	"github.com/keptn-api/keptn-api/restapi/datastore/operations/event"
	"github.com/keptn-api/keptn-api/store"
)

// Datastore implements the mongodb-datastore collection.
type Datastore struct {
	bus    *eventbus.Bus
	events store.Events
	log    *slog.Logger
	now    func() time.Time
}

// NewDatastore returns the handlers of the mongodb-datastore collection.
func NewDatastore(bus *eventbus.Bus, events store.Events, log *slog.Logger) *Datastore {
	return &Datastore{bus: bus, events: events, log: log, now: time.Now}
}

// Handler returns the collection's router, with paths relative to its base
// path (/event, not /api/mongodb-datastore/event).
func (h *Datastore) Handler(auth *httpx.TokenAuth) (http.Handler, error) {
	doc, err := loadSpec("mongodb-datastore", restapi.SwaggerJSON)
	if err != nil {
		return nil, err
	}
	api := operations.NewMongodbDatastoreAPI(doc)
	clearHandlers(api)
	api.ServeError = httpx.ServeError
	api.KeyAuth = keyAuth(auth)
	api.Logger = func(string, ...any) {}

	api.EventSaveEventHandler = event.SaveEventHandlerFunc(h.SaveEvent)
	api.EventGetEventsHandler = event.GetEventsHandlerFunc(h.GetEvents)
	api.EventGetEventsByTypeHandler = event.GetEventsByTypeHandlerFunc(h.GetEventsByType)

	return serve("mongodb-datastore", api, func(m func(middleware.Builder) http.Handler) { api.Middleware = m })
}

// SaveEvent stores one event.
func (h *Datastore) SaveEvent(params event.SaveEventParams, _ any) event.SaveEventResponder {
	ev, err := storeEventFromDatastore(params.Body, h.now())
	if err == nil {
		err = h.bus.Publish(params.HTTPRequest.Context(), ev)
	}

	// A redelivered event is stored already; answering 201 again makes the
	// intake idempotent for senders that retry.
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return failDatastore(h.log, params.HTTPRequest, err, event.NewSaveEventDefault)
	}
	return event.NewSaveEventCreated()
}

// GetEvents returns one page of the events that match the query parameters.
func (h *Datastore) GetEvents(params event.GetEventsParams, _ any) event.GetEventsResponder {
	offset, err := parsePageKey(params.NextPageKey)
	if err != nil {
		return failDatastore(h.log, params.HTTPRequest, err, event.NewGetEventsDefault)
	}
	after, err := parseFromTime(params.FromTime)
	if err != nil {
		return failDatastore(h.log, params.HTTPRequest, err, event.NewGetEventsDefault)
	}

	pageSize := int(*params.PageSize)
	q := store.EventQuery{
		Project:      value(params.Project),
		KeptnContext: value(params.KeptnContext),
		Root:         value(params.Root) != "",
		After:        after,
		Offset:       offset,
		Limit:        pageSize,
		CountTotal:   true,
	}
	q.Conditions = appendCondition(q.Conditions, "type", params.Type)
	q.Conditions = appendCondition(q.Conditions, "source", params.Source)
	q.Conditions = appendCondition(q.Conditions, "data.stage", params.Stage)
	q.Conditions = appendCondition(q.Conditions, "data.service", params.Service)
	q.Conditions = appendCondition(q.Conditions, "id", params.EventID)

	page, err := h.events.QueryEvents(params.HTTPRequest.Context(), q)
	if err != nil {
		return failDatastore(h.log, params.HTTPRequest, err, event.NewGetEventsDefault)
	}

	out := &eventsResponse{events: page.Events, paged: true, pageSize: int64(pageSize), totalCount: int64(page.Total)}
	// Compared as a difference, because offset+pageSize overflows for an
	// offset near the largest int.
	if page.Total-offset > pageSize {
		out.nextPageKey = strconv.Itoa(offset + pageSize)
	}
	return out
}

// GetEventsByType returns the newest events of one type that match a filter.
func (h *Datastore) GetEventsByType(params event.GetEventsByTypeParams, _ any) event.GetEventsByTypeResponder {
	q, err := parseTypeFilter(params.EventType, params.Filter)
	if err == nil {
		err = checkBoolParam(params.HTTPRequest, "excludeInvalidated")
	}
	if err != nil {
		return failDatastore(h.log, params.HTTPRequest, err, event.NewGetEventsByTypeDefault)
	}
	q.After, err = parseFromTime(params.FromTime)
	if err != nil {
		return failDatastore(h.log, params.HTTPRequest, err, event.NewGetEventsByTypeDefault)
	}
	if *params.ExcludeInvalidated {
		q.ExcludeInvalidatedBy = keptn.InvalidatedType(params.EventType)
	}
	q.Limit = int(*params.Limit)

	page, err := h.events.QueryEvents(params.HTTPRequest.Context(), q)
	if err != nil {
		return failDatastore(h.log, params.HTTPRequest, err, event.NewGetEventsByTypeDefault)
	}

	return &eventsResponse{events: page.Events}
}

// failDatastore maps err through the error funnel into the default response
// of an operation, given the generated constructor of that response.
func failDatastore[R interface{ WithPayload(*models.Error) R }](log *slog.Logger, r *http.Request, err error, newDefault func(int) R) R {
	status, code, message := errorResponse(r, log, err)
	return newDefault(status).WithPayload(&models.Error{Code: code, Message: &message})
}

// parseTypeFilter turns the filter of GET /event/type/{eventType} into a
// query. Clauses are joined by " AND "; each is field:value, and a value with
// commas matches any of its parts. Like the Keptn datastore, it ignores a
// clause with no colon or more than one. The filter must name the project
// (data.project) or a keptnContext (shkeptncontext) to pick the events to
// search, and a clause on type is replaced by the path's eventType.
func parseTypeFilter(eventType, filter string) (store.EventQuery, error) {
	var q store.EventQuery
	for _, clause := range strings.Split(filter, " AND ") {
		field, values, ok := strings.Cut(clause, ":")
		if !ok || strings.Contains(values, ":") || field == "type" {
			continue
		}
		parts := strings.Split(values, ",")
		switch field {
		case "data.project":
			if len(parts) != 1 {
				return q, badRequest("invalid filter %q: data.project must name one project", filter)
			}
			q.Project = values
		case "shkeptncontext":
			if len(parts) == 1 {
				q.KeptnContext = values
			}
		}
		q.Conditions = append(q.Conditions, store.Condition{Field: field, Values: parts})
	}
	if q.Project == "" && q.KeptnContext == "" {
		return q, badRequest("invalid filter %q: it must contain data.project or a single shkeptncontext", filter)
	}
	q.Conditions = append(q.Conditions, store.Condition{Field: "type", Values: []string{eventType}})
	return q, nil
}

// parsePageKey returns the offset that a nextPageKey stands for.
func parsePageKey(key *string) (int, error) {
	if value(key) == "" {
		return 0, nil
	}
	offset, err := strconv.Atoi(*key)
	if err != nil || offset < 0 {
		return 0, badRequest("invalid nextPageKey %q: it must be a non-negative decimal offset", *key)
	}
	return offset, nil
}

// parseFromTime parses an RFC 3339 time of any precision and offset.
func parseFromTime(s *string) (time.Time, error) {
	if value(s) == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, badRequest("invalid fromTime %q: it must be an RFC 3339 time such as 2020-11-16T09:00:00.000Z", *s)
	}
	return t, nil
}

func appendCondition(conds []store.Condition, field string, v *string) []store.Condition {
	if value(v) == "" {
		return conds
	}
	return append(conds, store.Condition{Field: field, Values: []string{*v}})
}

// checkBoolParam rejects a boolean query parameter that is not a boolean.
// go-swagger's binder reads any value it does not know as false, which would
// turn a typo into the opposite of the caller's intent.
func checkBoolParam(r *http.Request, name string) error {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return nil
	}
	switch strings.ToLower(raw) {
	case "true", "false", "1", "0", "t", "f", "yes", "no", "y", "n", "on", "off":
		return nil
	}
	return unprocessable(codeInvalidType, "%s in query must be of type bool: %q", name, raw)
}

// value returns the string an optional parameter points to, or "".
func value(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
