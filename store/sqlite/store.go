// Package sqlite is the default keptn-api storage backend: one SQLite file in
// WAL mode, written by a single connection that commits concurrent inserts
// together (group commit) and read through a separate pool of connections.
//
// It uses the pure-Go driver modernc.org/sqlite, so it builds without cgo.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/keptn-api/keptn-api/store"
)

var (
	_ store.Events   = (*Store)(nil)
	_ store.Projects = (*Store)(nil)
)

// Defaults used for the zero fields of Options.
const (
	DefaultBusyTimeout = 5 * time.Second
	DefaultMaxBatch    = 256
	// DefaultResultCacheBytes holds about 2,000 pages of 20 typical Keptn
	// events.
	DefaultResultCacheBytes = 32 << 20
	minReadConns            = 4
)

// Options tunes a Store. The zero value selects the defaults.
type Options struct {
	// ReadConns is the size of the read connection pool. Zero selects
	// GOMAXPROCS, and at least 4.
	ReadConns int
	// BusyTimeout is how long a statement waits for a lock held by another
	// process on the same file before it fails. Zero selects
	// DefaultBusyTimeout.
	BusyTimeout time.Duration
	// MaxBatch caps how many queued inserts one transaction commits. Zero
	// selects DefaultMaxBatch.
	MaxBatch int
	// ResultCacheBytes bounds the memory, in bytes, of the query result
	// cache. Zero selects DefaultResultCacheBytes, and a negative value
	// turns the cache off. The cache assumes that no other process writes
	// to the database file.
	ResultCacheBytes int64
}

// Store is a store.Events and a store.Projects kept in one SQLite file. It is
// safe for concurrent use.
type Store struct {
	write     *sql.DB   // one connection, owned by the writer goroutine
	writeConn *sql.Conn // the connection the writer goroutine uses
	read      *sql.DB   // query_only pool
	stmts     *writeStmts
	// readStmts caches the statements of the read pool, and writerStmts
	// those of the writer connection that writeStmts does not hold.
	readStmts   *stmtCache
	writerStmts *stmtCache
	ckpt        *checkpointer
	cache       cacheGuard
	results     *resultCache
	reqs        chan *writeReq
	maxBatch    int
	stopped     chan struct{} // closed when the writer goroutine returns

	// mu guards closed. Every public call registers in ops under mu, so that
	// Close can wait for the calls already running before it stops the
	// writer and closes the connections.
	mu     sync.RWMutex
	closed bool
	ops    sync.WaitGroup
}

// Open opens or creates the SQLite database at path, migrates its schema to
// the current version and starts the writer. The directory of path must
// exist. The caller must Close the returned Store.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: missing database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	opts = opts.withDefaults()

	write, err := openDB(abs, writeParams(opts))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	s, err := start(ctx, write, abs, opts)
	if err != nil {
		write.Close()
		return nil, err
	}
	return s, nil
}

func start(ctx context.Context, write *sql.DB, abs string, opts Options) (s *Store, err error) {
	// cleanups undoes the steps done so far when a later one fails.
	var cleanups []func() error
	defer func() {
		if err != nil {
			for _, cleanup := range slices.Backward(cleanups) {
				cleanup()
			}
		}
	}()

	writeConn, err := write.Conn(ctx)
	if err != nil {
		return nil, translate("open", err)
	}
	cleanups = append(cleanups, writeConn.Close)
	if err := checkJournalMode(ctx, writeConn); err != nil {
		return nil, err
	}
	if err := migrate(ctx, writeConn); err != nil {
		return nil, err
	}
	stmts, err := prepareWriteStmts(ctx, writeConn)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, stmts.close)

	// The read pool opens only after the migration, so no reader sees a
	// half-created schema.
	read, err := openDB(abs, readParams(opts))
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, read.Close)
	read.SetMaxOpenConns(opts.ReadConns)
	read.SetMaxIdleConns(opts.ReadConns)
	read.SetConnMaxLifetime(0)
	read.SetConnMaxIdleTime(0)
	if err := read.PingContext(ctx); err != nil {
		return nil, translate("open read pool", err)
	}

	ckptDB, err := openDB(abs, checkpointParams(opts))
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, ckptDB.Close)
	ckptDB.SetMaxOpenConns(1)
	ckptDB.SetMaxIdleConns(1)
	ckptDB.SetConnMaxLifetime(0)
	ckptDB.SetConnMaxIdleTime(0)

	s = &Store{
		write:       write,
		writeConn:   writeConn,
		read:        read,
		stmts:       stmts,
		readStmts:   newStmtCache(stmtCacheSize, read.PrepareContext),
		writerStmts: newStmtCache(stmtCacheSize, writeConn.PrepareContext),
		ckpt:        newCheckpointer(ckptDB),
		reqs:        make(chan *writeReq, opts.MaxBatch),
		maxBatch:    opts.MaxBatch,
		results:     newResultCache(opts.ResultCacheBytes),
		stopped:     make(chan struct{}),
	}
	go s.runWriter()
	return s, nil
}

