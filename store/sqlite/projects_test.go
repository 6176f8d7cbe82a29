package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/storetest"
)

func openProjectStore(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestProjects(t *testing.T) {
	storetest.RunProjects(t, func(t *testing.T) store.Projects {
		return openProjectStore(t, filepath.Join(t.TempDir(), "keptn.db"))
	})
}

// sampleProject has one stage with one service whose every field is set.
func sampleProject() store.Project {
	created := time.Date(2020, 11, 16, 9, 2, 11, 482731904, time.UTC)
	return store.Project{
		Name:         "sockshop",
		GitUser:      "keptn-bot",
		GitRemoteURI: "https://git.example.com/acme/sockshop.git",
		Shipyard:     "c2hpcHlhcmQ=",
		CreationDate: created,
		Stages: []store.Stage{{Name: "dev", Services: []store.Service{{
			Name:          "carts",
			CreationDate:  created.Add(time.Second),
			DeployedImage: "carts:0.12.1",
			LastEventTypes: map[string]store.EventRef{
				"sh.keptn.events.deployment-finished": {KeptnContext: "c1", EventID: "e1", Time: created.Add(2 * time.Second)},
			},
			OpenApprovals:    []store.Approval{{EventID: "a1", KeptnContext: "c1", Time: "t", Image: "carts", Tag: "0.12.1"}},
			OpenRemediations: []store.Remediation{{EventID: "r1", KeptnContext: "c2", Time: "t", Type: "problem", Action: "scale"}},
		}}}},
	}
}

func TestReopenKeepsProjects(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keptn.db")
	want := sampleProject()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.CreateProject(ctx, want); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	if err := s.CreateProject(ctx, store.Project{Name: "second"}); err != nil {
		t.Fatalf("CreateProject(second): %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openProjectStore(t, path)
	got, err := s.GetProject(ctx, want.Name)
	if err != nil {
		t.Fatalf("GetProject after reopen: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("project after reopen = %+v, want %+v", got, want)
	}
	list, err := s.ListProjects(ctx)
	if err != nil {
		t.Fatalf("ListProjects after reopen: %v", err)
	}
	if len(list) != 2 || list[0].Name != "sockshop" || list[1].Name != "second" {
		t.Errorf("ListProjects after reopen returned %d projects %+v, want sockshop then second", len(list), list)
	}
}

// TestMigrateFromVersion1KeepsEvents writes a file with the build's first
// schema version only, as the release before store.Projects did, and opens
// it with the full migration list.
func TestMigrateFromVersion1KeepsEvents(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)

	f := newOldFile(t, 1)
	for i := range 3 {
		f.insert(fmt.Sprintf("e%d", i), "sockshop", "c1", at.Add(time.Duration(i)*time.Second))
	}
	path := f.path
	s := f.open()
	if v := userVersion(t, path); v != len(migrations) {
		t.Errorf("user_version after migration = %d, want %d", v, len(migrations))
	}

	page, err := s.QueryEvents(ctx, store.EventQuery{KeptnContext: "c1", CountTotal: true})
	if err != nil {
		t.Fatalf("QueryEvents after migration: %v", err)
	}
	if page.Total != 3 {
		t.Errorf("events after migration = %d, want 3", page.Total)
	}
	roots, err := s.QueryEvents(ctx, store.EventQuery{Project: "sockshop", Root: true})
	if err != nil {
		t.Fatalf("QueryEvents root after migration: %v", err)
	}
	if len(roots.Events) != 1 || roots.Events[0].ID != "e0" {
		t.Errorf("root events after migration = %+v, want e0", roots.Events)
	}

	if err := s.CreateProject(ctx, sampleProject()); err != nil {
		t.Fatalf("CreateProject after migration: %v", err)
	}
	if _, err := s.GetProject(ctx, "sockshop"); err != nil {
		t.Errorf("GetProject after migration: %v", err)
	}
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	s := openProjectStore(t, path)
	// The read pool opens a fresh connection on the file.
	var v int
	if err := s.read.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatalf("read user_version: %v", err)
	}
	return v
}

// TestDeleteRemovesChildRows checks that ON DELETE CASCADE takes effect,
// which needs foreign keys enabled on the writer connection. Without it the
// orphan rows stay invisible to GetProject but fill the file.
func TestDeleteRemovesChildRows(t *testing.T) {
	ctx := context.Background()
	s := openProjectStore(t, filepath.Join(t.TempDir(), "keptn.db"))

	var foreignKeys int
	if err := s.writeConn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&foreignKeys); err != nil {
		t.Fatalf("read foreign_keys: %v", err)
	}
	if foreignKeys != 1 {
		t.Errorf("writer PRAGMA foreign_keys = %d, want 1", foreignKeys)
	}

	p := sampleProject()
	p.Stages = append(p.Stages, store.Stage{Name: "prod", Services: []store.Service{{Name: "carts"}, {Name: "orders"}}})
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	if got := countRows(t, s, "stages"); got != 2 {
		t.Fatalf("stages rows = %d, want 2", got)
	}
	if got := countRows(t, s, "services"); got != 3 {
		t.Fatalf("services rows = %d, want 3", got)
	}

	if err := s.DeleteStage(ctx, p.Name, "prod"); err != nil {
		t.Fatalf("DeleteStage: %v", err)
	}
	if got := countRows(t, s, "services"); got != 1 {
		t.Errorf("services rows after DeleteStage = %d, want 1", got)
	}

	if err := s.DeleteProject(ctx, p.Name); err != nil {
		t.Fatalf("DeleteProject: %v", err)
	}
	for _, table := range []string{"projects", "stages", "services"} {
		if got := countRows(t, s, table); got != 0 {
			t.Errorf("%s rows after DeleteProject = %d, want 0", table, got)
		}
	}
}

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.read.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestCreateProjectRejectsRepeatedNames(t *testing.T) {
	ctx := context.Background()
	s := openProjectStore(t, filepath.Join(t.TempDir(), "keptn.db"))

	cases := map[string]store.Project{
		"stage twice": {Name: "p", Stages: []store.Stage{{Name: "dev"}, {Name: "dev"}}},
		"service twice": {Name: "p", Stages: []store.Stage{{Name: "dev", Services: []store.Service{
			{Name: "carts"}, {Name: "carts"},
		}}}},
	}
	for name, p := range cases {
		err := s.CreateProject(ctx, p)
		if err == nil || !strings.Contains(err.Error(), "listed twice") {
			t.Errorf("%s: CreateProject error = %v, want one that reports the repeated name", name, err)
		}
	}
	if n := countRows(t, s, "projects"); n != 0 {
		t.Errorf("projects rows = %d, want 0", n)
	}
}

func TestCreationDateZeroAndOutOfRange(t *testing.T) {
	ctx := context.Background()
	s := openProjectStore(t, filepath.Join(t.TempDir(), "keptn.db"))

	if err := s.CreateProject(ctx, store.Project{Name: "zero", Stages: []store.Stage{
		{Name: "dev", Services: []store.Service{{Name: "carts"}}},
	}}); err != nil {
		t.Fatalf("CreateProject with zero times: %v", err)
	}
	got, err := s.GetProject(ctx, "zero")
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	if !got.CreationDate.IsZero() {
		t.Errorf("project CreationDate = %v, want the zero time", got.CreationDate)
	}
	if svc := got.Stages[0].Services[0]; !svc.CreationDate.IsZero() {
		t.Errorf("service CreationDate = %v, want the zero time", svc.CreationDate)
	}

	late := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateProject(ctx, store.Project{Name: "late", CreationDate: late}); err == nil {
		t.Error("CreateProject with a creation date in 2300 succeeded, want an error")
	}
	if err := s.CreateService(ctx, "zero", "dev", store.Service{Name: "late", CreationDate: late}); err == nil {
		t.Error("CreateService with a creation date in 2300 succeeded, want an error")
	}
	if _, err := s.GetProject(ctx, "late"); !errors.Is(err, store.ErrProjectNotFound) {
		t.Errorf("GetProject(late): error = %v, want ErrProjectNotFound", err)
	}
}

func TestUpdateServicePanicReachesCaller(t *testing.T) {
	ctx := context.Background()
	s := openProjectStore(t, filepath.Join(t.TempDir(), "keptn.db"))
	want := sampleProject()
	if err := s.CreateProject(ctx, want); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}

	recovered := func() (v any) {
		defer func() { v = recover() }()
		_ = s.UpdateService(ctx, "sockshop", "dev", "carts", func(svc *store.Service) error {
			svc.DeployedImage = "changed"
			panic("update failed")
		})
		return nil
	}()
	p, ok := recovered.(*writerPanic)
	if !ok {
		t.Fatalf("recovered %v (%T), want a *writerPanic", recovered, recovered)
	}
	if p.value != "update failed" {
		t.Errorf("panic value = %v, want %q", p.value, "update failed")
	}

	// The writer survived, and the panicking update changed nothing.
	got, err := s.GetProject(ctx, "sockshop")
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("project after the panic = %+v, want %+v", got, want)
	}
	if err := s.CreateStage(ctx, "sockshop", "prod"); err != nil {
		t.Errorf("CreateStage after the panic: %v", err)
	}
}

