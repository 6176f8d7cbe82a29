package handlers

import (
	"fmt"
	"net/http"

	"github.com/keptn-api/keptn-api/internal/workflow"
	"github.com/keptn-api/keptn-api/restapi/api/operations/project"
	"github.com/keptn-api/keptn-api/restapi/api/operations/service"
)

// PostProject creates a project from its shipyard within the request and
// returns the eventContext of the run.
func (h *API) PostProject(params project.PostProjectParams, _ any) project.PostProjectResponder {
	body := params.Project
	in := workflow.CreateProjectInput{
		Name:         *body.Name,
		Shipyard:     *body.Shipyard,
		GitUser:      body.GitUser,
		GitToken:     body.GitToken,
		GitRemoteURL: body.GitRemoteURL,
	}

	ec, err := h.flows.CreateProject(params.HTTPRequest.Context(), in)
	if err != nil {
		return failAPI(h.log, params.HTTPRequest, errTexts{}.translate(err), project.NewPostProjectDefault)
	}
	return project.NewPostProjectOK().WithPayload(apiEventContext(ec))
}

// DeleteProject deletes a project with its repository, view and events.
func (h *API) DeleteProject(params project.DeleteProjectProjectNameParams, _ any) project.DeleteProjectProjectNameResponder {
	name := params.ProjectName

	ec, err := h.flows.DeleteProject(params.HTTPRequest.Context(), name)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: projectNotFound(name)}
		return failAPI(h.log, params.HTTPRequest, texts.translate(err), project.NewDeleteProjectProjectNameDefault)
	}
	return project.NewDeleteProjectProjectNameOK().WithPayload(apiEventContext(ec))
}

// PostService creates a service in every stage of a project.
func (h *API) PostService(params service.PostProjectProjectNameServiceParams, _ any) service.PostProjectProjectNameServiceResponder {
	body := params.Service
	in := workflow.CreateServiceInput{
		Project:              params.ProjectName,
		Service:              *body.ServiceName,
		HelmChart:            body.HelmChart,
		DeploymentStrategies: body.DeploymentStrategies,
	}

	ec, err := h.flows.CreateService(params.HTTPRequest.Context(), in)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: projectNotFound(params.ProjectName)}
		return failAPI(h.log, params.HTTPRequest, texts.translate(err), service.NewPostProjectProjectNameServiceDefault)
	}
	return service.NewPostProjectProjectNameServiceOK().WithPayload(apiEventContext(ec))
}

// DeleteService removes a service from every stage of a project.
func (h *API) DeleteService(params service.DeleteProjectProjectNameServiceServiceNameParams, _ any) service.DeleteProjectProjectNameServiceServiceNameResponder {
	p, s := params.ProjectName, params.ServiceName

	ec, err := h.flows.DeleteService(params.HTTPRequest.Context(), p, s)
	if err != nil {
		texts := errTexts{
			status:  http.StatusNotFound,
			project: projectNotFound(p),
			service: fmt.Sprintf("service %q not found in project %q", s, p),
		}
		return failAPI(h.log, params.HTTPRequest, texts.translate(err), service.NewDeleteProjectProjectNameServiceServiceNameDefault)
	}
	return service.NewDeleteProjectProjectNameServiceServiceNameOK().WithPayload(apiEventContext(ec))
}

func projectNotFound(name string) string {
	return fmt.Sprintf("project %q not found", name)
}
