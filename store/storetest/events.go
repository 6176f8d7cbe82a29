// Package storetest is a conformance suite for the interfaces of package
// store. Each backend runs it from its own tests, so every backend is held to
// the contracts written on those interfaces and to nothing more.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
)

// RunEvents runs the store.Events conformance tests as subtests of t. Each
// subtest calls newStore for an empty store of its own; newStore should
// register the store's cleanup with t.Cleanup. Subtests may call Close on
// the store, so a cleanup must not fail the test when Close returns
// store.ErrClosed.
func RunEvents(t *testing.T, newStore func(t *testing.T) store.Events) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Events)
	}{
		{"RoundTripAllFields", testRoundTripAllFields},
		{"RoundTripNilExtensions", testRoundTripNilExtensions},
		{"TimeNanoseconds", testTimeNanoseconds},
		{"TimeOffsetKept", testTimeOffsetKept},
		{"TimeUTCLocation", testTimeUTCLocation},
		{"TimeRangeEdges", testTimeRangeEdges},
		{"OrderAcrossOffsets", testOrderAcrossOffsets},
		{"OrderTiesByInsertion", testOrderTiesByInsertion},
		{"DuplicateID", testDuplicateID},
		{"ScopeProject", testScopeProject},
		{"ScopeContextMapping", testScopeContextMapping},
		{"ScopeContextMappingIsFirst", testScopeContextMappingIsFirst},
		{"ScopeContextWithoutProject", testScopeContextWithoutProject},
		{"ScopeUnknownContext", testScopeUnknownContext},
		{"ScopeUnmapped", testScopeUnmapped},
		{"ScopeProjectAndContext", testScopeProjectAndContext},
		{"RootEarliestInsertedLater", testRootEarliestInsertedLater},
		{"RootTieFirstStored", testRootTieFirstStored},
		{"RootWithFilters", testRootWithFilters},
		{"RootByContext", testRootByContext},
		{"RootUnmappedNone", testRootUnmappedNone},
		{"ConditionAttributes", testConditionAttributes},
		{"ConditionIndexedData", testConditionIndexedData},
		{"ConditionNestedData", testConditionNestedData},
		{"ConditionAnyOf", testConditionAnyOf},
		{"ConditionNonStringNoMatch", testConditionNonStringNoMatch},
		{"ConditionEmptyValues", testConditionEmptyValues},
		{"ConditionEmptyString", testConditionEmptyString},
		{"ConditionsAllHold", testConditionsAllHold},
		{"AfterIsStrict", testAfterIsStrict},
		{"ExcludeInvalidated", testExcludeInvalidated},
		{"Paging", testPaging},
		{"CountTotal", testCountTotal},
		{"EmptyResult", testEmptyResult},
		{"DeleteProject", testDeleteProject},
		{"DeleteProjectRemapsContext", testDeleteProjectRemapsContext},
		{"DeleteUnknownProject", testDeleteUnknownProject},
		{"InvalidQuery", testInvalidQuery},
		{"ClosedStore", testClosedStore},
		{"ConcurrentInserts", testConcurrentInserts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

// baseTime is the time of the events these tests make, plus one second per
// position where order matters.
var baseTime = time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)

func at(seconds int) time.Time {
	return baseTime.Add(time.Duration(seconds) * time.Second)
}

// event returns a valid event of the project with the given context and time.
func event(id, project, keptnContext string, t time.Time) store.Event {
	return store.Event{
		ID:           id,
		Type:         "sh.keptn.event.configuration.change",
		Source:       "storetest",
		SpecVersion:  "1.0",
		KeptnContext: keptnContext,
		Time:         t,
		Data:         []byte(fmt.Sprintf(`{"project":%q}`, project)),
		Project:      project,
	}
}

func insert(t *testing.T, s store.Events, events ...store.Event) {
	t.Helper()
	for _, ev := range events {
		if err := s.InsertEvent(context.Background(), ev); err != nil {
			t.Fatalf("InsertEvent(%q): %v", ev.ID, err)
		}
	}
}

func query(t *testing.T, s store.Events, q store.EventQuery) store.EventPage {
	t.Helper()
	page, err := s.QueryEvents(context.Background(), q)
	if err != nil {
		t.Fatalf("QueryEvents(%+v): %v", q, err)
	}
	return page
}

func ids(page store.EventPage) []string {
	out := make([]string, len(page.Events))
	for i, ev := range page.Events {
		out[i] = ev.ID
	}
	return out
}

// wantIDs checks the IDs of a query's events, in order.
func wantIDs(t *testing.T, s store.Events, q store.EventQuery, want ...string) {
	t.Helper()
	got := ids(query(t, s, q))
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("QueryEvents(%+v) IDs = %q, want %q", q, got, want)
	}
}

