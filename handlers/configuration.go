package handlers

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-openapi/runtime/middleware"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	"github.com/keptn-api/keptn-api/internal/eventbus"
	"github.com/keptn-api/keptn-api/internal/httpx"
	restapi "github.com/keptn-api/keptn-api/restapi/configuration"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/approval"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/event"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/project"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/project_resource"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/remediation"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/service_default_resource"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/service_resource"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/services"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/stage"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/stage_resource"
)

// Configuration implements the configuration-service collection.
type Configuration struct {
	svc *configsvc.Service
	bus *eventbus.Bus
	log *slog.Logger
	now func() time.Time
}

// NewConfiguration returns the handlers of the configuration-service
// collection.
func NewConfiguration(svc *configsvc.Service, bus *eventbus.Bus, log *slog.Logger) *Configuration {
	return &Configuration{svc: svc, bus: bus, log: log, now: time.Now}
}

// Handler returns the collection's router, with paths relative to its base
// path's parent (/v1/project, not /api/configuration-service/v1/project).
func (h *Configuration) Handler(auth *httpx.TokenAuth) (http.Handler, error) {
	doc, err := loadSpec("configuration-service", restapi.SwaggerJSON)
	if err != nil {
		return nil, err
	}
	api := operations.NewConfigurationServiceAPI(doc)
	clearHandlers(api)
	api.ServeError = httpx.ServeError
	api.KeyAuth = keyAuth(auth)
	api.Logger = func(string, ...any) {}

	h.assignProjects(api)
	h.assignStages(api)
	h.assignServices(api)
	h.assignResources(api)
	h.assignServiceResources(api)
	h.assignApprovals(api)
	api.EventPostEventHandler = event.PostEventHandlerFunc(h.PostEvent)

	router, err := serve("configuration-service", api, func(m func(middleware.Builder) http.Handler) { api.Middleware = m })
	if err != nil {
		return nil, err
	}
	return joinResourceTail(router), nil
}

func (h *Configuration) assignProjects(api *operations.ConfigurationServiceAPI) {
	api.ProjectGetProjectHandler = project.GetProjectHandlerFunc(h.GetProjects)
	api.ProjectPostProjectHandler = project.PostProjectHandlerFunc(h.PostProject)
	api.ProjectGetProjectProjectNameHandler = project.GetProjectProjectNameHandlerFunc(h.GetProject)
	api.ProjectPutProjectProjectNameHandler = project.PutProjectProjectNameHandlerFunc(h.PutProject)
	api.ProjectDeleteProjectProjectNameHandler = project.DeleteProjectProjectNameHandlerFunc(h.DeleteProject)
}

func (h *Configuration) assignStages(api *operations.ConfigurationServiceAPI) {
	api.StageGetProjectProjectNameStageHandler = stage.GetProjectProjectNameStageHandlerFunc(h.GetStages)
	api.StagePostProjectProjectNameStageHandler = stage.PostProjectProjectNameStageHandlerFunc(h.PostStage)
	api.StageGetProjectProjectNameStageStageNameHandler = stage.GetProjectProjectNameStageStageNameHandlerFunc(h.GetStage)
	api.StagePutProjectProjectNameStageStageNameHandler = stage.PutProjectProjectNameStageStageNameHandlerFunc(h.PutStage)
	api.StageDeleteProjectProjectNameStageStageNameHandler = stage.DeleteProjectProjectNameStageStageNameHandlerFunc(h.DeleteStage)
}

