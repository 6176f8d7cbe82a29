package mongodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/keptn-api/keptn-api/store"
)

// The documents of keptnProjectsMV, in the ExpandedProject shape the Keptn
// 0.7 configuration-service wrote: creation dates and event times as
// decimal nanoseconds since 1970, empty strings left out, stages null
// until the first stage exists, openApprovals and openRemediations null
// when empty. Revision is keptn-api's: each write increments it, and a
// write applies only to the revision it read.
type viewProject struct {
	ID           bson.ObjectID `bson:"_id,omitempty"`
	ProjectName  string        `bson:"projectName,omitempty"`
	GitUser      string        `bson:"gitUser,omitempty"`
	GitRemoteURI string        `bson:"gitRemoteURI,omitempty"`
	Shipyard     string        `bson:"shipyard,omitempty"`
	CreationDate string        `bson:"creationDate,omitempty"`
	Stages       []viewStage   `bson:"stages"`
	Revision     int64         `bson:"keptnApiRevision,omitempty"`
}

type viewStage struct {
	StageName string        `bson:"stageName,omitempty"`
	Services  []viewService `bson:"services"`
}

type viewService struct {
	ServiceName      string                      `bson:"serviceName,omitempty"`
	CreationDate     string                      `bson:"creationDate,omitempty"`
	DeployedImage    string                      `bson:"deployedImage,omitempty"`
	LastEventTypes   map[string]viewEventContext `bson:"lastEventTypes,omitempty"`
	OpenApprovals    []viewApproval              `bson:"openApprovals"`
	OpenRemediations []viewRemediation           `bson:"openRemediations"`
}

type viewEventContext struct {
	EventID      string `bson:"eventId,omitempty"`
	KeptnContext string `bson:"keptnContext,omitempty"`
	Time         string `bson:"time,omitempty"`
}

type viewApproval struct {
	EventID      string `bson:"eventId,omitempty"`
	KeptnContext string `bson:"keptnContext,omitempty"`
	Time         string `bson:"time,omitempty"`
	Image        string `bson:"image,omitempty"`
	Tag          string `bson:"tag,omitempty"`
}

type viewRemediation struct {
	EventID      string `bson:"eventId,omitempty"`
	KeptnContext string `bson:"keptnContext,omitempty"`
	Time         string `bson:"time,omitempty"`
	Type         string `bson:"type,omitempty"`
	Action       string `bson:"action,omitempty"`
}

