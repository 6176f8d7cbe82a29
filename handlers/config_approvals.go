package handlers

import (
	"net/http"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	models "github.com/keptn-api/keptn-api/models/configuration"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/approval"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/event"
	"github.com/keptn-api/keptn-api/restapi/configuration/operations/remediation"
	"github.com/keptn-api/keptn-api/store"
)

// openItemTexts are the texts of reading or adding approvals and
// remediations. Keptn 0.7 crashed or succeeded silently for an unknown
// project, stage or service; here each is a 404.
var openItemTexts = errTexts{status: http.StatusNotFound, project: "Project not found", stage: "Stage not found", service: "Service not found"}

// closeTexts are the texts of closing an approval or remediation.
func closeTexts(kind string) errTexts {
	prefix := "Could not close " + kind + ": "
	return errTexts{
		status: http.StatusBadRequest, project: prefix + "project not found", stage: prefix + "stage not found",
		service: prefix + "service not found", approval: prefix + "open " + kind + " not found",
	}
}

// PostApproval opens an approval of a service.
func (h *Configuration) PostApproval(params approval.PostProjectProjectNameStageStageNameServiceServiceNameApprovalParams, _ any) approval.PostProjectProjectNameStageStageNameServiceServiceNameApprovalResponder {
	a := params.Approval
	if a == nil {
		a = &models.Approval{}
	}
	open := store.Approval{EventID: a.EventID, KeptnContext: a.KeptnContext, Time: a.Time, Image: a.Image, Tag: a.Tag}
	if err := h.svc.OpenApproval(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.ServiceName, open); err != nil {
		return failConfig(h.log, params.HTTPRequest, openItemTexts, err, approval.NewPostProjectProjectNameStageStageNameServiceServiceNameApprovalDefault)
	}
	return approval.NewPostProjectProjectNameStageStageNameServiceServiceNameApprovalOK()
}

// GetApprovals lists the open approvals of a service.
func (h *Configuration) GetApprovals(params approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalParams, _ any) approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalResponder {
	svc, err := h.svc.Service(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.ServiceName)
	var start, end int
	var next string
	if err == nil {
		start, end, next, err = pageBounds(len(svc.OpenApprovals), params.PageSize, params.NextPageKey)
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, openItemTexts, err, approval.NewGetProjectProjectNameStageStageNameServiceServiceNameApprovalDefault)
	}

	out := &models.Approvals{Approvals: []*models.Approval{}, NextPageKey: next, TotalCount: float64(len(svc.OpenApprovals))}
	for _, a := range svc.OpenApprovals[start:end] {
		out.Approvals = append(out.Approvals, approvalModel(a))
	}
	return approval.NewGetProjectProjectNameStageStageNameServiceServiceNameApprovalOK().WithPayload(out)
}

// GetApproval returns the open approval with the eventId in the path.
func (h *Configuration) GetApproval(params approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDParams, _ any) approval.GetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDResponder {
	svc, err := h.svc.Service(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.ServiceName)
	if err == nil {
		for _, a := range svc.OpenApprovals {
			if a.EventID == params.ApprovalID {
				return approval.NewGetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDOK().WithPayload(approvalModel(a))
			}
		}
		err = configsvc.ErrApprovalNotFound
	}
	texts := openItemTexts
	texts.approval = "Approval not found"
	return failConfig(h.log, params.HTTPRequest, texts, err, approval.NewGetProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDDefault)
}

// DeleteApproval closes the open approvals with the eventId in the path.
func (h *Configuration) DeleteApproval(params approval.DeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDParams, _ any) approval.DeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDResponder {
	err := h.svc.CloseApproval(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.ServiceName, params.ApprovalID)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, closeTexts("approval"), err, approval.NewDeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDDefault)
	}
	return approval.NewDeleteProjectProjectNameStageStageNameServiceServiceNameApprovalApprovalIDOK()
}

