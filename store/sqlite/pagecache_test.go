package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sqlitedriver "modernc.org/sqlite"

	"github.com/keptn-api/keptn-api/store"
)

func cacheUsed(t *testing.T, conn interface {
	Raw(func(any) error) error
}) int {
	t.Helper()
	var used int
	err := conn.Raw(func(dc any) error {
		var err error
		used, _, err = dc.(sqlitedriver.DBStatus).Status(sqlitedriver.DBStatusCacheUsed, false)
		return err
	})
	if err != nil {
		t.Fatalf("read cache use: %v", err)
	}
	return used
}

// TestFlushEmptiesReaderCaches checks what cacheGuard relies on: PRAGMA
// shrink_memory on the writer connection drops the pages that a read
// connection keeps, and a second flush within minCacheFlushInterval does
// not run.
func TestFlushEmptiesReaderCaches(t *testing.T) {
	ctx := context.Background()
	s := openProjectStore(t, filepath.Join(t.TempDir(), "events.db"))
	for i := range 300 {
		ev := store.Event{ID: fmt.Sprintf("e%d", i), Type: "sh.keptn.event.test", KeptnContext: "c1",
			Project: "p1", Time: time.Unix(int64(i), 0), Data: []byte(`{"padding":"` + strings.Repeat("x", 500) + `"}`)}
		if err := s.InsertEvent(ctx, ev); err != nil {
			t.Fatalf("InsertEvent: %v", err)
		}
	}

	reader, err := s.read.Conn(ctx)
	if err != nil {
		t.Fatalf("take a read connection: %v", err)
	}
	defer reader.Close()
	var n int
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE length(data) > 0").Scan(&n); err != nil {
		t.Fatalf("read the events: %v", err)
	}
	before := cacheUsed(t, reader)
	if before == 0 {
		t.Fatal("the read connection caches no pages after reading the events")
	}

	// The writer goroutine is idle, so the test may use its connection and
	// its guard. The inserts may have flushed already.
	s.cache.lastFlush = time.Time{}
	s.cache.flushIfStarved(ctx, s.writeConn, 1, 2)
	if after := cacheUsed(t, reader); after >= before {
		t.Errorf("read connection caches %d bytes after the flush, %d before, want fewer", after, before)
	}
	flushed := s.cache.lastFlush
	if flushed.IsZero() {
		t.Fatal("flushIfStarved with more misses than hits did not flush")
	}
	s.cache.flushIfStarved(ctx, s.writeConn, 1, 2)
	if s.cache.lastFlush != flushed {
		t.Error("a second flush within minCacheFlushInterval ran")
	}
	s.cache.lastFlush = time.Time{}
	s.cache.flushIfStarved(ctx, s.writeConn, 2, 1)
	if !s.cache.lastFlush.IsZero() {
		t.Error("flushIfStarved with more hits than misses flushed")
	}
}
