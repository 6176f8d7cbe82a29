package handlers

import (
	"net/http"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	models "github.com/keptn-api/keptn-api/models/configuration"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/service_default_resource"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/service_resource"
	"github.com/keptn-api/keptn-api/store"
)

// serviceWriteTexts are the texts of list writes to a service in a stage.
func serviceWriteTexts(project, stage, service string) errTexts {
	return errTexts{
		status:  http.StatusBadRequest,
		project: "Project " + project + " does not exist",
		stage:   "Stage " + stage + " does not exist within project " + project,
		service: "Service " + service + " does not exist within stage " + stage + " of project " + project,
	}
}

// serviceReadTexts are the texts of reads of a service's resources.
var serviceReadTexts = errTexts{
	status: http.StatusNotFound, project: "Project not found", stage: "Stage not found", service: "Service not found",
	resource: "Service resource not found", upstreamStatus: http.StatusBadGateway,
}

// GetServiceResources lists the files of a service in a stage, relative to
// its directory.
func (h *Configuration) GetServiceResources(params service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceParams, _ any) service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName, Service: params.ServiceName}
	out, err := h.listResources(params.HTTPRequest, level, params.PageSize, params.NextPageKey, params.DisableUpstreamSync)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, serviceReadTexts, err, service_resource.NewGetProjectProjectNameStageStageNameServiceServiceNameResourceDefault)
	}
	return service_resource.NewGetProjectProjectNameStageStageNameServiceServiceNameResourceOK().WithPayload(out)
}

// PostServiceResources commits files of a service in a stage, unpacking Helm
// chart archives.
func (h *Configuration) PostServiceResources(params service_resource.PostProjectProjectNameStageStageNameServiceServiceNameResourceParams, _ any) service_resource.PostProjectProjectNameStageStageNameServiceServiceNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName, Service: params.ServiceName}
	v, err := h.writeResources(params.HTTPRequest.Context(), level, params.Resources, "Added resources", true)
	if err != nil {
		texts := serviceWriteTexts(params.ProjectName, params.StageName, params.ServiceName)
		return failConfig(h.log, params.HTTPRequest, texts, err, service_resource.NewPostProjectProjectNameStageStageNameServiceServiceNameResourceDefault)
	}
	return service_resource.NewPostProjectProjectNameStageStageNameServiceServiceNameResourceCreated().WithPayload(v)
}

// PutServiceResources commits files of a service in a stage, unpacking Helm
// chart archives.
func (h *Configuration) PutServiceResources(params service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceParams, _ any) service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName, Service: params.ServiceName}
	v, err := h.writeResources(params.HTTPRequest.Context(), level, params.Resources, "Updated resources", true)
	if err != nil {
		texts := serviceWriteTexts(params.ProjectName, params.StageName, params.ServiceName)
		return failConfig(h.log, params.HTTPRequest, texts, err, service_resource.NewPutProjectProjectNameStageStageNameServiceServiceNameResourceDefault)
	}
	return service_resource.NewPutProjectProjectNameStageStageNameServiceServiceNameResourceCreated().WithPayload(v)
}

// GetServiceResource returns one file of a service in a stage; a Helm chart
// archive is packed from its unpacked directory.
func (h *Configuration) GetServiceResource(params service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIParams, _ any) service_resource.GetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName, Service: params.ServiceName}
	out, err := h.readResource(params.HTTPRequest, level, params.ResourceURI, params.CommitID, params.DisableUpstreamSync)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, serviceReadTexts, err, service_resource.NewGetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIDefault)
	}
	return service_resource.NewGetProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIOK().WithPayload(out)
}

// PutServiceResource commits one file of a service in a stage, as given.
func (h *Configuration) PutServiceResource(params service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIParams, _ any) service_resource.PutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName, Service: params.ServiceName}
	v, err := h.writeResource(params.HTTPRequest.Context(), level, params.ResourceURI, params.Resource)
	if err != nil {
		texts := errTexts{status: http.StatusBadRequest, project: "Service does not exist", stage: "Service does not exist", service: "Service does not exist"}
		return failConfig(h.log, params.HTTPRequest, texts, err, service_resource.NewPutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIDefault)
	}
	return service_resource.NewPutProjectProjectNameStageStageNameServiceServiceNameResourceResourceURICreated().WithPayload(v)
}

// DeleteServiceResource deletes one file of a service in a stage, or the
// unpacked directory of a Helm chart archive.
func (h *Configuration) DeleteServiceResource(params service_resource.DeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIParams, _ any) service_resource.DeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName, Service: params.ServiceName}
	if _, err := h.svc.DeleteResource(params.HTTPRequest.Context(), level, params.ResourceURI); err != nil {
		texts := errTexts{status: http.StatusBadRequest, project: "Service does not exist", stage: "Service does not exist", service: "Service does not exist", resource: "Service resource not found"}
		return failConfig(h.log, params.HTTPRequest, texts, err, service_resource.NewDeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURIDefault)
	}
	return service_resource.NewDeleteProjectProjectNameStageStageNameServiceServiceNameResourceResourceURINoContent()
}

