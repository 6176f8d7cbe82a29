package handlers

import (
	"net/http"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	models "github.com/keptn-api/keptn-api/models/configuration"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/project"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/services"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/stage"
	"github.com/keptn-api/keptn-api/store"
)

// GetProjects lists the projects, one page at a time.
func (h *Configuration) GetProjects(params project.GetProjectParams, _ any) project.GetProjectResponder {
	// disableUpstreamSync has no effect here, but a value that is not a
	// boolean is rejected as on every other operation.
	var list []store.Project
	_, err := pullFirst(params.HTTPRequest, params.DisableUpstreamSync)
	if err == nil {
		list, err = h.svc.Projects(params.HTTPRequest.Context())
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, errTexts{}, err, project.NewGetProjectDefault)
	}
	start, end, next, err := pageBounds(len(list), params.PageSize, params.NextPageKey)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, errTexts{}, err, project.NewGetProjectDefault)
	}

	out := &models.ExpandedProjects{Projects: []*models.ExpandedProject{}, NextPageKey: next, TotalCount: float64(len(list))}
	for _, p := range list[start:end] {
		out.Projects = append(out.Projects, projectModel(p))
	}
	return project.NewGetProjectOK().WithPayload(out)
}

// PostProject creates a project, cloning its upstream when one is given.
func (h *Configuration) PostProject(params project.PostProjectParams, _ any) project.PostProjectResponder {
	texts := errTexts{status: http.StatusBadRequest, exists: "Project already exists"}
	body := params.Project

	upstream, err := h.svc.CheckUpstream(body.GitUser, body.GitToken, body.GitRemoteURI)
	if err == nil {
		err = h.svc.CreateProject(params.HTTPRequest.Context(), configsvc.CreateProjectInput{Name: body.ProjectName, Upstream: upstream})
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, project.NewPostProjectDefault)
	}
	return project.NewPostProjectNoContent()
}

// GetProject returns one project.
func (h *Configuration) GetProject(params project.GetProjectProjectNameParams, _ any) project.GetProjectProjectNameResponder {
	p, err := h.svc.Project(params.HTTPRequest.Context(), params.ProjectName)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: "Project not found"}
		return failConfig(h.log, params.HTTPRequest, texts, err, project.NewGetProjectProjectNameDefault)
	}
	return project.NewGetProjectProjectNameOK().WithPayload(projectModel(p))
}

// PutProject sets or replaces the upstream of the project named in the path.
func (h *Configuration) PutProject(params project.PutProjectProjectNameParams, _ any) project.PutProjectProjectNameResponder {
	texts := errTexts{status: http.StatusBadRequest, project: "Project does not exist"}
	body := params.Project

	var err error
	switch {
	case body.ProjectName != "" && body.ProjectName != params.ProjectName:
		err = badRequest("projectName %q in the body differs from %q in the path", body.ProjectName, params.ProjectName)
	case body.GitUser == "" || body.GitToken == "" || body.GitRemoteURI == "":
		err = badRequest("Project not updated as Git credentials were missing")
	default:
		err = h.svc.SetUpstream(params.HTTPRequest.Context(), params.ProjectName,
			store.Upstream{User: body.GitUser, Token: body.GitToken, RemoteURI: body.GitRemoteURI})
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, project.NewPutProjectProjectNameDefault)
	}
	return project.NewPutProjectProjectNameNoContent()
}

// DeleteProject removes a project; an unknown project is not an error.
func (h *Configuration) DeleteProject(params project.DeleteProjectProjectNameParams, _ any) project.DeleteProjectProjectNameResponder {
	if err := h.svc.DeleteProject(params.HTTPRequest.Context(), params.ProjectName); err != nil {
		return failConfig(h.log, params.HTTPRequest, errTexts{}, err, project.NewDeleteProjectProjectNameDefault)
	}
	return project.NewDeleteProjectProjectNameNoContent()
}

// GetStages lists the stages of a project in creation order.
func (h *Configuration) GetStages(params stage.GetProjectProjectNameStageParams, _ any) stage.GetProjectProjectNameStageResponder {
	texts := errTexts{status: http.StatusNotFound, project: "Project not found"}
	p, err := h.svc.Project(params.HTTPRequest.Context(), params.ProjectName)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, stage.NewGetProjectProjectNameStageDefault)
	}
	start, end, next, err := pageBounds(len(p.Stages), params.PageSize, params.NextPageKey)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, stage.NewGetProjectProjectNameStageDefault)
	}

	out := &models.Stages{Stages: []*models.ExpandedStage{}, NextPageKey: next, TotalCount: float64(len(p.Stages))}
	for _, st := range p.Stages[start:end] {
		out.Stages = append(out.Stages, stageModel(st))
	}
	return stage.NewGetProjectProjectNameStageOK().WithPayload(out)
}

