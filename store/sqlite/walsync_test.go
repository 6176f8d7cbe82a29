package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
)

// blockingFile replaces the WAL file in tests. Each Sync waits for a value
// on release and returns it.
type blockingFile struct {
	syncing chan struct{}
	release chan error
}

func (f *blockingFile) Name() string { return "test-wal" }
func (f *blockingFile) Close() error { return nil }
func (f *blockingFile) Sync() error {
	f.syncing <- struct{}{}
	return <-f.release
}

func testInsert(t *testing.T, s *Store, id string) chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- s.InsertEvent(context.Background(), store.Event{
			ID: id, Type: "sh.keptn.event.test", KeptnContext: "c1", Project: "p1",
			Time: time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC),
		})
	}()
	return done
}

// TestInsertWaitsForWALSync checks that InsertEvent returns only after the
// WAL file has been synced, and fails when the sync fails.
func TestInsertWaitsForWALSync(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "keptn.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// No write is in flight, so the syncer goroutine reads the new file
	// only after the next insert's results reach it over its queue.
	real := s.syncer.file
	f := &blockingFile{syncing: make(chan struct{}), release: make(chan error)}
	s.syncer.file = f

	done := testInsert(t, s, "e1")
	<-f.syncing
	select {
	case err := <-done:
		t.Fatalf("InsertEvent returned %v before the WAL sync ended", err)
	case <-time.After(50 * time.Millisecond):
	}
	f.release <- nil
	if err := <-done; err != nil {
		t.Fatalf("InsertEvent: %v", err)
	}

	injected := errors.New("injected sync failure")
	done = testInsert(t, s, "e2")
	<-f.syncing
	f.release <- injected
	if err := <-done; !errors.Is(err, injected) {
		t.Errorf("InsertEvent with a failed sync: error = %v, want the sync failure", err)
	}
	// A failed sync fails every later write without syncing again.
	if err := <-testInsert(t, s, "e3"); !errors.Is(err, injected) {
		t.Errorf("InsertEvent after a failed sync: error = %v, want the sync failure", err)
	}

	if err := s.Close(); !errors.Is(err, injected) {
		t.Errorf("Close after a failed sync: error = %v, want the sync failure", err)
	}
	if err := real.Close(); err != nil {
		t.Errorf("close the WAL file: %v", err)
	}
}
