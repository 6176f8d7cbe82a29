package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/keptn-api/keptn-api/store"
)

// Every write goes through one goroutine that owns the only write
// connection. InsertEvent calls and the writes of the Projects methods queue
// on Store.reqs. The writer takes all that are queued (up to MaxBatch), runs
// them in one transaction, commits with a single WAL sync, and then sends
// each caller its own result. While one commit waits for the disk, the next
// batch queues up, so the sync cost is shared by every caller that arrived
// meanwhile. Each request applies fully or not at all, whatever the other
// requests of its batch do: functions run in savepoints, and so do inserts
// after one failed for another reason than a duplicate ID (see
// commitInserts).

type writeKind int

const (
	writeInsert writeKind = iota
	writeFunc
	writeDeleteProject
)

// writeReq is one queued write. done has room for one result, so the writer
// never blocks on a caller that stopped waiting.
type writeReq struct {
	ctx     context.Context
	kind    writeKind
	row     eventRow                        // writeInsert
	fn      func(ctx context.Context) error // writeFunc
	op      string                          // writeFunc, names the operation in errors
	project string                          // writeDeleteProject
	done    chan error
}

// describe names the request's operation for error messages.
func (r *writeReq) describe() string {
	switch r.kind {
	case writeInsert:
		return "insert event " + quote(r.row.ev.ID)
	case writeDeleteProject:
		return "delete events of project " + quote(r.project)
	default:
		return r.op
	}
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
	begin, commit, rollback        *sql.Stmt
	savepoint, release, rollbackTo *sql.Stmt

	insertEvent, findContext, insertContext, mapContext *sql.Stmt
	insertContextEvent, setRoot                         *sql.Stmt

	deleteUnsharedContexts, unmapContexts, deleteContextEvents *sql.Stmt
	deleteRoots, deleteEvents                                  *sql.Stmt
}

// The statements of DeleteProjectEvents reach the keptnContexts of the
// project through its roots, because a keptnContext has a root in each
// project it has events in.
const (
	deleteUnsharedContextsSQL = `DELETE FROM contexts
WHERE id IN (SELECT context_id FROM roots WHERE project = ?)
AND NOT EXISTS (SELECT 1 FROM roots o WHERE o.context_id = contexts.id AND o.project <> ?)`
	unmapContextsSQL = `UPDATE contexts SET project = NULL
WHERE id IN (SELECT context_id FROM roots WHERE project = ?) AND project = ?`
	deleteContextEventsSQL = `DELETE FROM context_events
WHERE context_id IN (SELECT context_id FROM roots WHERE project = ?) AND project = ?`
)

func prepareWriteStmts(ctx context.Context, c *sql.Conn) (*writeStmts, error) {
	s := &writeStmts{}
	list := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.begin, "BEGIN IMMEDIATE"},
		{&s.commit, "COMMIT"},
		{&s.rollback, "ROLLBACK"},
		{&s.savepoint, "SAVEPOINT request"},
		{&s.release, "RELEASE request"},
		{&s.rollbackTo, "ROLLBACK TO request"},
		{&s.insertEvent, `INSERT INTO events (id, type, source, specversion, contenttype,
	datacontenttype, keptncontext, triggeredid, time_ns, time_offset, data,
	extensions, project, stage, service)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`},
		{&s.findContext, "SELECT id, project FROM contexts WHERE keptncontext = ?"},
		{&s.insertContext, "INSERT INTO contexts (keptncontext, project) VALUES (?, ?)"},
		{&s.mapContext, "UPDATE contexts SET project = ? WHERE id = ?"},
		{&s.insertContextEvent, "INSERT INTO context_events (context_id, project, time_ns, seq) VALUES (?, ?, ?, ?)"},
		// The strict "<" keeps the first stored event as root on equal times.
		{&s.setRoot, `INSERT INTO roots (context_id, project, seq, time_ns) VALUES (?, ?, ?, ?)
ON CONFLICT (context_id, project) DO UPDATE SET seq = excluded.seq, time_ns = excluded.time_ns
WHERE excluded.time_ns < roots.time_ns`},
		{&s.deleteUnsharedContexts, deleteUnsharedContextsSQL},
		{&s.unmapContexts, unmapContextsSQL},
		{&s.deleteContextEvents, deleteContextEventsSQL},
		{&s.deleteRoots, "DELETE FROM roots WHERE project = ?"},
		{&s.deleteEvents, "DELETE FROM events WHERE project = ?"},
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
		s.insertEvent, s.findContext, s.insertContext, s.mapContext,
		s.insertContextEvent, s.setRoot,
		s.deleteUnsharedContexts, s.unmapContexts, s.deleteContextEvents,
		s.deleteRoots, s.deleteEvents,
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
// before it (see deleteProjectEvents).
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

