package handlers

import (
	"net/http"

	"github.com/keptn-api/keptn-api/internal/workflow"
	"github.com/keptn-api/keptn-api/restapi/api/operations/evaluation"
)

// TriggerEvaluation emits sh.keptn.event.start-evaluation for a service and
// a time window.
func (h *API) TriggerEvaluation(params evaluation.TriggerEvaluationParams, _ any) evaluation.TriggerEvaluationResponder {
	in := workflow.EvaluationInput{Project: params.ProjectName, Stage: params.StageName, Service: params.ServiceName}
	if body := params.Evaluation; body != nil {
		in.Start, in.End, in.Timeframe, in.Labels = body.Start, body.End, body.Timeframe, body.Labels
	}

	ec, err := h.flows.TriggerEvaluation(params.HTTPRequest.Context(), in)
	if err != nil {
		// Keptn 0.7 rejected an unknown project, stage or service with a
		// 400 and the configuration-service's message.
		texts := errTexts{status: http.StatusBadRequest, project: "Project not found", stage: "Stage not found", service: "Service not found"}
		return failAPI(h.log, params.HTTPRequest, texts.translate(err), evaluation.NewTriggerEvaluationDefault)
	}
	return evaluation.NewTriggerEvaluationOK().WithPayload(apiEventContext(ec))
}