func findOne(t *testing.T, s store.Events, project, id string) store.Event {
	t.Helper()
	page := query(t, s, store.EventQuery{
		Project:    project,
		Conditions: []store.Condition{{Field: "id", Values: []string{id}}},
	})
	if len(page.Events) != 1 {
		t.Fatalf("query for event %q in project %q returned %d events, want 1", id, project, len(page.Events))
	}
	return page.Events[0]
}

func testRoundTripAllFields(t *testing.T, s store.Events) {
	// The odd spacing, the escapes and the number formats must come back as
	// written, so a backend that re-encodes the JSON fails.
	data := []byte(`{ "project":"p1", "stage" : "dev","service":"carts",` +
		`"text":"caf\u00e9 \"quoted\" back\\slash\nnew line \ud83d\ude00 日本語 😀",` +
		`"nested":{"list":[1, 2.50, 1e3, true, null, {"k":"v"}],"empty":{}}}`)
	extensions := []byte(`{"shkeptnspecversion": "0.1.4", "n": 1.0}`)
	want := store.Event{
		ID:              "8cd1b7a0-0a56-4f7c-9a43-6f0ce8d20f10",
		Type:            "sh.keptn.event.evaluation.finished",
		Source:          "lighthouse-service",
		SpecVersion:     "0.2",
		ContentType:     "application/json",
		DataContentType: "application/cloudevents+json",
		KeptnContext:    "a9a9b5c4-1f9b-4d0b-8f55-0d5f0c1a2b3c",
		TriggeredID:     "0d7f8c36-2b0c-45ab-9a6e-6d9e0f7f5b11",
		Time:            time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC),
		Data:            data,
		Extensions:      extensions,
		Project:         "p1",
		Stage:           "dev",
		Service:         "carts",
	}
	insert(t, s, want)

	got := findOne(t, s, "p1", want.ID)
	checkStringField(t, "ID", got.ID, want.ID)
	checkStringField(t, "Type", got.Type, want.Type)
	checkStringField(t, "Source", got.Source, want.Source)
	checkStringField(t, "SpecVersion", got.SpecVersion, want.SpecVersion)
	checkStringField(t, "ContentType", got.ContentType, want.ContentType)
	checkStringField(t, "DataContentType", got.DataContentType, want.DataContentType)
	checkStringField(t, "KeptnContext", got.KeptnContext, want.KeptnContext)
	checkStringField(t, "TriggeredID", got.TriggeredID, want.TriggeredID)
	checkStringField(t, "Project", got.Project, want.Project)
	checkStringField(t, "Stage", got.Stage, want.Stage)
	checkStringField(t, "Service", got.Service, want.Service)
	checkStringField(t, "Data", string(got.Data), string(want.Data))
	checkStringField(t, "Extensions", string(got.Extensions), string(want.Extensions))
	if got.Extensions == nil {
		t.Errorf("Extensions = nil, want %s", want.Extensions)
	}
	if !got.Time.Equal(want.Time) {
		t.Errorf("Time = %s, want %s", got.Time.Format(time.RFC3339Nano), want.Time.Format(time.RFC3339Nano))
	}
}

