// Package mongodb is the keptn-api storage backend for MongoDB. It keeps
// events and the configuration view in the layout of a Keptn 0.7 database,
// so keptn-api can take over an existing one:
//
//   - one collection of events per project, named like the project;
//   - "<project>-rootEvents": the root event of each keptnContext;
//   - "<project>-invalidatedEvents": copies of the events whose type ends
//     in ".invalidated";
//   - "contextToProject": {_id: keptnContext, projectName};
//   - "keptnUnmappedEvents": the events without a project;
//   - "keptnProjectsMV": one ExpandedProject document per project.
//
// Event documents carry the CloudEvents attributes under the names Keptn
// 0.7 wrote them with. keptn-api adds the subdocument "keptnApi" (exact
// time, insertion order, the JSON text of data and extensions) and the
// collection "keptnApiEventIDs", which makes event ids unique across
// collections and records inserts until they are complete. At start-up it
// adds "keptnApi" to the documents that Keptn 0.7 wrote.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/keptn-api/keptn-api/store"
)

var (
	_ store.Events   = (*Store)(nil)
	_ store.Projects = (*Store)(nil)
)

// DefaultDatabase is the database Keptn 0.7 used.
const DefaultDatabase = "keptn"

// Defaults used for the zero fields of Options.
const (
	DefaultServerSelectionTimeout = 5 * time.Second
	DefaultMaxRetryDelay          = 10 * time.Second
)

// Options tunes a Store. The zero value selects the defaults.
type Options struct {
	// Database is the database to use. Empty selects the database named in
	// the URL, or DefaultDatabase when the URL names none.
	Database string
	// Logger receives the start-up progress and failures. Nil discards
	// them.
	Logger *slog.Logger
	// MaxRetryDelay caps the wait between two attempts to prepare the
	// database at start-up. Zero selects DefaultMaxRetryDelay.
	MaxRetryDelay time.Duration
}

// Store is a store.Events and a store.Projects kept in a MongoDB database.
// It is safe for concurrent use.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	log    *slog.Logger
	redact func(string) string

	// ready is set once prepare has succeeded; until then every call
	// returns store.ErrUnavailable. escapeKeys and arraysAsDocuments are
	// written before ready.
	ready             atomic.Bool
	escapeKeys        bool
	arraysAsDocuments bool
	lastErr           atomic.Value // string: why the last preparation failed

	// indexed holds the projects whose event collections have their
	// indexes.
	indexed sync.Map
	indexMu sync.Mutex

	// viewMu serializes the writes of the configuration view in this
	// process; a revision field guards against other processes.
	viewMu sync.Mutex

	stopPrepare context.CancelFunc
	prepared    chan struct{} // closed when the prepare goroutine returns
	readyCh     chan struct{} // closed when ready is set

	mu     sync.RWMutex
	closed bool
	ops    sync.WaitGroup
}

// Open checks rawURL, creates a client and returns at once. The database
// is prepared in the background (indexes, migration of Keptn 0.7
// documents, completion of interrupted inserts) and retried with backoff
// while it is unreachable. Until then every call returns
// store.ErrUnavailable.
// A malformed URL is an error. The caller must Close the returned Store.
//
// Unless the URL says otherwise, writes wait for a majority of the replica
// set and for the journal, and an operation waits at most
// DefaultServerSelectionTimeout for a reachable server.
func Open(rawURL string, opts Options) (*Store, error) {
	redact := redactor(rawURL)
	cs, err := connstring.ParseAndValidate(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mongodb: invalid URL: %s", redact(err.Error()))
	}
	database := opts.Database
	if database == "" {
		database = cs.Database
	}
	if database == "" {
		database = DefaultDatabase
	}
	if err := checkDatabase(database); err != nil {
		return nil, err
	}
	// An unacknowledged write reports no error, so a duplicate event id or a
	// failed write would pass unnoticed.
	if cs.WNumberSet && cs.WNumber == 0 {
		return nil, errors.New("mongodb: invalid URL: write concern w=0 is not supported, because keptn-api needs acknowledged writes; remove w=0 or set w=1 or w=majority")
	}
	if opts.MaxRetryDelay <= 0 {
		opts.MaxRetryDelay = DefaultMaxRetryDelay
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	// The defaults go first, so that the options of the URL override them.
	clientOpts := options.Client().
		SetWriteConcern(&writeconcern.WriteConcern{W: writeconcern.WCMajority, Journal: new(true)}).
		SetServerSelectionTimeout(DefaultServerSelectionTimeout).
		ApplyURI(rawURL)
	client, err := mongo.Connect(clientOpts)
	if err != nil {
		return nil, fmt.Errorf("mongodb: connect: %s", redact(err.Error()))
	}

	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		client:      client,
		db:          client.Database(database),
		log:         log.With("database", database),
		redact:      redact,
		stopPrepare: cancel,
		prepared:    make(chan struct{}),
		readyCh:     make(chan struct{}),
	}
	s.lastErr.Store("not connected yet")
	go s.prepareLoop(ctx, opts.MaxRetryDelay)
	return s, nil
}

// checkDatabase rejects a database name that MongoDB rejects: empty, 64
// bytes or longer, or with one of the characters / \ . " $ space or NUL.
func checkDatabase(name string) error {
	if len(name) >= 64 {
		return fmt.Errorf("mongodb: invalid database name %q: it must be shorter than 64 bytes", name)
	}
	if i := strings.IndexAny(name, "/\\. \"$\x00"); i >= 0 {
		return fmt.Errorf("mongodb: invalid database name %q: it must not contain %q", name, name[i:i+1])
	}
	return nil
}

