package handlers

import (
	"net/http"

	models "github.com/keptn-api/keptn-api/models/configuration"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/services"
)

// GetServices lists the services of a stage in creation order.
func (h *Configuration) GetServices(params services.GetProjectProjectNameStageStageNameServiceParams, _ any) services.GetProjectProjectNameStageStageNameServiceResponder {
	texts := errTexts{status: http.StatusNotFound, project: "Project not found", stage: "Stage not found"}
	st, err := h.svc.Stage(params.HTTPRequest.Context(), params.ProjectName, params.StageName)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewGetProjectProjectNameStageStageNameServiceDefault)
	}
	start, end, next, err := pageBounds(len(st.Services), params.PageSize, params.NextPageKey)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewGetProjectProjectNameStageStageNameServiceDefault)
	}

	out := &models.Services{Services: []*models.ExpandedService{}, NextPageKey: next, TotalCount: float64(len(st.Services))}
	for _, svc := range st.Services[start:end] {
		out.Services = append(out.Services, serviceModel(svc))
	}
	return services.NewGetProjectProjectNameStageStageNameServiceOK().WithPayload(out)
}

// PostService creates a service in a stage.
func (h *Configuration) PostService(params services.PostProjectProjectNameStageStageNameServiceParams, _ any) services.PostProjectProjectNameStageStageNameServiceResponder {
	texts := errTexts{
		status:  http.StatusBadRequest,
		project: "Project " + params.ProjectName + " does not exist.",
		stage:   "Stage " + params.StageName + " does not exist.",
		exists:  "Service already exists",
	}
	err := h.svc.CreateService(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.Service.ServiceName)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewPostProjectProjectNameStageStageNameServiceDefault)
	}
	return services.NewPostProjectProjectNameStageStageNameServiceNoContent()
}

// GetService returns one service of a stage.
func (h *Configuration) GetService(params services.GetProjectProjectNameStageStageNameServiceServiceNameParams, _ any) services.GetProjectProjectNameStageStageNameServiceServiceNameResponder {
	svc, err := h.svc.Service(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.ServiceName)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: "Project not found", stage: "Stage not found", service: "Service not found"}
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewGetProjectProjectNameStageStageNameServiceServiceNameDefault)
	}
	return services.NewGetProjectProjectNameStageStageNameServiceServiceNameOK().WithPayload(serviceModel(svc))
}

// PutService makes sure the service named in the path exists in the stage,
// creating it like PostService when it does not. Services carry no other
// settings to update.
func (h *Configuration) PutService(params services.PutProjectProjectNameStageStageNameServiceServiceNameParams, _ any) services.PutProjectProjectNameStageStageNameServiceServiceNameResponder {
	texts := errTexts{
		status:  http.StatusBadRequest,
		project: "Project " + params.ProjectName + " does not exist.",
		stage:   "Stage " + params.StageName + " does not exist.",
	}
	ctx := params.HTTPRequest.Context()

	var err error
	if body := params.Service.ServiceName; body != "" && body != params.ServiceName {
		err = badRequest("serviceName %q in the body differs from %q in the path", body, params.ServiceName)
	} else if _, err = h.svc.Service(ctx, params.ProjectName, params.StageName, params.ServiceName); isNotFoundErr(err) {
		err = ignoreExists(h.svc.CreateService(ctx, params.ProjectName, params.StageName, params.ServiceName))
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewPutProjectProjectNameStageStageNameServiceServiceNameDefault)
	}
	return services.NewPutProjectProjectNameStageStageNameServiceServiceNameNoContent()
}

// DeleteService removes a service and its files from a stage.
func (h *Configuration) DeleteService(params services.DeleteProjectProjectNameStageStageNameServiceServiceNameParams, _ any) services.DeleteProjectProjectNameStageStageNameServiceServiceNameResponder {
	texts := errTexts{
		status:  http.StatusBadRequest,
		project: "Project " + params.ProjectName + " does not exist.",
		stage:   "Stage " + params.StageName + " does not exist.",
		service: "Service does not exist",
	}
	if err := h.svc.DeleteService(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.ServiceName); err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewDeleteProjectProjectNameStageStageNameServiceServiceNameDefault)
	}
	return services.NewDeleteProjectProjectNameStageStageNameServiceServiceNameNoContent()
}