func checkStringField(t *testing.T, name, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

func testRoundTripNilExtensions(t *testing.T, s store.Events) {
	withNil := event("nil-ext", "p1", "c1", at(0))
	withEmptyObject := event("empty-ext", "p1", "c1", at(1))
	withEmptyObject.Extensions = []byte(`{}`)
	insert(t, s, withNil, withEmptyObject)

	if got := findOne(t, s, "p1", "nil-ext").Extensions; got != nil {
		t.Errorf("Extensions of event stored with nil = %q, want nil", got)
	}
	got := findOne(t, s, "p1", "empty-ext").Extensions
	if got == nil || string(got) != `{}` {
		t.Errorf("Extensions of event stored with {} = %q (nil: %t), want {}", got, got == nil)
	}
}

func testTimeNanoseconds(t *testing.T, s store.Events) {
	want := time.Date(2020, 1, 2, 3, 4, 5, 999999999, time.UTC)
	insert(t, s, event("ns", "p1", "c1", want))

	got := findOne(t, s, "p1", "ns").Time
	if !got.Equal(want) {
		t.Errorf("Time = %s, want %s", got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
	if got.Nanosecond() != 999999999 {
		t.Errorf("Time nanoseconds = %d, want 999999999", got.Nanosecond())
	}
}

func testTimeOffsetKept(t *testing.T, s store.Events) {
	plusTwo := time.FixedZone("CEST", 2*60*60)
	minusFourThirty := time.FixedZone("", -(4*60*60 + 30*60))
	cases := []struct {
		id   string
		time time.Time
	}{
		{"plus-two", time.Date(2020, 6, 1, 10, 0, 0, 5, plusTwo)},
		{"minus-four-thirty", time.Date(2020, 6, 1, 10, 0, 0, 0, minusFourThirty)},
	}
	for _, c := range cases {
		insert(t, s, event(c.id, "p1", "c1", c.time))
	}

	for _, c := range cases {
		got := findOne(t, s, "p1", c.id).Time
		if !got.Equal(c.time) {
			t.Errorf("%s: Time = %s, want the instant %s", c.id, got.Format(time.RFC3339Nano), c.time.Format(time.RFC3339Nano))
		}
		_, gotOffset := got.Zone()
		_, wantOffset := c.time.Zone()
		if gotOffset != wantOffset {
			t.Errorf("%s: UTC offset = %ds, want %ds", c.id, gotOffset, wantOffset)
		}
		if got.Format(time.RFC3339Nano) != c.time.Format(time.RFC3339Nano) {
			t.Errorf("%s: Time formats as %s, want %s", c.id, got.Format(time.RFC3339Nano), c.time.Format(time.RFC3339Nano))
		}
	}
}

func testTimeUTCLocation(t *testing.T, s store.Events) {
	want := time.Date(2020, 6, 1, 10, 0, 0, 0, time.UTC)
	insert(t, s, event("utc", "p1", "c1", want))

	got := findOne(t, s, "p1", "utc").Time
	if got.Location() != time.UTC {
		t.Errorf("Time location = %q, want UTC", got.Location())
	}
	if f := got.Format(time.RFC3339); f != "2020-06-01T10:00:00Z" {
		t.Errorf("Time formats as %s, want 2020-06-01T10:00:00Z", f)
	}
}

func testTimeRangeEdges(t *testing.T, s store.Events) {
	early := time.Date(1678, 1, 1, 0, 0, 0, 1, time.UTC)
	late := time.Date(2262, 4, 11, 0, 0, 0, 999999999, time.UTC)
	insert(t, s, event("early", "p1", "c1", early), event("late", "p1", "c2", late))

	if got := findOne(t, s, "p1", "early").Time; !got.Equal(early) {
		t.Errorf("early Time = %s, want %s", got.Format(time.RFC3339Nano), early.Format(time.RFC3339Nano))
	}
	if got := findOne(t, s, "p1", "late").Time; !got.Equal(late) {
		t.Errorf("late Time = %s, want %s", got.Format(time.RFC3339Nano), late.Format(time.RFC3339Nano))
	}
	wantIDs(t, s, store.EventQuery{Project: "p1"}, "late", "early")
}

func testOrderAcrossOffsets(t *testing.T, s store.Events) {
	// As strings, "10:00+02:00" > "09:00Z" > "07:00-03:00", but as instants
	// the order is 08:00Z < 09:00Z < 10:00Z.
	insert(t, s,
		event("a-0800Z", "p1", "c1", time.Date(2020, 6, 1, 10, 0, 0, 0, time.FixedZone("", 2*60*60))),
		event("b-1000Z", "p1", "c1", time.Date(2020, 6, 1, 7, 0, 0, 0, time.FixedZone("", -3*60*60))),
		event("c-0900Z", "p1", "c1", time.Date(2020, 6, 1, 9, 0, 0, 0, time.UTC)),
	)

	wantIDs(t, s, store.EventQuery{Project: "p1"}, "b-1000Z", "c-0900Z", "a-0800Z")
}

func testOrderTiesByInsertion(t *testing.T, s store.Events) {
	insert(t, s,
		event("first", "p1", "c1", at(5)),
		event("older", "p1", "c1", at(0)),
		event("second", "p1", "c1", at(5)),
		event("third", "p1", "c1", at(5)),
	)

	wantIDs(t, s, store.EventQuery{Project: "p1"}, "third", "second", "first", "older")
}

func testDuplicateID(t *testing.T, s store.Events) {
	original := event("dup", "p1", "c1", at(0))
	insert(t, s, original)

	again := event("dup", "p2", "c2", at(10))
	again.Type = "other.type"
	err := s.InsertEvent(context.Background(), again)
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("second InsertEvent with the same ID: error = %v, want ErrAlreadyExists", err)
	}

	got := findOne(t, s, "p1", "dup")
	if got.Type != original.Type {
		t.Errorf("stored Type = %q, want the first event's %q", got.Type, original.Type)
	}
	wantIDs(t, s, store.EventQuery{Project: "p2"})
	// The rejected event must not have mapped its context either.
	wantIDs(t, s, store.EventQuery{KeptnContext: "c2"})
}

func testScopeProject(t *testing.T, s store.Events) {
	insert(t, s,
		event("p1-a", "p1", "c1", at(0)),
		event("p2-a", "p2", "c2", at(1)),
		event("p1-b", "p1", "c3", at(2)),
		event("none", "", "c4", at(3)),
	)

	wantIDs(t, s, store.EventQuery{Project: "p1"}, "p1-b", "p1-a")
	wantIDs(t, s, store.EventQuery{Project: "p2"}, "p2-a")
	wantIDs(t, s, store.EventQuery{Project: "p3"})
}

func testScopeContextMapping(t *testing.T, s store.Events) {
	insert(t, s,
		event("c1-a", "p1", "c1", at(0)),
		event("c2-a", "p1", "c2", at(1)),
		event("c1-b", "p1", "c1", at(2)),
	)

	wantIDs(t, s, store.EventQuery{KeptnContext: "c1"}, "c1-b", "c1-a")
	wantIDs(t, s, store.EventQuery{KeptnContext: "c2"}, "c2-a")
}

func testScopeContextMappingIsFirst(t *testing.T, s store.Events) {
	// The context first appears without a project, then in p1, then in p2:
	// it maps to p1 for good.
	insert(t, s,
		event("unmapped", "", "c1", at(0)),
		event("in-p1", "p1", "c1", at(1)),
		event("in-p2", "p2", "c1", at(2)),
		event("in-p1-later", "p1", "c1", at(3)),
	)

	wantIDs(t, s, store.EventQuery{KeptnContext: "c1"}, "in-p1-later", "in-p1")
	wantIDs(t, s, store.EventQuery{Project: "p2", KeptnContext: "c1"}, "in-p2")
}

func testScopeContextWithoutProject(t *testing.T, s store.Events) {
	insert(t, s, event("unmapped", "", "c1", at(0)))

	wantIDs(t, s, store.EventQuery{KeptnContext: "c1"})
}

func testScopeUnknownContext(t *testing.T, s store.Events) {
	insert(t, s, event("a", "p1", "c1", at(0)))

	wantIDs(t, s, store.EventQuery{KeptnContext: "no-such-context"})
}

func testScopeUnmapped(t *testing.T, s store.Events) {
	insert(t, s,
		event("none-a", "", "c1", at(0)),
		event("p1-a", "p1", "c2", at(1)),
		event("none-b", "", "", at(2)),
	)

	wantIDs(t, s, store.EventQuery{}, "none-b", "none-a")
}

func testScopeProjectAndContext(t *testing.T, s store.Events) {
	insert(t, s,
		event("c1-a", "p1", "c1", at(0)),
		event("c2-a", "p1", "c2", at(1)),
		event("c1-other-project", "p2", "c1", at(2)),
	)

	wantIDs(t, s, store.EventQuery{Project: "p1", KeptnContext: "c1"}, "c1-a")
	wantIDs(t, s, store.EventQuery{Project: "p1", KeptnContext: "c3"})
}

func testRootEarliestInsertedLater(t *testing.T, s store.Events) {
	insert(t, s,
		event("c1-late", "p1", "c1", at(10)),
		event("c2-only", "p1", "c2", at(5)),
		event("c1-early", "p1", "c1", at(1)),
		event("c1-middle", "p1", "c1", at(7)),
	)

	wantIDs(t, s, store.EventQuery{Project: "p1", Root: true}, "c2-only", "c1-early")
}

func testRootTieFirstStored(t *testing.T, s store.Events) {
	insert(t, s,
		event("c1-first", "p1", "c1", at(3)),
		event("c1-second", "p1", "c1", at(3)),
		event("c1-later", "p1", "c1", at(4)),
	)

	wantIDs(t, s, store.EventQuery{Project: "p1", Root: true}, "c1-first")
}

func testRootWithFilters(t *testing.T, s store.Events) {
	root1 := event("c1-root", "p1", "c1", at(1))
	root1.Type = "sh.keptn.event.start"
	root1.Data = []byte(`{"project":"p1","stage":"dev"}`)
	root1.Stage = "dev"
	child1 := event("c1-child", "p1", "c1", at(2))
	child1.Type = "sh.keptn.event.done"
	root2 := event("c2-root", "p1", "c2", at(3))
	root2.Type = "sh.keptn.event.done"
	root3 := event("c3-root", "p1", "c3", at(4))
	root3.Type = "sh.keptn.event.start"
	insert(t, s, root1, child1, root2, root3)

	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Root:       true,
		Conditions: []store.Condition{{Field: "type", Values: []string{"sh.keptn.event.start"}}},
	}, "c3-root", "c1-root")
	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Root:       true,
		Conditions: []store.Condition{{Field: "data.stage", Values: []string{"dev"}}},
	}, "c1-root")
	// A filter that only a child matches selects no root.
	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Root:       true,
		Conditions: []store.Condition{{Field: "id", Values: []string{"c1-child"}}},
	})
	wantIDs(t, s, store.EventQuery{Project: "p1", Root: true, After: at(3)}, "c3-root")
	page := query(t, s, store.EventQuery{Project: "p1", Root: true, Limit: 1, Offset: 1, CountTotal: true})
	if got := ids(page); !slices.Equal(got, []string{"c2-root"}) {
		t.Errorf("root page IDs = %q, want [c2-root]", got)
	}
	if page.Total != 3 {
		t.Errorf("root Total = %d, want 3", page.Total)
	}
}

