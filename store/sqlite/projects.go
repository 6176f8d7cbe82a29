package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keptn-api/keptn-api/store"
)

// The store.Projects methods. Writes run as functions on the writer
// goroutine (see runInWriter), so they are serialized with each other and
// with the event inserts, and share their group commit. Reads run on the
// read pool.

const (
	insertProjectSQL = `INSERT INTO projects (name, git_user, git_remote_uri, shipyard, creation_ns)
VALUES (?, ?, ?, ?, ?)`
	insertStageSQL   = `INSERT INTO stages (project_id, name) VALUES (?, ?)`
	insertServiceSQL = `INSERT INTO services (stage_id, name, creation_ns, deployed_image,
	last_event_types, open_approvals, open_remediations)
VALUES (?, ?, ?, ?, ?, ?, ?)`

	// The lookups return a row for an existing project only, with NULL ids
	// for a missing stage or service, so that one query shows which part
	// of the path is missing.
	findProjectSQL = `SELECT id FROM projects WHERE name = ?`
	findStageSQL   = `SELECT st.id FROM projects p
LEFT JOIN stages st ON st.project_id = p.id AND st.name = ?
WHERE p.name = ?`
	findServiceSQL = `SELECT st.id, sv.id, sv.name, sv.creation_ns, sv.deployed_image,
	sv.last_event_types, sv.open_approvals, sv.open_remediations
FROM projects p
LEFT JOIN stages st ON st.project_id = p.id AND st.name = ?
LEFT JOIN services sv ON sv.stage_id = st.id AND sv.name = ?
WHERE p.name = ?`
)

// CreateProject stores p with its stages and services (see store.Projects).
// Stage names in p must be unique, and so must service names in each stage.
func (s *Store) CreateProject(ctx context.Context, p store.Project) error {
	op := "create project " + quote(p.Name)
	row, err := encodeProject(p)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return s.runInWriter(ctx, op, func(ctx context.Context) error {
		return s.insertProject(ctx, op, row)
	})
}

func (s *Store) insertProject(ctx context.Context, op string, p projectRow) error {
	res, err := s.writer().ExecContext(ctx, insertProjectSQL,
		p.name, p.gitUser, p.gitRemoteURI, p.shipyard, p.creationNS)
	if err != nil {
		return translate(op, err)
	}
	projectID, err := res.LastInsertId()
	if err != nil {
		return translate(op, err)
	}

	for _, st := range p.stages {
		stageOp := op + ": create stage " + quote(st.name)
		stageID, err := s.insertStage(ctx, projectID, st.name)
		if err != nil {
			return translate(stageOp, err)
		}
		for _, svc := range st.services {
			if err := s.insertService(ctx, stageID, svc); err != nil {
				return translate(stageOp+": create service "+quote(svc.name), err)
			}
		}
	}
	return nil
}

func (s *Store) insertStage(ctx context.Context, projectID int64, name string) (int64, error) {
	res, err := s.writer().ExecContext(ctx, insertStageSQL, projectID, name)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (s *Store) insertService(ctx context.Context, stageID int64, svc serviceRow) error {
	_, err := s.writer().ExecContext(ctx, insertServiceSQL, stageID, svc.name, svc.creationNS,
		svc.deployedImage, svc.lastEventTypes, svc.openApprovals, svc.openRemediations)
	return err
}

// GetProject returns a project with its stages and services (see
// store.Projects).
func (s *Store) GetProject(ctx context.Context, name string) (store.Project, error) {
	op := "get project " + quote(name)
	projects, err := s.readProjects(ctx, op, &name)
	if err != nil {
		return store.Project{}, err
	}
	if len(projects) == 0 {
		return store.Project{}, fmt.Errorf("sqlite: %s: %w", op, store.ErrProjectNotFound)
	}
	return projects[0], nil
}

// ListProjects returns every project with its stages and services, in
// creation order (see store.Projects).
func (s *Store) ListProjects(ctx context.Context) ([]store.Project, error) {
	return s.readProjects(ctx, "list projects", nil)
}

// readProjects loads the project called *name, or every project when name
// is nil, from one snapshot of the read pool.
func (s *Store) readProjects(ctx context.Context, op string, name *string) ([]store.Project, error) {
	release, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer release()

	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, translate(op, err)
	}
	// The transaction only reads, so rolling it back loses nothing.
	defer tx.Rollback()

	projects, err := loadProjects(ctx, cachedQuerier{cache: s.readStmts, tx: tx}, name)
	if err != nil {
		return nil, translate(op, err)
	}
	return projects, nil
}

