package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/go-openapi/runtime/middleware"

	"github.com/keptn-api/keptn-api/internal/bridge"
	"github.com/keptn-api/keptn-api/internal/eventbus"
	"github.com/keptn-api/keptn-api/internal/httpx"
	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/internal/workflow"
	models "github.com/keptn-api/keptn-api/models/api"
	restapi "github.com/keptn-api/keptn-api/restapi/api"
	"github.com/keptn-api/keptn-api/restapi/api/operations"
	"github.com/keptn-api/keptn-api/restapi/api/operations/auth"
	"github.com/keptn-api/keptn-api/restapi/api/operations/configuration"
	"github.com/keptn-api/keptn-api/restapi/api/operations/evaluation"
	"github.com/keptn-api/keptn-api/restapi/api/operations/event"
	"github.com/keptn-api/keptn-api/restapi/api/operations/metadata"
	"github.com/keptn-api/keptn-api/restapi/api/operations/project"
	"github.com/keptn-api/keptn-api/restapi/api/operations/service"
	"github.com/keptn-api/keptn-api/store"
)

// API implements the api collection.
type API struct {
	bus     *eventbus.Bus
	flows   *workflow.Workflows
	bridge  *bridge.Store
	events  store.Events
	signer  *keptn.TokenSigner
	log     *slog.Logger
	version string
	now     func() time.Time
}

// NewAPI returns the handlers of the api collection. version is the Keptn
// version reported by GET /v1/metadata.
func NewAPI(bus *eventbus.Bus, events store.Events, signer *keptn.TokenSigner, version string, log *slog.Logger) *API {
	return &API{bus: bus, events: events, signer: signer, version: version, log: log, now: time.Now}
}

// WithWorkflows sets what the project, service, evaluation and bridge
// operations run on, and returns h.
func (h *API) WithWorkflows(flows *workflow.Workflows, bridge *bridge.Store) *API {
	h.flows, h.bridge = flows, bridge
	return h
}

// Handler returns the collection's router, with paths relative to its base
// path's parent (/v1/event, not /api/v1/event).
func (h *API) Handler(tokenAuth *httpx.TokenAuth) (http.Handler, error) {
	if h.flows == nil || h.bridge == nil {
		return nil, errors.New("api handlers: the workflows and the bridge credentials are required; call WithWorkflows")
	}
	doc, err := loadSpec("api", restapi.SwaggerJSON)
	if err != nil {
		return nil, err
	}
	api := operations.NewAPIAPI(doc)
	clearHandlers(api)
	api.ServeError = httpx.ServeError
	api.KeyAuth = keyAuth(tokenAuth)
	api.Logger = func(string, ...any) {}

	api.AuthAuthHandler = auth.AuthHandlerFunc(h.Auth)
	api.MetadataMetadataHandler = metadata.MetadataHandlerFunc(h.Metadata)
	api.EventPostEventHandler = event.PostEventHandlerFunc(h.PostEvent)
	api.EventGetEventHandler = event.GetEventHandlerFunc(h.GetEvent)
	h.assignWorkflows(api)

	return serve("api", api, func(m func(middleware.Builder) http.Handler) { api.Middleware = m })
}

// Auth confirms a valid token; the router has rejected any other by now.
func (h *API) Auth(auth.AuthParams, any) auth.AuthResponder {
	return auth.NewAuthOK()
}

// Metadata describes this installation.
func (h *API) Metadata(metadata.MetadataParams, any) metadata.MetadataResponder {
	namespace := os.Getenv("POD_NAMESPACE")
	if namespace == "" {
		namespace = "keptn"
	}
	return metadata.NewMetadataOK().WithPayload(&models.Metadata{
		Namespace:    namespace,
		Keptnlabel:   "keptn",
		Keptnversion: h.version,
	})
}