func (o Options) withDefaults() Options {
	if o.ReadConns <= 0 {
		o.ReadConns = max(runtime.GOMAXPROCS(0), minReadConns)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.ResultCacheBytes == 0 {
		o.ResultCacheBytes = DefaultResultCacheBytes
	}
	return o
}

// Page cache sizes per connection in KiB, the unit of a negative
// cache_size. SQLite allocates each cached page of 4 KiB together with a
// header. modernc.org/memory (v1.12.1), the allocator of the pure-Go SQLite
// build, rounds that allocation up to 8 KiB, so a full cache takes about
// twice its size in resident memory. With 4 read connections, the default
// on machines with up to 4 CPUs, full caches take about 64 MiB.
//
// In BenchmarkLargeStore on a 2-core VM, queries ran as fast with 4 MiB per
// reader as with 16 MiB. A query of a keptnContext reads event rows from all
// over the table, which no cache of that size holds, and the operating
// system's file cache serves the misses. The writer keeps the pages that
// inserts change at random, chiefly those of events_id.
const (
	writerCacheKiB = 16 << 10
	readerCacheKiB = 4 << 10
)

// writeParams sets up the writer connection. synchronous=FULL makes SQLite
// sync the WAL on every commit, which is what lets InsertEvent promise that
// an acknowledged event survives a crash or a power loss. _txlock=immediate
// makes the database/sql transactions of the migrations take the write lock
// at BEGIN, as the writer's own BEGIN IMMEDIATE does, so that another
// process writing the same file makes BEGIN wait rather than a later write
// fail with SQLITE_BUSY.
func writeParams(opts Options) url.Values {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	// The stages and services tables rely on ON DELETE CASCADE, which SQLite
	// applies only on connections that enable foreign keys.
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "temp_store(MEMORY)")
	// Truncates the WAL file to 64 MiB after a checkpoint, so one burst of
	// writes does not leave a large file behind for good.
	q.Add("_pragma", "journal_size_limit(67108864)")
	// The checkpointer copies the WAL into the database file on a
	// connection of its own, so commits never do it (see checkpointer).
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCacheKiB))
	return q
}

// checkpointParams sets up the connection of the checkpointer.
// synchronous=FULL makes a checkpoint sync the WAL before it copies frames
// and the database file before it lets the WAL restart.
func checkpointParams(opts Options) url.Values {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	q.Set("_synchronous", "FULL")
	return q
}

func readParams(opts Options) url.Values {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	q.Set("_query_only", "1")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -readerCacheKiB))
	return q
}

// openDB opens a pool on the file at the absolute path abs. The path goes
// through a file: URI, so characters such as '?' and '#' in it stay part of
// the name.
func openDB(abs string, params url.Values) (*sql.DB, error) {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: params.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	return db, nil
}

// checkJournalMode fails when SQLite could not switch the file to WAL, for
// example on a file system without shared memory support. Without WAL,
// readers and the writer would block each other.
func checkJournalMode(ctx context.Context, c *sql.Conn) error {
	var mode string
	if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return translate("read journal mode", err)
	}
	if mode != "wal" {
		return fmt.Errorf("sqlite: open: journal mode is %q, expected \"wal\"", mode)
	}
	return nil
}

// acquire registers a running call, so that Close waits for it. It returns
// store.ErrClosed after Close. The caller must call the returned function
// when it returns.
func (s *Store) acquire() (func(), error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	s.ops.Add(1)
	return s.ops.Done, nil
}

// Close waits for the calls already running, commits every insert queued
// before it, stops the writer and closes the connections. Calls after Close,
// a second Close included, return store.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	s.closed = true
	s.mu.Unlock()

	s.ops.Wait()
	close(s.reqs)
	<-s.stopped

	var errs []error
	errs = append(errs, s.ckpt.close())
	errs = append(errs, s.readStmts.close())
	errs = append(errs, s.writerStmts.close())
	errs = append(errs, s.stmts.close())
	errs = append(errs, s.writeConn.Close())
	errs = append(errs, s.write.Close())
	errs = append(errs, s.read.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}