func testRootByContext(t *testing.T, s store.Events) {
	insert(t, s,
		event("c1-child", "p1", "c1", at(2)),
		event("c1-root", "p1", "c1", at(1)),
		event("c2-root", "p1", "c2", at(3)),
	)

	wantIDs(t, s, store.EventQuery{KeptnContext: "c1", Root: true}, "c1-root")
	wantIDs(t, s, store.EventQuery{Project: "p1", KeptnContext: "c2", Root: true}, "c2-root")
	wantIDs(t, s, store.EventQuery{KeptnContext: "unknown", Root: true})
}

func testRootUnmappedNone(t *testing.T, s store.Events) {
	insert(t, s,
		event("none-a", "", "c1", at(0)),
		event("none-b", "", "c2", at(1)),
	)

	wantIDs(t, s, store.EventQuery{Root: true})
	wantIDs(t, s, store.EventQuery{KeptnContext: "c1", Root: true})
}

func testConditionAttributes(t *testing.T, s store.Events) {
	target := store.Event{
		ID:           "target",
		Type:         "type-x",
		Source:       "source-x",
		SpecVersion:  "0.2",
		ContentType:  "application/json",
		KeptnContext: "ctx-x",
		TriggeredID:  "trigger-x",
		Time:         at(1),
		Data:         []byte(`{"project":"p1"}`),
		Project:      "p1",
	}
	other := store.Event{
		ID:           "other",
		Type:         "type-y",
		Source:       "source-y",
		SpecVersion:  "1.0",
		ContentType:  "text/plain",
		KeptnContext: "ctx-y",
		TriggeredID:  "trigger-y",
		Time:         at(2),
		Data:         []byte(`{"project":"p1"}`),
		Project:      "p1",
	}
	insert(t, s, target, other)

	fields := []struct{ field, value string }{
		{"id", "target"},
		{"type", "type-x"},
		{"source", "source-x"},
		{"shkeptncontext", "ctx-x"},
		{"triggeredid", "trigger-x"},
		{"specversion", "0.2"},
		{"contenttype", "application/json"},
	}
	for _, f := range fields {
		wantIDs(t, s, store.EventQuery{
			Project:    "p1",
			Conditions: []store.Condition{{Field: f.field, Values: []string{f.value}}},
		}, "target")
	}
}