// UpdateProject runs update on the stored project and stores its GitUser,
// GitRemoteURI and Shipyard (see store.Projects). update runs on the writer
// goroutine and delays every other write while it runs.
func (s *Store) UpdateProject(ctx context.Context, name string, update func(*store.Project) error) error {
	op := "update project " + quote(name)
	return s.runInWriter(ctx, op, func(ctx context.Context) error {
		projects, err := loadProjects(ctx, s.writer(), &name)
		if err != nil {
			return translate(op, err)
		}
		if len(projects) == 0 {
			return fmt.Errorf("sqlite: %s: %w", op, store.ErrProjectNotFound)
		}
		p := projects[0]
		if err := update(&p); err != nil {
			return err
		}
		_, err = s.writer().ExecContext(ctx,
			`UPDATE projects SET git_user = ?, git_remote_uri = ?, shipyard = ? WHERE name = ?`,
			p.GitUser, p.GitRemoteURI, p.Shipyard, name)
		return translate(op, err)
	})
}

// DeleteProject removes a project, and ON DELETE CASCADE removes its stages
// and services in the same statement (see store.Projects). The project's
// events stay, because DeleteProjectEvents removes them.
func (s *Store) DeleteProject(ctx context.Context, name string) error {
	op := "delete project " + quote(name)
	return s.runInWriter(ctx, op, func(ctx context.Context) error {
		res, err := s.writer().ExecContext(ctx, `DELETE FROM projects WHERE name = ?`, name)
		if err != nil {
			return translate(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return translate(op, err)
		}
		if n == 0 {
			return fmt.Errorf("sqlite: %s: %w", op, store.ErrProjectNotFound)
		}
		return nil
	})
}

// CreateStage appends an empty stage to a project (see store.Projects).
func (s *Store) CreateStage(ctx context.Context, project, stage string) error {
	op := fmt.Sprintf("create stage %q in project %q", stage, project)
	return s.runInWriter(ctx, op, func(ctx context.Context) error {
		projectID, err := s.findProject(ctx, op, project)
		if err != nil {
			return err
		}
		_, err = s.insertStage(ctx, projectID, stage)
		return translate(op, err)
	})
}

// DeleteStage removes a stage with its services (see store.Projects).
func (s *Store) DeleteStage(ctx context.Context, project, stage string) error {
	op := fmt.Sprintf("delete stage %q of project %q", stage, project)
	return s.runInWriter(ctx, op, func(ctx context.Context) error {
		stageID, err := s.findStage(ctx, op, project, stage)
		if err != nil {
			return err
		}
		_, err = s.writer().ExecContext(ctx, `DELETE FROM stages WHERE id = ?`, stageID)
		return translate(op, err)
	})
}

// CreateService appends svc to a stage (see store.Projects).
func (s *Store) CreateService(ctx context.Context, project, stage string, svc store.Service) error {
	op := fmt.Sprintf("create service %q in stage %q of project %q", svc.Name, stage, project)
	row, err := encodeService(svc)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return s.runInWriter(ctx, op, func(ctx context.Context) error {
		stageID, err := s.findStage(ctx, op, project, stage)
		if err != nil {
			return err
		}
		return translate(op, s.insertService(ctx, stageID, row))
	})
}

// DeleteService removes a service from a stage (see store.Projects).
func (s *Store) DeleteService(ctx context.Context, project, stage, service string) error {
	op := fmt.Sprintf("delete service %q in stage %q of project %q", service, stage, project)
	return s.runInWriter(ctx, op, func(ctx context.Context) error {
		serviceID, _, err := s.findService(ctx, op, project, stage, service)
		if err != nil {
			return err
		}
		_, err = s.writer().ExecContext(ctx, `DELETE FROM services WHERE id = ?`, serviceID)
		return translate(op, err)
	})
}

// UpdateService runs update on the stored service and stores the result
// except its Name and CreationDate (see store.Projects). update runs on the
// writer goroutine and delays every other write while it runs.
func (s *Store) UpdateService(ctx context.Context, project, stage, service string, update func(*store.Service) error) error {
	op := fmt.Sprintf("update service %q in stage %q of project %q", service, stage, project)
	return s.runInWriter(ctx, op, func(ctx context.Context) error {
		serviceID, svc, err := s.findService(ctx, op, project, stage, service)
		if err != nil {
			return err
		}
		if err := update(&svc); err != nil {
			return err
		}
		state, err := encodeServiceState(svc)
		if err != nil {
			return fmt.Errorf("sqlite: %s: %w", op, err)
		}
		_, err = s.writer().ExecContext(ctx, `UPDATE services SET deployed_image = ?,
	last_event_types = ?, open_approvals = ?, open_remediations = ? WHERE id = ?`,
			state.deployedImage, state.lastEventTypes, state.openApprovals, state.openRemediations, serviceID)
		return translate(op, err)
	})
}

// findProject returns the id of a project, or ErrProjectNotFound. It runs
// on the writer goroutine, as do findStage and findService.
func (s *Store) findProject(ctx context.Context, op, project string) (int64, error) {
	var id int64
	err := queryRow(ctx, s.writer(), findProjectSQL, []any{project}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite: %s: %w", op, store.ErrProjectNotFound)
	}
	if err != nil {
		return 0, translate(op, err)
	}
	return id, nil
}

// findStage returns the id of a stage, or ErrProjectNotFound or
// ErrStageNotFound.
func (s *Store) findStage(ctx context.Context, op, project, stage string) (int64, error) {
	var id sql.NullInt64
	err := queryRow(ctx, s.writer(), findStageSQL, []any{stage, project}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite: %s: %w", op, store.ErrProjectNotFound)
	}
	if err != nil {
		return 0, translate(op, err)
	}
	if !id.Valid {
		return 0, fmt.Errorf("sqlite: %s: %w", op, store.ErrStageNotFound)
	}
	return id.Int64, nil
}

// findService returns the id and the stored state of a service, or
// ErrProjectNotFound, ErrStageNotFound or ErrServiceNotFound.
func (s *Store) findService(ctx context.Context, op, project, stage, service string) (int64, store.Service, error) {
	var stageID, serviceID sql.NullInt64
	var name sql.NullString
	var deployedImage sql.NullString
	var cols serviceColumns
	err := queryRow(ctx, s.writer(), findServiceSQL, []any{stage, service, project},
		&stageID, &serviceID, &name, &cols.creationNS, &deployedImage,
		&cols.lastEventTypes, &cols.openApprovals, &cols.openRemediations)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.Service{}, fmt.Errorf("sqlite: %s: %w", op, store.ErrProjectNotFound)
	}
	if err != nil {
		return 0, store.Service{}, translate(op, err)
	}
	if !stageID.Valid {
		return 0, store.Service{}, fmt.Errorf("sqlite: %s: %w", op, store.ErrStageNotFound)
	}
	if !serviceID.Valid {
		return 0, store.Service{}, fmt.Errorf("sqlite: %s: %w", op, store.ErrServiceNotFound)
	}

	// The LEFT JOIN makes every service column nullable in the result, but
	// a found service has its NOT NULL columns set.
	cols.name = name.String
	cols.deployedImage = deployedImage.String
	svc, err := cols.decode()
	if err != nil {
		return 0, store.Service{}, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return serviceID.Int64, svc, nil
}

// The queries of loadProjects, for every project or for one.
const (
	allProjectsSQL = `SELECT id, name, git_user, git_remote_uri, shipyard, creation_ns
FROM projects ORDER BY id`
	allStagesSQL   = `SELECT id, project_id, name FROM stages ORDER BY id`
	allServicesSQL = `SELECT stage_id, name, creation_ns, deployed_image,
	last_event_types, open_approvals, open_remediations
FROM services ORDER BY id`

	oneProjectSQL = `SELECT id, name, git_user, git_remote_uri, shipyard, creation_ns
FROM projects WHERE name = ?`
	projectStagesSQL   = `SELECT id, project_id, name FROM stages WHERE project_id = ? ORDER BY id`
	projectServicesSQL = `SELECT sv.stage_id, sv.name, sv.creation_ns, sv.deployed_image,
	sv.last_event_types, sv.open_approvals, sv.open_remediations
FROM services sv JOIN stages st ON st.id = sv.stage_id
WHERE st.project_id = ? ORDER BY sv.id`
)

// loadProjects reads the project called *name, or every project when name
// is nil, with their stages and services. It runs at most three queries, one
// per table, and returns each list in creation order because ids grow with
// creation. q must read from one snapshot (a transaction) for the three
// queries to agree.
func loadProjects(ctx context.Context, q querier, name *string) ([]store.Project, error) {
	l := projectLoader{
		projects:     []store.Project{},
		projectIndex: map[int64]int{},
		stagePos:     map[int64]stagePosition{},
	}
	if name == nil {
		if err := l.loadProjects(ctx, q, allProjectsSQL); err != nil {
			return nil, err
		}
		if err := l.loadStages(ctx, q, allStagesSQL); err != nil {
			return nil, err
		}
		if err := l.loadServices(ctx, q, allServicesSQL); err != nil {
			return nil, err
		}
		return l.projects, nil
	}

	if err := l.loadProjects(ctx, q, oneProjectSQL, *name); err != nil {
		return nil, err
	}
	for projectID := range l.projectIndex {
		if err := l.loadStages(ctx, q, projectStagesSQL, projectID); err != nil {
			return nil, err
		}
		if err := l.loadServices(ctx, q, projectServicesSQL, projectID); err != nil {
			return nil, err
		}
	}
	return l.projects, nil
}

// projectLoader assembles projects from the rows of the three tables. Rows
// must come in id order, and parents before children.
type projectLoader struct {
	projects     []store.Project
	projectIndex map[int64]int // project id to index in projects
	stagePos     map[int64]stagePosition
}

// stagePosition locates a stage as projects[project].Stages[stage].
type stagePosition struct{ project, stage int }

func (l *projectLoader) loadProjects(ctx context.Context, q querier, query string, args ...any) error {
	return scanRows(ctx, q, query, args, func(rows *sql.Rows) error {
		var id int64
		var p store.Project
		var creation sql.NullInt64
		if err := rows.Scan(&id, &p.Name, &p.GitUser, &p.GitRemoteURI, &p.Shipyard, &creation); err != nil {
			return err
		}
		p.CreationDate = decodeCreationDate(creation)
		l.projectIndex[id] = len(l.projects)
		l.projects = append(l.projects, p)
		return nil
	})
}

func (l *projectLoader) loadStages(ctx context.Context, q querier, query string, args ...any) error {
	return scanRows(ctx, q, query, args, func(rows *sql.Rows) error {
		var id, projectID int64
		var name string
		if err := rows.Scan(&id, &projectID, &name); err != nil {
			return err
		}
		i, ok := l.projectIndex[projectID]
		if !ok {
			return fmt.Errorf("stage %q refers to missing project id %d", name, projectID)
		}
		p := &l.projects[i]
		l.stagePos[id] = stagePosition{project: i, stage: len(p.Stages)}
		p.Stages = append(p.Stages, store.Stage{Name: name, Services: []store.Service{}})
		return nil
	})
}

func (l *projectLoader) loadServices(ctx context.Context, q querier, query string, args ...any) error {
	return scanRows(ctx, q, query, args, func(rows *sql.Rows) error {
		var stageID int64
		var cols serviceColumns
		if err := rows.Scan(&stageID, &cols.name, &cols.creationNS, &cols.deployedImage,
			&cols.lastEventTypes, &cols.openApprovals, &cols.openRemediations); err != nil {
			return err
		}
		pos, ok := l.stagePos[stageID]
		if !ok {
			return fmt.Errorf("service %q refers to missing stage id %d", cols.name, stageID)
		}
		svc, err := cols.decode()
		if err != nil {
			return err
		}
		stage := &l.projects[pos.project].Stages[pos.stage]
		stage.Services = append(stage.Services, svc)
		return nil
	})
}

// scanRows runs a query and calls scan for each row.
func scanRows(ctx context.Context, q querier, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
