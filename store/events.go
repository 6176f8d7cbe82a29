// Package store defines the storage interfaces of keptn-api and the errors
// every backend returns. Backends live in sub-packages (sqlite, mongodb); the
// conformance suite in storetest checks that each one meets the contracts
// written on these interfaces.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them with %w, and callers test them with
// errors.Is.
var (
	// ErrNotFound reports a missing record.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists reports a record whose key is taken.
	ErrAlreadyExists = errors.New("already exists")
	// ErrClosed reports a call on a store after Close.
	ErrClosed = errors.New("store closed")
	// ErrInvalidQuery reports an EventQuery that no backend can run: a
	// Condition field that is neither a known top-level attribute nor a
	// "data." path, a malformed data path, or a negative Offset or Limit.
	ErrInvalidQuery = errors.New("invalid query")
	// ErrUnavailable reports that the backend cannot reach its database at
	// the moment. The same call may succeed once the database is back. A
	// write that fails with it may have been applied, fully or in part; the
	// backend completes or repeats it, so a retry is safe.
	ErrUnavailable = errors.New("database unavailable")
	// ErrInvalidName reports a project name that the backend cannot store,
	// such as one that is not a valid MongoDB collection name.
	ErrInvalidName = errors.New("invalid name")
	// ErrTooLarge reports an event that exceeds the size the backend can
	// store, such as MongoDB's 16 MiB document limit.
	ErrTooLarge = errors.New("too large")
)

// Event is one stored Keptn CloudEvent.
//
// Project, Stage and Service copy the string values of data.project,
// data.stage and data.service (empty when absent or not a string). The caller
// fills them, and backends index them.
type Event struct {
	ID              string
	Type            string
	Source          string
	SpecVersion     string
	ContentType     string // CloudEvents 0.2 "contenttype"
	DataContentType string // CloudEvents 1.0 "datacontenttype"
	KeptnContext    string // "shkeptncontext"
	TriggeredID     string
	// Time is the event time. Backends keep it to the nanosecond, and keep its
	// UTC offset so that a read writes it back in the zone it came in.
	// Backends accept times from 1678 to 2262 (int64 nanoseconds since 1970).
	Time time.Time
	// Data is the JSON value of "data", stored and returned byte for byte.
	Data json.RawMessage
	// Extensions is the JSON value of "extensions", or nil.
	Extensions json.RawMessage

	Project string
	Stage   string
	Service string
}

// Condition matches events whose value at Field equals one of Values.
//
// Field is a document path as the Keptn datastore filter names it: a
// top-level attribute ("id", "type", "source", "shkeptncontext",
// "triggeredid", "specversion", "contenttype") or a dotted path into the data
// ("data.project", "data.result", "data.evaluationdetails.result"). Values are
// compared as strings: a data value that is a JSON number, boolean, object or
// array never matches.
type Condition struct {
	Field  string
	Values []string
}

// EventQuery selects events. The zero value selects the unmapped events (those
// without a project), newest first.
//
// Scope follows the Keptn 0.7 datastore, where a query never spans projects:
//   - Project set: only that project's events.
//   - else KeptnContext set: the events of the project that context was first
//     stored under. A context never stored with a project selects nothing.
//   - else: only events without a project.
//
// KeptnContext always filters by shkeptncontext as well.
type EventQuery struct {
	Project      string
	KeptnContext string

	// Root keeps only root events: the event with the earliest Time of each
	// keptnContext in the project (the first stored one on ties). Unmapped
	// events have no root events.
	Root bool

	// Conditions must all hold.
	Conditions []Condition

	// After keeps events whose Time is strictly after it, when non-zero.
	After time.Time

	// ExcludeInvalidatedBy drops each event that has been invalidated, that
	// is, the project holds an event of this type whose triggeredid equals the
	// event's id. Empty disables the check.
	ExcludeInvalidatedBy string

	// Offset skips that many matches. Limit caps the result; 0 means no cap.
	Offset int
	Limit  int
	// CountTotal asks for EventPage.Total.
	CountTotal bool
}

// EventPage is one page of a query, newest first (ties in reverse insertion
// order).
type EventPage struct {
	Events []Event
	// Total counts every match of the query, ignoring Offset and Limit. It is
	// set only when EventQuery.CountTotal was.
	Total int
}

// Events stores Keptn events.
//
// Implementations are safe for concurrent use.
type Events interface {
	// InsertEvent stores ev durably before returning: after a nil return the
	// event survives a crash of the process. An event whose ID is already
	// stored returns ErrAlreadyExists and changes nothing. The first event of
	// a keptnContext with a non-empty Project maps that context to the
	// project for good.
	InsertEvent(ctx context.Context, ev Event) error

	// QueryEvents returns the events selected by q. A query that matches
	// nothing returns an empty page and no error.
	QueryEvents(ctx context.Context, q EventQuery) (EventPage, error)

	// DeleteProjectEvents removes every event of the project and the mappings
	// of its contexts. Deleting a project without events is not an error.
	DeleteProjectEvents(ctx context.Context, project string) error

	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}
