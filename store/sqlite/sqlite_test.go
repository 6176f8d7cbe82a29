package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/sqlite"
	"github.com/keptn-api/keptn-api/store/storetest"
)

func openTemp(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	return openTempWith(t, sqlite.Options{})
}

func openTempWith(t testing.TB, opts sqlite.Options) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestEvents(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) store.Events {
		s, _ := openTemp(t)
		return s
	})
}

func testEvent(id, project, keptnContext string, at time.Time) store.Event {
	return store.Event{
		ID:           id,
		Type:         "sh.keptn.event.test",
		Source:       "sqlite_test",
		SpecVersion:  "1.0",
		KeptnContext: keptnContext,
		Time:         at,
		Data:         []byte(fmt.Sprintf(`{"project":%q,"result":"pass"}`, project)),
		Project:      project,
	}
}

func ids(events []store.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.ID
	}
	return out
}

func TestReopenKeepsEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	base := time.Date(2020, 5, 1, 12, 0, 0, 0, time.FixedZone("", 3600))
	for i, ev := range []store.Event{
		testEvent("late", "p1", "c1", base.Add(2*time.Second)),
		testEvent("early", "p1", "c1", base.Add(time.Second)),
		testEvent("unmapped", "", "c2", base),
	} {
		if err := s.InsertEvent(ctx, ev); err != nil {
			t.Fatalf("InsertEvent %d: %v", i, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()

	page, err := s.QueryEvents(ctx, store.EventQuery{KeptnContext: "c1"})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	if got := strings.Join(ids(page.Events), ","); got != "late,early" {
		t.Errorf("events of c1 after reopen = %s, want late,early", got)
	}
	if len(page.Events) > 0 {
		_, offset := page.Events[0].Time.Zone()
		if offset != 3600 {
			t.Errorf("UTC offset after reopen = %d, want 3600", offset)
		}
	}
	roots, err := s.QueryEvents(ctx, store.EventQuery{Project: "p1", Root: true})
	if err != nil {
		t.Fatalf("QueryEvents root: %v", err)
	}
	if got := strings.Join(ids(roots.Events), ","); got != "early" {
		t.Errorf("root events after reopen = %s, want early", got)
	}
	unmapped, err := s.QueryEvents(ctx, store.EventQuery{})
	if err != nil {
		t.Fatalf("QueryEvents unmapped: %v", err)
	}
	if got := strings.Join(ids(unmapped.Events), ","); got != "unmapped" {
		t.Errorf("unmapped events after reopen = %s, want unmapped", got)
	}
	if err := s.InsertEvent(ctx, testEvent("late", "p1", "c1", base)); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("InsertEvent of a stored ID after reopen: error = %v, want ErrAlreadyExists", err)
	}
}

func TestOpenSetsSchemaVersion(t *testing.T) {
	_, path := openTemp(t)

	db := openRaw(t, path)
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatalf("read user_version: %v", err)
	}
	if version != 3 {
		t.Errorf("user_version = %d, want 3", version)
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatalf("read journal_mode: %v", err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	db := openRaw(t, path)
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatalf("set user_version: %v", err)
	}
	db.Close()

	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a file with schema version 99 succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "99") {
		t.Errorf("Open error %q does not name the schema version 99", err)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "events.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open in a missing directory succeeded, want an error")
	}
	if _, statErr := os.Stat(filepath.Dir(path)); !os.IsNotExist(statErr) {
		t.Errorf("Open created the directory %s", filepath.Dir(path))
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("Mkdir: %v", err)
	}
	path := filepath.Join(dir, "events.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	defer s.Close()

	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at %s: %v", path, err)
	}
}

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestInsertTimeOutOfRange(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()

	for _, at := range []time.Time{
		{},
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		err := s.InsertEvent(ctx, testEvent("out-of-range", "p1", "c1", at))
		if err == nil {
			t.Errorf("InsertEvent at %s succeeded, want an error", at)
			continue
		}
		if !strings.Contains(err.Error(), "outside the storable range") {
			t.Errorf("InsertEvent at %s: error %q does not explain the range", at, err)
		}
	}

	page, err := s.QueryEvents(ctx, store.EventQuery{Project: "p1"})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	if len(page.Events) != 0 {
		t.Errorf("%d events stored, want 0", len(page.Events))
	}
}

