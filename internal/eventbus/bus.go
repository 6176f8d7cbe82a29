// Package eventbus is the one path every Keptn event takes into keptn-api:
// the events that clients post to the api and datastore collections and the
// events that the server emits itself. Publish stores an event and then hands
// it to the subscribers, so that views and distribution hook in at one place.
package eventbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/store"
)

// Subscriber receives each event after it is stored. It runs on the
// publisher's goroutine, so it must return quickly and must not call Publish.
type Subscriber func(ctx context.Context, ev store.Event)

// Bus stores events and notifies subscribers.
type Bus struct {
	events      store.Events
	subscribers []Subscriber
	log         *slog.Logger
}

// New returns a bus that stores events in events.
func New(events store.Events, log *slog.Logger) *Bus {
	return &Bus{events: events, log: log}
}

// Subscribe adds a subscriber. Call it before the first Publish; it is not
// safe to call concurrently with Publish.
func (b *Bus) Subscribe(s Subscriber) {
	b.subscribers = append(b.subscribers, s)
}

// Publish stores ev durably and then notifies the subscribers.
//
// An event of type sh.keptn.internal.event.project.delete is not stored: it
// removes every stored event of its project instead, as the Keptn datastore
// does. An event whose id is stored already returns an error wrapping
// store.ErrAlreadyExists and reaches no subscriber.
func (b *Bus) Publish(ctx context.Context, ev store.Event) error {
	if ev.Type == keptn.TypeProjectDelete && ev.Project != "" {
		if err := b.events.DeleteProjectEvents(ctx, ev.Project); err != nil {
			return fmt.Errorf("delete events of project %q: %w", ev.Project, err)
		}
		b.log.Info("deleted the events of a project", "project", ev.Project, "event_id", ev.ID)
	} else if err := b.events.InsertEvent(ctx, ev); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
		return fmt.Errorf("store event %q: %w", ev.ID, err)
	}

	for _, s := range b.subscribers {
		s(ctx, ev)
	}
	return nil
}
