package handlers

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	models "github.com/keptn-api/keptn-api/models/configuration"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/project_resource"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/stage_resource"
	"github.com/keptn-api/keptn-api/store"
)

// listResources returns one page of the resources of a level.
func (h *Configuration) listResources(r *http.Request, level configsvc.Level, pageSize *int64, nextPageKey *string, disableSync *bool) (*models.Resources, error) {
	sync, err := pullFirst(r, disableSync)
	if err != nil {
		return nil, err
	}
	uris, err := h.svc.ListResources(r.Context(), level, sync)
	if err != nil {
		return nil, err
	}
	start, end, next, err := pageBounds(len(uris), pageSize, nextPageKey)
	if err != nil {
		return nil, err
	}
	return &models.Resources{Resources: resourceListModel(uris[start:end]), NextPageKey: next, TotalCount: float64(len(uris))}, nil
}

// writeResources commits the resources of a request body at a level.
func (h *Configuration) writeResources(ctx context.Context, level configsvc.Level, body *models.ResourceList, message string, unpackCharts bool) (*models.Version, error) {
	resources, err := resourcesFromModel(body.Resources)
	if err != nil {
		return nil, err
	}
	v, err := h.svc.WriteResources(ctx, level, resources, message, unpackCharts)
	if err != nil {
		return nil, err
	}
	return versionModel(v), nil
}

// writeResource commits one resource whose URI comes from the path; the
// body's resourceURI is ignored, as in Keptn 0.7.
func (h *Configuration) writeResource(ctx context.Context, level configsvc.Level, uri string, body *models.Resource) (*models.Version, error) {
	resources := []configsvc.Resource{{URI: uri, Content: body.ResourceContent}}
	v, err := h.svc.WriteResources(ctx, level, resources, "Updated resource: "+uri, false)
	if err != nil {
		return nil, err
	}
	return versionModel(v), nil
}

// readResource returns one resource of a level.
func (h *Configuration) readResource(r *http.Request, level configsvc.Level, uri string, commitID *string, disableSync *bool) (*models.Resource, error) {
	sync, err := pullFirst(r, disableSync)
	if err != nil {
		return nil, err
	}
	content, v, err := h.svc.ReadResource(r.Context(), level, uri, value(commitID), sync)
	if err != nil {
		return nil, err
	}
	return resourceModel(uri, content, v), nil
}

func resourceModel(uri string, content []byte, v store.Version) *models.Resource {
	return &models.Resource{ResourceURI: &uri, ResourceContent: base64.StdEncoding.EncodeToString(content), Metadata: versionModel(v)}
}

// GetProjectResources lists the files of the main branch.
func (h *Configuration) GetProjectResources(params project_resource.GetProjectProjectNameResourceParams, _ any) project_resource.GetProjectProjectNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName}
	out, err := h.listResources(params.HTTPRequest, level, params.PageSize, params.NextPageKey, params.DisableUpstreamSync)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: "Project does not exist", upstreamStatus: http.StatusBadGateway}
		return failConfig(h.log, params.HTTPRequest, texts, err, project_resource.NewGetProjectProjectNameResourceDefault)
	}
	return project_resource.NewGetProjectProjectNameResourceOK().WithPayload(out)
}

// PostProjectResources commits files to the main branch.
func (h *Configuration) PostProjectResources(params project_resource.PostProjectProjectNameResourceParams, _ any) project_resource.PostProjectProjectNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName}
	v, err := h.writeResources(params.HTTPRequest.Context(), level, params.Resources, "Added resources", false)
	if err != nil {
		texts := errTexts{status: http.StatusBadRequest, project: "Project does not exist"}
		return failConfig(h.log, params.HTTPRequest, texts, err, project_resource.NewPostProjectProjectNameResourceDefault)
	}
	return project_resource.NewPostProjectProjectNameResourceCreated().WithPayload(v)
}

// PutProjectResources commits files to the main branch.
func (h *Configuration) PutProjectResources(params project_resource.PutProjectProjectNameResourceParams, _ any) project_resource.PutProjectProjectNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName}
	v, err := h.writeResources(params.HTTPRequest.Context(), level, params.Resources, "Updated resources", false)
	if err != nil {
		texts := errTexts{status: http.StatusBadRequest, project: "Project does not exist"}
		return failConfig(h.log, params.HTTPRequest, texts, err, project_resource.NewPutProjectProjectNameResourceDefault)
	}
	return project_resource.NewPutProjectProjectNameResourceCreated().WithPayload(v)
}

// GetProjectResource returns one file of the main branch.
func (h *Configuration) GetProjectResource(params project_resource.GetProjectProjectNameResourceResourceURIParams, _ any) project_resource.GetProjectProjectNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName}
	out, err := h.readResource(params.HTTPRequest, level, params.ResourceURI, params.CommitID, params.DisableUpstreamSync)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: "Project not found", resource: "Project resource not found", upstreamStatus: http.StatusBadGateway}
		return failConfig(h.log, params.HTTPRequest, texts, err, project_resource.NewGetProjectProjectNameResourceResourceURIDefault)
	}
	return project_resource.NewGetProjectProjectNameResourceResourceURIOK().WithPayload(out)
}

