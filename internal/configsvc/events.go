package configsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/store"
)

// Event types that change the view besides lastEventTypes.
const (
	typeDeploymentFinished   = "sh.keptn.events.deployment-finished"
	typeApprovalTriggered    = "sh.keptn.event.approval.triggered"
	typeApprovalFinished     = "sh.keptn.event.approval.finished"
	typeRemediationTriggered = "sh.keptn.event.remediation.triggered"
	typeRemediationChanged   = "sh.keptn.event.remediation.status.changed"
	typeRemediationFinished  = "sh.keptn.event.remediation.finished"
)

// eventData is the part of an event's data that the view reads. JSON field
// names match case-insensitively, as in Keptn 0.7.
type eventData struct {
	Project     string            `json:"project"`
	Stage       string            `json:"stage"`
	Service     string            `json:"service"`
	Image       string            `json:"image"`
	Tag         string            `json:"tag"`
	Labels      map[string]string `json:"labels"`
	Remediation *struct {
		Result *struct {
			ActionName string `json:"actionName"`
		} `json:"result"`
	} `json:"remediation"`
}

// ParseEventScope reads project, stage and service of an event and checks
// that all three are set, as the view needs them.
func ParseEventScope(data json.RawMessage) (eventData, error) {
	var d eventData
	if err := json.Unmarshal(data, &d); err != nil {
		return d, invalid("Could not parse event data: %v", err)
	}
	switch {
	case d.Project == "":
		return d, invalid("Project must not be empty")
	case d.Stage == "":
		return d, invalid("Stage must not be empty")
	case d.Service == "":
		return d, invalid("Service must not be empty")
	}
	return d, nil
}

// ApplyEvent updates the view of the event's service: the event becomes the
// last one of its type, a deployment-finished event with image and tag sets
// the deployed image, and approval and remediation events open and close
// approvals and remediations as the Keptn 0.7 gatekeeper and remediation
// services did. It returns an InvalidError for data without project, stage
// or service, and a not-found error for an unknown one.
func (s *Service) ApplyEvent(ctx context.Context, ev store.Event) error {
	return s.applyEvent(ctx, ev, false)
}

// applyEvent is ApplyEvent. A redelivered event opens and closes approvals
// and remediations again. It sets lastEventTypes and deployedImage only when
// the last event of its type is not another one of the same or a later time,
// so that a late retry does not undo newer events.
func (s *Service) applyEvent(ctx context.Context, ev store.Event, redelivered bool) error {
	d, err := ParseEventScope(ev.Data)
	if err != nil {
		return err
	}
	return s.view.UpdateService(ctx, d.Project, d.Stage, d.Service, func(svc *store.Service) error {
		if svc.LastEventTypes == nil {
			svc.LastEventTypes = map[string]store.EventRef{}
		}
		last, ok := svc.LastEventTypes[ev.Type]
		superseded := redelivered && ok && last.EventID != ev.ID && !last.Time.Before(ev.Time)
		if !superseded {
			svc.LastEventTypes[ev.Type] = store.EventRef{KeptnContext: ev.KeptnContext, EventID: ev.ID, Time: ev.Time}
		}

		switch ev.Type {
		case typeDeploymentFinished:
			if d.Image != "" && d.Tag != "" && !superseded {
				svc.DeployedImage = d.Image + ":" + d.Tag
			}
		case typeApprovalTriggered:
			open := without(svc.OpenApprovals, func(old store.Approval) bool { return old.EventID == ev.ID })
			svc.OpenApprovals = append(open, store.Approval{
				EventID: ev.ID, KeptnContext: ev.KeptnContext, Time: ev.Time.String(), Image: d.Image, Tag: d.Tag,
			})
		case typeApprovalFinished:
			svc.OpenApprovals = without(svc.OpenApprovals, func(old store.Approval) bool { return old.EventID == ev.TriggeredID })
		case typeRemediationTriggered, typeRemediationChanged:
			r := store.Remediation{EventID: ev.ID, KeptnContext: ev.KeptnContext, Time: ev.Time.String(), Type: ev.Type}
			if d.Remediation != nil && d.Remediation.Result != nil {
				r.Action = d.Remediation.Result.ActionName
			}
			// A repeated event replaces its first delivery.
			open := without(svc.OpenRemediations, func(old store.Remediation) bool { return old.EventID == ev.ID })
			svc.OpenRemediations = append(open, r)
		case typeRemediationFinished:
			svc.OpenRemediations = without(svc.OpenRemediations, func(old store.Remediation) bool { return old.KeptnContext == ev.KeptnContext })
		}
		return nil
	})
}

// Subscriber returns an event bus subscriber that applies every stored event
// to the view. Events that belong to no service, or to one the view does not
// know, leave the view unchanged; other failures are returned, so that the
// client that posted the event learns of them and can retry.
func (s *Service) Subscriber() func(ctx context.Context, ev store.Event, redelivered bool) error {
	return func(ctx context.Context, ev store.Event, redelivered bool) error {
		if ev.Project == "" || ev.Stage == "" || ev.Service == "" || ev.Type == keptn.TypeProjectDelete {
			return nil
		}
		if err := s.known.load(ctx, s); err != nil {
			return fmt.Errorf("load the services of the configuration view: %w", err)
		}
		if !s.known.contains(ev.Project, ev.Stage, ev.Service) {
			return nil
		}
		err := s.applyEvent(ctx, ev, redelivered)
		var inv *InvalidError
		switch {
		case err == nil, errors.As(err, &inv), isNotFound(err):
			return nil
		default:
			return fmt.Errorf("update the configuration view: %w", err)
		}
	}
}

// without returns the items of list for which drop is false, in a new
// slice, so that the list read from the view stays as it was.
func without[T any](list []T, drop func(T) bool) []T {
	var out []T
	for _, item := range list {
		if !drop(item) {
			out = append(out, item)
		}
	}
	return out
}