func TestZeroOffsetReadsAsUTC(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.FixedZone("GMT", 0))
	if err := s.InsertEvent(ctx, testEvent("gmt", "p1", "c1", at)); err != nil {
		t.Fatalf("InsertEvent: %v", err)
	}

	page, err := s.QueryEvents(ctx, store.EventQuery{Project: "p1"})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	if len(page.Events) != 1 {
		t.Fatalf("%d events, want 1", len(page.Events))
	}
	if loc := page.Events[0].Time.Location(); loc != time.UTC {
		t.Errorf("location = %q, want UTC", loc)
	}
}

func TestInsertCanceledContext(t *testing.T) {
	s, _ := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := s.InsertEvent(ctx, testEvent("canceled", "p1", "c1", time.Now()))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("InsertEvent with a canceled context: error = %v, want context.Canceled", err)
	}
	page, err := s.QueryEvents(context.Background(), store.EventQuery{Project: "p1"})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	if len(page.Events) != 0 {
		t.Errorf("%d events stored, want 0", len(page.Events))
	}
}

// TestDuplicatesFailAlone races inserts of one ID with inserts of unique
// IDs, so that duplicates land in batches with other events. Exactly one
// insert of the shared ID succeeds, and every unique event is stored.
func TestDuplicatesFailAlone(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	const goroutines = 32
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)

	var wg sync.WaitGroup
	var dupOK, dupExists, uniqueOK atomic.Int64
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range 10 {
				err := s.InsertEvent(ctx, testEvent("shared", "p1", "c1", at))
				switch {
				case err == nil:
					dupOK.Add(1)
				case errors.Is(err, store.ErrAlreadyExists):
					dupExists.Add(1)
				default:
					t.Errorf("InsertEvent(shared): %v", err)
				}
				if err := s.InsertEvent(ctx, testEvent(fmt.Sprintf("u%d-%d", g, i), "p1", "c1", at)); err != nil {
					t.Errorf("InsertEvent(unique): %v", err)
				} else {
					uniqueOK.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()

	if dupOK.Load() != 1 {
		t.Errorf("inserts of the shared ID that succeeded = %d, want 1", dupOK.Load())
	}
	if dupExists.Load() != goroutines*10-1 {
		t.Errorf("inserts of the shared ID with ErrAlreadyExists = %d, want %d", dupExists.Load(), goroutines*10-1)
	}
	page, err := s.QueryEvents(ctx, store.EventQuery{Project: "p1", CountTotal: true, Limit: 1})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	if want := int(uniqueOK.Load()) + 1; page.Total != want {
		t.Errorf("events stored = %d, want %d", page.Total, want)
	}
}

// TestFailedInsertFailsAlone makes some inserts fail inside SQLite, one in
// the insert into events and one after it, and races them with inserts that
// succeed. Each failed insert must leave no row, and the other events of
// its batch must be stored.
func TestFailedInsertFailsAlone(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	db := openRaw(t, path)
	for _, trigger := range []string{
		`CREATE TRIGGER fail_event BEFORE INSERT ON events WHEN new.id LIKE 'bad-event-%'
BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
		`CREATE TRIGGER fail_mapping BEFORE INSERT ON contexts WHEN new.keptncontext LIKE 'bad-context-%'
BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
	} {
		if _, err := db.Exec(trigger); err != nil {
			t.Fatalf("create trigger: %v", err)
		}
	}
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)

	var wg sync.WaitGroup
	var stored atomic.Int64
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				ev := testEvent(fmt.Sprintf("good-%d-%d", g, i), "p1", "c1", at)
				switch i % 5 {
				case 1:
					ev.ID = fmt.Sprintf("bad-event-%d-%d", g, i)
				case 3:
					ev.ID = fmt.Sprintf("bad-mapping-%d-%d", g, i)
					ev.KeptnContext = fmt.Sprintf("bad-context-%d-%d", g, i)
				}
				err := s.InsertEvent(ctx, ev)
				if strings.HasPrefix(ev.ID, "good-") {
					if err != nil {
						t.Errorf("InsertEvent(%s): %v", ev.ID, err)
					} else {
						stored.Add(1)
					}
					continue
				}
				if err == nil || errors.Is(err, store.ErrAlreadyExists) {
					t.Errorf("InsertEvent(%s): error = %v, want the injected failure", ev.ID, err)
				}
			}
		})
	}
	wg.Wait()

	var events, listed, contexts int
	if err := db.QueryRow("SELECT count(*) FROM events").Scan(&events); err != nil {
		t.Fatalf("count events: %v", err)
	}
	if events != int(stored.Load()) {
		t.Errorf("events stored = %d, want %d", events, stored.Load())
	}
	if err := db.QueryRow("SELECT count(*) FROM context_events").Scan(&listed); err != nil {
		t.Fatalf("count context_events: %v", err)
	}
	if listed != int(stored.Load()) {
		t.Errorf("events listed by keptnContext = %d, want %d", listed, stored.Load())
	}
	if err := db.QueryRow("SELECT count(*) FROM contexts WHERE keptncontext <> 'c1'").Scan(&contexts); err != nil {
		t.Fatalf("count contexts: %v", err)
	}
	if contexts != 0 {
		t.Errorf("keptnContexts of failed inserts = %d, want 0", contexts)
	}
}

