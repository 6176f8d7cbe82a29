package handlers

import (
	models "github.com/keptn-api/keptn-api/models/configuration"
	"github.com/keptn-api/keptn-api/store"
)

// projectModel converts a project of the view. Stages stay null until the
// project has one, as in Keptn 0.7.
func projectModel(p store.Project) *models.ExpandedProject {
	out := &models.ExpandedProject{
		ProjectName:  p.Name,
		GitUser:      p.GitUser,
		GitRemoteURI: p.GitRemoteURI,
		Shipyard:     p.Shipyard,
		CreationDate: epochNanos(p.CreationDate),
	}
	if p.Stages != nil {
		out.Stages = make([]*models.ExpandedStage, len(p.Stages))
		for i, st := range p.Stages {
			out.Stages[i] = stageModel(st)
		}
	}
	return out
}

func stageModel(st store.Stage) *models.ExpandedStage {
	out := &models.ExpandedStage{StageName: st.Name, Services: make([]*models.ExpandedService, len(st.Services))}
	for i, svc := range st.Services {
		out.Services[i] = serviceModel(svc)
	}
	return out
}

// serviceModel converts a service of the view; openApprovals and
// openRemediations are null when there are none, as in Keptn 0.7.
func serviceModel(svc store.Service) *models.ExpandedService {
	out := &models.ExpandedService{
		ServiceName:    svc.Name,
		CreationDate:   epochNanos(svc.CreationDate),
		DeployedImage:  svc.DeployedImage,
		LastEventTypes: eventTypesModel(svc.LastEventTypes),
	}
	for _, a := range svc.OpenApprovals {
		out.OpenApprovals = append(out.OpenApprovals, approvalModel(a))
	}
	for _, r := range svc.OpenRemediations {
		out.OpenRemediations = append(out.OpenRemediations, remediationModel(r))
	}
	return out
}

func eventTypesModel(refs map[string]store.EventRef) map[string]models.EventContext {
	if len(refs) == 0 {
		return nil
	}
	out := make(map[string]models.EventContext, len(refs))
	for eventType, ref := range refs {
		out[eventType] = models.EventContext{KeptnContext: ref.KeptnContext, EventID: ref.EventID, Time: epochNanos(ref.Time)}
	}
	return out
}

func approvalModel(a store.Approval) *models.Approval {
	return &models.Approval{EventID: a.EventID, KeptnContext: a.KeptnContext, Time: a.Time, Image: a.Image, Tag: a.Tag}
}

func remediationModel(r store.Remediation) *models.Remediation {
	return &models.Remediation{EventID: r.EventID, KeptnContext: r.KeptnContext, Time: r.Time, Type: r.Type, Action: r.Action}
}

// servicesWithStageInfo lists each service of a project once, in the order
// of first appearance walking the stages in order, with one stageInfo entry
// per stage that contains it.
func servicesWithStageInfo(p store.Project) []*models.ExpandedServiceWithStageInfo {
	var out []*models.ExpandedServiceWithStageInfo
	index := map[string]*models.ExpandedServiceWithStageInfo{}
	for _, st := range p.Stages {
		for _, svc := range st.Services {
			entry := index[svc.Name]
			if entry == nil {
				entry = &models.ExpandedServiceWithStageInfo{ServiceName: svc.Name, CreationDate: epochNanos(svc.CreationDate), StageInfo: []*models.InverseServiceStageInfo{}}
				index[svc.Name] = entry
				out = append(out, entry)
			}
			entry.StageInfo = append(entry.StageInfo, &models.InverseServiceStageInfo{
				StageName:      st.Name,
				DeployedImage:  svc.DeployedImage,
				LastEventTypes: eventTypesModel(svc.LastEventTypes),
			})
		}
	}
	return out
}

// resourceListModel converts resource URIs for a listing, where each carries
// a leading "/" as in Keptn 0.7.
func resourceListModel(uris []string) []*models.Resource {
	out := make([]*models.Resource, len(uris))
	for i, u := range uris {
		uri := "/" + u
		out[i] = &models.Resource{ResourceURI: &uri}
	}
	return out
}
