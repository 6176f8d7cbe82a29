package configsvc

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/keptn-api/keptn-api/store"
)

// CreateProjectInput is a new project with an optional upstream.
type CreateProjectInput struct {
	Name     string
	Upstream *store.Upstream
	Stages   []string
	// Files are committed to the main branch with metadata.yaml.
	Files []store.FileChange
}

// CreateProject creates the repository with metadata.yaml and the given
// files, one branch per stage in order, and the view entry. A stage branch
// that the upstream has already is kept as it is. Any failure removes what
// was created locally, so a retry can succeed.
func (s *Service) CreateProject(ctx context.Context, in CreateProjectInput) error {
	defer s.locks.Lock(in.Name)()

	if err := ValidateName("project", in.Name); err != nil {
		return err
	}
	for _, stage := range in.Stages {
		if err := ValidateName("stage", stage); err != nil {
			return err
		}
	}
	if in.Upstream != nil {
		if err := s.upstreams.checkRemote(in.Upstream.RemoteURI); err != nil {
			return err
		}
	}
	if _, err := s.view.GetProject(ctx, in.Name); err == nil {
		return fmt.Errorf("project %q: %w", in.Name, store.ErrAlreadyExists)
	}

	// The main branch is known before anything is created or pushed, so a
	// stage that would share it is rejected without touching the upstream.
	main, err := s.repos.NewMainBranch(ctx, in.Name, in.Upstream)
	if err != nil {
		return err
	}
	if err := checkStagesAgainstMain(in.Stages, main, in.Upstream != nil); err != nil {
		return err
	}

	now := s.now().UTC()
	files := append([]store.FileChange{{Path: "metadata.yaml", Content: metadataYAML("project", in.Name, now)}}, in.Files...)
	v, err := s.repos.CreateRepository(ctx, in.Name, in.Upstream, files, msgAddedMetadata)
	if err != nil {
		return err
	}
	// The upstream may have changed its default branch in between.
	if err := checkStagesAgainstMain(in.Stages, v.Branch, in.Upstream != nil); err != nil {
		s.rollback(ctx, "create project", func(ctx context.Context) error { return s.repos.DeleteRepository(ctx, in.Name) })
		return err
	}
	for _, stage := range in.Stages {
		_, err := s.repos.CreateBranch(ctx, in.Name, stage)
		if in.Upstream != nil && errors.Is(err, store.ErrAlreadyExists) {
			// The cloned upstream has the branch already: pushed by an
			// earlier attempt that failed later, or prepared by its owner.
			// The stage takes it over, as pulls let the upstream win.
			continue
		}
		if err != nil {
			s.rollback(ctx, "create project", func(ctx context.Context) error { return s.repos.DeleteRepository(ctx, in.Name) })
			return err
		}
	}

	p := store.Project{Name: in.Name, CreationDate: now}
	if in.Upstream != nil {
		p.GitUser, p.GitRemoteURI = in.Upstream.User, in.Upstream.RemoteURI
	}
	for _, stage := range in.Stages {
		p.Stages = append(p.Stages, store.Stage{Name: stage, Services: []store.Service{}})
	}
	if err := s.view.CreateProject(ctx, p); err != nil {
		s.rollback(ctx, "create project", func(ctx context.Context) error { return s.repos.DeleteRepository(ctx, in.Name) })
		return err
	}
	return nil
}

// SetUpstream adds or replaces the upstream of a project and pushes every
// branch to it.
func (s *Service) SetUpstream(ctx context.Context, project string, up store.Upstream) error {
	defer s.locks.Lock(project)()

	if _, err := s.view.GetProject(ctx, project); err != nil {
		return err
	}
	if err := s.upstreams.checkRemote(up.RemoteURI); err != nil {
		return err
	}
	if err := s.repos.SetUpstream(ctx, project, up); err != nil {
		return err
	}
	return s.view.UpdateProject(ctx, project, func(p *store.Project) error {
		p.GitUser, p.GitRemoteURI = up.User, up.RemoteURI
		return nil
	})
}

