package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/keptn-api/keptn-api/store"
)

// Every write goes through one goroutine that owns the only write
// connection. InsertEvent calls queue on Store.reqs. The writer takes all
// that are queued (up to MaxBatch), inserts them in one transaction, commits
// with a single WAL sync, and then sends each caller its own result. While
// one commit waits for the disk, the next batch queues up, so the sync cost
// is shared by every caller that arrived meanwhile.

type writeKind int

const (
	writeInsert writeKind = iota
	writeDeleteProject
)

// writeReq is one queued write. done has room for one result, so the writer
// never blocks on a caller that stopped waiting.
type writeReq struct {
	ctx     context.Context
	kind    writeKind
	row     eventRow // writeInsert
	project string   // writeDeleteProject
	done    chan error
}

// eventRow is an event with its time already encoded, so that an invalid
// time fails in the caller's goroutine before it queues.
type eventRow struct {
	ev     store.Event
	timeNS int64
	offset int64
}

// writeStmts are prepared once on the write connection. Transactions are
// run with explicit BEGIN and COMMIT statements on that connection rather
// than database/sql transactions, because database/sql prepares a
// connection's statements again inside every transaction.
type writeStmts struct {
	begin, commit, rollback          *sql.Stmt
	savepoint, release, rollbackTo   *sql.Stmt
	insertEvent, mapContext, setRoot *sql.Stmt
	deleteEvents, deleteContexts     *sql.Stmt
	deleteRoots                      *sql.Stmt
}

func prepareWriteStmts(ctx context.Context, c *sql.Conn) (*writeStmts, error) {
	s := &writeStmts{}
	list := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.begin, "BEGIN IMMEDIATE"},
		{&s.commit, "COMMIT"},
		{&s.rollback, "ROLLBACK"},
		{&s.savepoint, "SAVEPOINT insert_event"},
		{&s.release, "RELEASE insert_event"},
		{&s.rollbackTo, "ROLLBACK TO insert_event"},
		{&s.insertEvent, `INSERT INTO events (id, type, source, specversion, contenttype,
	datacontenttype, keptncontext, triggeredid, time_ns, time_offset, data,
	extensions, project, stage, service)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`},
		{&s.mapContext, `INSERT INTO context_projects (keptncontext, project) VALUES (?, ?)
ON CONFLICT (keptncontext) DO NOTHING`},
		// The strict "<" keeps the first stored event as root on equal times.
		{&s.setRoot, `INSERT INTO root_events (project, keptncontext, seq, time_ns) VALUES (?, ?, ?, ?)
ON CONFLICT (project, keptncontext) DO UPDATE SET seq = excluded.seq, time_ns = excluded.time_ns
WHERE excluded.time_ns < root_events.time_ns`},
		{&s.deleteEvents, "DELETE FROM events WHERE project = ?"},
		{&s.deleteContexts, "DELETE FROM context_projects WHERE project = ?"},
		{&s.deleteRoots, "DELETE FROM root_events WHERE project = ?"},
	}
	for _, p := range list {
		stmt, err := c.PrepareContext(ctx, p.query)
		if err != nil {
			s.close()
			return nil, translate("prepare write statements", err)
		}
		*p.dst = stmt
	}
	return s, nil
}

func (s *writeStmts) close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{
		s.begin, s.commit, s.rollback,
		s.savepoint, s.release, s.rollbackTo,
		s.insertEvent, s.mapContext, s.setRoot,
		s.deleteEvents, s.deleteContexts, s.deleteRoots,
	} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// InsertEvent stores ev durably (see store.Events). It queues ev for the
// writer and waits for the commit of its batch. A call that returns a
// context error may still have stored the event, when its batch was already
// being written as the context ended.
func (s *Store) InsertEvent(ctx context.Context, ev store.Event) error {
	release, err := s.acquire()
	if err != nil {
		return err
	}
	defer release()

	ns, offset, err := encodeTime(ev.Time)
	if err != nil {
		return fmt.Errorf("sqlite: insert event %q: %w", ev.ID, err)
	}
	req := &writeReq{
		ctx:  ctx,
		kind: writeInsert,
		row:  eventRow{ev: ev, timeNS: ns, offset: offset},
		done: make(chan error, 1),
	}
	return s.submit(ctx, req, "insert event "+quote(ev.ID))
}

// DeleteProjectEvents removes the project's events, root events and context
// mappings in one transaction, run by the writer after the writes queued
// before it.
func (s *Store) DeleteProjectEvents(ctx context.Context, project string) error {
	release, err := s.acquire()
	if err != nil {
		return err
	}
	defer release()

	req := &writeReq{
		ctx:     ctx,
		kind:    writeDeleteProject,
		project: project,
		done:    make(chan error, 1),
	}
	return s.submit(ctx, req, "delete events of project "+quote(project))
}

// submit queues req and waits for its result or for the end of ctx.
func (s *Store) submit(ctx context.Context, req *writeReq, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: %s: %w", op, ctx.Err())
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("sqlite: %s: %w", op, ctx.Err())
	}
}

// runWriter serves s.reqs until Close closes it. Close closes the channel
// only after every caller has returned, so the loop drains every request.
func (s *Store) runWriter() {
	defer close(s.stopped)

	batch := make([]*writeReq, 0, s.maxBatch)
	for first := range s.reqs {
		batch = append(batch[:0], first)
		batch = s.gather(batch)
		s.process(batch)
		clear(batch)
	}
}

