package mongodb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/testmongo"
	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/mongodb"
)

// TestInsertDuringProjectDelete inserts events of a project from two stores
// on one database while the project is deleted again and again. On FerretDB
// the writes that meet a dropped collection fail; each such failure must be
// store.ErrUnavailable, and a retry must store the event.
func TestInsertDuringProjectDelete(t *testing.T) {
	// Several connections per store, so that inserts and drops overlap.
	url := strings.Replace(testmongo.Shared(t), "maxPoolSize=1", "maxPoolSize=4", 1)
	db := testmongo.NewDatabase(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stores []*mongodb.Store
	for range 2 {
		s, err := mongodb.Open(url, mongodb.Options{Database: db})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}

	var mu sync.Mutex
	var failed []store.Event
	var writers, deleter sync.WaitGroup
	done := make(chan struct{})
	for writer := range 4 {
		writers.Go(func() {
			for i := range 12 {
				ev := store.Event{ID: fmt.Sprintf("e-%d-%d", writer, i), Type: "t", Source: "s", SpecVersion: "0.2",
					KeptnContext: fmt.Sprintf("c-%d", i), Time: time.Now().UTC(), Data: json.RawMessage(`{"project":"race"}`), Project: "race"}
				err := stores[writer%2].InsertEvent(ctx, ev)
				if err == nil {
					continue
				}
				if !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("InsertEvent during a delete = %v, want an error wrapping store.ErrUnavailable", err)
				}
				mu.Lock()
				failed = append(failed, ev)
				mu.Unlock()
			}
		})
	}
	deleter.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if err := stores[i%2].DeleteProjectEvents(ctx, "race"); err != nil {
				t.Errorf("DeleteProjectEvents: %v", err)
			}
		}
	})
	writers.Wait()
	close(done)
	deleter.Wait()

	for _, ev := range failed {
		if err := stores[0].InsertEvent(ctx, ev); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("retry of %s: %v", ev.ID, err)
		}
		page, err := stores[0].QueryEvents(ctx, store.EventQuery{Project: "race",
			Conditions: []store.Condition{{Field: "id", Values: []string{ev.ID}}}})
		if err != nil || len(page.Events) != 1 {
			t.Errorf("event %s after its retry: %d found, error %v; want it stored", ev.ID, len(page.Events), err)
		}
	}
	t.Logf("%d inserts failed during the deletes and were retried", len(failed))
}
