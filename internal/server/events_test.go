package server_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestDatastoreRoundTrip(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)

	t.Run("by project", func(t *testing.T) {
		page := s.getEvents(t, query("project", "sockshop", "pageSize", "100"))
		checkExamples(t, page.Events, examples, newestFirst...)
		if page.TotalCount == nil || *page.TotalCount != 12 {
			t.Errorf("totalCount = %v, want 12", deref(page.TotalCount))
		}
		if page.PageSize == nil || *page.PageSize != 100 {
			t.Errorf("pageSize = %v, want 100", deref(page.PageSize))
		}
		if page.NextPageKey != nil {
			t.Errorf("nextPageKey = %q on the only page, want it absent", *page.NextPageKey)
		}
	})

	t.Run("time format", func(t *testing.T) {
		page := s.getEvents(t, query("project", "sockshop", "eventID", examples["01"].id()))
		if len(page.Events) != 1 {
			t.Fatalf("got %d events with id %s, want 1", len(page.Events), examples["01"].id())
		}
		// Sent as 2020-11-16T09:02:11.482731904Z: the digits after the
		// millisecond are cut, not rounded.
		if got, want := page.Events[0]["time"], "2020-11-16T09:02:11.482Z"; got != want {
			t.Errorf("time = %v, want %v", got, want)
		}
	})

	t.Run("default page size", func(t *testing.T) {
		page := s.getEvents(t, query("project", "sockshop"))
		if page.PageSize == nil || *page.PageSize != 20 {
			t.Errorf("pageSize = %v, want the default 20", deref(page.PageSize))
		}
		if len(page.Events) != 12 {
			t.Errorf("got %d events, want 12", len(page.Events))
		}
	})

	t.Run("by keptnContext", func(t *testing.T) {
		tests := []struct {
			context string
			want    []string
		}{
			{contextDelivery, []string{"11", "09", "08", "07", "05", "04", "03"}},
			{contextRemediation, []string{"12", "10"}},
			{contextEvaluation, []string{"06"}},
			{contextServiceCreate, []string{"02"}},
			{contextProjectCreate, []string{"01"}},
		}
		for _, tt := range tests {
			t.Run(tt.context, func(t *testing.T) {
				// No project is given: the context selects it.
				page := s.getEvents(t, query("keptnContext", tt.context))
				checkExamples(t, page.Events, examples, tt.want...)
				if page.TotalCount == nil || *page.TotalCount != int64(len(tt.want)) {
					t.Errorf("totalCount = %v, want %d", deref(page.TotalCount), len(tt.want))
				}
			})
		}
	})

	t.Run("by type", func(t *testing.T) {
		for _, name := range newestFirst {
			ex := examples[name]
			t.Run(ex.name, func(t *testing.T) {
				page := s.getEvents(t, query("project", "sockshop", "type", ex.event["type"].(string)))
				checkExamples(t, page.Events, examples, name)
			})
		}
	})

	t.Run("by eventID", func(t *testing.T) {
		for _, name := range newestFirst {
			ex := examples[name]
			t.Run(ex.name, func(t *testing.T) {
				page := s.getEvents(t, query("project", "sockshop", "eventID", ex.id()))
				checkExamples(t, page.Events, examples, name)
			})
		}
	})

	t.Run("by stage service and source", func(t *testing.T) {
		tests := []struct {
			name  string
			query string
			want  []string
		}{
			{"stage", query("project", "sockshop", "stage", "hardening"), []string{"11", "06", "07", "05", "04"}},
			{"service and stage", query("project", "sockshop", "service", "carts", "stage", "production"), []string{"12", "10", "09", "08"}},
			{"source", query("project", "sockshop", "source", "helm-service"), []string{"04"}},
			{"type within context", query("keptnContext", contextDelivery, "type", "sh.keptn.events.tests-finished"), []string{"05"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page := s.getEvents(t, tt.query)
				checkExamples(t, page.Events, examples, tt.want...)
			})
		}
	})

	t.Run("root events", func(t *testing.T) {
		// The examples were posted in reverse file order, so the first
		// stored event of the delivery context is 11, but its root is 03,
		// the earliest by time.
		tests := []struct {
			name  string
			query string
			want  []string
		}{
			{"project", query("project", "sockshop", "root", "true"), []string{"10", "06", "03", "02", "01"}},
			{"any non-empty value", query("project", "sockshop", "root", "false"), []string{"10", "06", "03", "02", "01"}},
			{"context", query("keptnContext", contextDelivery, "root", "true"), []string{"03"}},
			{"context with two events", query("keptnContext", contextRemediation, "root", "true"), []string{"10"}},
			{"empty value is absent", query("keptnContext", contextRemediation, "root", ""), []string{"12", "10"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page := s.getEvents(t, tt.query)
				checkExamples(t, page.Events, examples, tt.want...)
				if page.TotalCount == nil || *page.TotalCount != int64(len(tt.want)) {
					t.Errorf("totalCount = %v, want %d", deref(page.TotalCount), len(tt.want))
				}
			})
		}
	})

	t.Run("paging", func(t *testing.T) {
		tests := []struct {
			name     string
			params   []string
			pageSize int
			want     []string
		}{
			{"project", []string{"project", "sockshop"}, 5, newestFirst},
			{"context", []string{"keptnContext", contextDelivery}, 3, []string{"11", "09", "08", "07", "05", "04", "03"}},
			{"exact multiple", []string{"project", "sockshop"}, 4, newestFirst},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				checkPaging(t, s, examples, tt.params, tt.pageSize, tt.want)
			})
		}
	})

	t.Run("fromTime", func(t *testing.T) {
		tests := []struct {
			name     string
			fromTime string
			want     []string
		}{
			{"UTC", "2020-11-16T12:00:00.000Z", []string{"12", "10", "11"}},
			// 13:00 at +01:00 is 12:00 UTC; compared as text it would
			// exclude 11 (12:01 UTC).
			{"other offset is an instant", "2020-11-16T13:00:00+01:00", []string{"12", "10", "11"}},
			{"strictly after", "2020-11-16T13:05:12.004817263Z", []string{"12"}},
			{"nanosecond precision", "2020-11-16T13:05:12.004817262Z", []string{"12", "10"}},
			{"after every event", "2021-01-01T00:00:00Z", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page := s.getEvents(t, query("project", "sockshop", "fromTime", tt.fromTime))
				checkExamples(t, page.Events, examples, tt.want...)
			})
		}
	})
}