// defaultTexts are the texts of the operations on a service in all stages.
var defaultTexts = errTexts{
	status: http.StatusNotFound, project: "Project does not exist", stage: "Service does not exist", service: "Service does not exist",
	resource: "Service resource not found", upstreamStatus: http.StatusBadGateway,
}

// GetDefaultResources lists the files a service has in any stage.
func (h *Configuration) GetDefaultResources(params service_default_resource.GetProjectProjectNameServiceServiceNameResourceParams, _ any) service_default_resource.GetProjectProjectNameServiceServiceNameResourceResponder {
	sync, err := pullFirst(params.HTTPRequest, params.DisableUpstreamSync)
	var uris []string
	if err == nil {
		uris, err = h.svc.ListServiceResources(params.HTTPRequest.Context(), params.ProjectName, params.ServiceName, sync)
	}
	var start, end int
	var next string
	if err == nil {
		start, end, next, err = pageBounds(len(uris), params.PageSize, params.NextPageKey)
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, defaultTexts, err, service_default_resource.NewGetProjectProjectNameServiceServiceNameResourceDefault)
	}
	out := &models.Resources{Resources: resourceListModel(uris[start:end]), NextPageKey: next, TotalCount: float64(len(uris))}
	return service_default_resource.NewGetProjectProjectNameServiceServiceNameResourceOK().WithPayload(out)
}

// PostDefaultResources commits files of a service to every stage.
func (h *Configuration) PostDefaultResources(params service_default_resource.PostProjectProjectNameServiceServiceNameResourceParams, _ any) service_default_resource.PostProjectProjectNameServiceServiceNameResourceResponder {
	resources, err := resourcesFromModel(params.Resources.Resources)
	if err == nil {
		err = h.svc.WriteServiceResources(params.HTTPRequest.Context(), params.ProjectName, params.ServiceName, resources, "Added resources")
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, defaultTexts, err, service_default_resource.NewPostProjectProjectNameServiceServiceNameResourceDefault)
	}
	return service_default_resource.NewPostProjectProjectNameServiceServiceNameResourceCreated()
}

// PutDefaultResources commits files of a service to every stage.
func (h *Configuration) PutDefaultResources(params service_default_resource.PutProjectProjectNameServiceServiceNameResourceParams, _ any) service_default_resource.PutProjectProjectNameServiceServiceNameResourceResponder {
	resources, err := resourcesFromModel(params.Resources.Resources)
	if err == nil {
		err = h.svc.WriteServiceResources(params.HTTPRequest.Context(), params.ProjectName, params.ServiceName, resources, "Updated resources")
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, defaultTexts, err, service_default_resource.NewPutProjectProjectNameServiceServiceNameResourceDefault)
	}
	return service_default_resource.NewPutProjectProjectNameServiceServiceNameResourceCreated()
}

// GetDefaultResource returns a service's file from the first stage that has
// it.
func (h *Configuration) GetDefaultResource(params service_default_resource.GetProjectProjectNameServiceServiceNameResourceResourceURIParams, _ any) service_default_resource.GetProjectProjectNameServiceServiceNameResourceResourceURIResponder {
	sync, err := pullFirst(params.HTTPRequest, params.DisableUpstreamSync)
	var content []byte
	var v store.Version
	if err == nil {
		content, v, err = h.svc.ReadServiceResource(params.HTTPRequest.Context(), params.ProjectName, params.ServiceName, params.ResourceURI, value(params.CommitID), sync)
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, defaultTexts, err, service_default_resource.NewGetProjectProjectNameServiceServiceNameResourceResourceURIDefault)
	}
	return service_default_resource.NewGetProjectProjectNameServiceServiceNameResourceResourceURIOK().WithPayload(resourceModel(params.ResourceURI, content, v))
}

// PutDefaultResource commits one file of a service to every stage.
func (h *Configuration) PutDefaultResource(params service_default_resource.PutProjectProjectNameServiceServiceNameResourceResourceURIParams, _ any) service_default_resource.PutProjectProjectNameServiceServiceNameResourceResourceURIResponder {
	resources := []configsvc.Resource{{URI: params.ResourceURI, Content: params.Resource.ResourceContent}}
	err := h.svc.WriteServiceResources(params.HTTPRequest.Context(), params.ProjectName, params.ServiceName, resources, "Updated resource: "+params.ResourceURI)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, defaultTexts, err, service_default_resource.NewPutProjectProjectNameServiceServiceNameResourceResourceURIDefault)
	}
	return service_default_resource.NewPutProjectProjectNameServiceServiceNameResourceResourceURICreated()
}

// DeleteDefaultResource deletes a service's file from every stage that has
// it.
func (h *Configuration) DeleteDefaultResource(params service_default_resource.DeleteProjectProjectNameServiceServiceNameResourceResourceURIParams, _ any) service_default_resource.DeleteProjectProjectNameServiceServiceNameResourceResourceURIResponder {
	if err := h.svc.DeleteServiceResource(params.HTTPRequest.Context(), params.ProjectName, params.ServiceName, params.ResourceURI); err != nil {
		return failConfig(h.log, params.HTTPRequest, defaultTexts, err, service_default_resource.NewDeleteProjectProjectNameServiceServiceNameResourceResourceURIDefault)
	}
	return service_default_resource.NewDeleteProjectProjectNameServiceServiceNameResourceResourceURINoContent()
}