func testConditionIndexedData(t *testing.T, s store.Events) {
	a := event("a", "p1", "c1", at(1))
	a.Data = []byte(`{"project":"p1","stage":"dev","service":"carts"}`)
	a.Stage, a.Service = "dev", "carts"
	b := event("b", "p1", "c1", at(2))
	b.Data = []byte(`{"project":"p1","stage":"prod","service":"orders"}`)
	b.Stage, b.Service = "prod", "orders"
	insert(t, s, a, b)

	cases := []struct {
		field, value string
		want         []string
	}{
		{"data.project", "p1", []string{"b", "a"}},
		{"data.project", "p2", nil},
		{"data.stage", "dev", []string{"a"}},
		{"data.stage", "prod", []string{"b"}},
		{"data.service", "carts", []string{"a"}},
		{"data.service", "orders", []string{"b"}},
	}
	for _, c := range cases {
		wantIDs(t, s, store.EventQuery{
			Project:    "p1",
			Conditions: []store.Condition{{Field: c.field, Values: []string{c.value}}},
		}, c.want...)
	}
}

func testConditionNestedData(t *testing.T, s store.Events) {
	pass := event("pass", "p1", "c1", at(1))
	pass.Data = []byte(`{"project":"p1","result":"pass","evaluationdetails":{"result":"pass","score":"100"},"label":"café"}`)
	fail := event("fail", "p1", "c1", at(2))
	fail.Data = []byte(`{"project":"p1","result":"fail","evaluationdetails":{"result":"fail","score":"0"},"label":"caf\u00e9"}`)
	missing := event("missing", "p1", "c1", at(3))
	missing.Data = []byte(`{"project":"p1"}`)
	insert(t, s, pass, fail, missing)

	cases := []struct {
		field, value string
		want         []string
	}{
		{"data.result", "pass", []string{"pass"}},
		{"data.result", "fail", []string{"fail"}},
		{"data.evaluationdetails.result", "pass", []string{"pass"}},
		{"data.evaluationdetails.score", "100", []string{"pass"}},
		{"data.evaluationdetails.result", "missing", nil},
		{"data.nosuchfield", "pass", nil},
		{"data.result.deeper", "pass", nil},
		// The escaped and the literal form of a string are the same value.
		{"data.label", "café", []string{"fail", "pass"}},
	}
	for _, c := range cases {
		wantIDs(t, s, store.EventQuery{
			Project:    "p1",
			Conditions: []store.Condition{{Field: c.field, Values: []string{c.value}}},
		}, c.want...)
	}
}