func (h *Configuration) assignServices(api *operations.ConfigurationServiceAPI) {
	api.ServicesGetProjectProjectNameStageStageNameServiceHandler = services.GetProjectProjectNameStageStageNameServiceHandlerFunc(h.GetServices)
	api.ServicesPostProjectProjectNameStageStageNameServiceHandler = services.PostProjectProjectNameStageStageNameServiceHandlerFunc(h.PostService)
	api.ServicesGetProjectProjectNameStageStageNameServiceServiceNameHandler = services.GetProjectProjectNameStageStageNameServiceServiceNameHandlerFunc(h.GetService)
	api.ServicesPutProjectProjectNameStageStageNameServiceServiceNameHandler = services.PutProjectProjectNameStageStageNameServiceServiceNameHandlerFunc(h.PutService)
	api.ServicesDeleteProjectProjectNameStageStageNameServiceServiceNameHandler = services.DeleteProjectProjectNameStageStageNameServiceServiceNameHandlerFunc(h.DeleteService)
	api.ServicesGetProjectProjectNameServiceHandler = services.GetProjectProjectNameServiceHandlerFunc(h.GetProjectServices)
	api.ServicesGetProjectProjectNameServiceServiceNameHandler = services.GetProjectProjectNameServiceServiceNameHandlerFunc(h.GetProjectService)
}

func (h *Configuration) assignResources(api *operations.ConfigurationServiceAPI) {
	api.ProjectResourceGetProjectProjectNameResourceHandler = project_resource.GetProjectProjectNameResourceHandlerFunc(h.GetProjectResources)
	api.ProjectResourcePostProjectProjectNameResourceHandler = project_resource.PostProjectProjectNameResourceHandlerFunc(h.PostProjectResources)
	api.ProjectResourcePutProjectProjectNameResourceHandler = project_resource.PutProjectProjectNameResourceHandlerFunc(h.PutProjectResources)
	api.ProjectResourceGetProjectProjectNameResourceResourceURIHandler = project_resource.GetProjectProjectNameResourceResourceURIHandlerFunc(h.GetProjectResource)
	api.ProjectResourcePutProjectProjectNameResourceResourceURIHandler = project_resource.PutProjectProjectNameResourceResourceURIHandlerFunc(h.PutProjectResource)
	api.ProjectResourceDeleteProjectProjectNameResourceResourceURIHandler = project_resource.DeleteProjectProjectNameResourceResourceURIHandlerFunc(h.DeleteProjectResource)

	api.StageResourceGetProjectProjectNameStageStageNameResourceHandler = stage_resource.GetProjectProjectNameStageStageNameResourceHandlerFunc(h.GetStageResources)
	api.StageResourcePostProjectProjectNameStageStageNameResourceHandler = stage_resource.PostProjectProjectNameStageStageNameResourceHandlerFunc(h.PostStageResources)
	api.StageResourcePutProjectProjectNameStageStageNameResourceHandler = stage_resource.PutProjectProjectNameStageStageNameResourceHandlerFunc(h.PutStageResources)
	api.StageResourceGetProjectProjectNameStageStageNameResourceResourceURIHandler = stage_resource.GetProjectProjectNameStageStageNameResourceResourceURIHandlerFunc(h.GetStageResource)
	api.StageResourcePutProjectProjectNameStageStageNameResourceResourceURIHandler = stage_resource.PutProjectProjectNameStageStageNameResourceResourceURIHandlerFunc(h.PutStageResource)
	api.StageResourceDeleteProjectProjectNameStageStageNameResourceResourceURIHandler = stage_resource.DeleteProjectProjectNameStageStageNameResourceResourceURIHandlerFunc(h.DeleteStageResource)
}

