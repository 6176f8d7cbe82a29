package configsvc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/keptn-api/keptn-api/store"
)

// ErrResourceNotFound reports a missing resource file.
var ErrResourceNotFound = fmt.Errorf("resource %w", store.ErrNotFound)

// Level names the directory that resources of a request live in: the main
// branch for a project, a stage branch for a stage, and the service's
// directory on a stage branch for a service.
type Level struct {
	Project string
	Stage   string // "" for the project level
	Service string // "" for the project and stage levels
}

// Resource is a resource of a write request: its URI and base64 content.
type Resource struct {
	URI     string
	Content string
}

// location is a resolved Level.
type location struct {
	branch string
	dir    string // "" or "<service>/"
	stage  store.Stage
}

// resolve checks that the entities of a level exist and returns where its
// files are.
func (s *Service) resolve(ctx context.Context, level Level) (location, error) {
	if level.Stage == "" {
		if _, err := s.view.GetProject(ctx, level.Project); err != nil {
			return location{}, err
		}
		branch, err := s.repos.MainBranch(ctx, level.Project)
		if err != nil {
			return location{}, err
		}
		return location{branch: branch}, nil
	}
	st, err := s.Stage(ctx, level.Project, level.Stage)
	if err != nil {
		return location{}, err
	}
	loc := location{branch: level.Stage, stage: st}
	if level.Service != "" {
		if findService(st, level.Service) == nil {
			return location{}, fmt.Errorf("service %q: %w", level.Service, store.ErrServiceNotFound)
		}
		loc.dir = level.Service + "/"
	}
	return loc, nil
}

// WriteResources commits resources at a level in one commit. At the service
// level with unpackCharts set, a .tgz below a "helm" directory is stored
// unpacked, as a chart directory named like the archive.
func (s *Service) WriteResources(ctx context.Context, level Level, resources []Resource, message string, unpackCharts bool) (store.Version, error) {
	loc, err := s.writeLocation(ctx, level)
	if err != nil {
		return store.Version{}, err
	}
	changes, err := resourceChanges(loc.dir, resources, unpackCharts && level.Service != "")
	if err == nil {
		changes, err = s.dropMissingDeletes(ctx, level.Project, loc.branch, changes)
	}
	if err != nil {
		return store.Version{}, err
	}
	v, err := s.repos.Commit(ctx, level.Project, loc.branch, message, changes)
	if err != nil {
		return store.Version{}, s.explainWriteError(ctx, level, pathConflict(err, loc.dir))
	}
	if level.Stage == "" {
		if err := s.updateShipyard(ctx, level.Project, resources); err != nil {
			return store.Version{}, err
		}
	}
	return v, nil
}

// writeLocation returns where a write to a level goes after checking, in
// git, that the branch and the service directory exist. Like reads, writes
// ask the view only to name what is missing.
func (s *Service) writeLocation(ctx context.Context, level Level) (location, error) {
	loc, err := s.quickLocation(ctx, level)
	if err == nil && level.Service != "" {
		var ok bool
		ok, err = s.repos.Exists(ctx, level.Project, loc.branch, level.Service)
		if err == nil && !ok {
			err = fmt.Errorf("service %q: %w", level.Service, store.ErrServiceNotFound)
		}
	}
	if err != nil {
		return location{}, s.explainWriteError(ctx, level, err)
	}
	return loc, nil
}

// explainWriteError names the missing part of a level when a write failed
// with a not-found error, and returns err unchanged otherwise.
func (s *Service) explainWriteError(ctx context.Context, level Level, err error) error {
	if !isNotFound(err) {
		return err
	}
	if _, rerr := s.resolve(ctx, level); rerr != nil {
		return rerr
	}
	return err
}

// pathConflict turns a *store.PathConflictError into a ConflictError whose
// message names the paths relative to the level's directory dir ("" or
// "<service>/"). Other errors pass unchanged.
func pathConflict(err error, dir string) error {
	var pc *store.PathConflictError
	if !errors.As(err, &pc) {
		return err
	}
	path, existing := strings.TrimPrefix(pc.Path, dir), strings.TrimPrefix(pc.Existing, dir)
	if pc.ExistingIsDir {
		return &ConflictError{Message: fmt.Sprintf("resource %q conflicts with the directory %q: a path cannot be both a file and a directory", path, existing)}
	}
	return &ConflictError{Message: fmt.Sprintf("resource %q conflicts with the file %q: a path cannot be both a file and a directory", path, existing)}
}