// checkPaging walks the pages of a query with nextPageKey and checks each
// page's members and the events of all pages together.
func checkPaging(t *testing.T, s *testServer, examples map[string]example, params []string, pageSize int, want []string) {
	t.Helper()
	var got []map[string]any
	key := ""
	for pageNumber := 1; ; pageNumber++ {
		pairs := append(append([]string{}, params...), "pageSize", strconv.Itoa(pageSize))
		if key != "" {
			pairs = append(pairs, "nextPageKey", key)
		}
		page := s.getEvents(t, query(pairs...))
		got = append(got, page.Events...)

		if page.TotalCount == nil || *page.TotalCount != int64(len(want)) {
			t.Errorf("page %d: totalCount = %v, want %d", pageNumber, deref(page.TotalCount), len(want))
		}
		if page.PageSize == nil || *page.PageSize != int64(pageSize) {
			t.Errorf("page %d: pageSize = %v, want %d", pageNumber, deref(page.PageSize), pageSize)
		}
		last := len(got) >= len(want)
		if last {
			if page.NextPageKey != nil {
				t.Errorf("page %d is the last page but has nextPageKey %q", pageNumber, *page.NextPageKey)
			}
			break
		}
		if len(page.Events) != pageSize {
			t.Errorf("page %d: %d events, want %d", pageNumber, len(page.Events), pageSize)
		}
		wantKey := strconv.Itoa(len(got))
		if page.NextPageKey == nil {
			t.Fatalf("page %d: nextPageKey is absent, want %q", pageNumber, wantKey)
		}
		if *page.NextPageKey != wantKey {
			t.Fatalf("page %d: nextPageKey = %q, want %q", pageNumber, *page.NextPageKey, wantKey)
		}
		key = *page.NextPageKey
	}
	checkExamples(t, got, examples, want...)
}

