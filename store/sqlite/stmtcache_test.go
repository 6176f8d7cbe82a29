package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

func openTestDB(t *testing.T) *stmtCache {
	t.Helper()
	db, err := openDB(filepath.Join(t.TempDir(), "cache.db"), readParams(Options{}.withDefaults()))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return newStmtCache(2, db.PrepareContext)
}

func queryInt(t *testing.T, cs *cachedStmt) int {
	t.Helper()
	var n int
	if err := cs.stmt.QueryRowContext(context.Background()).Scan(&n); err != nil {
		t.Fatalf("query %q: %v", cs.query, err)
	}
	return n
}

// TestStmtCacheEvictsLeastRecentlyUsed checks that the cache keeps at most
// its size of statements, evicts the least recently used one, and closes an
// evicted statement only after its last caller has put it back.
func TestStmtCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	c := openTestDB(t)

	one, err := c.get(ctx, "SELECT 1")
	if err != nil {
		t.Fatalf("get SELECT 1: %v", err)
	}
	c.put(one)
	held, err := c.get(ctx, "SELECT 2")
	if err != nil {
		t.Fatalf("get SELECT 2: %v", err)
	}
	again, err := c.get(ctx, "SELECT 1")
	if err != nil {
		t.Fatalf("get SELECT 1 again: %v", err)
	}
	if again != one {
		t.Error("get SELECT 1 again prepared a new statement, want the cached one")
	}
	c.put(again)

	// SELECT 2 is now the least recently used, and its caller still holds it.
	three, err := c.get(ctx, "SELECT 3")
	if err != nil {
		t.Fatalf("get SELECT 3: %v", err)
	}
	c.put(three)
	if _, ok := c.byQuery["SELECT 2"]; ok {
		t.Error("SELECT 2 is still cached, want it evicted")
	}
	if c.lru.Len() != 2 {
		t.Errorf("cache holds %d statements, want 2", c.lru.Len())
	}
	if got := queryInt(t, held); got != 2 {
		t.Errorf("evicted statement still held returned %d, want 2", got)
	}
	c.put(held)
	if _, err := held.stmt.QueryContext(ctx); err == nil {
		t.Error("evicted statement works after its last put, want it closed")
	}

	if err := c.close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := c.get(ctx, "SELECT 1"); err == nil {
		t.Error("get after close succeeded, want an error")
	}
}

// TestStmtCacheConcurrentUse runs more query shapes than the cache holds
// from many goroutines, for the race detector.
func TestStmtCacheConcurrentUse(t *testing.T) {
	c := openTestDB(t)
	q := cachedQuerier{cache: c}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				want := (g + i) % 5
				var got int
				if err := queryRow(context.Background(), q, fmt.Sprintf("SELECT %d", want), nil, &got); err != nil {
					t.Errorf("query: %v", err)
					return
				}
				if got != want {
					t.Errorf("SELECT %d returned %d", want, got)
				}
			}
		})
	}
	wg.Wait()
	if err := c.close(); err != nil {
		t.Errorf("close: %v", err)
	}
}