// PostStage creates a stage branch forked from the main branch.
func (h *Configuration) PostStage(params stage.PostProjectProjectNameStageParams, _ any) stage.PostProjectProjectNameStageResponder {
	name := params.Stage.StageName
	texts := errTexts{status: http.StatusBadRequest, project: "Project does not exist.", exists: "Could not create stage. Stage " + name + " already exists."}
	if err := h.svc.CreateStage(params.HTTPRequest.Context(), params.ProjectName, name); err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, stage.NewPostProjectProjectNameStageDefault)
	}
	return stage.NewPostProjectProjectNameStageNoContent()
}

// GetStage returns one stage.
func (h *Configuration) GetStage(params stage.GetProjectProjectNameStageStageNameParams, _ any) stage.GetProjectProjectNameStageStageNameResponder {
	st, err := h.svc.Stage(params.HTTPRequest.Context(), params.ProjectName, params.StageName)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: "Project not found", stage: "Stage not found"}
		return failConfig(h.log, params.HTTPRequest, texts, err, stage.NewGetProjectProjectNameStageStageNameDefault)
	}
	return stage.NewGetProjectProjectNameStageStageNameOK().WithPayload(stageModel(st))
}

// PutStage makes sure the stage named in the path exists, creating it like
// PostStage when it does not. Stages carry no other settings to update.
func (h *Configuration) PutStage(params stage.PutProjectProjectNameStageStageNameParams, _ any) stage.PutProjectProjectNameStageStageNameResponder {
	texts := errTexts{status: http.StatusBadRequest, project: "Project does not exist."}
	ctx := params.HTTPRequest.Context()

	var err error
	if body := params.Stage.StageName; body != "" && body != params.StageName {
		err = badRequest("stageName %q in the body differs from %q in the path", body, params.StageName)
	} else if _, err = h.svc.Stage(ctx, params.ProjectName, params.StageName); isNotFoundErr(err) {
		err = ignoreExists(h.svc.CreateStage(ctx, params.ProjectName, params.StageName))
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, stage.NewPutProjectProjectNameStageStageNameDefault)
	}
	return stage.NewPutProjectProjectNameStageStageNameNoContent()
}

// DeleteStage removes a stage, its branch and its services.
func (h *Configuration) DeleteStage(params stage.DeleteProjectProjectNameStageStageNameParams, _ any) stage.DeleteProjectProjectNameStageStageNameResponder {
	if err := h.svc.DeleteStage(params.HTTPRequest.Context(), params.ProjectName, params.StageName); err != nil {
		texts := errTexts{status: http.StatusNotFound, project: "Project not found", stage: "Stage not found"}
		return failConfig(h.log, params.HTTPRequest, texts, err, stage.NewDeleteProjectProjectNameStageStageNameDefault)
	}
	return stage.NewDeleteProjectProjectNameStageStageNameNoContent()
}

// GetProjectServices lists each service of a project once, with the stages
// that contain it.
func (h *Configuration) GetProjectServices(params services.GetProjectProjectNameServiceParams, _ any) services.GetProjectProjectNameServiceResponder {
	texts := errTexts{status: http.StatusNotFound, project: "Project not found"}
	p, err := h.svc.Project(params.HTTPRequest.Context(), params.ProjectName)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewGetProjectProjectNameServiceDefault)
	}
	all := servicesWithStageInfo(p)
	start, end, next, err := pageBounds(len(all), params.PageSize, params.NextPageKey)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewGetProjectProjectNameServiceDefault)
	}

	out := &models.ServicesWithStageInfo{Services: append([]*models.ExpandedServiceWithStageInfo{}, all[start:end]...), NextPageKey: next, TotalCount: float64(len(all))}
	return services.NewGetProjectProjectNameServiceOK().WithPayload(out)
}

// GetProjectService returns one service with the stages that contain it.
func (h *Configuration) GetProjectService(params services.GetProjectProjectNameServiceServiceNameParams, _ any) services.GetProjectProjectNameServiceServiceNameResponder {
	texts := errTexts{status: http.StatusNotFound, project: "Project not found"}
	p, err := h.svc.Project(params.HTTPRequest.Context(), params.ProjectName)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, services.NewGetProjectProjectNameServiceServiceNameDefault)
	}
	for _, svc := range servicesWithStageInfo(p) {
		if svc.ServiceName == params.ServiceName {
			return services.NewGetProjectProjectNameServiceServiceNameOK().WithPayload(svc)
		}
	}
	return failConfig(h.log, params.HTTPRequest, texts, notFound("Service not found"), services.NewGetProjectProjectNameServiceServiceNameDefault)
}