func deref[T any](p *T) any {
	if p == nil {
		return "<absent>"
	}
	return *p
}

func TestDatastoreNoMatch(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)

	tests := []struct {
		name  string
		query string
	}{
		{"unknown project", query("project", "orders")},
		{"unknown context", query("keptnContext", "0f2b8d44-31a7-4c1e-9e55-6a7b8c9d0e1f")},
		{"unknown type", query("project", "sockshop", "type", "sh.keptn.event.unknown")},
		{"offset past the end", query("project", "sockshop", "nextPageKey", "12")},
		{"largest offset", query("project", "sockshop", "nextPageKey", "9223372036854775807")},
		{"no project and no context", query()},
		{"root without project", query("root", "true")},
		{"by type with unknown context", "/api/mongodb-datastore/event/type/sh.keptn.events.tests-finished?filter=" +
			url.QueryEscape("shkeptncontext:0f2b8d44-31a7-4c1e-9e55-6a7b8c9d0e1f")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := s.getEvents(t, tt.query)
			if string(page.rawEvents) != "null" {
				t.Errorf("events = %s, want null", page.rawEvents)
			}
			if page.NextPageKey != nil {
				t.Errorf("nextPageKey = %q, want it absent", *page.NextPageKey)
			}
		})
	}

	t.Run("totalCount past the end", func(t *testing.T) {
		page := s.getEvents(t, query("project", "sockshop", "nextPageKey", "12"))
		if page.TotalCount == nil || *page.TotalCount != 12 {
			t.Errorf("totalCount = %v, want 12", deref(page.TotalCount))
		}
	})
}

func TestDatastoreContextToProject(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)

	const unmappedContext = "3c9e7a21-5f48-4b0d-8a6e-2d1f0c9b8a77"
	unmapped := map[string]any{
		"specversion":    "0.2",
		"type":           "sh.keptn.event.problem.open",
		"source":         "prometheus-service",
		"id":             "7a4c2e90-1b3d-4f5a-9c8e-0d2f4b6a8c13",
		"time":           "2020-11-16T14:00:00.000Z",
		"contenttype":    "application/json",
		"shkeptncontext": unmappedContext,
		"data":           map[string]any{"State": "OPEN", "ProblemTitle": "cpu_usage"},
	}
	s.postEvent(t, []byte(jsonBody(t, unmapped)))

	// A later event of a mapped context that names another project is stored
	// under that project, but a query by context alone still reads the
	// project the context was first stored under.
	moved := withChanges(t, examples["05"].event, map[string]any{
		"id":           "e5d7c9b1-3a2f-4e6d-8c0b-1f9a7e5d3c24",
		"time":         "2020-11-16T09:30:00.000Z",
		"data.project": "orders",
	})
	s.postEvent(t, moved)

	t.Run("unmapped found without project and context", func(t *testing.T) {
		page := s.getEvents(t, query())
		if got, want := eventIDs(page.Events), []string{unmapped["id"].(string)}; !reflect.DeepEqual(got, want) {
			t.Fatalf("event ids = %v, want %v", got, want)
		}
		checkEvent(t, page.Events[0], expectedStored(t, unmapped))
	})

	t.Run("unmapped found by type", func(t *testing.T) {
		page := s.getEvents(t, query("type", "sh.keptn.event.problem.open"))
		if got, want := eventIDs(page.Events), []string{unmapped["id"].(string)}; !reflect.DeepEqual(got, want) {
			t.Errorf("event ids = %v, want only the unmapped event %v", got, want)
		}
	})

	t.Run("unmapped not found by context", func(t *testing.T) {
		page := s.getEvents(t, query("keptnContext", unmappedContext))
		if string(page.rawEvents) != "null" {
			t.Errorf("events = %s, want null", page.rawEvents)
		}
	})

	t.Run("project event not found without project", func(t *testing.T) {
		page := s.getEvents(t, query("eventID", examples["10"].id()))
		if string(page.rawEvents) != "null" {
			t.Errorf("events = %s, want null", page.rawEvents)
		}
	})

	t.Run("context keeps its first project", func(t *testing.T) {
		page := s.getEvents(t, query("keptnContext", contextDelivery, "source", "jmeter-service"))
		want := []string{examples["05"].id()}
		if got := eventIDs(page.Events); !reflect.DeepEqual(got, want) {
			t.Errorf("event ids = %v, want %v", got, want)
		}
	})

	t.Run("other project by name", func(t *testing.T) {
		page := s.getEvents(t, query("project", "orders"))
		want := []string{"e5d7c9b1-3a2f-4e6d-8c0b-1f9a7e5d3c24"}
		if got := eventIDs(page.Events); !reflect.DeepEqual(got, want) {
			t.Errorf("event ids = %v, want %v", got, want)
		}
	})

	t.Run("other project and context", func(t *testing.T) {
		page := s.getEvents(t, query("project", "orders", "keptnContext", contextDelivery))
		want := []string{"e5d7c9b1-3a2f-4e6d-8c0b-1f9a7e5d3c24"}
		if got := eventIDs(page.Events); !reflect.DeepEqual(got, want) {
			t.Errorf("event ids = %v, want %v", got, want)
		}
	})
}