// PostEvent stores and distributes a client's event under a fresh id and
// time, and returns the eventContext of its keptnContext.
func (h *API) PostEvent(params event.PostEventParams, _ any) event.PostEventResponder {
	in := params.Body
	switch kind := keptn.JSONKind(in.Data); kind {
	case "object":
	case "null":
		return failAPI(h.log, params.HTTPRequest, unprocessable(codeRequired, "data in body is required"), event.NewPostEventDefault)
	default:
		return failAPI(h.log, params.HTTPRequest, badRequest("invalid data: it must be a JSON object, not a JSON %s", kind), event.NewPostEventDefault)
	}

	now := h.now().UTC()
	ec, err := h.newEventContext(keptn.ResolveContext(in.Shkeptncontext), now)
	if err != nil {
		return failAPI(h.log, params.HTTPRequest, err, event.NewPostEventDefault)
	}
	data, err := keptn.WithEventContext(in.Data, ec)
	if err == nil {
		data, err = compactJSON(data)
	}
	if err != nil {
		return failAPI(h.log, params.HTTPRequest, badRequest("invalid data: %v", err), event.NewPostEventDefault)
	}

	ev := newEmittedEvent(*in.Type, eventSource(*in.Source), ec.KeptnContext, data, now)
	ev.TriggeredID = in.Triggeredid
	if err := h.bus.Publish(params.HTTPRequest.Context(), ev); err != nil {
		return failAPI(h.log, params.HTTPRequest, err, event.NewPostEventDefault)
	}
	return event.NewPostEventOK().WithPayload(apiEventContext(ec))
}

// GetEvent returns the newest event of a type in a keptnContext.
func (h *API) GetEvent(params event.GetEventParams, _ any) event.GetEventResponder {
	q := store.EventQuery{
		KeptnContext: params.KeptnContext,
		Conditions:   []store.Condition{{Field: "type", Values: []string{params.Type}}},
		Limit:        1,
	}
	page, err := h.events.QueryEvents(params.HTTPRequest.Context(), q)
	if err == nil && len(page.Events) == 0 {
		err = notFound("No %s event found for Keptn context: %s", params.Type, params.KeptnContext)
	}
	if err != nil {
		return failAPI(h.log, params.HTTPRequest, err, event.NewGetEventDefault)
	}
	return event.NewGetEventOK().WithPayload(apiEventFromStore(page.Events[0]))
}

// newEventContext returns the eventContext of a keptnContext with a token
// issued at now.
func (h *API) newEventContext(keptnContext string, now time.Time) (keptn.EventContext, error) {
	token, err := h.signer.Sign(now)
	if err != nil {
		return keptn.EventContext{}, err
	}
	return keptn.EventContext{KeptnContext: keptnContext, Token: token}, nil
}

// newEmittedEvent builds an event as the api collection emits it:
// CloudEvents 0.2 with a new id and the given time.
func newEmittedEvent(eventType, source, keptnContext string, data []byte, now time.Time) store.Event {
	ev := store.Event{
		ID:           keptn.NewEventID(),
		Type:         eventType,
		Source:       source,
		SpecVersion:  "0.2",
		ContentType:  "application/json",
		KeptnContext: keptnContext,
		Time:         now,
		Data:         data,
	}
	ev.Project, ev.Stage, ev.Service = keptn.DataScope(data)
	return ev
}

// eventSource keeps a posted source that parses as a URI reference and
// replaces any other by the api collection's own.
func eventSource(source string) string {
	if _, err := url.Parse(source); err != nil {
		return keptn.DefaultSource
	}
	return source
}

func apiEventContext(ec keptn.EventContext) *models.EventContext {
	return &models.EventContext{KeptnContext: &ec.KeptnContext, Token: &ec.Token}
}

// failAPI maps err through the error funnel into the default response of an
// operation, given the generated constructor of that response.
func failAPI[R interface{ WithPayload(*models.Error) R }](log *slog.Logger, r *http.Request, err error, newDefault func(int) R) R {
	status, code, message := errorResponse(r, log, err)
	return newDefault(status).WithPayload(&models.Error{Code: code, Message: &message})
}

// assignWorkflows assigns the project, service, evaluation and bridge
// operations.
func (h *API) assignWorkflows(api *operations.APIAPI) {
	api.ProjectPostProjectHandler = project.PostProjectHandlerFunc(h.PostProject)
	api.ProjectDeleteProjectProjectNameHandler = project.DeleteProjectProjectNameHandlerFunc(h.DeleteProject)
	api.ServicePostProjectProjectNameServiceHandler = service.PostProjectProjectNameServiceHandlerFunc(h.PostService)
	api.ServiceDeleteProjectProjectNameServiceServiceNameHandler = service.DeleteProjectProjectNameServiceServiceNameHandlerFunc(h.DeleteService)
	api.EvaluationTriggerEvaluationHandler = evaluation.TriggerEvaluationHandlerFunc(h.TriggerEvaluation)
	api.ConfigurationGetConfigBridgeHandler = configuration.GetConfigBridgeHandlerFunc(h.GetConfigBridge)
	api.ConfigurationPostConfigBridgeHandler = configuration.PostConfigBridgeHandlerFunc(h.PostConfigBridge)
}