// epochNanos writes t as the configuration-service did; the zero time is
// left out.
func epochNanos(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// parseEpochNanos reads epochNanos text in UTC. Text it cannot read gives
// the zero time.
func parseEpochNanos(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if s == "" || err != nil {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (s *Store) encodeProject(p store.Project) viewProject {
	v := viewProject{
		ProjectName:  p.Name,
		GitUser:      p.GitUser,
		GitRemoteURI: p.GitRemoteURI,
		Shipyard:     p.Shipyard,
		CreationDate: epochNanos(p.CreationDate),
	}
	for _, st := range p.Stages {
		vs := viewStage{StageName: st.Name, Services: []viewService{}}
		for _, svc := range st.Services {
			vs.Services = append(vs.Services, s.encodeService(svc))
		}
		v.Stages = append(v.Stages, vs)
	}
	return v
}

func (s *Store) encodeService(svc store.Service) viewService {
	esc := escaper(s.escapeKeys)
	v := viewService{
		ServiceName:   svc.Name,
		CreationDate:  epochNanos(svc.CreationDate),
		DeployedImage: svc.DeployedImage,
	}
	if len(svc.LastEventTypes) > 0 {
		v.LastEventTypes = make(map[string]viewEventContext, len(svc.LastEventTypes))
		for eventType, ref := range svc.LastEventTypes {
			v.LastEventTypes[esc.key(eventType)] = viewEventContext{
				EventID: ref.EventID, KeptnContext: ref.KeptnContext, Time: epochNanos(ref.Time),
			}
		}
	}
	for _, a := range svc.OpenApprovals {
		v.OpenApprovals = append(v.OpenApprovals, viewApproval(a))
	}
	for _, r := range svc.OpenRemediations {
		v.OpenRemediations = append(v.OpenRemediations, viewRemediation(r))
	}
	return v
}

func (s *Store) decodeProject(v viewProject) store.Project {
	p := store.Project{
		Name:         v.ProjectName,
		GitUser:      v.GitUser,
		GitRemoteURI: v.GitRemoteURI,
		Shipyard:     v.Shipyard,
		CreationDate: parseEpochNanos(v.CreationDate),
	}
	for _, vs := range v.Stages {
		st := store.Stage{Name: vs.StageName, Services: []store.Service{}}
		for _, svc := range vs.Services {
			st.Services = append(st.Services, s.decodeService(svc))
		}
		p.Stages = append(p.Stages, st)
	}
	return p
}

func (s *Store) decodeService(v viewService) store.Service {
	esc := escaper(s.escapeKeys)
	svc := store.Service{
		Name:          v.ServiceName,
		CreationDate:  parseEpochNanos(v.CreationDate),
		DeployedImage: v.DeployedImage,
	}
	if len(v.LastEventTypes) > 0 {
		svc.LastEventTypes = make(map[string]store.EventRef, len(v.LastEventTypes))
		for eventType, ref := range v.LastEventTypes {
			svc.LastEventTypes[esc.unkey(eventType)] = store.EventRef{
				EventID: ref.EventID, KeptnContext: ref.KeptnContext, Time: parseEpochNanos(ref.Time),
			}
		}
	}
	for _, a := range v.OpenApprovals {
		svc.OpenApprovals = append(svc.OpenApprovals, store.Approval(a))
	}
	for _, r := range v.OpenRemediations {
		svc.OpenRemediations = append(svc.OpenRemediations, store.Remediation(r))
	}
	return svc
}

func byName(project string) bson.D {
	return bson.D{{Key: "projectName", Value: project}}
}

// CreateProject stores p (see store.Projects). The unique index on
// projectName turns a second project of the same name into
// store.ErrAlreadyExists.
func (s *Store) CreateProject(ctx context.Context, p store.Project) error {
	op := "create project " + quote(p.Name)
	release, err := s.acquire(op)
	if err != nil {
		return err
	}
	defer release()
	s.viewMu.Lock()
	defer s.viewMu.Unlock()

	_, err = s.db.Collection(viewCollection).InsertOne(ctx, s.encodeProject(p))
	return s.translate(op, err)
}

// GetProject returns a project (see store.Projects).
func (s *Store) GetProject(ctx context.Context, name string) (store.Project, error) {
	op := "get project " + quote(name)
	release, err := s.acquire(op)
	if err != nil {
		return store.Project{}, err
	}
	defer release()

	v, err := s.findProject(ctx, op, name)
	if err != nil {
		return store.Project{}, err
	}
	return s.decodeProject(v), nil
}

// ListProjects returns every project in creation order, which is the
// order of their ObjectIDs (see store.Projects).
func (s *Store) ListProjects(ctx context.Context) ([]store.Project, error) {
	const op = "list projects"
	release, err := s.acquire(op)
	if err != nil {
		return nil, err
	}
	defer release()

	cur, err := s.db.Collection(viewCollection).Find(ctx, bson.D{},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, s.translate(op, err)
	}
	var views []viewProject
	if err := cur.All(ctx, &views); err != nil {
		return nil, s.translate(op, err)
	}
	projects := make([]store.Project, 0, len(views))
	for _, v := range views {
		projects = append(projects, s.decodeProject(v))
	}
	return projects, nil
}

func (s *Store) findProject(ctx context.Context, op, name string) (viewProject, error) {
	var v viewProject
	err := s.db.Collection(viewCollection).FindOne(ctx, byName(name)).Decode(&v)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return viewProject{}, fmt.Errorf("mongodb: %s: %w", op, store.ErrProjectNotFound)
	}
	if err != nil {
		return viewProject{}, s.translate(op, err)
	}
	return v, nil
}

// maxConflicts bounds the retries of a view write that another process
// keeps overtaking.
const maxConflicts = 100

// modifyProject reads a project, lets change edit it and writes it back if
// no other writer changed it meanwhile, else starts over. Writers in this
// process take turns on viewMu, so change runs once unless another process
// writes the same project.
func (s *Store) modifyProject(ctx context.Context, op, name string, change func(*viewProject) error) error {
	release, err := s.acquire(op)
	if err != nil {
		return err
	}
	defer release()
	s.viewMu.Lock()
	defer s.viewMu.Unlock()

	for range maxConflicts {
		v, err := s.findProject(ctx, op, name)
		if err != nil {
			return err
		}
		if err := change(&v); err != nil {
			return err
		}
		filter := append(byName(name), bson.E{Key: "keptnApiRevision", Value: revisionValue(v.Revision)})
		v.Revision++
		// NOTE: FerretDB does not apply the filter and the replacement
		// atomically, so there two processes can both write one revision.
		res, err := s.db.Collection(viewCollection).ReplaceOne(ctx, filter, v)
		if err != nil {
			return s.translate(op, err)
		}
		if res.MatchedCount > 0 {
			return nil
		}
	}
	return fmt.Errorf("mongodb: %s: other writers changed the project %d times in a row", op, maxConflicts)
}

// revisionValue matches a document of revision r; Keptn 0.7 documents
// have none, which null matches.
func revisionValue(r int64) any {
	if r == 0 {
		return nil
	}
	return r
}

// UpdateProject stores the GitUser, GitRemoteURI and Shipyard that update
// leaves (see store.Projects).
func (s *Store) UpdateProject(ctx context.Context, name string, update func(*store.Project) error) error {
	return s.modifyProject(ctx, "update project "+quote(name), name, func(v *viewProject) error {
		p := s.decodeProject(*v)
		if err := update(&p); err != nil {
			return err
		}
		v.GitUser, v.GitRemoteURI, v.Shipyard = p.GitUser, p.GitRemoteURI, p.Shipyard
		return nil
	})
}

// DeleteProject removes a project (see store.Projects). Its events stay;
// DeleteProjectEvents removes them.
func (s *Store) DeleteProject(ctx context.Context, name string) error {
	op := "delete project " + quote(name)
	release, err := s.acquire(op)
	if err != nil {
		return err
	}
	defer release()
	s.viewMu.Lock()
	defer s.viewMu.Unlock()

	res, err := s.db.Collection(viewCollection).DeleteOne(ctx, byName(name))
	if err != nil {
		return s.translate(op, err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("mongodb: %s: %w", op, store.ErrProjectNotFound)
	}
	return nil
}

func stageIndex(v *viewProject, stage string) int {
	return slices.IndexFunc(v.Stages, func(st viewStage) bool { return st.StageName == stage })
}

func serviceIndex(st *viewStage, service string) int {
	return slices.IndexFunc(st.Services, func(svc viewService) bool { return svc.ServiceName == service })
}

// CreateStage appends an empty stage (see store.Projects).
func (s *Store) CreateStage(ctx context.Context, project, stage string) error {
	op := fmt.Sprintf("create stage %q in project %q", stage, project)
	return s.modifyProject(ctx, op, project, func(v *viewProject) error {
		if stageIndex(v, stage) >= 0 {
			return fmt.Errorf("mongodb: %s: stage %w", op, store.ErrAlreadyExists)
		}
		v.Stages = append(v.Stages, viewStage{StageName: stage, Services: []viewService{}})
		return nil
	})
}

// DeleteStage removes a stage with its services (see store.Projects).
func (s *Store) DeleteStage(ctx context.Context, project, stage string) error {
	op := fmt.Sprintf("delete stage %q of project %q", stage, project)
	return s.modifyProject(ctx, op, project, func(v *viewProject) error {
		i := stageIndex(v, stage)
		if i < 0 {
			return fmt.Errorf("mongodb: %s: %w", op, store.ErrStageNotFound)
		}
		v.Stages = slices.Delete(v.Stages, i, i+1)
		return nil
	})
}

// withService runs change on a service of the project document.
func withService(op, stage, service string, change func(st *viewStage, i int) error) func(*viewProject) error {
	return func(v *viewProject) error {
		i := stageIndex(v, stage)
		if i < 0 {
			return fmt.Errorf("mongodb: %s: %w", op, store.ErrStageNotFound)
		}
		st := &v.Stages[i]
		j := serviceIndex(st, service)
		if j < 0 {
			return fmt.Errorf("mongodb: %s: %w", op, store.ErrServiceNotFound)
		}
		return change(st, j)
	}
}

// CreateService appends svc to a stage (see store.Projects).
func (s *Store) CreateService(ctx context.Context, project, stage string, svc store.Service) error {
	op := fmt.Sprintf("create service %q in stage %q of project %q", svc.Name, stage, project)
	return s.modifyProject(ctx, op, project, func(v *viewProject) error {
		i := stageIndex(v, stage)
		if i < 0 {
			return fmt.Errorf("mongodb: %s: %w", op, store.ErrStageNotFound)
		}
		st := &v.Stages[i]
		if serviceIndex(st, svc.Name) >= 0 {
			return fmt.Errorf("mongodb: %s: service %w", op, store.ErrAlreadyExists)
		}
		st.Services = append(st.Services, s.encodeService(svc))
		return nil
	})
}

// DeleteService removes a service from a stage (see store.Projects).
func (s *Store) DeleteService(ctx context.Context, project, stage, service string) error {
	op := fmt.Sprintf("delete service %q in stage %q of project %q", service, stage, project)
	return s.modifyProject(ctx, op, project, withService(op, stage, service, func(st *viewStage, j int) error {
		st.Services = slices.Delete(st.Services, j, j+1)
		return nil
	}))
}

// UpdateService stores the service as update leaves it, except its Name
// and CreationDate (see store.Projects).
func (s *Store) UpdateService(ctx context.Context, project, stage, service string, update func(*store.Service) error) error {
	op := fmt.Sprintf("update service %q in stage %q of project %q", service, stage, project)
	return s.modifyProject(ctx, op, project, withService(op, stage, service, func(st *viewStage, j int) error {
		old := st.Services[j]
		svc := s.decodeService(old)
		if err := update(&svc); err != nil {
			return err
		}
		updated := s.encodeService(svc)
		updated.ServiceName, updated.CreationDate = old.ServiceName, old.CreationDate
		st.Services[j] = updated
		return nil
	}))
}
