package mongodb_test

import (
	"context"
	"errors"
	"strings"
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

// TestOpenRejectsUnusableSettings checks that settings that would fail
// every request fail Open instead, with the offending value named.
func TestOpenRejectsUnusableSettings(t *testing.T) {
	url := testmongo.Shared(t)
	cases := []struct {
		url, database, want string
	}{
		{url, "a.b", `invalid database name "a.b"`},
		{"mongodb://127.0.0.1:1/bad%20db", "", `invalid database name "bad db"`},
		{url, strings.Repeat("d", 64), "shorter than 64 bytes"},
		{"mongodb://127.0.0.1:1/keptn?w=0", "", "w=0"},
	}
	for _, c := range cases {
		s, err := mongodb.Open(c.url, mongodb.Options{Database: c.database})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q, database %q) succeeded, want an error containing %q", c.url, c.database, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q, database %q) = %v, want an error containing %q", c.url, c.database, err, c.want)
		}
	}
}
