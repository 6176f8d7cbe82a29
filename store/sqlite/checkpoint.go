package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// checkpointPages is how many pages the writer appends to the WAL before it
// wakes the checkpointer: 16 MiB at the default page size of 4 KiB. A
// checkpoint copies each page once however often it was written since the
// previous one, so a larger value copies the often-written index pages less
// often, at the cost of a larger WAL file.
const checkpointPages = 4000

// restartPages is how many pages the WAL may hold before the writer copies
// the rest of it itself, which lets SQLite restart it: 64 MiB at the
// default page size, the journal_size_limit of the writer.
const restartPages = 4 * checkpointPages

// The writer connection runs with wal_autocheckpoint(0), so its commits
// never copy the WAL back into the database file. Instead, after every
// checkpointPages pages it wakes the checkpointer goroutine, which runs a
// PASSIVE checkpoint on a connection of its own while the writer goes on
// committing.
//
// SQLite restarts the WAL from its beginning only when a write transaction
// starts after a checkpoint has copied every frame. Under a steady stream of
// commits the checkpointer always ends a few commits behind, so once the
// WAL holds restartPages pages, the writer checkpoints the frames that are
// left itself, between two batches. Without that step the WAL file would
// grow for as long as writes continue.
type checkpointer struct {
	db      *sql.DB // one connection
	wake    chan struct{}
	running atomic.Bool // set while the goroutine checkpoints
	stopped chan struct{}

	// wakeAfter and restartAfter are checkpointPages and restartPages,
	// which tests lower.
	wakeAfter, restartAfter int

	// Only the writer goroutine uses the counters. sinceWake counts the
	// pages appended since the last wake, walPages those since the last
	// checkpoint of the writer that copied every frame, and lastWritten is
	// the writer connection's count of written pages.
	sinceWake   int
	walPages    int
	lastWritten int

	mu       sync.Mutex
	firstErr error // the first failed checkpoint, returned by close
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{
		db:           db,
		wake:         make(chan struct{}, 1),
		stopped:      make(chan struct{}),
		wakeAfter:    checkpointPages,
		restartAfter: restartPages,
	}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.stopped)
	for range c.wake {
		c.running.Store(true)
		if _, err := checkpoint(context.Background(), c.db); err != nil {
			c.recordErr(err)
		}
		c.running.Store(false)
	}
}

// checkpoint runs a PASSIVE checkpoint, which copies the frames that no
// reader still needs. In that mode SQLite (3.54) never calls the busy
// handler, so a lock held by another connection makes it stop rather than
// wait. It returns whether it copied every frame of the WAL.
func checkpoint(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (complete bool, err error) {
	// The row reports whether a lock held by another connection stopped
	// the checkpoint, the frames in the WAL and the frames copied.
	var busy, walFrames, copied int
	err = q.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied)
	if err != nil {
		return false, translate("checkpoint", err)
	}
	return busy == 0 && copied == walFrames, nil
}

func (c *checkpointer) recordErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.firstErr == nil {
		c.firstErr = err
	}
}

// addWritten takes the writer connection's count of pages written to the
// WAL after a commit, and wakes the checkpointer once wakeAfter pages have
// been written since the last wake. It runs on the writer goroutine.
func (c *checkpointer) addWritten(written int) {
	// SQLite keeps the count in a C int, which wraps after 2^31 pages.
	if written >= c.lastWritten {
		c.sinceWake += written - c.lastWritten
		c.walPages += written - c.lastWritten
	}
	c.lastWritten = written
	if c.sinceWake < c.wakeAfter || c.walPages >= c.restartAfter {
		// From restartAfter pages on, copyRest waits for the checkpointer
		// to be idle, so it is not woken again until the WAL restarts.
		return
	}
	c.sinceWake = 0
	select {
	case c.wake <- struct{}{}:
	default:
		// The goroutine has a wake pending already.
	}
}

// copyRest runs on the writer goroutine between batches. Once the WAL holds
// restartAfter pages, it checkpoints the frames that the checkpointer has
// not copied, so that the next write transaction restarts the WAL. It
// tries again after the next batch while the checkpointer runs or a reader
// still needs old frames.
func (c *checkpointer) copyRest(ctx context.Context, conn *sql.Conn) {
	if c.walPages < c.restartAfter || c.running.Load() {
		return
	}
	complete, err := checkpoint(ctx, conn)
	if err != nil {
		c.recordErr(err)
		// Trying again after every batch would repeat the failure.
		c.walPages = 0
		return
	}
	if complete {
		c.walPages = 0
	}
}

// close stops the goroutine, waits for a checkpoint in progress, closes the
// connection and returns the first error of a checkpoint, if any failed.
func (c *checkpointer) close() error {
	close(c.wake)
	<-c.stopped
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.firstErr, c.db.Close())
}
