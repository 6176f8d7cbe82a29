package store

import (
	"context"
	"fmt"
	"time"
)

// Errors that name which entity of a project path is missing. Each wraps
// ErrNotFound.
var (
	ErrProjectNotFound = fmt.Errorf("project %w", ErrNotFound)
	ErrStageNotFound   = fmt.Errorf("stage %w", ErrNotFound)
	ErrServiceNotFound = fmt.Errorf("service %w", ErrNotFound)
)

// Project is the configuration view of a project: its upstream, its stages in
// creation order and the state of each service, as the configuration-service
// collection lists them.
type Project struct {
	Name         string
	GitUser      string
	GitRemoteURI string // never carries a token
	// Shipyard is the base64 content of the project's shipyard.yaml, or "".
	Shipyard     string
	CreationDate time.Time
	// Stages is nil while the project has no stage.
	Stages []Stage
}

// Stage is one stage of a project.
type Stage struct {
	Name     string
	Services []Service // creation order; empty, not nil, on a new stage
}

// Service is the state of one service in one stage.
type Service struct {
	Name         string
	CreationDate time.Time
	// DeployedImage is "image:tag" from the last deployment-finished event.
	DeployedImage string
	// LastEventTypes maps an event type to the last event of that type.
	LastEventTypes map[string]EventRef
	// OpenApprovals and OpenRemediations keep insertion order; nil when
	// there are none.
	OpenApprovals    []Approval
	OpenRemediations []Remediation
}

// EventRef points at a stored event.
type EventRef struct {
	KeptnContext string
	EventID      string
	Time         time.Time
}

// Approval is an open approval of a service. Time is free text chosen by the
// caller.
type Approval struct {
	EventID      string
	KeptnContext string
	Time         string
	Image        string
	Tag          string
}

// Remediation is an open remediation of a service. Time is free text chosen
// by the caller.
type Remediation struct {
	EventID      string
	KeptnContext string
	Time         string
	Type         string
	Action       string
}

// Projects stores the configuration view of projects.
//
// Names are compared exactly. Implementations are safe for concurrent use, and
// each method is atomic: it applies fully or not at all.
type Projects interface {
	// CreateProject stores p with its stages and services. It returns
	// ErrAlreadyExists when a project of that name exists.
	CreateProject(ctx context.Context, p Project) error

	// GetProject returns a project, or ErrProjectNotFound.
	GetProject(ctx context.Context, name string) (Project, error)

	// ListProjects returns every project in creation order; none gives an
	// empty slice.
	ListProjects(ctx context.Context) ([]Project, error)

	// UpdateProject passes the project to update and stores the fields
	// GitUser, GitRemoteURI and Shipyard as update leaves them; changes to
	// other fields are ignored. An error from update aborts the change and is
	// returned as is. update must not call the store. It returns
	// ErrProjectNotFound for an unknown project.
	UpdateProject(ctx context.Context, name string, update func(*Project) error) error

	// DeleteProject removes a project with its stages and services, or
	// returns ErrProjectNotFound.
	DeleteProject(ctx context.Context, name string) error

	// CreateStage appends an empty stage. It returns ErrProjectNotFound or
	// ErrAlreadyExists.
	CreateStage(ctx context.Context, project, stage string) error

	// DeleteStage removes a stage with its services. It returns
	// ErrProjectNotFound or ErrStageNotFound.
	DeleteStage(ctx context.Context, project, stage string) error

	// CreateService appends svc to a stage. It returns ErrProjectNotFound,
	// ErrStageNotFound or ErrAlreadyExists.
	CreateService(ctx context.Context, project, stage string, svc Service) error

	// DeleteService removes a service from a stage. It returns
	// ErrProjectNotFound, ErrStageNotFound or ErrServiceNotFound.
	DeleteService(ctx context.Context, project, stage, service string) error

	// UpdateService passes the service to update and stores it as update
	// leaves it, except its Name and CreationDate, which do not change. An
	// error from update aborts the change and is returned as is. update must
	// not call the store. It returns ErrProjectNotFound, ErrStageNotFound or
	// ErrServiceNotFound.
	UpdateService(ctx context.Context, project, stage, service string, update func(*Service) error) error
}
