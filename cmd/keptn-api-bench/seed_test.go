package main

import (
	"encoding/json"
	"testing"
	"time"
)

type seededEvent struct {
	ID             string `json:"id"`
	Type           string `json:"type"`
	Time           string `json:"time"`
	Shkeptncontext string `json:"shkeptncontext"`
	Triggeredid    string `json:"triggeredid"`
	Data           struct {
		Project      string `json:"project"`
		EventContext *struct {
			KeptnContext string `json:"keptnContext"`
		} `json:"eventContext"`
	} `json:"data"`
}

func TestContextEventsShape(t *testing.T) {
	plan := newSeedPlan(eventsPerProjectRound)
	c := plan.contexts[3]
	bodies, err := plan.contextEvents(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != eventsPerContext {
		t.Fatalf("got %d events, expected %d", len(bodies), eventsPerContext)
	}

	seen := map[string]string{} // id -> type
	var previous time.Time
	for i, body := range bodies {
		var ev seededEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Shkeptncontext != c.id {
			t.Errorf("event %d: shkeptncontext %q, expected %q", i, ev.Shkeptncontext, c.id)
		}
		if ev.Data.Project != c.project {
			t.Errorf("event %d: data.project %q, expected %q", i, ev.Data.Project, c.project)
		}
		if ev.Data.EventContext != nil && ev.Data.EventContext.KeptnContext != c.id {
			t.Errorf("event %d: data.eventContext.keptnContext %q, expected %q", i, ev.Data.EventContext.KeptnContext, c.id)
		}
		if _, dup := seen[ev.ID]; dup {
			t.Errorf("event %d: id %q repeats", i, ev.ID)
		}
		if ev.Triggeredid != "" {
			if _, ok := seen[ev.Triggeredid]; !ok {
				t.Errorf("event %d: triggeredid %q names no earlier event of the context", i, ev.Triggeredid)
			}
		}
		seen[ev.ID] = ev.Type

		at, err := time.Parse(time.RFC3339Nano, ev.Time)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !at.After(previous) {
			t.Errorf("event %d: time %s is not after the previous %s", i, at, previous)
		}
		previous = at
	}
}

func TestContextEventsTriggeredIDs(t *testing.T) {
	plan := newSeedPlan(eventsPerProjectRound)
	bodies, err := plan.contextEvents(plan.contexts[0])
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	answered := map[string]string{
		"sh.keptn.event.approval.finished":       "sh.keptn.event.approval.triggered",
		"sh.keptn.events.evaluation.invalidated": evaluationDoneType,
	}
	linked := 0
	for _, body := range bodies {
		var ev seededEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		types[ev.ID] = ev.Type
		if want, ok := answered[ev.Type]; ok {
			if got := types[ev.Triggeredid]; got != want {
				t.Errorf("%s %s: triggeredid names a %q event, expected %q", ev.Type, ev.ID, got, want)
			}
			linked++
		}
	}
	if linked == 0 {
		t.Error("no event carries a triggeredid")
	}
}

func TestSeedPlanCounts(t *testing.T) {
	plan := newSeedPlan(100_000)
	if got := plan.events(); got != 100_000 {
		t.Errorf("events() = %d, expected 100000", got)
	}
	if got := plan.contextsPerProject(); got != 100 {
		t.Errorf("contextsPerProject() = %d, expected 100", got)
	}
	// Event j uses example j mod 12, and the evaluation-done example is the
	// seventh: j = 6, 18, ..., 90.
	if plan.evaluationsPerContext != 8 {
		t.Errorf("evaluationsPerContext = %d, expected 8", plan.evaluationsPerContext)
	}
	ids := map[string]bool{}
	for _, c := range plan.contexts {
		if ids[c.id] {
			t.Fatalf("keptnContext %s repeats", c.id)
		}
		ids[c.id] = true
	}
}

func TestIngestBodiesHaveNoContext(t *testing.T) {
	plan := newSeedPlan(eventsPerProjectRound)
	bodies, err := plan.ingestBodies()
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != projectCount {
		t.Fatalf("got %d bodies, expected %d", len(bodies), projectCount)
	}
	for i, body := range bodies {
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev["type"] != "sh.keptn.event.configuration.change" {
			t.Errorf("body %d: type %v", i, ev["type"])
		}
		if _, ok := ev["shkeptncontext"]; ok {
			t.Errorf("body %d: has a shkeptncontext", i)
		}
		data, _ := ev["data"].(map[string]any)
		if data["project"] != plan.projects[i] {
			t.Errorf("body %d: data.project %v, expected %s", i, data["project"], plan.projects[i])
		}
	}
}

func TestPercentile(t *testing.T) {
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, time.Duration(i)*time.Millisecond)
	}
	cases := []struct {
		p    float64
		want time.Duration
	}{
		{0.50, 50 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{1.00, 100 * time.Millisecond},
		{0.00, 1 * time.Millisecond},
	}
	for _, c := range cases {
		if got := percentile(sorted, c.p); got != c.want {
			t.Errorf("percentile(1..100 ms, %.2f) = %s, expected %s", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %s, expected 0", got)
	}
}

func TestCeilingBodySize(t *testing.T) {
	body := ceilingBody()
	if len(body) != ceilingBodySize {
		t.Errorf("ceiling body has %d bytes, expected %d", len(body), ceilingBodySize)
	}
	if !json.Valid(body) {
		t.Error("ceiling body is not valid JSON")
	}
}

func TestParseFlagsRejectsEvents(t *testing.T) {
	for _, arg := range []string{"-events=0", "-events=1500", "-events=-1000"} {
		if _, err := parseFlags([]string{arg}); err == nil {
			t.Errorf("parseFlags(%s) returned no error", arg)
		}
	}
	cfg, err := parseFlags([]string{"-events=2000", "-out="})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.events != 2000 || cfg.out != "" {
		t.Errorf("parseFlags: events %d, out %q", cfg.events, cfg.out)
	}
}
