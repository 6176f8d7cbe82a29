package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlitedriver "modernc.org/sqlite"
)

// The SQLite build of modernc.org/sqlite (v1.62.0) defines
// SQLITE_ENABLE_MEMORY_MANAGEMENT, so the page caches of all connections
// in the process form one group with one LRU list, bounded by the sum of
// their cache sizes (pcache1FetchStage2 and pcache1Unpin in SQLite 3.54).
// A connection that holds fewer pages than its own cache_size takes a new
// page on each miss. Once the group is full, it drops each such page as
// soon as it stops using it, instead of keeping it. A connection at its
// cache_size reuses the least recently used page of the group, whichever
// connection holds it.
//
// Queries that read pages from all over the file fill the read caches and
// then take the writer's pages as well. From then on the writer keeps
// none. With the data set of make bench, inserts after such queries missed
// 25 of the 36 page lookups of each event, and none without the queries.
// So the writer watches its misses, and after a commit in which most
// lookups missed, it runs PRAGMA shrink_memory, which empties the LRU list
// of the whole group. The read connections then read their pages again as
// they need them.
//
// NOTE: only the writer is guarded. A read connection whose pages the
// writer took keeps missing in the same way until the next flush, which
// can slow queries while inserts run.

// minCacheFlushInterval is the least time between two flushes of the page
// cache group, so that a writer whose pages do not fit its cache cannot
// keep the readers' caches empty.
const minCacheFlushInterval = time.Second

// cacheGuard flushes the page cache group when the writer misses most of
// its lookups. Only the writer goroutine uses it.
type cacheGuard struct {
	lastFlush time.Time
}

// afterCommit reads the writer connection's page counters after a commit.
// It passes the count of pages written to the WAL to the checkpointer, and
// flushes the page cache group when most page lookups since the last
// commit missed.
func (s *Store) afterCommit(ctx context.Context) {
	var written, hits, misses int
	err := s.writeConn.Raw(func(dc any) error {
		status, ok := dc.(sqlitedriver.DBStatus)
		if !ok {
			return errors.New("the driver connection does not report page counters")
		}
		var err1, err2, err3 error
		written, _, err1 = status.Status(sqlitedriver.DBStatusCacheWrite, false)
		hits, _, err2 = status.Status(sqlitedriver.DBStatusCacheHit, true)
		misses, _, err3 = status.Status(sqlitedriver.DBStatusCacheMiss, true)
		return errors.Join(err1, err2, err3)
	})
	if err != nil {
		s.ckpt.recordErr(fmt.Errorf("sqlite: read page counters: %w", err))
		return
	}
	s.ckpt.addWritten(written)
	s.cache.flushIfStarved(ctx, s.writeConn, hits, misses)
}

func (g *cacheGuard) flushIfStarved(ctx context.Context, conn *sql.Conn, hits, misses int) {
	if misses <= hits || time.Since(g.lastFlush) < minCacheFlushInterval {
		return
	}
	g.lastFlush = time.Now()
	// A failed flush leaves the caches as they are, which costs speed
	// only, so its error is dropped.
	_, _ = conn.ExecContext(ctx, "PRAGMA shrink_memory")
}