func TestDatastoreTimeOffsets(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)

	// 14:30 at +02:00 is 12:30 UTC: between 11 (12:01 UTC) and 10 (13:05
	// UTC), although its text sorts after every example.
	const offsetID = "b81f3d5c-7e29-4a60-9d4b-3c5e7f9a1b02"
	offsetEvent := withChanges(t, examples["05"].event, map[string]any{
		"id":   offsetID,
		"time": "2020-11-16T14:30:00.123456+02:00",
	})
	s.postEvent(t, offsetEvent)

	page := s.getEvents(t, query("project", "sockshop", "pageSize", "4"))
	want := []string{examples["12"].id(), examples["10"].id(), offsetID, examples["11"].id()}
	if got := eventIDs(page.Events); !reflect.DeepEqual(got, want) {
		t.Errorf("event ids = %v, want %v", got, want)
	}

	page = s.getEvents(t, query("project", "sockshop", "eventID", offsetID))
	if len(page.Events) != 1 {
		t.Fatalf("got %d events with id %s, want 1", len(page.Events), offsetID)
	}
	if got, want := page.Events[0]["time"], "2020-11-16T14:30:00.123+02:00"; got != want {
		t.Errorf("time = %v, want %v (millisecond precision, offset kept)", got, want)
	}
}