// redactor returns a function that replaces the password of rawURL with
// asterisks wherever it appears in a text, for error messages and logs.
func redactor(rawURL string) func(string) string {
	var secrets []string
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	return func(text string) string {
		for _, secret := range secrets {
			text = strings.ReplaceAll(text, secret, "********")
		}
		return text
	}
}

// prepareLoop prepares the database until it succeeds or the store closes.
// The wait between attempts doubles from 100 ms up to maxDelay.
func (s *Store) prepareLoop(ctx context.Context, maxDelay time.Duration) {
	defer close(s.prepared)
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.prepare(ctx)
		if err == nil {
			s.ready.Store(true)
			close(s.readyCh)
			s.log.Info("MongoDB ready", "attempt", attempt)
			return
		}
		if ctx.Err() != nil {
			return
		}
		msg := s.redact(err.Error())
		s.lastErr.Store(msg)
		s.log.Warn("MongoDB not ready; retrying", "attempt", attempt, "retry_in", delay, "error", msg)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, maxDelay)
	}
}

// Ready reports whether the database has been prepared, and if not, why.
func (s *Store) Ready() (bool, string) {
	if s.ready.Load() {
		return true, ""
	}
	return false, s.lastErr.Load().(string)
}

// WaitReady waits until the database is prepared. It returns the reason of
// the last failed attempt when ctx ends first, and store.ErrClosed when the
// store closes first.
func (s *Store) WaitReady(ctx context.Context) error {
	select {
	case <-s.readyCh:
		return nil
	case <-s.prepared:
		if s.ready.Load() {
			return nil
		}
		return store.ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("mongodb: %w: %s", store.ErrUnavailable, s.lastErr.Load().(string))
	}
}

// prepare runs the start-up steps. Each is idempotent, so a failed attempt
// is simply run again.
func (s *Store) prepare(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := s.client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	var info bson.M
	if err := s.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return fmt.Errorf("buildInfo: %w", err)
	}
	// FerretDB v1 refuses keys with '.' or a leading '$', which event types
	// (the keys of lastEventTypes) and event data may hold.
	_, s.escapeKeys = info["ferretdbVersion"]
	// FerretDB v1 also rejects arrays inside arrays.
	s.arraysAsDocuments = s.escapeKeys

	if err := s.createFixedIndexes(ctx); err != nil {
		return err
	}
	projects, err := s.listProjects(ctx)
	if err != nil {
		return err
	}
	for _, name := range projects {
		if err := s.createProjectIndexes(ctx, name); err != nil {
			return err
		}
	}
	if err := s.migrateLegacy(ctx, projects); err != nil {
		return err
	}
	return s.completePending(ctx)
}

// acquire registers a running call, so that Close waits for it. It returns
// store.ErrClosed after Close and store.ErrUnavailable before the database
// is prepared. The caller must call the returned function when it returns.
func (s *Store) acquire(op string) (func(), error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	if !s.ready.Load() {
		return nil, fmt.Errorf("mongodb: %s: %w: %s", op, store.ErrUnavailable, s.lastErr.Load().(string))
	}
	s.ops.Add(1)
	return s.ops.Done, nil
}

// Close stops the preparation, waits for the calls already running and
// disconnects. Calls after Close, a second Close included, return
// store.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	s.closed = true
	s.mu.Unlock()

	s.stopPrepare()
	<-s.prepared
	s.ops.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("mongodb: close: %s", s.redact(err.Error()))
	}
	return nil
}

// translate wraps a driver error with the name of the failed operation. A
// duplicate key becomes store.ErrAlreadyExists, an unreachable server
// store.ErrUnavailable. The driver error stays in the chain.
func (s *Store) translate(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("mongodb: %s: %w: %w", op, store.ErrAlreadyExists, err)
	case unavailable(err), droppedMeanwhile(err):
		return fmt.Errorf("mongodb: %s: %w: %w", op, store.ErrUnavailable, redactedError{err, s.redact})
	}
	return fmt.Errorf("mongodb: %s: %w", op, redactedError{err, s.redact})
}

// unavailable reports errors that mean the server could not be reached or
// went away, as opposed to a refused operation.
func unavailable(err error) bool {
	var sel topology.ServerSelectionError
	if errors.As(err, &sel) || mongo.IsNetworkError(err) || errors.Is(err, mongo.ErrClientDisconnected) {
		return true
	}
	var ce topology.ConnectionError
	return errors.As(err, &ce)
}

// droppedMeanwhile reports the errors of FerretDB v1 with its SQLite
// handler when a collection is dropped while a write to it or an index
// creation on it runs, as when a project is deleted while its events
// arrive. Repeating the write succeeds, so they count as unavailable.
func droppedMeanwhile(err error) bool {
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(ferretInternalError) {
		return false
	}
	// SQLite reports the missing table as "SQL logic error" or, when the
	// schema changed between preparing and running a statement, as
	// "database schema has changed". Two writers that recreate the dropped
	// collection at once collide on FerretDB's own index of its tables.
	msg := err.Error()
	return strings.Contains(msg, "no such table: ") ||
		strings.Contains(msg, "index ") && strings.Contains(msg, "already exists") ||
		strings.Contains(msg, "UNIQUE constraint failed: index ")
}

// ferretInternalError is the code of FerretDB's InternalError.
const ferretInternalError = 1

// redactedError is a driver error whose text has the URL's password
// replaced.
type redactedError struct {
	err    error
	redact func(string) string
}

func (e redactedError) Error() string { return e.redact(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }

func quote(s string) string { return fmt.Sprintf("%q", s) }
