package configsvc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/keptn-api/keptn-api/store"
)

// Errors of the approval and remediation operations.
var (
	ErrApprovalNotFound    = fmt.Errorf("open approval %w", store.ErrNotFound)
	ErrRemediationNotFound = fmt.Errorf("open remediation %w", store.ErrNotFound)
)

// checkOpenItem checks the ids that closing an approval or remediation needs
// later: the eventId closes an approval, the keptnContext a remediation, and
// both name the item in lists.
func checkOpenItem(kind, eventID, keptnContext string) error {
	if strings.TrimSpace(eventID) == "" {
		return invalid("invalid %s: eventId is missing or empty", kind)
	}
	if strings.TrimSpace(keptnContext) == "" {
		return invalid("invalid %s %q: keptnContext is missing or empty", kind, eventID)
	}
	return nil
}

// OpenApproval adds an open approval to a service. An approval whose eventId
// is open already replaces it, so a repeated request does not duplicate it.
// It returns an InvalidError when the eventId or keptnContext is empty.
func (s *Service) OpenApproval(ctx context.Context, project, stage, service string, a store.Approval) error {
	if err := checkOpenItem("approval", a.EventID, a.KeptnContext); err != nil {
		return err
	}
	return s.view.UpdateService(ctx, project, stage, service, func(svc *store.Service) error {
		i := slices.IndexFunc(svc.OpenApprovals, func(o store.Approval) bool { return o.EventID == a.EventID })
		if i >= 0 {
			svc.OpenApprovals[i] = a
			return nil
		}
		svc.OpenApprovals = append(svc.OpenApprovals, a)
		return nil
	})
}

// CloseApproval removes every open approval with the eventId.
func (s *Service) CloseApproval(ctx context.Context, project, stage, service, eventID string) error {
	return s.view.UpdateService(ctx, project, stage, service, func(svc *store.Service) error {
		n := len(svc.OpenApprovals)
		svc.OpenApprovals = slices.DeleteFunc(svc.OpenApprovals, func(o store.Approval) bool { return o.EventID == eventID })
		if len(svc.OpenApprovals) == n {
			return ErrApprovalNotFound
		}
		if len(svc.OpenApprovals) == 0 {
			svc.OpenApprovals = nil
		}
		return nil
	})
}

// OpenRemediation adds an open remediation to a service. A remediation with
// the eventId of an open one replaces it. It returns an InvalidError when the
// eventId or keptnContext is empty.
func (s *Service) OpenRemediation(ctx context.Context, project, stage, service string, r store.Remediation) error {
	if err := checkOpenItem("remediation", r.EventID, r.KeptnContext); err != nil {
		return err
	}
	return s.view.UpdateService(ctx, project, stage, service, func(svc *store.Service) error {
		i := slices.IndexFunc(svc.OpenRemediations, func(o store.Remediation) bool { return o.EventID == r.EventID })
		if i >= 0 {
			svc.OpenRemediations[i] = r
			return nil
		}
		svc.OpenRemediations = append(svc.OpenRemediations, r)
		return nil
	})
}

// CloseRemediations removes every open remediation of a keptnContext.
func (s *Service) CloseRemediations(ctx context.Context, project, stage, service, keptnContext string) error {
	return s.view.UpdateService(ctx, project, stage, service, func(svc *store.Service) error {
		n := len(svc.OpenRemediations)
		svc.OpenRemediations = slices.DeleteFunc(svc.OpenRemediations, func(o store.Remediation) bool { return o.KeptnContext == keptnContext })
		if len(svc.OpenRemediations) == n {
			return ErrRemediationNotFound
		}
		if len(svc.OpenRemediations) == 0 {
			svc.OpenRemediations = nil
		}
		return nil
	})
}