func TestDatastoreEventsByType(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)

	// Two more deployments of the delivery context, in stages dev and
	// production, and a second evaluation that nothing invalidates.
	extra := []struct {
		id, time, stage string
	}{
		{"4d2c8e6a-0b1f-4a37-9e5d-7c3b1a9f8e60", "2020-11-16T09:16:40.000Z", "dev"},
		{"8f6e4a2c-1d3b-4e59-a7c0-5b9d3f1e7a28", "2020-11-16T11:50:05.000Z", "production"},
	}
	for _, e := range extra {
		s.postEvent(t, withChanges(t, examples["04"].event, map[string]any{"id": e.id, "time": e.time, "data.stage": e.stage}))
	}
	const secondEvaluation = "2a8c6e4f-9b7d-4c15-83e1-6f4a2d0c8b97"
	s.postEvent(t, withChanges(t, examples["07"].event, map[string]any{"id": secondEvaluation, "time": "2020-11-16T12:10:00.000Z"}))

	deployed := "/api/mongodb-datastore/event/type/sh.keptn.events.deployment-finished"
	evaluated := "/api/mongodb-datastore/event/type/sh.keptn.events.evaluation-done"
	byType := func(path string, pairs ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(pairs); i += 2 {
			v.Add(pairs[i], pairs[i+1])
		}
		return path + "?" + v.Encode()
	}

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"project", byType(deployed, "filter", "data.project:sockshop"),
			[]string{extra[1].id, examples["04"].id(), extra[0].id}},
		{"context alone", byType(deployed, "filter", "shkeptncontext:"+contextDelivery),
			[]string{extra[1].id, examples["04"].id(), extra[0].id}},
		{"clauses joined by AND", byType(deployed, "filter", "data.project:sockshop AND data.stage:hardening"),
			[]string{examples["04"].id()}},
		{"comma means any of", byType(deployed, "filter", "data.project:sockshop AND data.stage:dev,production"),
			[]string{extra[1].id, extra[0].id}},
		{"comma in source", byType("/api/mongodb-datastore/event/type/sh.keptn.events.tests-finished",
			"filter", "data.project:sockshop AND source:helm-service,jmeter-service"),
			[]string{examples["05"].id()}},
		{"type in filter is replaced by the path", byType(deployed, "filter", "data.project:sockshop AND type:sh.keptn.events.tests-finished"),
			[]string{extra[1].id, examples["04"].id(), extra[0].id}},
		{"clause without colon is ignored", byType(deployed, "filter", "data.project:sockshop AND hardening"),
			[]string{extra[1].id, examples["04"].id(), extra[0].id}},
		{"nested data path", byType(evaluated, "filter", "data.project:sockshop AND data.evaluationdetails.result:pass"),
			[]string{secondEvaluation, examples["07"].id()}},
		{"limit", byType(deployed, "filter", "data.project:sockshop", "limit", "2"),
			[]string{extra[1].id, examples["04"].id()}},
		{"fromTime", byType(deployed, "filter", "data.project:sockshop", "fromTime", "2020-11-16T09:20:00.000Z"),
			[]string{extra[1].id, examples["04"].id()}},
		{"fromTime with offset", byType(deployed, "filter", "data.project:sockshop", "fromTime", "2020-11-16T10:20:00+01:00"),
			[]string{extra[1].id, examples["04"].id()}},
		{"invalidated included by default", byType(evaluated, "filter", "data.project:sockshop"),
			[]string{secondEvaluation, examples["07"].id()}},
		{"excludeInvalidated", byType(evaluated, "filter", "data.project:sockshop", "excludeInvalidated", "true"),
			[]string{secondEvaluation}},
		{"excludeInvalidated false", byType(evaluated, "filter", "data.project:sockshop", "excludeInvalidated", "false"),
			[]string{secondEvaluation, examples["07"].id()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := s.getEvents(t, tt.query)
			if got := eventIDs(page.Events); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("event ids = %v, want %v", got, tt.want)
			}
			if page.NextPageKey != nil || page.PageSize != nil || page.TotalCount != nil {
				t.Errorf("paging members present (nextPageKey %v, pageSize %v, totalCount %v), want none",
					deref(page.NextPageKey), deref(page.PageSize), deref(page.TotalCount))
			}
		})
	}

	t.Run("round trip", func(t *testing.T) {
		page := s.getEvents(t, byType("/api/mongodb-datastore/event/type/sh.keptn.event.approval.finished",
			"filter", "data.project:sockshop"))
		checkExamples(t, page.Events, examples, "09")
	})

	t.Run("only invalidated evaluation", func(t *testing.T) {
		page := s.getEvents(t, byType(evaluated, "filter", "data.project:sockshop AND id:"+examples["07"].id(),
			"excludeInvalidated", "true"))
		if string(page.rawEvents) != "null" {
			t.Errorf("events = %s, want null", page.rawEvents)
		}
	})
}

