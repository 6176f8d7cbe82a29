package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/eventbus"
	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/sqlite"
)

// TestPublishRetriesSubscribers checks that a subscriber's failure reaches
// the publisher, and that publishing the stored event again runs the
// subscribers once more.
func TestPublishRetriesSubscribers(t *testing.T) {
	ctx := context.Background()
	events, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { events.Close() })

	bus := eventbus.New(events, slog.New(slog.DiscardHandler))
	viewDown := errors.New("view down")
	fail := true
	var applied []string
	var redeliveries int
	bus.Subscribe(func(_ context.Context, ev store.Event, redelivered bool) error {
		if fail {
			return viewDown
		}
		applied = append(applied, ev.ID)
		if redelivered {
			redeliveries++
		}
		return nil
	})

	ev := store.Event{ID: "e1", Type: "sh.keptn.event.tests.triggered", Source: "t", SpecVersion: "0.2",
		KeptnContext: "c1", Time: time.Now().UTC(), Data: json.RawMessage(`{"project":"p1"}`), Project: "p1"}
	err = bus.Publish(ctx, ev)
	if !errors.Is(err, viewDown) {
		t.Fatalf("Publish with a failing subscriber = %v, want an error wrapping %v", err, viewDown)
	}

	fail = false
	err = bus.Publish(ctx, ev)
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("second Publish = %v, want an error wrapping store.ErrAlreadyExists", err)
	}
	if len(applied) != 1 || applied[0] != "e1" {
		t.Errorf("the subscriber applied %v after the retry, want [e1]", applied)
	}
	if redeliveries != 1 {
		t.Errorf("redeliveries = %d, want 1", redeliveries)
	}
}
