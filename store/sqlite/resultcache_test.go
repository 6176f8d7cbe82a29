package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/sqlite"
	"github.com/keptn-api/keptn-api/store/storetest"
)

// The conformance suite mixes writes and repeated queries, so with the
// result cache on (the default, in TestEvents) it checks invalidation. This
// run checks the SQL alone.
func TestEventsWithoutResultCache(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) store.Events {
		s, _ := openTempWith(t, sqlite.Options{ResultCacheBytes: -1})
		return s
	})
}

func queryIDs(t *testing.T, s store.Events, q store.EventQuery) []string {
	t.Helper()
	page, err := s.QueryEvents(context.Background(), q)
	if err != nil {
		t.Fatalf("QueryEvents(%+v): %v", q, err)
	}
	ids := make([]string, len(page.Events))
	for i, ev := range page.Events {
		ids[i] = ev.ID
	}
	return ids
}

func insert(t *testing.T, s store.Events, ev store.Event) {
	t.Helper()
	if err := s.InsertEvent(context.Background(), ev); err != nil {
		t.Fatalf("InsertEvent(%s): %v", ev.ID, err)
	}
}

func TestResultCacheSeesEachWrite(t *testing.T) {
	s, _ := openTemp(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	queries := map[string]store.EventQuery{
		"project":  {Project: "sockshop", CountTotal: true},
		"root":     {Project: "sockshop", Root: true},
		"context":  {KeptnContext: "ctx-1"},
		"unmapped": {},
		"filter":   {Project: "sockshop", Conditions: []store.Condition{{Field: "data.result", Values: []string{"pass"}}}},
	}
	wantCount := map[string]int{}

	steps := []struct {
		ev     store.Event
		counts []string // queries whose result grows by one
	}{
		{testEvent("e1", "sockshop", "ctx-1", base), []string{"project", "root", "context", "filter"}},
		{testEvent("e2", "sockshop", "ctx-1", base.Add(time.Second)), []string{"project", "context", "filter"}},
		{testEvent("e3", "", "ctx-2", base.Add(2*time.Second)), []string{"unmapped"}},
		{testEvent("e4", "sockshop", "ctx-3", base.Add(3*time.Second)), []string{"project", "root", "filter"}},
	}
	for _, step := range steps {
		// Query before each write, so that every query has a cached page.
		for name, q := range queries {
			if got := len(queryIDs(t, s, q)); got != wantCount[name] {
				t.Fatalf("before %s, query %s returned %d events, want %d", step.ev.ID, name, got, wantCount[name])
			}
		}
		insert(t, s, step.ev)
		for _, name := range step.counts {
			wantCount[name]++
		}
		for name, q := range queries {
			if got := len(queryIDs(t, s, q)); got != wantCount[name] {
				t.Errorf("after %s, query %s returned %d events, want %d", step.ev.ID, name, got, wantCount[name])
			}
		}
	}
}

func TestResultCacheMapsContextOnFirstProjectEvent(t *testing.T) {
	s, _ := openTemp(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	q := store.EventQuery{KeptnContext: "ctx-late"}

	insert(t, s, testEvent("u1", "", "ctx-late", base))
	if ids := queryIDs(t, s, q); len(ids) != 0 {
		t.Fatalf("unmapped context returned %v, want nothing", ids)
	}
	insert(t, s, testEvent("p1", "sockshop", "ctx-late", base.Add(time.Second)))
	if ids := queryIDs(t, s, q); len(ids) != 1 || ids[0] != "p1" {
		t.Errorf("context after its first project event returned %v, want [p1]", ids)
	}
}

func TestResultCacheSeesInvalidationFromOtherContext(t *testing.T) {
	s, _ := openTemp(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	q := store.EventQuery{KeptnContext: "ctx-eval", ExcludeInvalidatedBy: "sh.keptn.events.evaluation.invalidated"}

	insert(t, s, testEvent("eval", "sockshop", "ctx-eval", base))
	if ids := queryIDs(t, s, q); len(ids) != 1 {
		t.Fatalf("query before invalidation returned %v, want [eval]", ids)
	}
	inv := testEvent("inv", "sockshop", "ctx-other", base.Add(time.Second))
	inv.Type = "sh.keptn.events.evaluation.invalidated"
	inv.TriggeredID = "eval"
	insert(t, s, inv)
	if ids := queryIDs(t, s, q); len(ids) != 0 {
		t.Errorf("query after an invalidating event of another context returned %v, want nothing", ids)
	}
}

func TestResultCacheDropsDeletedProject(t *testing.T) {
	s, _ := openTemp(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	insert(t, s, testEvent("d1", "doomed", "ctx-d", base))
	for _, q := range []store.EventQuery{{Project: "doomed"}, {KeptnContext: "ctx-d"}} {
		if ids := queryIDs(t, s, q); len(ids) != 1 {
			t.Fatalf("query %+v before the delete returned %v, want [d1]", q, ids)
		}
	}
	if err := s.DeleteProjectEvents(context.Background(), "doomed"); err != nil {
		t.Fatalf("DeleteProjectEvents: %v", err)
	}
	for _, q := range []store.EventQuery{{Project: "doomed"}, {KeptnContext: "ctx-d"}} {
		if ids := queryIDs(t, s, q); len(ids) != 0 {
			t.Errorf("query %+v after the delete returned %v, want nothing", q, ids)
		}
	}
}

func TestResultCacheCopiesPages(t *testing.T) {
	s, _ := openTemp(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	insert(t, s, testEvent("c1", "sockshop", "ctx-c", base))
	q := store.EventQuery{Project: "sockshop"}

	page, err := s.QueryEvents(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	page.Events[0].ID = "changed by the caller"
	if ids := queryIDs(t, s, q); len(ids) != 1 || ids[0] != "c1" {
		t.Errorf("second query returned %v, want [c1]", ids)
	}
}

func TestResultCacheStaysBounded(t *testing.T) {
	// 16 KiB holds a handful of one-event pages, so most of the 200
	// contexts below are evicted, and each must still read correctly.
	s, _ := openTempWith(t, sqlite.Options{ResultCacheBytes: 16 << 10})
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 200 {
		insert(t, s, testEvent(fmt.Sprintf("b%d", i), "sockshop", fmt.Sprintf("ctx-%d", i), base.Add(time.Duration(i)*time.Second)))
	}
	for round := range 2 {
		for i := range 200 {
			ids := queryIDs(t, s, store.EventQuery{KeptnContext: fmt.Sprintf("ctx-%d", i)})
			if want := fmt.Sprintf("b%d", i); len(ids) != 1 || ids[0] != want {
				t.Fatalf("round %d: context ctx-%d returned %v, want [%s]", round, i, ids, want)
			}
		}
	}
}

// Readers poll a context while a writer appends to it. Each reader must see
// at least the events acknowledged before its query started.
func TestResultCacheReadsOwnWritesConcurrently(t *testing.T) {
	s, _ := openTemp(t)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const events = 200
	q := store.EventQuery{KeptnContext: "ctx-poll", CountTotal: true, Limit: 5}

	var mu sync.Mutex
	acked := 0
	stop := make(chan struct{})
	var readers sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				floor := acked
				mu.Unlock()
				page, err := s.QueryEvents(context.Background(), q)
				if err != nil {
					errs <- err
					return
				}
				if page.Total < floor {
					errs <- fmt.Errorf("query returned a total of %d after %d events were acknowledged", page.Total, floor)
					return
				}
			}
		}()
	}
	for i := range events {
		insert(t, s, testEvent(fmt.Sprintf("w%d", i), "sockshop", "ctx-poll", base.Add(time.Duration(i)*time.Second)))
		mu.Lock()
		acked = i + 1
		mu.Unlock()
		// Each acknowledged write must be visible to the writer's own next
		// read as well.
		page, err := s.QueryEvents(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != i+1 {
			t.Fatalf("after %d writes the query returned a total of %d", i+1, page.Total)
		}
	}
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
