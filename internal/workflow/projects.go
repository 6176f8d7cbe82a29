package workflow

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/keptn-api/keptn-api/internal/configsvc"
	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/store"
)

// CreateProjectInput is the body of POST /v1/project.
type CreateProjectInput struct {
	Name string
	// Shipyard is the base64 shipyard YAML.
	Shipyard     string
	GitUser      string
	GitToken     string
	GitRemoteURL string
}

// projectCreateData is the data of a project.create event. The git token
// is left out, because stored events are returned by the datastore.
type projectCreateData struct {
	Project      string `json:"project"`
	Shipyard     string `json:"shipyard"`
	GitUser      string `json:"gitUser,omitempty"`
	GitRemoteURL string `json:"gitRemoteURL,omitempty"`
}

// publicURL returns a remote URL without the user and password it may carry,
// so that no secret reaches a stored event or a log message.
func publicURL(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil {
		return remote
	}
	u.User = nil
	return u.String()
}

// projectData is the data of a project.delete event.
type projectData struct {
	Project string `json:"project"`
}

// CreateProject creates a project from a shipyard: the repository (cloning
// the upstream when one is given), one stage per shipyard stage in order,
// and the shipyard.yaml resource on the main branch. It is all or nothing: a
// failing step removes what the earlier ones created, so a retry can
// succeed. Invalid input returns an InvalidError before anything is done, an
// existing project an error wrapping store.ErrAlreadyExists, and an upstream
// failure one wrapping store.ErrUpstream.
func (w *Workflows) CreateProject(ctx context.Context, in CreateProjectInput) (keptn.EventContext, error) {
	if err := configsvc.ValidateName("project", in.Name); err != nil {
		return keptn.EventContext{}, err
	}
	_, shipyard, err := ParseShipyard(in.Shipyard)
	if err != nil {
		return keptn.EventContext{}, err
	}
	upstream, err := w.config.CheckUpstream(in.GitUser, in.GitToken, in.GitRemoteURL)
	if err != nil {
		return keptn.EventContext{}, err
	}

	defer w.projects.Lock(in.Name)()
	r, err := w.start()
	if err != nil {
		return keptn.EventContext{}, err
	}
	r.step("Creating project %s with the stages %s", in.Name, strings.Join(shipyard.StageNames(), ", "))
	err = w.config.CreateProject(ctx, configsvc.CreateProjectInput{Name: in.Name, Upstream: upstream, Stages: shipyard.StageNames()})
	if err != nil {
		return keptn.EventContext{}, r.finish(err, "")
	}
	if upstream != nil {
		r.step("Project %s mirrors the git upstream %s", in.Name, publicURL(in.GitRemoteURL))
	}
	for _, stage := range shipyard.StageNames() {
		r.step("Stage %s created", stage)
	}

	err = w.finishProject(ctx, r, in)
	if err != nil {
		w.undo(ctx, "delete the project "+in.Name, func(ctx context.Context) error { return w.config.DeleteProject(ctx, in.Name) })
		return keptn.EventContext{}, r.finish(err, "")
	}
	return r.ec, r.finish(nil, "Project %s created", in.Name)
}

// finishProject writes shipyard.yaml and emits the events of a created
// project.
func (w *Workflows) finishProject(ctx context.Context, r *run, in CreateProjectInput) error {
	level := configsvc.Level{Project: in.Name}
	resources := []configsvc.Resource{{URI: "shipyard.yaml", Content: in.Shipyard}}
	if _, err := w.config.WriteResources(ctx, level, resources, "Added resources", false); err != nil {
		return err
	}
	r.step("Shipyard file shipyard.yaml added to project %s", in.Name)

	data := projectCreateData{Project: in.Name, Shipyard: in.Shipyard, GitUser: in.GitUser, GitRemoteURL: publicURL(in.GitRemoteURL)}
	if err := r.emit(ctx, TypeProjectCreate, data); err != nil {
		return err
	}
	message := fmt.Sprintf("Project %s created", in.Name)
	return r.emit(ctx, TypeProjectCreateFinished, succeeded(in.Name, "", message))
}

// DeleteProject removes a project: every stored event of it, its repository
// and its view. The upstream is left untouched. It returns an error wrapping
// store.ErrProjectNotFound for an unknown project.
//
// The events go first: a failure after that leaves the project in place, so
// a retry finds it and completes the delete. No outcome event is stored,
// because it would belong to the deleted project.
func (w *Workflows) DeleteProject(ctx context.Context, project string) (keptn.EventContext, error) {
	defer w.projects.Lock(project)()
	if _, err := w.config.Project(ctx, project); err != nil {
		return keptn.EventContext{}, err
	}

	r, err := w.start()
	if err != nil {
		return keptn.EventContext{}, err
	}
	r.step("Deleting project %s", project)
	if err := r.emit(ctx, keptn.TypeProjectDelete, projectData{Project: project}); err != nil {
		return keptn.EventContext{}, r.finish(err, "")
	}
	r.step("Events of project %s deleted", project)
	if err := w.config.DeleteProject(ctx, project); err != nil {
		return keptn.EventContext{}, r.finish(err, "")
	}
	r.step("Repository and configuration view of project %s deleted; a git upstream is left as it is", project)
	return r.ec, r.finish(nil, "Project %s deleted", project)
}

// errProjectHasNoStage reports a project without stages, where a service
// cannot be created.
func errProjectHasNoStage(project string) error {
	return invalid("project %q has no stage; create a stage before the service", project)
}

// stagesOf returns the stages of an existing project.
func (w *Workflows) stagesOf(ctx context.Context, project string) ([]store.Stage, error) {
	p, err := w.config.Project(ctx, project)
	if err != nil {
		return nil, err
	}
	return p.Stages, nil
}
