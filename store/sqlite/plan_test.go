package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
)

// TestQueryPlansUseIndexes checks with EXPLAIN QUERY PLAN that the main
// queries search an index instead of scanning the events table, and that
// the page queries need no sort.
func TestQueryPlansUseIndexes(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "events.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()

	typeFinished := store.Condition{Field: "type", Values: []string{"sh.keptn.event.evaluation.finished"}}
	cases := []struct {
		name string
		q    store.EventQuery
		// want is a fragment of the plan naming the index and the columns
		// it is searched by.
		want string
		// sorted allows a temporary B-tree for ORDER BY, which an IN list
		// over several values needs.
		sorted bool
		// countWant replaces want for the count, which SQLite may serve
		// from another index that has fewer pages to read.
		countWant string
		// indexOnly requires that the count reads no events row.
		indexOnly bool
	}{
		{name: "project", q: store.EventQuery{Project: "p"}, want: "INDEX events_project_time_covering (project=?)", countWant: "COVERING INDEX events_project_type_time (project=?)", indexOnly: true},
		{name: "unmapped", q: store.EventQuery{}, want: "INDEX events_project_time_covering (project=?)", countWant: "COVERING INDEX events_project_type_time (project=?)", indexOnly: true},
		{name: "context", q: store.EventQuery{KeptnContext: "c"}, want: "x USING PRIMARY KEY (context_id=? AND project=?)", indexOnly: true},
		{name: "project and context", q: store.EventQuery{Project: "p", KeptnContext: "c"}, want: "x USING PRIMARY KEY (context_id=? AND project=?)", indexOnly: true},
		{name: "context and type", q: store.EventQuery{KeptnContext: "c", Conditions: []store.Condition{typeFinished}}, want: "x USING PRIMARY KEY (context_id=? AND project=?)"},
		{name: "type", q: store.EventQuery{Project: "p", Conditions: []store.Condition{typeFinished}}, want: "INDEX events_project_type_time (project=? AND type=?)", indexOnly: true},
		{name: "source", q: store.EventQuery{Project: "p", Conditions: []store.Condition{{Field: "source", Values: []string{"s"}}}}, want: "INDEX events_project_time_covering (project=?)", indexOnly: true},
		{name: "stage", q: store.EventQuery{Project: "p", Conditions: []store.Condition{{Field: "data.stage", Values: []string{"dev"}}}}, want: "INDEX events_project_time_covering (project=?)", indexOnly: true},
		{name: "service", q: store.EventQuery{Project: "p", Conditions: []store.Condition{{Field: "data.service", Values: []string{"carts"}}}}, want: "INDEX events_project_time_covering (project=?)", indexOnly: true},
		{name: "id", q: store.EventQuery{Project: "p", Conditions: []store.Condition{{Field: "id", Values: []string{"x"}}}}, want: "INDEX events_id (id=?)"},
		{name: "triggeredid", q: store.EventQuery{Project: "p", Conditions: []store.Condition{{Field: "triggeredid", Values: []string{"x"}}}}, want: "INDEX events_project_triggeredid_type (project=? AND triggeredid=?)", sorted: true, indexOnly: true},
		{name: "types any of", q: store.EventQuery{Project: "p", Conditions: []store.Condition{{Field: "type", Values: []string{"a", "b"}}}}, want: "INDEX events_project_type_time (project=? AND type=?)", sorted: true, indexOnly: true},
		{name: "nested data", q: store.EventQuery{Project: "p", Conditions: []store.Condition{{Field: "data.result", Values: []string{"pass"}}}}, want: "INDEX events_project_time_covering (project=?)", countWant: "(project=?)"},
		{name: "after", q: store.EventQuery{Project: "p", After: time.Unix(1, 0)}, want: "INDEX events_project_time_covering (project=? AND time_ns>?)", indexOnly: true},
		{name: "root", q: store.EventQuery{Project: "p", Root: true}, want: "INDEX roots_project_time (project=?)", indexOnly: true},
		{name: "root by context", q: store.EventQuery{KeptnContext: "c", Root: true}, want: "r USING PRIMARY KEY (context_id=? AND project=?)", indexOnly: true},
		{name: "invalidated", q: store.EventQuery{Project: "p", Conditions: []store.Condition{typeFinished}, ExcludeInvalidatedBy: "inv"}, want: "INDEX events_project_triggeredid_type (project=? AND triggeredid=? AND type=?)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := buildQuery(c.q)
			if err != nil {
				t.Fatalf("buildQuery: %v", err)
			}
			query, args := b.selectSQL()
			plan := explain(t, s, query, args)
			checkPlan(t, plan, c.want, c.sorted)

			countWant := c.want
			if c.countWant != "" {
				countWant = c.countWant
			}
			query, args = b.countSQL()
			plan = explain(t, s, query, args)
			checkPlan(t, plan, countWant, true)
			if c.indexOnly {
				checkIndexOnly(t, plan)
			}

			query, args = b.selectWithTotalSQL()
			plan = explain(t, s, query, args)
			checkPlan(t, plan, c.want, c.sorted)
		})
	}
}

func explain(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.read.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	defer rows.Close()

	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("read plan: %v", err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read plan: %v", err)
	}
	return strings.Join(lines, "\n")
}

func checkPlan(t *testing.T, plan, want string, sorted bool) {
	t.Helper()
	if !strings.Contains(plan, want) {
		t.Errorf("plan does not contain %q:\n%s", want, plan)
	}
	for _, line := range strings.Split(plan, "\n") {
		// "SCAN e" alone is a full table scan; "SCAN e USING INDEX" walks
		// an index in order and is allowed.
		if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, " USING ") {
			t.Errorf("plan scans a whole table:\n%s", plan)
		}
	}
	if !sorted && strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") {
		t.Errorf("plan sorts the result:\n%s", plan)
	}
}

// checkIndexOnly fails when the plan reads rows of the events table e.
func checkIndexOnly(t *testing.T, plan string) {
	t.Helper()
	for _, line := range strings.Split(plan, "\n") {
		if strings.HasPrefix(line, "SCAN e") || strings.HasPrefix(line, "SEARCH e USING INDEX ") ||
			strings.HasPrefix(line, "SEARCH e USING INTEGER PRIMARY KEY") {
			t.Errorf("count reads events rows:\n%s", plan)
		}
	}
}
