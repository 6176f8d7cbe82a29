package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
)

// oldFile is a database file at schema version 1 or 2, written with the
// statements of the builds that used those versions.
type oldFile struct {
	t    *testing.T
	path string
	db   *sql.DB
}

func newOldFile(t *testing.T, version int) *oldFile {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keptn.db")
	db, err := openDB(path, writeParams(Options{}.withDefaults()))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close()
	if err := migrateTo(ctx, conn, version); err != nil {
		t.Fatalf("migrate to version %d: %v", version, err)
	}
	return &oldFile{t: t, path: path, db: db}
}

// insert stores ev as InsertEvent did at schema versions 1 and 2.
func (f *oldFile) insert(id, project, keptnContext string, at time.Time) {
	f.t.Helper()
	res, err := f.db.Exec(`INSERT INTO events (id, type, source, specversion, contenttype,
	datacontenttype, keptncontext, triggeredid, time_ns, time_offset, data,
	extensions, project, stage, service)
VALUES (?, 'sh.keptn.event.test', 'test', '1.0', '', '', ?, '', ?, 0, ?, NULL, ?, '', '')`,
		id, keptnContext, at.UnixNano(), fmt.Sprintf(`{"project":%q}`, project), project)
	if err != nil {
		f.t.Fatalf("insert event %s: %v", id, err)
	}
	if project == "" {
		return
	}
	seq, err := res.LastInsertId()
	if err != nil {
		f.t.Fatalf("insert event %s: %v", id, err)
	}
	if _, err := f.db.Exec(`INSERT INTO context_projects (keptncontext, project) VALUES (?, ?)
ON CONFLICT (keptncontext) DO NOTHING`, keptnContext, project); err != nil {
		f.t.Fatalf("map context of event %s: %v", id, err)
	}
	if _, err := f.db.Exec(`INSERT INTO root_events (project, keptncontext, seq, time_ns) VALUES (?, ?, ?, ?)
ON CONFLICT (project, keptncontext) DO UPDATE SET seq = excluded.seq, time_ns = excluded.time_ns
WHERE excluded.time_ns < root_events.time_ns`, project, keptnContext, seq, at.UnixNano()); err != nil {
		f.t.Fatalf("update root of event %s: %v", id, err)
	}
}

// deleteProject removes a project's events as DeleteProjectEvents did at
// schema versions 1 and 2.
func (f *oldFile) deleteProject(project string) {
	f.t.Helper()
	for _, table := range []string{"events", "root_events", "context_projects"} {
		if _, err := f.db.Exec("DELETE FROM "+table+" WHERE project = ?", project); err != nil {
			f.t.Fatalf("delete project %s from %s: %v", project, table, err)
		}
	}
}

// open closes the old file and opens it with the current migrations.
func (f *oldFile) open() *Store {
	f.t.Helper()
	if err := f.db.Close(); err != nil {
		f.t.Fatalf("close old file: %v", err)
	}
	return openProjectStore(f.t, f.path)
}

func queryIDs(t *testing.T, s *Store, q store.EventQuery) ([]string, int) {
	t.Helper()
	q.CountTotal = true
	page, err := s.QueryEvents(context.Background(), q)
	if err != nil {
		t.Fatalf("QueryEvents(%+v): %v", q, err)
	}
	ids := []string{}
	for _, ev := range page.Events {
		ids = append(ids, ev.ID)
	}
	return ids, page.Total
}

func checkIDs(t *testing.T, s *Store, q store.EventQuery, want ...string) {
	t.Helper()
	got, total := queryIDs(t, s, q)
	if !slices.Equal(got, want) {
		t.Errorf("QueryEvents(%+v) = %v, want %v", q, got, want)
	}
	if total != len(want) {
		t.Errorf("QueryEvents(%+v) total = %d, want %d", q, total, len(want))
	}
}