// gather appends the requests already queued, without waiting for more.
func (s *Store) gather(batch []*writeReq) []*writeReq {
	for len(batch) < s.maxBatch {
		select {
		case req, ok := <-s.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// process runs a batch in queue order: each run of inserts shares one
// transaction, and each delete runs alone between them.
func (s *Store) process(batch []*writeReq) {
	start := 0
	for i, req := range batch {
		if req.kind != writeDeleteProject {
			continue
		}
		s.commitInserts(batch[start:i])
		req.done <- s.deleteProject(req.ctx, req.project)
		start = i + 1
	}
	s.commitInserts(batch[start:])
}

// commitInserts inserts reqs in one transaction and sends each its result.
// A request whose event fails (a duplicate ID, say) fails alone: the other
// events of the batch still commit.
func (s *Store) commitInserts(reqs []*writeReq) {
	if len(reqs) == 0 {
		return
	}
	// The batch belongs to many callers, so no single caller's context may
	// cancel it. Each request's context is checked before its event is
	// written.
	ctx := context.Background()
	results := make([]error, len(reqs))
	sendResults := func() {
		for i, req := range reqs {
			req.done <- results[i]
		}
	}
	// failAll gives err to each request that has no error of its own yet.
	failAll := func(step string, err error) {
		for i, req := range reqs {
			if results[i] == nil {
				results[i] = translate(fmt.Sprintf("insert event %q: %s", req.row.ev.ID, step), err)
			}
		}
	}

	if _, err := s.stmts.begin.ExecContext(ctx); err != nil {
		failAll("begin batch", err)
		sendResults()
		return
	}

	for i, req := range reqs {
		if err := req.ctx.Err(); err != nil {
			results[i] = fmt.Errorf("sqlite: insert event %q: %w", req.row.ev.ID, err)
			continue
		}
		eventErr, txErr := s.insertOne(ctx, req.row)
		if txErr != nil {
			// The transaction is in an unknown state, so none of the batch
			// is stored, including the events that had succeeded.
			s.rollbackQuietly()
			clear(results)
			failAll("write batch", txErr)
			sendResults()
			return
		}
		results[i] = eventErr
	}

	if _, err := s.stmts.commit.ExecContext(ctx); err != nil {
		s.rollbackQuietly()
		failAll("commit batch", err)
	}
	sendResults()
}

// insertOne writes one event inside the open batch transaction, within a
// savepoint so that a failure undoes only this event. eventErr fails this
// event alone. txErr reports an error after which the transaction cannot
// continue.
func (s *Store) insertOne(ctx context.Context, row eventRow) (eventErr, txErr error) {
	if _, err := s.stmts.savepoint.ExecContext(ctx); err != nil {
		return nil, err
	}

	eventErr = s.writeEventRows(ctx, row)
	if eventErr != nil && !errors.Is(eventErr, store.ErrAlreadyExists) {
		if _, err := s.stmts.rollbackTo.ExecContext(ctx); err != nil {
			return nil, errors.Join(eventErr, err)
		}
	}
	if _, err := s.stmts.release.ExecContext(ctx); err != nil {
		return nil, errors.Join(eventErr, err)
	}
	return eventErr, nil
}

// writeEventRows inserts the event and, for an event with a project, maps
// its context to the project unless mapped already and updates the root
// event of its context.
func (s *Store) writeEventRows(ctx context.Context, row eventRow) error {
	ev := row.ev
	op := "insert event " + quote(ev.ID)
	res, err := s.stmts.insertEvent.ExecContext(ctx,
		ev.ID, ev.Type, ev.Source, ev.SpecVersion, ev.ContentType,
		ev.DataContentType, ev.KeptnContext, ev.TriggeredID, row.timeNS, row.offset,
		jsonText(ev.Data), jsonText(ev.Extensions), ev.Project, ev.Stage, ev.Service)
	if err != nil {
		return translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(op, err)
	}
	if n == 0 {
		// ON CONFLICT (id) DO NOTHING skipped the row.
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrAlreadyExists)
	}
	if ev.Project == "" {
		return nil
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return translate(op, err)
	}

	if _, err := s.stmts.mapContext.ExecContext(ctx, ev.KeptnContext, ev.Project); err != nil {
		return translate(op+": map context", err)
	}
	if _, err := s.stmts.setRoot.ExecContext(ctx, ev.Project, ev.KeptnContext, seq, row.timeNS); err != nil {
		return translate(op+": update root event", err)
	}
	return nil
}

// deleteProject runs the three deletes in one transaction.
func (s *Store) deleteProject(ctx context.Context, project string) (err error) {
	op := "delete events of project " + quote(project)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if _, err := s.stmts.begin.ExecContext(ctx); err != nil {
		return translate(op, err)
	}
	defer func() {
		if err != nil {
			s.rollbackQuietly()
		}
	}()

	for _, stmt := range []*sql.Stmt{s.stmts.deleteEvents, s.stmts.deleteRoots, s.stmts.deleteContexts} {
		if _, err := stmt.ExecContext(ctx, project); err != nil {
			return translate(op, err)
		}
	}
	if _, err := s.stmts.commit.ExecContext(ctx); err != nil {
		return translate(op, err)
	}
	return nil
}

// rollbackQuietly ends the open transaction, if SQLite has not already
// rolled it back itself (it does so on some I/O and memory errors). Its
// error is dropped because the caller already reports the error that
// caused the rollback.
func (s *Store) rollbackQuietly() {
	_, _ = s.stmts.rollback.ExecContext(context.Background())
}

// jsonText returns the JSON as a string, or nil for a nil value so that it is
// stored as NULL. A []byte argument would be bound as a BLOB, which SQLite's
// JSON functions read as its binary JSONB format and a STRICT TEXT column
// rejects.
func jsonText(raw []byte) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

func quote(s string) string {
	return fmt.Sprintf("%q", s)
}