func TestMalformedDataKeepsQueriesWorking(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	bad := testEvent("bad", "p1", "c1", at)
	bad.Data = []byte(`{"result": "pass"`)
	good := testEvent("good", "p1", "c1", at.Add(time.Second))
	for _, ev := range []store.Event{bad, good} {
		if err := s.InsertEvent(ctx, ev); err != nil {
			t.Fatalf("InsertEvent(%s): %v", ev.ID, err)
		}
	}

	page, err := s.QueryEvents(ctx, store.EventQuery{
		Project:    "p1",
		Conditions: []store.Condition{{Field: "data.result", Values: []string{"pass"}}},
	})
	if err != nil {
		t.Fatalf("QueryEvents with a data condition: %v", err)
	}
	if got := strings.Join(ids(page.Events), ","); got != "good" {
		t.Errorf("matching events = %s, want good", got)
	}
	page, err = s.QueryEvents(ctx, store.EventQuery{Project: "p1"})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	if len(page.Events) == 2 && string(page.Events[1].Data) != string(bad.Data) {
		t.Errorf("malformed Data = %q, want %q", page.Events[1].Data, bad.Data)
	}
}

// TestCloseCommitsQueuedInserts closes the store while inserts are running.
// Every insert that returned nil must be in the file after reopening.
func TestCloseCommitsQueuedInserts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)

	var wg sync.WaitGroup
	var acked sync.Map
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("g%d-%d", g, i)
				err := s.InsertEvent(ctx, testEvent(id, "p1", "c1", at))
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("InsertEvent(%s): %v", id, err)
					return
				}
				acked.Store(id, true)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	if err := s.Close(); !errors.Is(err, store.ErrClosed) {
		t.Errorf("second Close: error = %v, want ErrClosed", err)
	}

	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	page, err := s.QueryEvents(ctx, store.EventQuery{Project: "p1"})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	stored := make(map[string]bool, len(page.Events))
	for _, ev := range page.Events {
		stored[ev.ID] = true
	}
	count := 0
	acked.Range(func(key, _ any) bool {
		count++
		if !stored[key.(string)] {
			t.Errorf("acknowledged event %s missing after reopen", key)
		}
		return true
	})
	if count == 0 {
		t.Error("no insert succeeded before Close")
	}
}

