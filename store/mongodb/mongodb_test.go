package mongodb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/testmongo"
	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/mongodb"
	"github.com/keptn-api/keptn-api/store/storetest"
)

// openTemp opens a store on a database of its own on url and waits until it
// is ready.
func openTemp(t testing.TB, url string) *mongodb.Store {
	t.Helper()
	s, err := mongodb.Open(url, mongodb.Options{Database: testmongo.NewDatabase(t, url)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return s
}

func TestEvents(t *testing.T) {
	for _, target := range testmongo.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			storetest.RunEvents(t, func(t *testing.T) store.Events { return openTemp(t, target.URL) })
		})
	}
}

func TestProjects(t *testing.T) {
	for _, target := range testmongo.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			storetest.RunProjects(t, func(t *testing.T) store.Projects { return openTemp(t, target.URL) })
		})
	}
}
