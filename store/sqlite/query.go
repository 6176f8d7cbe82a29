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

	// countFrom is the FROM clause of the count. It names the listing table
	// alone when no clause reads the events row e, so that the count skips
	// the join.
	countFrom string

	limit, offset int // SQLite LIMIT and OFFSET; -1 means no limit
}

// buildQuery checks q and turns it into SQL. A query of a keptnContext reads
// the listing table context_events x, a root query roots r, and any other
// query the events row e alone. Scope clauses go on the listing table, whose
// key serves them.
func buildQuery(q store.EventQuery) (*eventQuery, error) {
	if q.Offset < 0 {
		return nil, invalidQuery("negative offset %d", q.Offset)
	}
	if q.Limit < 0 {
		return nil, invalidQuery("negative limit %d", q.Limit)
	}

	b := &eventQuery{
		from:      "events e",
		order:     "e.time_ns DESC, e.seq DESC",
		countFrom: "events e",
		limit:     q.Limit,
		offset:    q.Offset,
	}
	if q.Limit == 0 {
		b.limit = -1
	}
	scope := "e"
	switch {
	case q.Root:
		scope = "r"
		b.from = "roots r JOIN events e ON e.seq = r.seq"
		b.countFrom = "roots r"
	case q.KeptnContext != "":
		scope = "x"
		b.from = "context_events x JOIN events e ON e.seq = x.seq"
		b.countFrom = "context_events x"
	}
	if scope != "e" {
		b.order = scope + ".time_ns DESC, " + scope + ".seq DESC"
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
	if len(q.Conditions) > 0 || q.ExcludeInvalidatedBy != "" {
		b.countFrom = b.from
	}

	switch {
	case q.Project != "":
		b.add(scope+".project = ?", q.Project)
	case q.KeptnContext != "":
		// A keptnContext that is not mapped has a NULL project, which
		// matches nothing.
		b.add(scope+".project = (SELECT c.project FROM contexts c WHERE c.keptncontext = ?)", q.KeptnContext)
	case q.Root:
		// Only events with a project have root events.
		b.none = true
	default:
		b.add(scope + ".project = ''")
	}
	if q.KeptnContext != "" {
		b.add(scope+".context_id = (SELECT c.id FROM contexts c WHERE c.keptncontext = ?)", q.KeptnContext)
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

// selectSQL returns the page query. SQLite 3.54, as modernc.org/sqlite
// v1.62.0 builds it, reads the value bound to a bare LIMIT parameter while
// it plans the statement, and marks the parameter so that each new binding
// prepares the statement again. The unary plus hides the parameter from
// that check, so a cached statement is prepared once.
func (b *eventQuery) selectSQL() (string, []any) {
	query := "SELECT " + eventColumns + b.pageSQL()
	args := append(append([]any{}, b.args...), b.limit, b.offset)
	return query, args
}

func (b *eventQuery) pageSQL() string {
	return " FROM " + b.from + b.whereSQL() + " ORDER BY " + b.order + " LIMIT +? OFFSET ?"
}

func (b *eventQuery) countSQL() (string, []any) {
	return "SELECT count(*) FROM " + b.countFrom + b.whereSQL(), b.args
}

// selectWithTotalSQL returns the page query with the count of all matches
// as a first column. The count is a subquery that does not depend on the
// row, so SQLite runs it once per statement, and it reads the same snapshot
// as the page.
func (b *eventQuery) selectWithTotalSQL() (string, []any) {
	count, countArgs := b.countSQL()
	query := "SELECT (" + count + "), " + eventColumns + b.pageSQL()
	args := make([]any, 0, len(countArgs)+len(b.args)+2)
	args = append(args, countArgs...)
	args = append(args, b.args...)
	args = append(args, b.limit, b.offset)
	return query, args
}

// QueryEvents returns the events selected by q (see store.Events). A query
// with CountTotal reads its page and its total from one snapshot.
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
	page, ticket, ok := s.results.lookup(q)
	if ok {
		return page, nil
	}
	page, err = s.runQuery(ctx, b, q.CountTotal)
	if err != nil {
		return store.EventPage{}, err
	}
	s.results.store(ticket, page)
	return page, nil
}

// runQuery reads the page of b from the database, and its total when
// countTotal is set.
func (s *Store) runQuery(ctx context.Context, b *eventQuery, countTotal bool) (store.EventPage, error) {
	reads := cachedQuerier{cache: s.readStmts}
	if !countTotal {
		query, args := b.selectSQL()
		events, _, err := selectEvents(ctx, reads, query, args, false, b.limit)
		if err != nil {
			return store.EventPage{}, err
		}
		return store.EventPage{Events: events}, nil
	}

	query, args := b.selectWithTotalSQL()
	events, total, err := selectEvents(ctx, reads, query, args, true, b.limit)
	if err != nil {
		return store.EventPage{}, err
	}
	if len(events) > 0 || b.offset == 0 {
		// An empty first page means that nothing matches.
		return store.EventPage{Events: events, Total: total}, nil
	}
	// The page starts past the last match, so no row carried the total.
	return s.queryPageAndCount(ctx, b)
}

// queryPageAndCount runs the page and the count of b as two statements in
// one read transaction, so that both see the same snapshot.
func (s *Store) queryPageAndCount(ctx context.Context, b *eventQuery) (store.EventPage, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.EventPage{}, translate("query events", err)
	}
	// The transaction only reads, so rolling it back loses nothing.
	defer tx.Rollback()
	reads := cachedQuerier{cache: s.readStmts, tx: tx}

	var page store.EventPage
	query, args := b.countSQL()
	if err := queryRow(ctx, reads, query, args, &page.Total); err != nil {
		return store.EventPage{}, translate("count events", err)
	}
	query, args = b.selectSQL()
	if page.Events, _, err = selectEvents(ctx, reads, query, args, false, b.limit); err != nil {
		return store.EventPage{}, err
	}
	return page, nil
}

// selectEvents runs a page query. With withTotal, the query returns the
// total as its first column, and selectEvents returns it from the first
// row, or 0 when there is no row.
func selectEvents(ctx context.Context, q querier, query string, args []any, withTotal bool, limit int) ([]store.Event, int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, translate("query events", err)
	}
	defer rows.Close()

	events := make([]store.Event, 0, min(max(limit, 0), maxPreallocated))
	total := 0
	var ev store.Event
	var timeNS, offset int64
	// database/sql scans NULL as a nil slice into *[]byte, but not into
	// *json.RawMessage.
	var data, extensions []byte
	dest := []any{&total, &ev.ID, &ev.Type, &ev.Source, &ev.SpecVersion, &ev.ContentType,
		&ev.DataContentType, &ev.KeptnContext, &ev.TriggeredID, &timeNS, &offset,
		&data, &extensions, &ev.Project, &ev.Stage, &ev.Service}
	if !withTotal {
		dest = dest[1:]
	}
	for rows.Next() {
		// Scan stores a new slice in data and extensions on each row.
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, translate("read event", err)
		}
		ev.Time = decodeTime(timeNS, offset)
		ev.Data = data
		ev.Extensions = extensions
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, translate("query events", err)
	}
	return events, total, nil
}

// maxPreallocated caps the capacity that selectEvents allocates for a page
// before it reads the rows.
const maxPreallocated = 100