// updateShipyard copies the content of a written shipyard.yaml into the view.
func (s *Service) updateShipyard(ctx context.Context, project string, resources []Resource) error {
	for _, r := range resources {
		if !strings.EqualFold(strings.TrimPrefix(r.URI, "/"), "shipyard.yaml") {
			continue
		}
		return s.view.UpdateProject(ctx, project, func(p *store.Project) error {
			p.Shipyard = r.Content
			return nil
		})
	}
	return nil
}

// dropMissingDeletes removes the deletes of paths that do not exist on the
// branch: an unpacked chart replaces its directory, which the first upload
// does not have yet.
func (s *Service) dropMissingDeletes(ctx context.Context, project, branch string, changes []store.FileChange) ([]store.FileChange, error) {
	out := changes[:0:0]
	for _, c := range changes {
		if c.Delete {
			ok, err := s.repos.Exists(ctx, project, branch, c.Path)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// resourceChanges checks and decodes resources into file changes below dir.
func resourceChanges(dir string, resources []Resource, unpackCharts bool) ([]store.FileChange, error) {
	var changes []store.FileChange
	for _, r := range resources {
		rel, err := CleanResourceURI(r.URI)
		if err != nil {
			return nil, err
		}
		content, err := DecodeContent(r.URI, r.Content)
		if err != nil {
			return nil, err
		}
		if unpackCharts && isHelmChart(rel) {
			chart, err := unpackChart(dir+chartDir(rel), content)
			if err != nil {
				return nil, err
			}
			changes = append(changes, chart...)
			continue
		}
		changes = append(changes, store.FileChange{Path: dir + rel, Content: content})
	}
	return changes, nil
}

// ReadResource returns a file of a level at the head of its branch, or at
// commitID when it is not "". Unless sync is false it first pulls from the
// project's upstream. At the service level, a .tgz below a "helm" directory
// whose chart directory exists is packed from that directory.
//
// The file is read from git straight away. The view is asked only when the
// read fails, to tell which part of the path does not exist, because both
// stores agree on what exists and reads are the hot path of Keptn services.
func (s *Service) ReadResource(ctx context.Context, level Level, uri, commitID string, sync bool) ([]byte, store.Version, error) {
	rel, err := CleanResourceURI(uri)
	if err != nil {
		return nil, store.Version{}, err
	}
	loc, err := s.quickLocation(ctx, level)
	if err != nil {
		return nil, store.Version{}, s.explainMissing(ctx, level, uri, err)
	}
	if sync {
		if err := s.repos.Pull(ctx, level.Project); err != nil {
			return nil, store.Version{}, s.explainMissing(ctx, level, uri, err)
		}
	}

	if level.Service != "" && commitID == "" && isHelmChart(rel) {
		content, v, found, err := s.packChartDir(ctx, level.Project, loc.branch, loc.dir+chartDir(rel))
		if err != nil || found {
			return content, v, err
		}
	}
	content, v, err := s.repos.ReadFile(ctx, level.Project, loc.branch, commitID, loc.dir+rel)
	if err != nil {
		return nil, store.Version{}, s.explainMissing(ctx, level, uri, err)
	}
	return content, v, nil
}

// quickLocation returns where the files of a level are without asking the
// view: the stage names its branch and the service its directory.
func (s *Service) quickLocation(ctx context.Context, level Level) (location, error) {
	if level.Stage == "" {
		branch, err := s.repos.MainBranch(ctx, level.Project)
		return location{branch: branch}, err
	}
	if err := s.checkStageName(ctx, level.Project, level.Stage); err != nil {
		return location{}, err
	}
	if level.Service == "" {
		return location{branch: level.Stage}, nil
	}
	return location{branch: level.Stage, dir: level.Service + "/"}, nil
}

// explainMissing turns a failed read into the error that names what is
// missing: the project, stage or service from the view, else the file.
func (s *Service) explainMissing(ctx context.Context, level Level, uri string, err error) error {
	if !isNotFound(err) {
		return err
	}
	if _, rerr := s.resolve(ctx, level); rerr != nil {
		return rerr
	}
	return fmt.Errorf("%s: %w", uri, ErrResourceNotFound)
}

// packChartDir packs the chart directory dir, reporting found = false when
// the directory does not exist.
func (s *Service) packChartDir(ctx context.Context, project, branch, dir string) ([]byte, store.Version, bool, error) {
	files, err := s.repos.ListFiles(ctx, project, branch, dir)
	if err != nil || len(files) == 0 {
		return nil, store.Version{}, false, err
	}
	// Every file is read at the commit of the first one, so that a
	// concurrent write cannot mix two versions of the chart into one archive.
	contents := make(map[string][]byte, len(files))
	var v store.Version
	for _, f := range files {
		content, fv, err := s.repos.ReadFile(ctx, project, branch, v.CommitID, f)
		if err != nil {
			return nil, store.Version{}, false, err
		}
		v.CommitID, v.Branch, v.UpstreamURL = fv.CommitID, fv.Branch, fv.UpstreamURL
		contents[strings.TrimPrefix(f, dir+"/")] = content
	}
	top := dir[strings.LastIndexByte(dir, '/')+1:]
	archive, err := packChart(top, contents)
	if err != nil {
		return nil, store.Version{}, false, invalid("Could not archive the Helm chart directory %q: %v", dir, err)
	}
	return archive, v, true, nil
}

// ListResources returns the resource URIs of a level, sorted and relative to
// the level's directory. A stage lists the files of its branch without the
// directories of its services. Unless sync is false it first pulls from the
// project's upstream.
func (s *Service) ListResources(ctx context.Context, level Level, sync bool) ([]string, error) {
	loc, err := s.resolve(ctx, level)
	if err != nil {
		return nil, err
	}
	if sync {
		if err := s.repos.Pull(ctx, level.Project); err != nil {
			return nil, err
		}
	}
	files, err := s.repos.ListFiles(ctx, level.Project, loc.branch, strings.TrimSuffix(loc.dir, "/"))
	if err != nil {
		return nil, err
	}

	uris := make([]string, 0, len(files))
	for _, f := range files {
		switch {
		case loc.dir != "":
			uris = append(uris, strings.TrimPrefix(f, loc.dir))
		case level.Stage != "" && isServiceFile(loc.stage, f):
		default:
			uris = append(uris, f)
		}
	}
	return uris, nil
}

func isServiceFile(st store.Stage, path string) bool {
	first, _, ok := strings.Cut(path, "/")
	return ok && findService(st, first) != nil
}

// DeleteResource deletes a file of a level, or the unpacked chart directory
// when the URI names a chart archive at the service level.
func (s *Service) DeleteResource(ctx context.Context, level Level, uri string) (store.Version, error) {
	rel, err := CleanResourceURI(uri)
	if err != nil {
		return store.Version{}, err
	}
	loc, err := s.resolve(ctx, level)
	if err != nil {
		return store.Version{}, err
	}
	path := loc.dir + rel
	if level.Service != "" && isHelmChart(rel) {
		if ok, err := s.repos.Exists(ctx, level.Project, loc.branch, loc.dir+chartDir(rel)); err == nil && ok {
			path = loc.dir + chartDir(rel)
		}
	}
	v, err := s.repos.Commit(ctx, level.Project, loc.branch, msgDeletedResources, []store.FileChange{{Path: path, Delete: true}})
	if isNotFound(err) {
		return store.Version{}, fmt.Errorf("%s: %w", uri, ErrResourceNotFound)
	}
	return v, err
}

// serviceStages returns the stages of a project that a service must exist in
// for a write to all stages: every stage. It fails when one lacks the service,
// before anything is written.
func (s *Service) serviceStages(ctx context.Context, project, service string) ([]string, error) {
	p, err := s.view.GetProject(ctx, project)
	if err != nil {
		return nil, err
	}
	if len(p.Stages) == 0 {
		return nil, fmt.Errorf("service %q: %w", service, store.ErrServiceNotFound)
	}
	stages := make([]string, 0, len(p.Stages))
	for _, st := range p.Stages {
		if findService(st, service) == nil {
			return nil, fmt.Errorf("service %q in stage %q: %w", service, st.Name, store.ErrServiceNotFound)
		}
		stages = append(stages, st.Name)
	}
	return stages, nil
}

// WriteServiceResources writes resources of a service to every stage, one
// commit per stage. The changes of every stage are checked before the first
// commit, so a path conflict or a missing branch in any stage leaves every
// stage as it was.
//
// NOTE: a push to the upstream can still fail after earlier stages were
// committed and pushed; those commits stay.
func (s *Service) WriteServiceResources(ctx context.Context, project, service string, resources []Resource, message string) error {
	// The lock keeps stage deletes and other all-stage writes out between
	// the check and the commits. Single-level resource writes do not take it.
	defer s.locks.Lock(project)()

	stages, err := s.serviceStages(ctx, project, service)
	if err != nil {
		return err
	}
	changes, err := resourceChanges(service+"/", resources, true)
	if err != nil {
		return err
	}
	perStage := make([][]store.FileChange, len(stages))
	for i, stage := range stages {
		perStage[i], err = s.dropMissingDeletes(ctx, project, stage, changes)
		if err == nil {
			err = s.repos.CheckCommit(ctx, project, stage, perStage[i])
		}
		if err != nil {
			return inStage(stage, pathConflict(err, service+"/"))
		}
	}
	for i, stage := range stages {
		if _, err := s.repos.Commit(ctx, project, stage, message, perStage[i]); err != nil {
			return inStage(stage, pathConflict(err, service+"/"))
		}
	}
	return nil
}

// inStage adds the stage to an error of a write to several stages, keeping a
// ConflictError one.
func inStage(stage string, err error) error {
	var conflict *ConflictError
	if errors.As(err, &conflict) {
		return &ConflictError{Message: fmt.Sprintf("stage %q: %s", stage, conflict.Message)}
	}
	return fmt.Errorf("stage %q: %w", stage, err)
}

// ReadServiceResource returns a service's file from the first stage, in
// stage order, that has it.
func (s *Service) ReadServiceResource(ctx context.Context, project, service, uri, commitID string, sync bool) ([]byte, store.Version, error) {
	stages, err := s.serviceStages(ctx, project, service)
	if err != nil {
		return nil, store.Version{}, err
	}
	for i, stage := range stages {
		content, v, err := s.ReadResource(ctx, Level{Project: project, Stage: stage, Service: service}, uri, commitID, sync && i == 0)
		if !errors.Is(err, ErrResourceNotFound) {
			return content, v, err
		}
	}
	return nil, store.Version{}, fmt.Errorf("%s: %w", uri, ErrResourceNotFound)
}

// ListServiceResources returns the union of a service's resource URIs over
// all stages, sorted.
func (s *Service) ListServiceResources(ctx context.Context, project, service string, sync bool) ([]string, error) {
	stages, err := s.serviceStages(ctx, project, service)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, stage := range stages {
		uris, err := s.ListResources(ctx, Level{Project: project, Stage: stage, Service: service}, sync && i == 0)
		if err != nil {
			return nil, err
		}
		for _, u := range uris {
			seen[u] = true
		}
	}
	out := make([]string, 0, len(seen))
	for u := range seen {
		out = append(out, u)
	}
	sort.Strings(out)
	return out, nil
}

// DeleteServiceResource deletes a service's file from every stage that has
// it, and returns ErrResourceNotFound when none does.
func (s *Service) DeleteServiceResource(ctx context.Context, project, service, uri string) error {
	stages, err := s.serviceStages(ctx, project, service)
	if err != nil {
		return err
	}
	deleted := false
	for _, stage := range stages {
		_, err := s.DeleteResource(ctx, Level{Project: project, Stage: stage, Service: service}, uri)
		switch {
		case err == nil:
			deleted = true
		case !errors.Is(err, ErrResourceNotFound):
			return fmt.Errorf("stage %q: %w", stage, err)
		}
	}
	if !deleted {
		return fmt.Errorf("%s: %w", uri, ErrResourceNotFound)
	}
	return nil
}