func (h *Configuration) assignServiceResources(api *operations.ConfigurationServiceAPI) {
	api.ServiceResourceGetProjectProjectNameStageStageNameServiceServiceNameResourceHandler = service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceHandlerFunc(h.GetServiceResources)
	api.ServiceResourcePostProjectProjectNameStageStageNameServiceServiceNameResourceHandler = service_resource.PostProjectProjectNameStageStageNameServiceServiceNameResourceHandlerFunc(h.PostServiceResources)
	api.ServiceResourcePutProjectProjectNameStageStageNameServiceServiceNameResourceHandler = service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceHandlerFunc(h.PutServiceResources)
	api.ServiceResourceGetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler = service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandlerFunc(h.GetServiceResource)
	api.ServiceResourcePutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler = service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandlerFunc(h.PutServiceResource)
	api.ServiceResourceDeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandler = service_resource.DeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIHandlerFunc(h.DeleteServiceResource)

	api.ServiceDefaultResourceGetProjectProjectNameServiceServiceNameResourceHandler = service_default_resource.GetProjectProjectNameServiceServiceNameResourceHandlerFunc(h.GetDefaultResources)
	api.ServiceDefaultResourcePostProjectProjectNameServiceServiceNameResourceHandler = service_default_resource.PostProjectProjectNameServiceServiceNameResourceHandlerFunc(h.PostDefaultResources)
	api.ServiceDefaultResourcePutProjectProjectNameServiceServiceNameResourceHandler = service_default_resource.PutProjectProjectNameServiceServiceNameResourceHandlerFunc(h.PutDefaultResources)
	api.ServiceDefaultResourceGetProjectProjectNameServiceServiceNameResourceResourceURIHandler = service_default_resource.GetProjectProjectNameServiceServiceNameResourceResourceURIHandlerFunc(h.GetDefaultResource)
	api.ServiceDefaultResourcePutProjectProjectNameServiceServiceNameResourceResourceURIHandler = service_default_resource.PutProjectProjectNameServiceServiceNameResourceResourceURIHandlerFunc(h.PutDefaultResource)
	api.ServiceDefaultResourceDeleteProjectProjectNameServiceServiceNameResourceResourceURIHandler = service_default_resource.DeleteProjectProjectNameServiceServiceNameResourceResourceURIHandlerFunc(h.DeleteDefaultResource)
}

func (h *Configuration) assignApprovals(api *operations.ConfigurationServiceAPI) {
	api.ApprovalPostProjectProjectNameStageStageNameServiceServiceNameApprovalHandler = approval.PostProjectProjectNameStageStageNameServiceServiceNameApprovalHandlerFunc(h.PostApproval)
	api.ApprovalGetProjectProjectNameStageStageNameServiceServiceNameApprovalHandler = approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalHandlerFunc(h.GetApprovals)
	api.ApprovalGetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandler = approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandlerFunc(h.GetApproval)
	api.ApprovalDeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandler = approval.DeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDHandlerFunc(h.DeleteApproval)
	api.RemediationPostProjectProjectNameStageStageNameServiceServiceNameRemediationHandler = remediation.PostProjectProjectNameStageStageNameServiceServiceNameRemediationHandlerFunc(h.PostRemediation)
	api.RemediationGetProjectProjectNameStageStageNameServiceServiceNameRemediationHandler = remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationHandlerFunc(h.GetRemediations)
	api.RemediationGetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandler = remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandlerFunc(h.GetContextRemediations)
	api.RemediationDeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandler = remediation.DeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextHandlerFunc(h.DeleteRemediations)
}

// resourceTail matches a resource path whose resourceURI arrives as raw
// segments (.../resource/helm/values.yaml) rather than as one %2F-encoded
// segment.
var resourceTail = regexp.MustCompile(`^(/v1/project/[^/]+(?:/stage/[^/]+)?(?:/service/[^/]+)?/resource/)(.+/.+)$`)

// joinResourceTail encodes the slashes of a multi-segment resourceURI as %2F,
// so that the router, which matches {resourceURI} as one segment, accepts
// both forms.
func joinResourceTail(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		escaped := r.URL.EscapedPath()
		m := resourceTail.FindStringSubmatch(escaped)
		if m == nil {
			next.ServeHTTP(w, r)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.RawPath = m[1] + strings.ReplaceAll(m[2], "/", "%2F")
		path, err := url.PathUnescape(m[1] + strings.ReplaceAll(m[2], "/", "%2F"))
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		r2.URL.Path = path
		next.ServeHTTP(w, r2)
	})
}
