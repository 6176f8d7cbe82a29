package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/keptn-api/keptn-api/store"
)

const eventColumns = `e.id, e.type, e.source, e.specversion, e.contenttype, e.datacontenttype,
	e.keptncontext, e.triggeredid, e.time_ns, e.time_offset, e.data, e.extensions,
	e.project, e.stage, e.service`

// eventQuery is an EventQuery turned into SQL.
type eventQuery struct {
	// none is set when the query can match nothing, and no SQL is run.
	none bool

	from  string // FROM and JOIN clauses
	where []string
	args  []any
	order string

	// rootOnly is set for a root query whose clauses all read root_events,
	// so that its count can skip the join to events.
	rootOnly bool

	limit, offset int // SQLite LIMIT and OFFSET; -1 means no limit
}

// buildQuery checks q and turns it into SQL. Scope clauses go on the
// root_events row r for root queries, which the root_events index serves,
// and on the events row e otherwise.
func buildQuery(q store.EventQuery) (*eventQuery, error) {
	if q.Offset < 0 {
		return nil, invalidQuery("negative offset %d", q.Offset)
	}
	if q.Limit < 0 {
		return nil, invalidQuery("negative limit %d", q.Limit)
	}

	b := &eventQuery{
		from:   "events e",
		order:  "e.time_ns DESC, e.seq DESC",
		limit:  q.Limit,
		offset: q.Offset,
	}
	if q.Limit == 0 {
		b.limit = -1
	}
	scope := "e"
	if q.Root {
		b.from = "root_events r JOIN events e ON e.seq = r.seq"
		b.order = "r.time_ns DESC, r.seq DESC"
		scope = "r"
	}

	// Conditions are checked first, so that an invalid query fails even
	// when its scope is empty.
	for _, c := range q.Conditions {
		expr, args, err := conditionSQL(c)
		if err != nil {
			return nil, err
		}
		b.add(expr, args...)
	}

	switch {
	case q.Project != "":
		b.add(scope+".project = ?", q.Project)
	case q.KeptnContext != "":
		b.add(scope+".project = (SELECT c.project FROM context_projects c WHERE c.keptncontext = ?)", q.KeptnContext)
	case q.Root:
		// Only events with a project have root events.
		b.none = true
	default:
		b.add(scope + ".project = ''")
	}
	if q.KeptnContext != "" {
		b.add(scope+".keptncontext = ?", q.KeptnContext)
	}

	if !q.After.IsZero() {
		switch {
		case q.After.Before(minStorableTime):
			// Every stored time is after it.
		case !q.After.Before(maxStorableTime):
			b.none = true
		default:
			b.add(scope+".time_ns > ?", q.After.UnixNano())
		}
	}

	b.rootOnly = q.Root && len(q.Conditions) == 0 && q.ExcludeInvalidatedBy == ""

	if q.ExcludeInvalidatedBy != "" {
		b.add(`NOT EXISTS (SELECT 1 FROM events i
	WHERE i.project = e.project AND i.triggeredid = e.id AND i.type = ?)`, q.ExcludeInvalidatedBy)
	}
	return b, nil
}

func (b *eventQuery) add(expr string, args ...any) {
	b.where = append(b.where, expr)
	b.args = append(b.args, args...)
}

func (b *eventQuery) whereSQL() string {
	if len(b.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.where, " AND ")
}

func (b *eventQuery) selectSQL() (string, []any) {
	query := "SELECT " + eventColumns + " FROM " + b.from + b.whereSQL() +
		" ORDER BY " + b.order + " LIMIT ? OFFSET ?"
	args := append(append([]any{}, b.args...), b.limit, b.offset)
	return query, args
}

func (b *eventQuery) countSQL() (string, []any) {
	from := b.from
	if b.rootOnly {
		from = "root_events r"
	}
	return "SELECT count(*) FROM " + from + b.whereSQL(), b.args
}

// querier is the part of *sql.DB and *sql.Tx that queries use.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// QueryEvents returns the events selected by q (see store.Events). A query
// with CountTotal runs its count and its page in one read transaction, so
// both see the same snapshot.
func (s *Store) QueryEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	release, err := s.acquire()
	if err != nil {
		return store.EventPage{}, err
	}
	defer release()

	b, err := buildQuery(q)
	if err != nil {
		return store.EventPage{}, err
	}
	if b.none {
		return store.EventPage{Events: []store.Event{}}, nil
	}
	if !q.CountTotal {
		events, err := selectEvents(ctx, s.read, b)
		if err != nil {
			return store.EventPage{}, err
		}
		return store.EventPage{Events: events}, nil
	}

	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.EventPage{}, translate("query events", err)
	}
	// The transaction only reads, so rolling it back loses nothing.
	defer tx.Rollback()

	var page store.EventPage
	query, args := b.countSQL()
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&page.Total); err != nil {
		return store.EventPage{}, translate("count events", err)
	}
	if page.Events, err = selectEvents(ctx, tx, b); err != nil {
		return store.EventPage{}, err
	}
	return page, nil
}

func selectEvents(ctx context.Context, db querier, b *eventQuery) ([]store.Event, error) {
	query, args := b.selectSQL()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate("query events", err)
	}
	defer rows.Close()

	events := []store.Event{}
	for rows.Next() {
		var ev store.Event
		var timeNS, offset int64
		// database/sql scans NULL as a nil slice into *[]byte, but not into
		// *json.RawMessage.
		var data, extensions []byte
		err := rows.Scan(&ev.ID, &ev.Type, &ev.Source, &ev.SpecVersion, &ev.ContentType,
			&ev.DataContentType, &ev.KeptnContext, &ev.TriggeredID, &timeNS, &offset,
			&data, &extensions, &ev.Project, &ev.Stage, &ev.Service)
		if err != nil {
			return nil, translate("read event", err)
		}
		ev.Time = decodeTime(timeNS, offset)
		ev.Data = data
		ev.Extensions = extensions
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("query events", err)
	}
	return events, nil
}
