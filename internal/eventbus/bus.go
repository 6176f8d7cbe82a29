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

// Subscriber receives each event after it is stored. When an event whose id
// is stored already is published again, it receives the stored event with
// redelivered set, so it must be idempotent. It runs on the publisher's
// goroutine, so it must return quickly and must not call Publish. Its error
// is returned to the publisher's caller, who may retry.
type Subscriber func(ctx context.Context, ev store.Event, redelivered bool) error

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
// does.
//
// When the id of ev is stored already, the stored event (not ev) reaches the
// subscribers again, so that a client retrying after a failure between the
// insert and the subscribers completes their work. Publish then returns an
// error wrapping store.ErrAlreadyExists. A subscriber's failure is returned
// after every subscriber ran, and publishing the event again retries them.
func (b *Bus) Publish(ctx context.Context, ev store.Event) error {
	var exists error
	if ev.Type == keptn.TypeProjectDelete && ev.Project != "" {
		if err := b.events.DeleteProjectEvents(ctx, ev.Project); err != nil {
			return fmt.Errorf("delete events of project %q: %w", ev.Project, err)
		}
		b.log.Info("deleted the events of a project", "project", ev.Project, "event_id", ev.ID)
	} else if err := b.events.InsertEvent(ctx, ev); err != nil {
		if !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("store event %q: %w", ev.ID, err)
		}
		exists = err
		stored, found, err := b.storedEvent(ctx, ev)
		if err != nil {
			return fmt.Errorf("read stored event %q: %w", ev.ID, err)
		}
		if !found {
			// The id belongs to an event of another project, which is not
			// this event's to redeliver.
			return exists
		}
		ev = stored
	}

	var failed []error
	for _, s := range b.subscribers {
		if err := s(ctx, ev, exists != nil); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("event %q is stored, but its processing failed: %w", ev.ID, errors.Join(failed...))
	}
	return exists
}

// storedEvent returns the stored event with the id and project of ev.
func (b *Bus) storedEvent(ctx context.Context, ev store.Event) (store.Event, bool, error) {
	page, err := b.events.QueryEvents(ctx, store.EventQuery{
		Project:    ev.Project,
		Conditions: []store.Condition{{Field: "id", Values: []string{ev.ID}}},
		Limit:      1,
	})
	if err != nil || len(page.Events) == 0 {
		return store.Event{}, false, err
	}
	return page.Events[0], true, nil
}
