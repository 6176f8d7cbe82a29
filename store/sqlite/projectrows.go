package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keptn-api/keptn-api/store"
)

// projectRow is a project as the projects, stages and services tables store
// it. Values typed any are SQL arguments that may be nil, which SQLite stores
// as NULL.
type projectRow struct {
	name, gitUser, gitRemoteURI, shipyard string
	creationNS                            any
	stages                                []stageRow
}

type stageRow struct {
	name     string
	services []serviceRow
}

// serviceRow is a service as a row of the services table.
type serviceRow struct {
	name       string
	creationNS any
	serviceState
}

// serviceState contains the columns of a service that UpdateService
// rewrites.
type serviceState struct {
	deployedImage    string
	lastEventTypes   any // JSON object text or nil
	openApprovals    any // JSON array text or nil
	openRemediations any // JSON array text or nil
}

// The JSON forms of the service state. Their field lists equal those of the
// store types, so that a change to a store type fails to compile here
// instead of silently changing what the database contains.
type (
	eventRefJSON struct {
		KeptnContext string    `json:"keptnContext"`
		EventID      string    `json:"eventId"`
		Time         time.Time `json:"time"`
	}
	approvalJSON struct {
		EventID      string `json:"eventId"`
		KeptnContext string `json:"keptnContext"`
		Time         string `json:"time"`
		Image        string `json:"image"`
		Tag          string `json:"tag"`
	}
	remediationJSON struct {
		EventID      string `json:"eventId"`
		KeptnContext string `json:"keptnContext"`
		Time         string `json:"time"`
		Type         string `json:"type"`
		Action       string `json:"action"`
	}
)

// encodeProject checks p and turns it into rows. Stage names must be unique
// in p, and service names unique in each stage.
func encodeProject(p store.Project) (projectRow, error) {
	creation, err := encodeCreationDate(p.CreationDate)
	if err != nil {
		return projectRow{}, err
	}
	row := projectRow{
		name:         p.Name,
		gitUser:      p.GitUser,
		gitRemoteURI: p.GitRemoteURI,
		shipyard:     p.Shipyard,
		creationNS:   creation,
	}

	stageNames := make(map[string]bool, len(p.Stages))
	for _, st := range p.Stages {
		if stageNames[st.Name] {
			return projectRow{}, fmt.Errorf("stage %q is listed twice", st.Name)
		}
		stageNames[st.Name] = true

		stage := stageRow{name: st.Name}
		serviceNames := make(map[string]bool, len(st.Services))
		for _, svc := range st.Services {
			if serviceNames[svc.Name] {
				return projectRow{}, fmt.Errorf("service %q is listed twice in stage %q", svc.Name, st.Name)
			}
			serviceNames[svc.Name] = true

			sr, err := encodeService(svc)
			if err != nil {
				return projectRow{}, fmt.Errorf("service %q in stage %q: %w", svc.Name, st.Name, err)
			}
			stage.services = append(stage.services, sr)
		}
		row.stages = append(row.stages, stage)
	}
	return row, nil
}

func encodeService(svc store.Service) (serviceRow, error) {
	creation, err := encodeCreationDate(svc.CreationDate)
	if err != nil {
		return serviceRow{}, err
	}
	state, err := encodeServiceState(svc)
	if err != nil {
		return serviceRow{}, err
	}
	return serviceRow{name: svc.Name, creationNS: creation, serviceState: state}, nil
}

// encodeServiceState encodes the fields of svc other than Name and
// CreationDate. An empty map or slice is stored as NULL.
func encodeServiceState(svc store.Service) (serviceState, error) {
	state := serviceState{deployedImage: svc.DeployedImage}

	if len(svc.LastEventTypes) > 0 {
		refs := make(map[string]eventRefJSON, len(svc.LastEventTypes))
		for eventType, ref := range svc.LastEventTypes {
			refs[eventType] = eventRefJSON(ref)
		}
		text, err := json.Marshal(refs)
		if err != nil {
			// time.Time fails to encode a year outside 0 to 9999.
			return serviceState{}, fmt.Errorf("encode lastEventTypes: %w", err)
		}
		state.lastEventTypes = string(text)
	}

	if len(svc.OpenApprovals) > 0 {
		approvals := make([]approvalJSON, len(svc.OpenApprovals))
		for i, a := range svc.OpenApprovals {
			approvals[i] = approvalJSON(a)
		}
		text, err := json.Marshal(approvals)
		if err != nil {
			return serviceState{}, fmt.Errorf("encode openApprovals: %w", err)
		}
		state.openApprovals = string(text)
	}

	if len(svc.OpenRemediations) > 0 {
		remediations := make([]remediationJSON, len(svc.OpenRemediations))
		for i, r := range svc.OpenRemediations {
			remediations[i] = remediationJSON(r)
		}
		text, err := json.Marshal(remediations)
		if err != nil {
			return serviceState{}, fmt.Errorf("encode openRemediations: %w", err)
		}
		state.openRemediations = string(text)
	}
	return state, nil
}

// encodeCreationDate returns t in nanoseconds since 1970 UTC, or nil for the
// zero time.
func encodeCreationDate(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minStorableTime) || t.After(maxStorableTime) {
		return nil, fmt.Errorf("creation date %s is outside the storable range %s to %s",
			t.Format(time.RFC3339Nano), minStorableTime.UTC().Format(time.RFC3339Nano),
			maxStorableTime.UTC().Format(time.RFC3339Nano))
	}
	return t.UnixNano(), nil
}

func decodeCreationDate(ns sql.NullInt64) time.Time {
	if !ns.Valid {
		return time.Time{}
	}
	return time.Unix(0, ns.Int64).UTC()
}

// serviceColumns are the stored columns of a service, as scanned.
type serviceColumns struct {
	name             string
	creationNS       sql.NullInt64
	deployedImage    string
	lastEventTypes   sql.NullString
	openApprovals    sql.NullString
	openRemediations sql.NullString
}

// decode rebuilds the service. Times come back in UTC. NULL JSON columns
// give nil maps and slices.
func (c *serviceColumns) decode() (store.Service, error) {
	svc := store.Service{
		Name:          c.name,
		CreationDate:  decodeCreationDate(c.creationNS),
		DeployedImage: c.deployedImage,
	}

	if c.lastEventTypes.Valid {
		var refs map[string]eventRefJSON
		if err := json.Unmarshal([]byte(c.lastEventTypes.String), &refs); err != nil {
			return store.Service{}, fmt.Errorf("decode lastEventTypes of service %q: %w", c.name, err)
		}
		if len(refs) > 0 {
			svc.LastEventTypes = make(map[string]store.EventRef, len(refs))
			for eventType, ref := range refs {
				ref.Time = ref.Time.UTC()
				svc.LastEventTypes[eventType] = store.EventRef(ref)
			}
		}
	}

	if c.openApprovals.Valid {
		var approvals []approvalJSON
		if err := json.Unmarshal([]byte(c.openApprovals.String), &approvals); err != nil {
			return store.Service{}, fmt.Errorf("decode openApprovals of service %q: %w", c.name, err)
		}
		for _, a := range approvals {
			svc.OpenApprovals = append(svc.OpenApprovals, store.Approval(a))
		}
	}

	if c.openRemediations.Valid {
		var remediations []remediationJSON
		if err := json.Unmarshal([]byte(c.openRemediations.String), &remediations); err != nil {
			return store.Service{}, fmt.Errorf("decode openRemediations of service %q: %w", c.name, err)
		}
		for _, r := range remediations {
			svc.OpenRemediations = append(svc.OpenRemediations, store.Remediation(r))
		}
	}
	return svc, nil
}