func testConditionAnyOf(t *testing.T, s store.Events) {
	for i, result := range []string{"pass", "warning", "fail"} {
		ev := event(result, "p1", "c1", at(i))
		ev.Type = "type-" + result
		ev.Data = []byte(fmt.Sprintf(`{"project":"p1","result":%q}`, result))
		insert(t, s, ev)
	}

	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Conditions: []store.Condition{{Field: "data.result", Values: []string{"pass", "fail", "unknown"}}},
	}, "fail", "pass")
	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Conditions: []store.Condition{{Field: "type", Values: []string{"type-warning", "type-pass"}}},
	}, "warning", "pass")
}

func testConditionNonStringNoMatch(t *testing.T, s store.Events) {
	values := []struct{ id, json string }{
		{"number", `100`},
		{"float", `100.0`},
		{"bool", `true`},
		{"null", `null`},
		{"object", `{"a":"100"}`},
		{"array", `["100"]`},
		{"string", `"100"`},
	}
	for i, v := range values {
		ev := event(v.id, "p1", "c1", at(i))
		ev.Data = []byte(`{"project":"p1","score":` + v.json + `}`)
		insert(t, s, ev)
	}

	queries := []string{"100", "100.0", "true", "1", "null", `{"a":"100"}`, `["100"]`}
	for _, value := range queries {
		want := []string(nil)
		if value == "100" {
			want = []string{"string"}
		}
		wantIDs(t, s, store.EventQuery{
			Project:    "p1",
			Conditions: []store.Condition{{Field: "data.score", Values: []string{value}}},
		}, want...)
	}
}

func testConditionEmptyValues(t *testing.T, s store.Events) {
	insert(t, s, event("a", "p1", "c1", at(0)))

	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Conditions: []store.Condition{{Field: "type", Values: nil}},
	})
	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Conditions: []store.Condition{{Field: "data.result", Values: []string{}}},
	})
}

func testConditionEmptyString(t *testing.T, s store.Events) {
	emptyStage := event("empty-stage", "p1", "c1", at(1))
	emptyStage.Data = []byte(`{"project":"p1","stage":""}`)
	noStage := event("no-stage", "p1", "c1", at(2))
	numberStage := event("number-stage", "p1", "c1", at(3))
	numberStage.Data = []byte(`{"project":"p1","stage":7}`)
	devStage := event("dev-stage", "p1", "c1", at(4))
	devStage.Data = []byte(`{"project":"p1","stage":"dev"}`)
	devStage.Stage = "dev"
	insert(t, s, emptyStage, noStage, numberStage, devStage)

	// Only a string value "" equals "": an absent or non-string stage does
	// not.
	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Conditions: []store.Condition{{Field: "data.stage", Values: []string{""}}},
	}, "empty-stage")
	wantIDs(t, s, store.EventQuery{
		Project:    "p1",
		Conditions: []store.Condition{{Field: "data.stage", Values: []string{"", "dev"}}},
	}, "dev-stage", "empty-stage")
}

func testConditionsAllHold(t *testing.T, s store.Events) {
	a := event("a", "p1", "c1", at(1))
	a.Type = "t1"
	a.Source = "s1"
	b := event("b", "p1", "c1", at(2))
	b.Type = "t1"
	b.Source = "s2"
	c := event("c", "p1", "c1", at(3))
	c.Type = "t2"
	c.Source = "s1"
	insert(t, s, a, b, c)

	wantIDs(t, s, store.EventQuery{
		Project: "p1",
		Conditions: []store.Condition{
			{Field: "type", Values: []string{"t1"}},
			{Field: "source", Values: []string{"s1"}},
		},
	}, "a")
}

func testAfterIsStrict(t *testing.T, s store.Events) {
	insert(t, s,
		event("t0", "p1", "c1", at(0)),
		event("t1", "p1", "c1", at(1)),
		event("t2", "p1", "c1", at(2)),
	)

	wantIDs(t, s, store.EventQuery{Project: "p1", After: at(1)}, "t2")
	// The same instant at another offset.
	wantIDs(t, s, store.EventQuery{Project: "p1", After: at(1).In(time.FixedZone("", 5*60*60))}, "t2")
	wantIDs(t, s, store.EventQuery{Project: "p1", After: at(1).Add(-time.Nanosecond)}, "t2", "t1")
	wantIDs(t, s, store.EventQuery{Project: "p1", After: at(2)})
}

