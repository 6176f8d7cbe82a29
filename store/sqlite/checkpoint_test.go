package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
)

// TestWALStaysBounded writes many times the pages after which the writer
// restarts the WAL, with low thresholds, and checks that the WAL file stays
// a small multiple of that size while the events reach the database file.
func TestWALStaysBounded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s := openProjectStore(t, path)
	// No write has run yet, so the writer goroutine reads the new values
	// only after the first request reaches it over its queue.
	s.ckpt.wakeAfter = 50
	s.ckpt.restartAfter = 200

	const goroutines, perGoroutine = 16, 250
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				ev := store.Event{
					ID: fmt.Sprintf("e%d-%d", g, i), Type: "sh.keptn.event.test",
					KeptnContext: fmt.Sprintf("c%d-%d", g, i), Project: fmt.Sprintf("p%d", i%10),
					Time: time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
					Data: []byte(fmt.Sprintf(`{"n":%d,"padding":%q}`, i, make([]byte, 300))),
				}
				if err := s.InsertEvent(ctx, ev); err != nil {
					t.Errorf("InsertEvent(%s): %v", ev.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()

	const frameSize = 4096 + 24
	wal, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatalf("stat WAL file: %v", err)
	}
	if limit := int64(4 * s.ckpt.restartAfter * frameSize); wal.Size() > limit {
		t.Errorf("WAL file has %d bytes after %d inserts, want at most %d", wal.Size(), goroutines*perGoroutine, limit)
	}
	db, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat database file: %v", err)
	}
	if db.Size() < wal.Size() {
		t.Errorf("database file has %d bytes and WAL file %d, want checkpoints to have copied most pages", db.Size(), wal.Size())
	}
	page, err := s.QueryEvents(ctx, store.EventQuery{Project: "p3", CountTotal: true, Limit: 1})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	if want := goroutines * perGoroutine / 10; page.Total != want {
		t.Errorf("events of p3 = %d, want %d", page.Total, want)
	}
}