// PutProjectResource commits one file to the main branch.
func (h *Configuration) PutProjectResource(params project_resource.PutProjectProjectNameResourceResourceURIParams, _ any) project_resource.PutProjectProjectNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName}
	v, err := h.writeResource(params.HTTPRequest.Context(), level, params.ResourceURI, params.Resource)
	if err != nil {
		texts := errTexts{status: http.StatusBadRequest, project: "Project does not exist"}
		return failConfig(h.log, params.HTTPRequest, texts, err, project_resource.NewPutProjectProjectNameResourceResourceURIDefault)
	}
	return project_resource.NewPutProjectProjectNameResourceResourceURICreated().WithPayload(v)
}

// DeleteProjectResource deletes one file of the main branch.
func (h *Configuration) DeleteProjectResource(params project_resource.DeleteProjectProjectNameResourceResourceURIParams, _ any) project_resource.DeleteProjectProjectNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName}
	if _, err := h.svc.DeleteResource(params.HTTPRequest.Context(), level, params.ResourceURI); err != nil {
		texts := errTexts{status: http.StatusBadRequest, project: "Project does not exist", resource: "Project resource not found"}
		return failConfig(h.log, params.HTTPRequest, texts, err, project_resource.NewDeleteProjectProjectNameResourceResourceURIDefault)
	}
	return project_resource.NewDeleteProjectProjectNameResourceResourceURINoContent()
}

// stageWriteTexts are the texts of writes to stage resources.
var stageWriteTexts = errTexts{status: http.StatusBadRequest, project: "Stage does not exist", stage: "Stage does not exist"}

// GetStageResources lists the files of a stage branch, without the
// directories of its services.
func (h *Configuration) GetStageResources(params stage_resource.GetProjectProjectNameStageStageNameResourceParams, _ any) stage_resource.GetProjectProjectNameStageStageNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName}
	out, err := h.listResources(params.HTTPRequest, level, params.PageSize, params.NextPageKey, params.DisableUpstreamSync)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: "Stage does not exist", stage: "Stage does not exist", upstreamStatus: http.StatusBadGateway}
		return failConfig(h.log, params.HTTPRequest, texts, err, stage_resource.NewGetProjectProjectNameStageStageNameResourceDefault)
	}
	return stage_resource.NewGetProjectProjectNameStageStageNameResourceOK().WithPayload(out)
}

// PostStageResources commits files to a stage branch.
func (h *Configuration) PostStageResources(params stage_resource.PostProjectProjectNameStageStageNameResourceParams, _ any) stage_resource.PostProjectProjectNameStageStageNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName}
	v, err := h.writeResources(params.HTTPRequest.Context(), level, params.Resources, "Added resources", false)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, stageWriteTexts, err, stage_resource.NewPostProjectProjectNameStageStageNameResourceDefault)
	}
	return stage_resource.NewPostProjectProjectNameStageStageNameResourceCreated().WithPayload(v)
}

// PutStageResources commits files to a stage branch.
func (h *Configuration) PutStageResources(params stage_resource.PutProjectProjectNameStageStageNameResourceParams, _ any) stage_resource.PutProjectProjectNameStageStageNameResourceResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName}
	v, err := h.writeResources(params.HTTPRequest.Context(), level, params.Resources, "Updated resources", false)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, stageWriteTexts, err, stage_resource.NewPutProjectProjectNameStageStageNameResourceDefault)
	}
	return stage_resource.NewPutProjectProjectNameStageStageNameResourceCreated().WithPayload(v)
}

// GetStageResource returns one file of a stage branch.
func (h *Configuration) GetStageResource(params stage_resource.GetProjectProjectNameStageStageNameResourceResourceURIParams, _ any) stage_resource.GetProjectProjectNameStageStageNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName}
	out, err := h.readResource(params.HTTPRequest, level, params.ResourceURI, params.CommitID, params.DisableUpstreamSync)
	if err != nil {
		texts := errTexts{status: http.StatusNotFound, project: "Project not found", stage: "Stage not found", resource: "Stage resource not found", upstreamStatus: http.StatusBadGateway}
		return failConfig(h.log, params.HTTPRequest, texts, err, stage_resource.NewGetProjectProjectNameStageStageNameResourceResourceURIDefault)
	}
	return stage_resource.NewGetProjectProjectNameStageStageNameResourceResourceURIOK().WithPayload(out)
}

// PutStageResource commits one file to a stage branch.
func (h *Configuration) PutStageResource(params stage_resource.PutProjectProjectNameStageStageNameResourceResourceURIParams, _ any) stage_resource.PutProjectProjectNameStageStageNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName}
	v, err := h.writeResource(params.HTTPRequest.Context(), level, params.ResourceURI, params.Resource)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, stageWriteTexts, err, stage_resource.NewPutProjectProjectNameStageStageNameResourceResourceURIDefault)
	}
	return stage_resource.NewPutProjectProjectNameStageStageNameResourceResourceURICreated().WithPayload(v)
}

// DeleteStageResource deletes one file of a stage branch.
func (h *Configuration) DeleteStageResource(params stage_resource.DeleteProjectProjectNameStageStageNameResourceResourceURIParams, _ any) stage_resource.DeleteProjectProjectNameStageStageNameResourceResourceURIResponder {
	level := configsvc.Level{Project: params.ProjectName, Stage: params.StageName}
	if _, err := h.svc.DeleteResource(params.HTTPRequest.Context(), level, params.ResourceURI); err != nil {
		texts := stageWriteTexts
		texts.resource = "Stage resource not found"
		return failConfig(h.log, params.HTTPRequest, texts, err, stage_resource.NewDeleteProjectProjectNameStageStageNameResourceResourceURIDefault)
	}
	return stage_resource.NewDeleteProjectProjectNameStageStageNameResourceResourceURINoContent()
}