// process runs a batch in queue order: each run of inserts and functions
// shares one transaction, and each delete of project events runs alone
// between them.
func (s *Store) process(batch []*writeReq) {
	s.ckpt.copyRest(context.Background(), s.writeConn)
	start := 0
	for i, req := range batch {
		if req.kind != writeDeleteProject {
			continue
		}
		s.commitBatch(batch[start:i])
		err := s.deleteProjectEvents(req.ctx, req.project)
		// Even a failed delete may have committed before it failed.
		s.results.invalidateAll()
		req.done <- err
		start = i + 1
	}
	s.commitBatch(batch[start:])
}

// commitBatch runs reqs in one transaction and sends each its result. A
// request that fails (an event with a duplicate ID, a function that returns
// an error) fails alone: the other requests of the batch still commit.
func (s *Store) commitBatch(reqs []*writeReq) {
	if len(reqs) == 0 {
		return
	}
	// The batch belongs to many callers, so no single caller's context may
	// cancel it. Each request's context is checked before the request runs.
	ctx := context.Background()
	results := make([]error, len(reqs))
	done := false
	if onlyInserts(reqs) {
		done = s.commitInserts(ctx, reqs, results)
	}
	if !done {
		s.commitWithSavepoints(ctx, reqs, results)
	}
	// The cached pages are invalidated before any caller learns of its
	// write, so that a caller never reads a page older than its write.
	for i, req := range reqs {
		if results[i] == nil && req.kind == writeInsert {
			s.results.inserted(&req.row.ev)
		}
	}
	for i, req := range reqs {
		req.done <- results[i]
	}
}

func onlyInserts(reqs []*writeReq) bool {
	for _, req := range reqs {
		if req.kind != writeInsert {
			return false
		}
	}
	return true
}

// failRequests gives err to each request that has no error of its own yet.
func failRequests(reqs []*writeReq, results []error, step string, err error) {
	for i, req := range reqs {
		if results[i] == nil {
			results[i] = translate(req.describe()+": "+step, err)
		}
	}
}

// commitInserts is the fast path of commitBatch for a batch of inserts. It
// runs them without savepoints, because a duplicate ID, the one failure
// that an insert meets in normal operation, writes nothing. When an insert
// fails for another reason, it rolls back, clears results and returns
// false, so that commitWithSavepoints runs the batch again and fails that
// insert alone. Otherwise it sets results and returns true.
func (s *Store) commitInserts(ctx context.Context, reqs []*writeReq, results []error) (done bool) {
	if _, err := s.stmts.begin.ExecContext(ctx); err != nil {
		failRequests(reqs, results, "begin batch", err)
		return true
	}
	for i, req := range reqs {
		if err := req.ctx.Err(); err != nil {
			results[i] = fmt.Errorf("sqlite: %s: %w", req.describe(), err)
			continue
		}
		err := s.writeEventRows(ctx, req.row)
		if err != nil && !errors.Is(err, errDuplicateID) {
			s.rollbackQuietly()
			clear(results)
			return false
		}
		results[i] = err
	}
	s.commit(ctx, reqs, results)
	return true
}

// commitWithSavepoints runs each request of reqs in a savepoint of one
// transaction, and sets results.
func (s *Store) commitWithSavepoints(ctx context.Context, reqs []*writeReq, results []error) {
	if _, err := s.stmts.begin.ExecContext(ctx); err != nil {
		failRequests(reqs, results, "begin batch", err)
		return
	}

	for i, req := range reqs {
		if err := req.ctx.Err(); err != nil {
			results[i] = fmt.Errorf("sqlite: %s: %w", req.describe(), err)
			continue
		}
		var reqErr, txErr error
		if req.kind == writeFunc {
			reqErr, txErr = s.runFunc(ctx, req.fn)
		} else {
			reqErr, txErr = s.insertOne(ctx, req.row)
		}
		if txErr != nil {
			// The transaction is in an unknown state, so none of the batch
			// is stored, including the events that had succeeded.
			s.rollbackQuietly()
			clear(results)
			failRequests(reqs, results, "write batch", txErr)
			return
		}
		results[i] = reqErr
	}
	s.commit(ctx, reqs, results)
}

// commit commits the batch transaction, or rolls it back and fails every
// request of reqs.
func (s *Store) commit(ctx context.Context, reqs []*writeReq, results []error) {
	if _, err := s.stmts.commit.ExecContext(ctx); err != nil {
		s.rollbackQuietly()
		failRequests(reqs, results, "commit batch", err)
		return
	}
	s.afterCommit(ctx)
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
	if eventErr != nil && !errors.Is(eventErr, errDuplicateID) {
		if _, err := s.stmts.rollbackTo.ExecContext(ctx); err != nil {
			return nil, errors.Join(eventErr, err)
		}
	}
	if _, err := s.stmts.release.ExecContext(ctx); err != nil {
		return nil, errors.Join(eventErr, err)
	}
	return eventErr, nil
}