func TestDatastoreProjectDelete(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postExamples(t, examples)

	const ordersContext = "6e1a3c5b-7d9f-4b2e-8a0c-4f6e8a0c2e41"
	orders := withChanges(t, examples["04"].event, map[string]any{
		"id":             "0e8c6a4f-2d1b-4f97-b5e3-9a7c5e3b1d80",
		"shkeptncontext": ordersContext,
		"data.project":   "orders",
	})
	s.postEvent(t, orders)

	deleteEvent := map[string]any{
		"specversion":    "0.2",
		"type":           "sh.keptn.internal.event.project.delete",
		"source":         "https://github.com/keptn/keptn/api",
		"id":             "9c7e5a3f-1b2d-4e60-8f4a-2c0e8b6d4f19",
		"time":           "2020-11-17T08:00:00.000Z",
		"contenttype":    "application/json",
		"shkeptncontext": "1f3b5d7e-9a2c-4e68-b0d4-6f8a0c2e4b57",
		"data":           map[string]any{"project": "sockshop"},
	}
	s.postEvent(t, []byte(jsonBody(t, deleteEvent)))

	emptyQueries := []struct {
		name  string
		query string
	}{
		{"project", query("project", "sockshop")},
		{"root events", query("project", "sockshop", "root", "true")},
		{"context", query("keptnContext", contextDelivery)},
		{"delete event context", query("keptnContext", deleteEvent["shkeptncontext"].(string))},
		{"delete event without project", query("eventID", deleteEvent["id"].(string))},
	}
	for _, tt := range emptyQueries {
		t.Run(tt.name+" is empty", func(t *testing.T) {
			page := s.getEvents(t, tt.query)
			if string(page.rawEvents) != "null" {
				t.Errorf("events = %s, want null", page.rawEvents)
			}
		})
	}

	t.Run("other project untouched", func(t *testing.T) {
		page := s.getEvents(t, query("project", "orders"))
		if got, want := eventIDs(page.Events), []string{"0e8c6a4f-2d1b-4f97-b5e3-9a7c5e3b1d80"}; !reflect.DeepEqual(got, want) {
			t.Errorf("event ids = %v, want %v", got, want)
		}
		page = s.getEvents(t, query("keptnContext", ordersContext))
		if len(page.Events) != 1 {
			t.Errorf("context of the other project: %d events, want 1", len(page.Events))
		}
	})

	t.Run("project can be filled again", func(t *testing.T) {
		s.postEvent(t, examples["05"].raw)
		page := s.getEvents(t, query("keptnContext", contextDelivery))
		checkExamples(t, page.Events, examples, "05")
	})
}

func TestDatastoreAssignsIDAndTime(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)

	tests := []struct {
		name    string
		changes map[string]any
	}{
		{"no id and no time", map[string]any{"id": nil, "time": nil}},
		{"empty id and zero time", map[string]any{"id": "", "time": "0001-01-01T00:00:00.000Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, defaultBodyLimit)
			before := time.Now().UTC().Truncate(time.Millisecond)
			s.postEvent(t, withChanges(t, examples["05"].event, tt.changes))
			after := time.Now().UTC()

			page := s.getEvents(t, query("project", "sockshop"))
			if len(page.Events) != 1 {
				t.Fatalf("got %d events, want 1", len(page.Events))
			}
			got := page.Events[0]
			if id, _ := got["id"].(string); id == "" {
				t.Errorf("id = %v, want a new non-empty id", got["id"])
			}
			text, _ := got["time"].(string)
			stored, err := time.Parse(storedTimeLayout, text)
			if err != nil {
				t.Fatalf("time %q is not in the layout %s: %v", text, storedTimeLayout, err)
			}
			if stored.Before(before) || stored.After(after) {
				t.Errorf("time = %s, want the receive time between %s and %s", text,
					before.Format(storedTimeLayout), after.Format(storedTimeLayout))
			}
		})
	}
}

func TestDatastoreRepostedID(t *testing.T) {
	t.Parallel()

	examples := loadExamples(t)
	s := startServer(t, defaultBodyLimit)
	s.postEvent(t, examples["04"].raw)

	changed := withChanges(t, examples["04"].event, map[string]any{"data.tag": "0.13.0", "time": "2020-11-16T10:00:00.000Z"})
	r := s.send(t, http.MethodPost, datastoreEvents, string(changed))
	checkStatus(t, r, http.StatusCreated)

	page := s.getEvents(t, query("project", "sockshop"))
	checkExamples(t, page.Events, examples, "04")
	if page.TotalCount == nil || *page.TotalCount != 1 {
		t.Errorf("totalCount = %v, want 1", deref(page.TotalCount))
	}
}
