package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCacheSize caps the statements each cache keeps. The queries of this
// package come in a few dozen shapes, but the length of an IN list in a
// condition is chosen by the caller, so the number of shapes is unbounded.
const stmtCacheSize = 64

// stmtCache keeps prepared statements by SQL text and evicts the least
// recently used one beyond its size. Preparing a statement costs more than
// running most queries of this package. A statement of a *sql.DB is
// prepared once on each connection of the pool that runs it, and database/sql
// keeps it there while the statement is open.
type stmtCache struct {
	prepare func(ctx context.Context, query string) (*sql.Stmt, error)
	size    int

	mu      sync.Mutex
	byQuery map[string]*list.Element // of *cachedStmt
	lru     list.List                // most recently used first
	closed  bool
}

// cachedStmt is a statement of a stmtCache. refs counts the callers between
// get and put. An evicted statement is closed when its last caller puts it
// back, because closing it earlier would fail that caller's query.
type cachedStmt struct {
	query   string
	stmt    *sql.Stmt
	refs    int
	evicted bool
}

var errStmtCacheClosed = errors.New("statement cache closed")

func newStmtCache(size int, prepare func(ctx context.Context, query string) (*sql.Stmt, error)) *stmtCache {
	return &stmtCache{prepare: prepare, size: size, byQuery: map[string]*list.Element{}}
}

// get returns the statement for query, prepared now if the cache has none.
// The caller must pass it to put once it has started its query. Rows that
// are still open after put stay valid, because database/sql finalizes a
// closed statement only when its last rows are closed.
func (c *stmtCache) get(ctx context.Context, query string) (*cachedStmt, error) {
	if cs := c.lookup(query); cs != nil {
		return cs, nil
	}

	// Preparing waits for a free connection, so it runs without the lock.
	stmt, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		stmt.Close()
		return nil, errStmtCacheClosed
	}
	if e, ok := c.byQuery[query]; ok {
		// Another caller prepared the same query meanwhile.
		stmt.Close()
		cs := e.Value.(*cachedStmt)
		cs.refs++
		c.lru.MoveToFront(e)
		return cs, nil
	}
	cs := &cachedStmt{query: query, stmt: stmt, refs: 1}
	c.byQuery[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		c.evictLocked(c.lru.Back())
	}
	return cs, nil
}

func (c *stmtCache) lookup(query string) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byQuery[query]
	if !ok {
		return nil
	}
	cs := e.Value.(*cachedStmt)
	cs.refs++
	c.lru.MoveToFront(e)
	return cs
}

func (c *stmtCache) evictLocked(e *list.Element) {
	cs := c.lru.Remove(e).(*cachedStmt)
	delete(c.byQuery, cs.query)
	cs.evicted = true
	if cs.refs == 0 {
		cs.stmt.Close()
	}
}

func (c *stmtCache) put(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.refs--
	if cs.evicted && cs.refs == 0 {
		cs.stmt.Close()
	}
}

// close closes every statement. Calls in progress keep theirs until they put
// it back, and later calls of get fail.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for c.lru.Len() > 0 {
		cs := c.lru.Remove(c.lru.Front()).(*cachedStmt)
		delete(c.byQuery, cs.query)
		cs.evicted = true
		if cs.refs == 0 {
			errs = append(errs, cs.stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// querier runs queries. cachedQuerier implements it for the read pool and
// for the writer connection.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// cachedQuerier runs each query through the cached statement for its SQL
// text, inside tx when tx is not nil. tx must belong to the database the
// cache prepares on.
type cachedQuerier struct {
	cache *stmtCache
	tx    *sql.Tx
}

func (q cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	cs, err := q.cache.get(ctx, query)
	if err != nil {
		return nil, err
	}
	defer q.cache.put(cs)
	if q.tx != nil {
		// The transaction's copy reuses the statement already prepared on
		// the transaction's connection, and prepares it there otherwise.
		return q.tx.StmtContext(ctx, cs.stmt).QueryContext(ctx, args...)
	}
	return cs.stmt.QueryContext(ctx, args...)
}

func (q cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	cs, err := q.cache.get(ctx, query)
	if err != nil {
		return nil, err
	}
	defer q.cache.put(cs)
	if q.tx != nil {
		return q.tx.StmtContext(ctx, cs.stmt).ExecContext(ctx, args...)
	}
	return cs.stmt.ExecContext(ctx, args...)
}

// queryRow runs a query that returns at most one row and scans that row
// into dest. It returns sql.ErrNoRows when there is none.
func queryRow(ctx context.Context, q querier, query string, args []any, dest ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}