// PostRemediation opens a remediation of a service.
func (h *Configuration) PostRemediation(params remediation.PostProjectProjectNameStageStageNameServiceServiceNameRemediationParams, _ any) remediation.PostProjectProjectNameStageStageNameServiceServiceNameRemediationResponder {
	r := params.Remediation
	if r == nil {
		r = &models.Remediation{}
	}
	open := store.Remediation{EventID: r.EventID, KeptnContext: r.KeptnContext, Time: r.Time, Type: r.Type, Action: r.Action}
	if err := h.svc.OpenRemediation(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.ServiceName, open); err != nil {
		return failConfig(h.log, params.HTTPRequest, openItemTexts, err, remediation.NewPostProjectProjectNameStageStageNameServiceServiceNameRemediationDefault)
	}
	return remediation.NewPostProjectProjectNameStageStageNameServiceServiceNameRemediationOK()
}

// GetRemediations lists the open remediations of a service.
func (h *Configuration) GetRemediations(params remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationParams, _ any) remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationResponder {
	out, err := h.remediations(params.HTTPRequest, params.ProjectName, params.StageName, params.ServiceName, "", params.PageSize, params.NextPageKey)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, openItemTexts, err, remediation.NewGetProjectProjectNameStageStageNameServiceServiceNameRemediationDefault)
	}
	return remediation.NewGetProjectProjectNameStageStageNameServiceServiceNameRemediationOK().WithPayload(out)
}

// GetContextRemediations lists the open remediations of a service in one
// keptnContext.
func (h *Configuration) GetContextRemediations(params remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextParams, _ any) remediation.GetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextResponder {
	out, err := h.remediations(params.HTTPRequest, params.ProjectName, params.StageName, params.ServiceName, params.KeptnContext, params.PageSize, params.NextPageKey)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, openItemTexts, err, remediation.NewGetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextDefault)
	}
	return remediation.NewGetProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextOK().WithPayload(out)
}

// remediations returns one page of a service's open remediations, only those
// of keptnContext when it is not "".
func (h *Configuration) remediations(r *http.Request, project, stage, service, keptnContext string, pageSize *int64, nextPageKey *string) (*models.Remediations, error) {
	svc, err := h.svc.Service(r.Context(), project, stage, service)
	if err != nil {
		return nil, err
	}
	var list []store.Remediation
	for _, rem := range svc.OpenRemediations {
		if keptnContext == "" || rem.KeptnContext == keptnContext {
			list = append(list, rem)
		}
	}
	start, end, next, err := pageBounds(len(list), pageSize, nextPageKey)
	if err != nil {
		return nil, err
	}

	out := &models.Remediations{Remediations: []*models.Remediation{}, NextPageKey: next, TotalCount: float64(len(list))}
	for _, rem := range list[start:end] {
		out.Remediations = append(out.Remediations, remediationModel(rem))
	}
	return out, nil
}

// DeleteRemediations closes the open remediations of a keptnContext.
func (h *Configuration) DeleteRemediations(params remediation.DeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextParams, _ any) remediation.DeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextResponder {
	err := h.svc.CloseRemediations(params.HTTPRequest.Context(), params.ProjectName, params.StageName, params.ServiceName, params.KeptnContext)
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, closeTexts("remediation"), err, remediation.NewDeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextDefault)
	}
	return remediation.NewDeleteProjectProjectNameStageStageNameServiceServiceNameRemediationKeptnContextOK()
}

// PostEvent records an event in the view of its service. The event is also
// stored through the event bus, like every event the server accepts; one
// stored already (the datastore received it first) is applied to the view
// again as it was first stored, which changes nothing when the first
// delivery updated the view.
func (h *Configuration) PostEvent(params event.PostEventParams, _ any) event.PostEventResponder {
	texts := errTexts{status: http.StatusBadRequest, project: "Could not update service: project not found",
		stage: "Could not update service: stage not found", service: "Could not update service: service not found"}
	ev, err := storeEventFromConfiguration(params.Body, h.now())
	if err == nil {
		err = h.checkEventTarget(params.HTTPRequest, ev)
	}
	if err == nil {
		err = ignoreExists(h.bus.Publish(params.HTTPRequest.Context(), ev))
	}
	if err != nil {
		return failConfig(h.log, params.HTTPRequest, texts, err, event.NewPostEventDefault)
	}
	return event.NewPostEventOK()
}

// checkEventTarget checks that the event names a service the view has.
func (h *Configuration) checkEventTarget(r *http.Request, ev store.Event) error {
	d, err := configsvc.ParseEventScope(ev.Data)
	if err != nil {
		return err
	}
	_, err = h.svc.Service(r.Context(), d.Project, d.Stage, d.Service)
	return err
}