// TestFailedUpdatesDoNotFailInserts runs inserts and failing updates at the
// same time, so that they share batches: each update must fail alone.
func TestFailedUpdatesDoNotFailInserts(t *testing.T) {
	ctx := context.Background()
	s := openProjectStore(t, filepath.Join(t.TempDir(), "keptn.db"))
	if err := s.CreateProject(ctx, sampleProject()); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}

	const n = 200
	errAbort := errors.New("abort")
	var wg sync.WaitGroup
	insertErrs := make(chan error, n)
	updateErrs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ev := store.Event{
				ID: fmt.Sprintf("e%d", i), Type: "t", Source: "test", SpecVersion: "1.0",
				KeptnContext: "c1", Time: time.Unix(int64(i), 0), Project: "sockshop",
			}
			insertErrs <- s.InsertEvent(ctx, ev)
		})
		wg.Go(func() {
			updateErrs <- s.UpdateService(ctx, "sockshop", "dev", "carts", func(svc *store.Service) error {
				svc.OpenApprovals = append(svc.OpenApprovals, store.Approval{EventID: "x"})
				if i%2 == 0 {
					return errAbort
				}
				return nil
			})
		})
	}
	wg.Wait()
	close(insertErrs)
	close(updateErrs)

	for err := range insertErrs {
		if err != nil {
			t.Errorf("InsertEvent: %v", err)
		}
	}
	aborted := 0
	for err := range updateErrs {
		switch {
		case err == errAbort:
			aborted++
		case err != nil:
			t.Errorf("UpdateService: %v", err)
		}
	}
	if aborted != n/2 {
		t.Errorf("%d updates returned the abort error, want %d", aborted, n/2)
	}

	page, err := s.QueryEvents(ctx, store.EventQuery{Project: "sockshop", CountTotal: true})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	if page.Total != n {
		t.Errorf("events stored = %d, want %d", page.Total, n)
	}
	got, err := s.GetProject(ctx, "sockshop")
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	// sampleProject starts with one approval.
	if approvals := len(got.Stages[0].Services[0].OpenApprovals); approvals != 1+n/2 {
		t.Errorf("open approvals = %d, want %d", approvals, 1+n/2)
	}
}