// BenchmarkInsert measures durable inserts with about 32 concurrent callers,
// whatever GOMAXPROCS is. Each insert waits for its batch's WAL sync.
func BenchmarkInsert(b *testing.B) {
	s, _ := openTemp(b)
	ctx := context.Background()
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	data := []byte(`{"project":"bench","stage":"dev","service":"carts","result":"pass","labels":{"a":"b"}}`)
	var next atomic.Int64

	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			ev := store.Event{
				ID:           fmt.Sprintf("bench-%d", n),
				Type:         "sh.keptn.event.deployment.finished",
				Source:       "bench",
				SpecVersion:  "1.0",
				KeptnContext: fmt.Sprintf("ctx-%d", n/10),
				Time:         at.Add(time.Duration(n) * time.Millisecond),
				Data:         data,
				Project:      fmt.Sprintf("bench-%d", n%10),
				Stage:        "dev",
				Service:      "carts",
			}
			if err := s.InsertEvent(ctx, ev); err != nil {
				b.Errorf("InsertEvent: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
}

// BenchmarkQuery measures typical reads on 20,000 events in 10 projects,
// 2,000 keptnContexts with 10 events each.
func BenchmarkQuery(b *testing.B) {
	s, _ := openTemp(b)
	ctx := context.Background()
	const events, projects, perContext = 20000, 10, 10
	populate(b, s, events, projects, perContext)

	queries := []struct {
		name string
		q    store.EventQuery
	}{
		{"ProjectPage", store.EventQuery{Project: "p3", Limit: 20}},
		{"ProjectPageCount", store.EventQuery{Project: "p3", Limit: 20, Offset: 100, CountTotal: true}},
		{"Context", store.EventQuery{KeptnContext: "c77"}},
		{"RootPageCount", store.EventQuery{Project: "p3", Root: true, Limit: 20, CountTotal: true}},
		{"TypeAndStage", store.EventQuery{Project: "p3", Limit: 20, Conditions: []store.Condition{
			{Field: "type", Values: []string{"sh.keptn.event.evaluation.finished"}},
			{Field: "data.stage", Values: []string{"prod"}},
		}}},
		{"NestedDataLatest", store.EventQuery{Project: "p3", Limit: 1, Conditions: []store.Condition{
			{Field: "data.evaluation.result", Values: []string{"fail"}},
		}}},
		{"ExcludeInvalidated", store.EventQuery{Project: "p3", Limit: 20,
			ExcludeInvalidatedBy: "sh.keptn.event.evaluation.invalidated",
			Conditions:           []store.Condition{{Field: "type", Values: []string{"sh.keptn.event.evaluation.finished"}}}}},
	}
	for _, bq := range queries {
		b.Run(bq.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.QueryEvents(ctx, bq.q); err != nil {
						b.Errorf("QueryEvents: %v", err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
		})
	}
}

// populate inserts n events from 32 goroutines, so that group commit keeps
// the setup short.
func populate(b *testing.B, s *sqlite.Store, n, projects, perContext int) {
	b.Helper()
	ctx := context.Background()
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	types := []string{
		"sh.keptn.event.deployment.finished",
		"sh.keptn.event.evaluation.finished",
		"sh.keptn.event.evaluation.invalidated",
	}
	stages := []string{"dev", "staging", "prod"}
	results := []string{"pass", "warning", "fail"}

	var wg sync.WaitGroup
	var next atomic.Int64
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				keptnContext := i / perContext
				project := fmt.Sprintf("p%d", keptnContext%projects)
				// The stage cycles more slowly than the type, so every
				// combination of the two occurs.
				stage := stages[(i/len(types))%len(stages)]
				eventType := types[i%len(types)]
				invalidates := eventType == types[2] && (i/len(types))%5 == 0
				if eventType == types[2] && !invalidates {
					eventType = "sh.keptn.event.deployment.triggered"
				}
				ev := store.Event{
					ID:           fmt.Sprintf("e%d", i),
					Type:         eventType,
					Source:       "bench",
					SpecVersion:  "1.0",
					KeptnContext: fmt.Sprintf("c%d", keptnContext),
					Time:         at.Add(time.Duration(i) * time.Second),
					Data: []byte(fmt.Sprintf(`{"project":%q,"stage":%q,"service":"carts","evaluation":{"result":%q}}`,
						project, stage, results[(i/7)%len(results)])),
					Project: project,
					Stage:   stage,
					Service: "carts",
				}
				if invalidates {
					// Every fifth evaluation is invalidated by the next event.
					ev.TriggeredID = fmt.Sprintf("e%d", i-1)
				}
				if err := s.InsertEvent(ctx, ev); err != nil {
					b.Errorf("InsertEvent: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