func testExcludeInvalidated(t *testing.T, s store.Events) {
	const invalidated = "sh.keptn.event.evaluation.invalidated"
	first := event("eval-1", "p1", "c1", at(1))
	first.Type = "sh.keptn.event.evaluation.finished"
	second := event("eval-2", "p1", "c2", at(2))
	second.Type = "sh.keptn.event.evaluation.finished"
	invalidates1 := event("inv-1", "p1", "c1", at(3))
	invalidates1.Type = invalidated
	invalidates1.TriggeredID = "eval-1"
	// Another type with the same triggeredid does not invalidate.
	otherType := event("other-2", "p1", "c2", at(4))
	otherType.Type = "sh.keptn.event.other"
	otherType.TriggeredID = "eval-2"
	// An invalidation in another project does not count.
	otherProject := event("inv-2-p2", "p2", "c3", at(5))
	otherProject.Type = invalidated
	otherProject.TriggeredID = "eval-2"
	insert(t, s, first, second, invalidates1, otherType, otherProject)

	finished := []store.Condition{{Field: "type", Values: []string{"sh.keptn.event.evaluation.finished"}}}
	wantIDs(t, s, store.EventQuery{Project: "p1", Conditions: finished, ExcludeInvalidatedBy: invalidated}, "eval-2")
	wantIDs(t, s, store.EventQuery{Project: "p1", Conditions: finished}, "eval-2", "eval-1")
}

func testPaging(t *testing.T, s store.Events) {
	for i := range 5 {
		insert(t, s, event(fmt.Sprintf("e%d", i), "p1", "c1", at(i)))
	}

	cases := []struct {
		offset, limit int
		want          []string
	}{
		{0, 0, []string{"e4", "e3", "e2", "e1", "e0"}},
		{0, 2, []string{"e4", "e3"}},
		{2, 2, []string{"e2", "e1"}},
		{4, 2, []string{"e0"}},
		{3, 0, []string{"e1", "e0"}},
		{5, 0, nil},
		{100, 10, nil},
		{0, 100, []string{"e4", "e3", "e2", "e1", "e0"}},
	}
	for _, c := range cases {
		wantIDs(t, s, store.EventQuery{Project: "p1", Offset: c.offset, Limit: c.limit}, c.want...)
	}
}

func testCountTotal(t *testing.T, s store.Events) {
	for i := range 5 {
		ev := event(fmt.Sprintf("e%d", i), "p1", "c1", at(i))
		if i%2 == 0 {
			ev.Type = "even"
		}
		insert(t, s, ev)
	}

	page := query(t, s, store.EventQuery{Project: "p1", Offset: 1, Limit: 2, CountTotal: true})
	if page.Total != 5 {
		t.Errorf("Total = %d, want 5", page.Total)
	}
	if len(page.Events) != 2 {
		t.Errorf("len(Events) = %d, want 2", len(page.Events))
	}

	page = query(t, s, store.EventQuery{Project: "p1", Offset: 10, CountTotal: true})
	if page.Total != 5 {
		t.Errorf("Total with offset beyond the end = %d, want 5", page.Total)
	}
	if len(page.Events) != 0 {
		t.Errorf("len(Events) with offset beyond the end = %d, want 0", len(page.Events))
	}

	even := []store.Condition{{Field: "type", Values: []string{"even"}}}
	page = query(t, s, store.EventQuery{Project: "p1", Conditions: even, Limit: 1, CountTotal: true})
	if page.Total != 3 {
		t.Errorf("Total with a condition = %d, want 3", page.Total)
	}

	page = query(t, s, store.EventQuery{Project: "p1", Limit: 1})
	if page.Total != 0 {
		t.Errorf("Total without CountTotal = %d, want 0", page.Total)
	}
}

func testEmptyResult(t *testing.T, s store.Events) {
	page := query(t, s, store.EventQuery{Project: "nothing", CountTotal: true})
	if len(page.Events) != 0 {
		t.Errorf("len(Events) = %d, want 0", len(page.Events))
	}
	if page.Total != 0 {
		t.Errorf("Total = %d, want 0", page.Total)
	}
}

func testDeleteProject(t *testing.T, s store.Events) {
	insert(t, s,
		event("p1-a", "p1", "c1", at(0)),
		event("p1-b", "p1", "c2", at(1)),
		event("p2-a", "p2", "c3", at(2)),
		event("p2-c1", "p2", "c1", at(3)),
		event("none", "", "c4", at(4)),
	)

	if err := s.DeleteProjectEvents(context.Background(), "p1"); err != nil {
		t.Fatalf("DeleteProjectEvents(p1): %v", err)
	}

	wantIDs(t, s, store.EventQuery{Project: "p1"})
	wantIDs(t, s, store.EventQuery{Project: "p1", Root: true})
	wantIDs(t, s, store.EventQuery{KeptnContext: "c2"})
	wantIDs(t, s, store.EventQuery{Project: "p2"}, "p2-c1", "p2-a")
	wantIDs(t, s, store.EventQuery{Project: "p2", Root: true}, "p2-c1", "p2-a")
	wantIDs(t, s, store.EventQuery{KeptnContext: "c3"}, "p2-a")
	wantIDs(t, s, store.EventQuery{}, "none")

	// The IDs are free again.
	insert(t, s, event("p1-a", "p1", "c5", at(5)))
	wantIDs(t, s, store.EventQuery{Project: "p1"}, "p1-a")
}