// TestProjectLookupsUseIndexes checks with EXPLAIN QUERY PLAN that the
// per-event lookup of UpdateService searches each table by an index.
func TestProjectLookupsUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := openProjectStore(t, filepath.Join(t.TempDir(), "keptn.db"))

	rows, err := s.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+findServiceSQL, "dev", "carts", "sockshop")
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("scan plan: %v", err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read plan: %v", err)
	}
	if len(plan) != 3 {
		t.Fatalf("plan = %q, want one step per table", plan)
	}
	for _, step := range plan {
		if !strings.HasPrefix(step, "SEARCH") || !strings.Contains(step, "INDEX") {
			t.Errorf("plan step %q does not search an index", step)
		}
	}
}

// BenchmarkUpdateService measures UpdateService calls that set a
// lastEventTypes entry, as the configuration view does for each event, from
// about 32 concurrent callers on 16 services.
func BenchmarkUpdateService(b *testing.B) {
	ctx := context.Background()
	s := openProjectStore(b, filepath.Join(b.TempDir(), "keptn.db"))
	p := store.Project{Name: "bench"}
	for _, stage := range []string{"dev", "staging", "prod", "qa"} {
		st := store.Stage{Name: stage}
		for _, svc := range []string{"carts", "orders", "payment", "catalogue"} {
			st.Services = append(st.Services, store.Service{Name: svc})
		}
		p.Stages = append(p.Stages, st)
	}
	if err := s.CreateProject(ctx, p); err != nil {
		b.Fatalf("CreateProject: %v", err)
	}
	at := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	var next atomic.Int64

	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(next.Add(1))
			stage := p.Stages[n%4]
			svc := stage.Services[(n/4)%4]
			err := s.UpdateService(ctx, p.Name, stage.Name, svc.Name, func(state *store.Service) error {
				if state.LastEventTypes == nil {
					state.LastEventTypes = map[string]store.EventRef{}
				}
				state.LastEventTypes[fmt.Sprintf("sh.keptn.event.t%d", n%8)] = store.EventRef{
					KeptnContext: fmt.Sprintf("ctx-%d", n/10), EventID: fmt.Sprintf("e%d", n), Time: at.Add(time.Duration(n)),
				}
				return nil
			})
			if err != nil {
				b.Errorf("UpdateService: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}