// runFunc runs fn inside a savepoint of the open batch transaction and
// undoes fn's writes when fn fails or panics. fnErr is fn's error, or a
// *writerPanic. txErr reports an error after which the transaction cannot
// continue.
func (s *Store) runFunc(ctx context.Context, fn func(context.Context) error) (fnErr, txErr error) {
	if _, err := s.stmts.savepoint.ExecContext(ctx); err != nil {
		return nil, err
	}

	fnErr = callRecovering(ctx, fn)
	if fnErr != nil {
		if _, err := s.stmts.rollbackTo.ExecContext(ctx); err != nil {
			return nil, errors.Join(fnErr, err)
		}
	}
	if _, err := s.stmts.release.ExecContext(ctx); err != nil {
		return nil, errors.Join(fnErr, err)
	}
	return fnErr, nil
}

// writerPanic carries a panic of a write function from the writer goroutine
// to the caller that queued the function, which panics again with it. A
// panic on the writer goroutine would otherwise end the process, even where
// the caller recovers panics (as net/http does for handlers).
type writerPanic struct {
	value any
	stack []byte
}

func (p *writerPanic) Error() string {
	return fmt.Sprintf("sqlite: panic in a write function: %v\n\n%s", p.value, p.stack)
}

func callRecovering(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &writerPanic{value: v, stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}

// runInWriter queues fn for the writer and waits for its result. The writer
// runs fn on its own goroutine, inside a savepoint of the batch transaction,
// so fn may use s.writer() and must not call a method of s. fn's error is
// returned unchanged, and a panic in fn panics again in the caller. fn gets a
// context that is never canceled, because an interrupted statement can roll
// back the whole batch. A call that returns a context error may still have
// run fn, when its batch was already being written as the context ended.
func (s *Store) runInWriter(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	release, err := s.acquire()
	if err != nil {
		return err
	}
	defer release()

	req := &writeReq{
		ctx:  ctx,
		kind: writeFunc,
		fn:   fn,
		op:   op,
		done: make(chan error, 1),
	}
	err = s.submit(ctx, req, op)
	if p, ok := errors.AsType[*writerPanic](err); ok {
		panic(p)
	}
	return err
}

// writer returns the querier of the writer connection, for functions that
// run on the writer goroutine.
func (s *Store) writer() querier {
	return cachedQuerier{cache: s.writerStmts}
}

// errDuplicateID is the error of an insert that found its event ID stored
// already and so wrote nothing.
var errDuplicateID = fmt.Errorf("%w", store.ErrAlreadyExists)

// writeEventRows inserts the event and, for an event with a project, maps
// its keptnContext to the project unless mapped already, lists the event
// under its keptnContext and updates the root event of its keptnContext in
// the project. It returns an error wrapping errDuplicateID for an
// event whose ID is stored already.
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
		return fmt.Errorf("sqlite: %s: %w", op, errDuplicateID)
	}
	if ev.Project == "" {
		return nil
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return translate(op, err)
	}

	contextID, err := s.contextID(ctx, ev.KeptnContext, ev.Project)
	if err != nil {
		return translate(op+": map context", err)
	}
	if _, err := s.stmts.insertContextEvent.ExecContext(ctx, contextID, ev.Project, row.timeNS, seq); err != nil {
		return translate(op+": list event under its context", err)
	}
	if _, err := s.stmts.setRoot.ExecContext(ctx, contextID, ev.Project, seq, row.timeNS); err != nil {
		return translate(op+": update root event", err)
	}
	return nil
}

// contextID returns the number of keptnContext in contexts. It adds the
// keptnContext, mapped to project, when it is new, and maps it to project
// when DeleteProjectEvents has removed its mapping.
func (s *Store) contextID(ctx context.Context, keptnContext, project string) (int64, error) {
	var id int64
	var mapped sql.NullString
	err := s.stmts.findContext.QueryRowContext(ctx, keptnContext).Scan(&id, &mapped)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := s.stmts.insertContext.ExecContext(ctx, keptnContext, project)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	case err != nil:
		return 0, err
	case !mapped.Valid:
		if _, err := s.stmts.mapContext.ExecContext(ctx, project, id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// deleteProjectEvents removes the project's events with their rows in the
// other event tables in one transaction. A keptnContext that has events in
// another project keeps its number, and loses its mapping if it was mapped
// to this project.
func (s *Store) deleteProjectEvents(ctx context.Context, project string) (err error) {
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

	// The roots go last, because the other statements find the project's
	// keptnContexts through them.
	for _, stmt := range []*sql.Stmt{s.stmts.deleteUnsharedContexts, s.stmts.unmapContexts, s.stmts.deleteContextEvents} {
		if _, err := stmt.ExecContext(ctx, project, project); err != nil {
			return translate(op, err)
		}
	}
	for _, stmt := range []*sql.Stmt{s.stmts.deleteRoots, s.stmts.deleteEvents} {
		if _, err := stmt.ExecContext(ctx, project); err != nil {
			return translate(op, err)
		}
	}
	if _, err := s.stmts.commit.ExecContext(ctx); err != nil {
		return translate(op, err)
	}
	s.afterCommit(ctx)
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