func testDeleteProjectRemapsContext(t *testing.T, s store.Events) {
	insert(t, s, event("p1-a", "p1", "c1", at(0)))
	if err := s.DeleteProjectEvents(context.Background(), "p1"); err != nil {
		t.Fatalf("DeleteProjectEvents(p1): %v", err)
	}

	insert(t, s, event("p2-a", "p2", "c1", at(1)))

	wantIDs(t, s, store.EventQuery{KeptnContext: "c1"}, "p2-a")
	wantIDs(t, s, store.EventQuery{KeptnContext: "c1", Root: true}, "p2-a")
}

func testDeleteUnknownProject(t *testing.T, s store.Events) {
	insert(t, s, event("p1-a", "p1", "c1", at(0)))

	if err := s.DeleteProjectEvents(context.Background(), "no-such-project"); err != nil {
		t.Errorf("DeleteProjectEvents(no-such-project): %v, want nil", err)
	}
	wantIDs(t, s, store.EventQuery{Project: "p1"}, "p1-a")
}

func testInvalidQuery(t *testing.T, s store.Events) {
	insert(t, s, event("a", "p1", "c1", at(0)))

	queries := map[string]store.EventQuery{
		"unknown field":         {Project: "p1", Conditions: []store.Condition{{Field: "bogus", Values: []string{"x"}}}},
		"empty field":           {Project: "p1", Conditions: []store.Condition{{Field: "", Values: []string{"x"}}}},
		"field case":            {Project: "p1", Conditions: []store.Condition{{Field: "ID", Values: []string{"a"}}}},
		"data prefix lookalike": {Project: "p1", Conditions: []store.Condition{{Field: "database.x", Values: []string{"x"}}}},
		"trailing dot":          {Project: "p1", Conditions: []store.Condition{{Field: "data.", Values: []string{"x"}}}},
		"double dot":            {Project: "p1", Conditions: []store.Condition{{Field: "data.a..b", Values: []string{"x"}}}},
		"quote in path":         {Project: "p1", Conditions: []store.Condition{{Field: `data.a"b`, Values: []string{"x"}}}},
		"negative offset":       {Project: "p1", Offset: -1},
		"negative limit":        {Project: "p1", Limit: -1},
		"invalid in empty scope": {
			KeptnContext: "unknown", Root: true,
			Conditions: []store.Condition{{Field: "bogus", Values: []string{"x"}}},
		},
	}
	for name, q := range queries {
		_, err := s.QueryEvents(context.Background(), q)
		if !errors.Is(err, store.ErrInvalidQuery) {
			t.Errorf("%s: QueryEvents error = %v, want ErrInvalidQuery", name, err)
		}
	}
}

func testClosedStore(t *testing.T, s store.Events) {
	insert(t, s, event("a", "p1", "c1", at(0)))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	ctx := context.Background()
	if err := s.InsertEvent(ctx, event("b", "p1", "c1", at(1))); !errors.Is(err, store.ErrClosed) {
		t.Errorf("InsertEvent after Close: error = %v, want ErrClosed", err)
	}
	if _, err := s.QueryEvents(ctx, store.EventQuery{Project: "p1"}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("QueryEvents after Close: error = %v, want ErrClosed", err)
	}
	if err := s.DeleteProjectEvents(ctx, "p1"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("DeleteProjectEvents after Close: error = %v, want ErrClosed", err)
	}
}

func testConcurrentInserts(t *testing.T, s store.Events) {
	const writers, perWriter = 32, 50
	errs := make(chan error, writers*perWriter)
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range perWriter {
				project := fmt.Sprintf("p%d", w%4)
				ev := event(fmt.Sprintf("w%d-e%d", w, i), project, fmt.Sprintf("c%d", w), at(i))
				if err := s.InsertEvent(context.Background(), ev); err != nil {
					errs <- fmt.Errorf("InsertEvent(%q): %w", ev.ID, err)
				}
			}
		}()
	}
	for range writers {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	total := 0
	for p := range 4 {
		project := fmt.Sprintf("p%d", p)
		page := query(t, s, store.EventQuery{Project: project, CountTotal: true})
		if page.Total != len(page.Events) {
			t.Errorf("project %s: Total = %d, but %d events returned", project, page.Total, len(page.Events))
		}
		seen := make(map[string]bool, len(page.Events))
		for _, ev := range page.Events {
			seen[ev.ID] = true
		}
		for w := p; w < writers; w += 4 {
			for i := range perWriter {
				if id := fmt.Sprintf("w%d-e%d", w, i); !seen[id] {
					t.Errorf("project %s: event %s missing", project, id)
				}
			}
		}
		total += len(page.Events)

		roots := query(t, s, store.EventQuery{Project: project, Root: true})
		if len(roots.Events) != writers/4 {
			t.Errorf("project %s: %d root events, want %d", project, len(roots.Events), writers/4)
		}
	}
	if total != writers*perWriter {
		t.Errorf("events stored = %d, want %d", total, writers*perWriter)
	}
}