// DeleteProject removes the repository and the view entry of a project. The
// upstream is not touched. Deleting an unknown project succeeds.
//
// Deletes change git first and the view last, and treat what is gone already
// as done, so a retry after a failure in between completes the delete.
func (s *Service) DeleteProject(ctx context.Context, project string) error {
	defer s.locks.Lock(project)()

	s.known.removePrefix(project, "")
	if err := s.repos.DeleteRepository(ctx, project); err != nil && !isNotFound(err) {
		return err
	}
	if err := s.view.DeleteProject(ctx, project); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// Project returns the view of a project.
func (s *Service) Project(ctx context.Context, project string) (store.Project, error) {
	return s.view.GetProject(ctx, project)
}

// Projects returns the view of every project.
func (s *Service) Projects(ctx context.Context) ([]store.Project, error) {
	return s.view.ListProjects(ctx)
}

// CreateStage forks the stage branch from the main branch and adds the stage
// to the view.
func (s *Service) CreateStage(ctx context.Context, project, stage string) error {
	defer s.locks.Lock(project)()

	if err := ValidateName("stage", stage); err != nil {
		return err
	}
	p, err := s.view.GetProject(ctx, project)
	if err != nil {
		return err
	}
	if err := s.checkStageName(ctx, project, stage); err != nil {
		return err
	}
	if findStage(p, stage) != nil {
		return fmt.Errorf("stage %q: %w", stage, store.ErrAlreadyExists)
	}
	if _, err := s.repos.CreateBranch(ctx, project, stage); err != nil {
		return err
	}
	if err := s.view.CreateStage(ctx, project, stage); err != nil {
		s.rollback(ctx, "create stage", func(ctx context.Context) error { return s.repos.DeleteBranch(ctx, project, stage) })
		return err
	}
	return nil
}

// DeleteStage removes the branch of a stage and the stage from the view.
func (s *Service) DeleteStage(ctx context.Context, project, stage string) error {
	defer s.locks.Lock(project)()

	if _, err := s.Stage(ctx, project, stage); err != nil {
		return err
	}
	s.known.removePrefix(project, stage)
	if err := s.repos.DeleteBranch(ctx, project, stage); err != nil && !isNotFound(err) {
		return err
	}
	return s.view.DeleteStage(ctx, project, stage)
}

// Stage returns the view of one stage.
func (s *Service) Stage(ctx context.Context, project, stage string) (store.Stage, error) {
	p, err := s.view.GetProject(ctx, project)
	if err != nil {
		return store.Stage{}, err
	}
	if err := s.checkStageName(ctx, project, stage); err != nil {
		return store.Stage{}, err
	}
	st := findStage(p, stage)
	if st == nil {
		return store.Stage{}, fmt.Errorf("stage %q: %w", stage, store.ErrStageNotFound)
	}
	return *st, nil
}

// CreateService writes <service>/metadata.yaml on the stage branch and adds
// the service to the stage in the view.
func (s *Service) CreateService(ctx context.Context, project, stage, service string) error {
	defer s.locks.Lock(project)()

	if err := ValidateName("service", service); err != nil {
		return err
	}
	st, err := s.Stage(ctx, project, stage)
	if err != nil {
		return err
	}
	if findService(st, service) != nil {
		return fmt.Errorf("service %q: %w", service, store.ErrAlreadyExists)
	}

	now := s.now().UTC()
	change := store.FileChange{Path: service + "/metadata.yaml", Content: metadataYAML("service", service, now)}
	if _, err := s.repos.Commit(ctx, project, stage, "Added service: "+service, []store.FileChange{change}); err != nil {
		return err
	}
	if err := s.view.CreateService(ctx, project, stage, store.Service{Name: service, CreationDate: now}); err != nil {
		s.rollback(ctx, "create service", func(ctx context.Context) error {
			_, err := s.repos.Commit(ctx, project, stage, "Deleted service: "+service, []store.FileChange{{Path: service, Delete: true}})
			return err
		})
		return err
	}
	s.known.add(project, stage, service)
	return nil
}

// DeleteService removes the directory of a service on the stage branch and
// the service from the stage in the view.
func (s *Service) DeleteService(ctx context.Context, project, stage, service string) error {
	defer s.locks.Lock(project)()

	if _, err := s.Service(ctx, project, stage, service); err != nil {
		return err
	}
	s.known.remove(project, stage, service)
	_, err := s.repos.Commit(ctx, project, stage, "Deleted service: "+service, []store.FileChange{{Path: service, Delete: true}})
	if err != nil && !isNotFound(err) {
		return err
	}
	return s.view.DeleteService(ctx, project, stage, service)
}

// Service returns the view of one service in one stage.
func (s *Service) Service(ctx context.Context, project, stage, service string) (store.Service, error) {
	st, err := s.Stage(ctx, project, stage)
	if err != nil {
		return store.Service{}, err
	}
	svc := findService(st, service)
	if svc == nil {
		return store.Service{}, fmt.Errorf("service %q: %w", service, store.ErrServiceNotFound)
	}
	return *svc, nil
}

// checkStageName rejects a stage named like the main branch of a project,
// because the stage's branch would be the main branch. An unknown project
// passes, so that the caller reports it.
func (s *Service) checkStageName(ctx context.Context, project, stage string) error {
	main, err := s.repos.MainBranch(ctx, project)
	if err != nil || stage != main {
		return nil
	}
	return errReservedStage(stage, false)
}

// checkStagesAgainstMain rejects the stages of a new project when one is
// named like its main branch. fromUpstream reports that the upstream's
// default branch chose that name.
func checkStagesAgainstMain(stages []string, main string, fromUpstream bool) error {
	if slices.Contains(stages, main) {
		return errReservedStage(main, fromUpstream)
	}
	return nil
}

func errReservedStage(stage string, fromUpstream bool) error {
	if fromUpstream {
		return invalid("invalid stage name %q: it is reserved, because the git upstream's default branch has this name and becomes the project's main branch; rename the stage or change the upstream's default branch", stage)
	}
	return invalid("invalid stage name %q: it is reserved for the project's main branch", stage)
}

func findStage(p store.Project, name string) *store.Stage {
	for i := range p.Stages {
		if p.Stages[i].Name == name {
			return &p.Stages[i]
		}
	}
	return nil
}

func findService(st store.Stage, name string) *store.Service {
	for i := range st.Services {
		if st.Services[i].Name == name {
			return &st.Services[i]
		}
	}
	return nil
}