// TestMigrateToVersion3 writes keptnContexts of every kind at schema
// version 2 and checks that the queries of the current schema find them,
// and that inserts and deletes after the migration keep them consistent.
func TestMigrateToVersion3(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }

	f := newOldFile(t, 2)
	// c1 has three events in p1. The second one stored is the root,
	// because it has the earliest time.
	f.insert("c1-a", "p1", "c1", sec(2))
	f.insert("c1-b", "p1", "c1", sec(1))
	f.insert("c1-c", "p1", "c1", sec(3))
	// c2 is mapped to p1 and has an event in p2 as well.
	f.insert("c2-a", "p1", "c2", sec(4))
	f.insert("c2-b", "p2", "c2", sec(5))
	// c3 has unmapped events only.
	f.insert("c3-a", "", "c3", sec(6))
	// c4 was mapped to p2, which was deleted. Its event in p3 remains.
	f.insert("c4-a", "p2", "c4", sec(7))
	f.insert("c4-b", "p3", "c4", sec(8))
	f.insert("p2-gone", "p2", "c9", sec(9))
	f.deleteProject("p2")

	s := f.open()
	var version int
	if err := s.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		t.Fatalf("read user_version: %v", err)
	}
	if version != len(migrations) {
		t.Errorf("user_version = %d, want %d", version, len(migrations))
	}

	checkIDs(t, s, store.EventQuery{KeptnContext: "c1"}, "c1-c", "c1-a", "c1-b")
	checkIDs(t, s, store.EventQuery{KeptnContext: "c1", Root: true}, "c1-b")
	checkIDs(t, s, store.EventQuery{KeptnContext: "c2"}, "c2-a")
	checkIDs(t, s, store.EventQuery{KeptnContext: "c3"})
	checkIDs(t, s, store.EventQuery{}, "c3-a")
	checkIDs(t, s, store.EventQuery{KeptnContext: "c4"})
	checkIDs(t, s, store.EventQuery{Project: "p3", KeptnContext: "c4"}, "c4-b")
	checkIDs(t, s, store.EventQuery{Project: "p1", Root: true}, "c2-a", "c1-b")
	checkIDs(t, s, store.EventQuery{Project: "p3", Root: true}, "c4-b")
	checkIDs(t, s, store.EventQuery{Project: "p2"})
	checkIDs(t, s, store.EventQuery{Project: "p1", After: sec(2)}, "c2-a", "c1-c")

	// An event of p1 maps c4 again, as the old mapping was removed.
	for _, ev := range []store.Event{
		{ID: "c4-c", Type: "sh.keptn.event.test", KeptnContext: "c4", Time: sec(10), Project: "p1"},
		{ID: "c1-d", Type: "sh.keptn.event.test", KeptnContext: "c1", Time: sec(0), Project: "p1"},
		{ID: "c5-a", Type: "sh.keptn.event.test", KeptnContext: "c5", Time: sec(11), Project: "p3"},
	} {
		if err := s.InsertEvent(ctx, ev); err != nil {
			t.Fatalf("InsertEvent(%s): %v", ev.ID, err)
		}
	}
	checkIDs(t, s, store.EventQuery{KeptnContext: "c4"}, "c4-c")
	checkIDs(t, s, store.EventQuery{KeptnContext: "c4", Root: true}, "c4-c")
	checkIDs(t, s, store.EventQuery{Project: "p1", Root: true}, "c4-c", "c2-a", "c1-d")
	checkIDs(t, s, store.EventQuery{Project: "p3", Root: true}, "c5-a", "c4-b")

	// Deleting p1 removes c1 and c2, which have no events left, and unmaps
	// c4, which keeps its event in p3.
	if err := s.DeleteProjectEvents(ctx, "p1"); err != nil {
		t.Fatalf("DeleteProjectEvents(p1): %v", err)
	}
	checkIDs(t, s, store.EventQuery{KeptnContext: "c1"})
	checkIDs(t, s, store.EventQuery{KeptnContext: "c2"})
	checkIDs(t, s, store.EventQuery{Project: "p2", KeptnContext: "c2"})
	checkIDs(t, s, store.EventQuery{Project: "p3", KeptnContext: "c4"}, "c4-b")
	checkIDs(t, s, store.EventQuery{Project: "p1", Root: true})

	var contexts []string
	rows, err := s.read.QueryContext(ctx, "SELECT keptncontext || '=' || coalesce(project, 'NULL') FROM contexts ORDER BY keptncontext")
	if err != nil {
		t.Fatalf("list contexts: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatalf("list contexts: %v", err)
		}
		contexts = append(contexts, c)
	}
	if want := []string{"c4=NULL", "c5=p3"}; !slices.Equal(contexts, want) {
		t.Errorf("contexts after deleting p1 = %v, want %v", contexts, want)
	}
}
