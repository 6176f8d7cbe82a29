package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// exampleFiles holds one example of each Keptn 0.7 event type of a delivery run of
// the service carts in the project sockshop, in run order. The seeded events
// are copies of them.
//
//go:embed events/*.json
var exampleFiles embed.FS

const (
	projectCount          = 10
	eventsPerContext      = 100
	eventsPerProjectRound = projectCount * eventsPerContext
	// contextSpacing separates the start times of consecutive keptnContexts
	// and eventSpacing the events inside one, so that each context spans
	// about 33 minutes, as a delivery run with tests does.
	contextSpacing = 40 * time.Minute
	eventSpacing   = 20 * time.Second
	// randomSeed makes the ids, times and request choices the same on every
	// run.
	randomSeed = 0x6b6570746e
)

// evaluationDoneType is the event type of the GET /event/type query.
const evaluationDoneType = "sh.keptn.events.evaluation-done"

// seedStart is the time of the first seeded event.
var seedStart = time.Date(2020, 11, 2, 8, 0, 0, 0, time.UTC)

// exampleEvent is one example event, decoded.
type exampleEvent struct {
	fields map[string]any // the event's top-level attributes
	data   map[string]any // its "data" object
	// triggeredBy is the index of the template whose id the example's
	// triggeredid names, or -1.
	triggeredBy int
}

// seedContext is one keptnContext to seed: eventsPerContext events of one
// project.
type seedContext struct {
	index   int // position in seedPlan.contexts, which seeds its random source
	id      string
	project string
	start   time.Time
}

// seedPlan describes the seeded data: projectCount projects with the same
// number of keptnContexts each, every context holding eventsPerContext
// events made by rotating through the templates.
type seedPlan struct {
	projects  []string
	contexts  []seedContext
	templates []exampleEvent
	// evaluationsPerContext counts the evaluation-done events of a context.
	evaluationsPerContext int
}

func (p *seedPlan) events() int { return len(p.contexts) * eventsPerContext }

func (p *seedPlan) contextsPerProject() int { return len(p.contexts) / len(p.projects) }

// newSeedPlan plans the given number of events, a positive multiple of
// eventsPerProjectRound as parseFlags checks.
func newSeedPlan(events int) *seedPlan {
	templates, err := loadTemplates()
	if err != nil {
		// The examples are embedded, so this is a build defect, not an input
		// error.
		panic(err)
	}
	p := &seedPlan{templates: templates}
	for i := range projectCount {
		p.projects = append(p.projects, fmt.Sprintf("sockshop-%02d", i))
	}

	rng := rand.New(rand.NewPCG(randomSeed, 0))
	contexts := events / eventsPerContext
	for i := range contexts {
		p.contexts = append(p.contexts, seedContext{
			index: i,
			id:    newUUID(rng),
			// Consecutive contexts belong to different projects, so the runs
			// of all projects interleave in time.
			project: p.projects[i%projectCount],
			start:   seedStart.Add(time.Duration(i) * contextSpacing),
		})
	}
	for j := range eventsPerContext {
		if p.templates[j%len(p.templates)].fields["type"] == evaluationDoneType {
			p.evaluationsPerContext++
		}
	}
	return p
}

// loadTemplates decodes the example events in file name order and links
// each triggeredid to the example it names.
func loadTemplates() ([]exampleEvent, error) {
	names, err := fs.Glob(exampleFiles, "events/*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var templates []exampleEvent
	indexByID := map[string]int{}
	for _, name := range names {
		raw, err := exampleFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var fields map[string]any
		if err := dec.Decode(&fields); err != nil {
			return nil, fmt.Errorf("decode example event %s: %w", name, err)
		}
		data, ok := fields["data"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("example event %s: data is not a JSON object", name)
		}
		id, _ := fields["id"].(string)
		indexByID[id] = len(templates)
		templates = append(templates, exampleEvent{fields: fields, data: data, triggeredBy: -1})
	}
	for i := range templates {
		if triggered, ok := templates[i].fields["triggeredid"].(string); ok {
			if k, ok := indexByID[triggered]; ok {
				templates[i].triggeredBy = k
			}
		}
	}
	if len(templates) == 0 {
		return nil, fmt.Errorf("no example events embedded")
	}
	return templates, nil
}

// contextEvents returns the JSON bodies of the events of c in time order.
// Event j copies template j modulo the number of templates, with a fresh id,
// the context's shkeptncontext and project, and a time eventSpacing after the
// previous event plus a random fraction of a second. A triggeredid points to
// the latest event of this context made from the template it names, as
// approval.finished responds to approval.triggered.
func (p *seedPlan) contextEvents(c seedContext) ([][]byte, error) {
	rng := rand.New(rand.NewPCG(randomSeed, uint64(c.index)+1))
	lastID := make([]string, len(p.templates))
	bodies := make([][]byte, 0, eventsPerContext)
	for j := range eventsPerContext {
		k := j % len(p.templates)
		t := p.templates[k]

		ev := cloneMap(t.fields)
		data := cloneMap(t.data)
		ev["data"] = data
		ev["id"] = newUUID(rng)
		ev["shkeptncontext"] = c.id
		offset := time.Duration(j)*eventSpacing + time.Duration(rng.Int64N(int64(time.Second)))
		ev["time"] = c.start.Add(offset).Format(time.RFC3339Nano)
		delete(ev, "triggeredid")
		if t.triggeredBy >= 0 && lastID[t.triggeredBy] != "" {
			ev["triggeredid"] = lastID[t.triggeredBy]
		}
		data["project"] = c.project
		if eventContext, ok := data["eventContext"].(map[string]any); ok {
			eventContext = cloneMap(eventContext)
			eventContext["keptnContext"] = c.id
			data["eventContext"] = eventContext
		}
		lastID[k] = ev["id"].(string)

		body, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode event %d of keptnContext %s: %w", j, c.id, err)
		}
		bodies = append(bodies, body)
	}
	return bodies, nil
}

// ingestBodies returns one configuration-change event per project for POST
// /api/v1/event. They carry no shkeptncontext, so that every post starts a
// new keptnContext, as a CI pipeline's trigger does.
func (p *seedPlan) ingestBodies() ([][]byte, error) {
	var t *exampleEvent
	for i := range p.templates {
		if p.templates[i].fields["type"] == "sh.keptn.event.configuration.change" {
			t = &p.templates[i]
		}
	}
	if t == nil {
		return nil, fmt.Errorf("no sh.keptn.event.configuration.change example event embedded")
	}
	var bodies [][]byte
	for _, project := range p.projects {
		ev := cloneMap(t.fields)
		for _, ignored := range []string{"id", "time", "shkeptncontext", "triggeredid"} {
			delete(ev, ignored)
		}
		data := cloneMap(t.data)
		delete(data, "eventContext")
		data["project"] = project
		ev["data"] = data
		body, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, body)
	}
	return bodies, nil
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// newUUID returns a random version 4 UUID drawn from rng.
func newUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for k := range 8 {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// seedResult summarizes the seeding.
type seedResult struct {
	events   int
	workers  int
	elapsed  time.Duration
	p50, p99 time.Duration
}

func (s seedResult) rate() float64 { return float64(s.events) / s.elapsed.Seconds() }

func (s seedResult) summary() string {
	return fmt.Sprintf("seeded %d events in %.1f s with %d workers: %.0f events/s, latency p50 %s, p99 %s",
		s.events, s.elapsed.Seconds(), s.workers, s.rate(), formatMillis(s.p50), formatMillis(s.p99))
}

// seedEvents posts every planned event to POST /api/mongodb-datastore/event.
// Each worker takes one keptnContext at a time and posts its events in time
// order. Any response but 201 fails the seeding, after every worker has
// stopped.
func seedEvents(parent context.Context, client *http.Client, srv *server, plan *seedPlan, workers int) (seedResult, error) {
	url := srv.baseURL + "/api/mongodb-datastore/event"
	jobs := make(chan seedContext)
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	// The first failure stops every worker, because the measurements need
	// the complete data set.
	var stored atomic.Int64
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		cancel()
	}

	latencies := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	started := time.Now()
	for w := range workers {
		wg.Go(func() {
			for c := range jobs {
				bodies, err := plan.contextEvents(c)
				if err != nil {
					fail(err)
					continue
				}
				for _, body := range bodies {
					if ctx.Err() != nil {
						break
					}
					t0 := time.Now()
					status, reply, err := send(ctx, client, http.MethodPost, url, srv.token, body)
					latencies[w] = append(latencies[w], time.Since(t0))
					if err == nil && status != http.StatusCreated {
						err = fmt.Errorf("POST %s returned %d, expected 201: %s", url, status, snippet(reply))
					}
					if err != nil {
						fail(err)
						break
					}
					stored.Add(1)
				}
			}
		})
	}

feed:
	for _, c := range plan.contexts {
		select {
		case jobs <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(started)

	if err := parent.Err(); err != nil {
		return seedResult{}, fmt.Errorf("seeding interrupted after %d of %d events: %w", stored.Load(), plan.events(), err)
	}
	if firstErr != nil {
		return seedResult{}, fmt.Errorf("seeding failed after %d of %d events: %w", stored.Load(), plan.events(), firstErr)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	return seedResult{
		events:  plan.events(),
		workers: workers,
		elapsed: elapsed,
		p50:     percentile(all, 0.50),
		p99:     percentile(all, 0.99),
	}, nil
}

// eventPage is the part of a datastore response that verifySeed checks.
type eventPage struct {
	Events []struct {
		ID             string `json:"id"`
		Type           string `json:"type"`
		Shkeptncontext string `json:"shkeptncontext"`
		Data           struct {
			Project string `json:"project"`
			Service string `json:"service"`
		} `json:"data"`
	} `json:"events"`
	TotalCount int `json:"totalCount"`
}

// verifySeed checks, before any measurement, that each query the load runs
// returns the seeded events, and that an event posted to /api/v1/event can
// be read back. A run against an empty or half-seeded store would measure
// cheap empty responses, so any mismatch fails the benchmark.
func verifySeed(ctx context.Context, client *http.Client, srv *server, plan *seedPlan) error {
	perProject := plan.contextsPerProject()
	pageSize := 20

	for _, project := range plan.projects {
		url := rootQueryURL(srv.baseURL, project)
		page, err := getPage(ctx, client, url, srv.token)
		if err != nil {
			return err
		}
		if page.TotalCount != perProject || len(page.Events) != min(pageSize, perProject) {
			return fmt.Errorf("GET %s: expected totalCount %d and %d events, got %d and %d",
				url, perProject, min(pageSize, perProject), page.TotalCount, len(page.Events))
		}
		for _, ev := range page.Events {
			if ev.Data.Project != project {
				return fmt.Errorf("GET %s: returned an event of project %q", url, ev.Data.Project)
			}
		}

		url = typeQueryURL(srv.baseURL, project)
		page, err = getPage(ctx, client, url, srv.token)
		if err != nil {
			return err
		}
		want := min(pageSize, perProject*plan.evaluationsPerContext)
		if len(page.Events) != want {
			return fmt.Errorf("GET %s: expected %d events, got %d", url, want, len(page.Events))
		}
		for _, ev := range page.Events {
			if ev.Type != evaluationDoneType || ev.Data.Project != project || ev.Data.Service != "carts" {
				return fmt.Errorf("GET %s: returned an event of type %q, project %q, service %q",
					url, ev.Type, ev.Data.Project, ev.Data.Service)
			}
		}
	}

	// The first and last contexts, and a few between them.
	step := max(1, len(plan.contexts)/20)
	for i := 0; i < len(plan.contexts); i += step {
		if err := verifyContext(ctx, client, srv, plan.contexts[i].id, eventsPerContext); err != nil {
			return err
		}
	}
	if err := verifyContext(ctx, client, srv, plan.contexts[len(plan.contexts)-1].id, eventsPerContext); err != nil {
		return err
	}

	bodies, err := plan.ingestBodies()
	if err != nil {
		return err
	}
	url := srv.baseURL + "/api/v1/event"
	status, reply, err := send(ctx, client, http.MethodPost, url, srv.token, bodies[0])
	if err != nil {
		return err
	}
	var ack struct {
		KeptnContext string `json:"keptnContext"`
	}
	if status != http.StatusOK || json.Unmarshal(reply, &ack) != nil || ack.KeptnContext == "" {
		return fmt.Errorf("POST %s returned %d, expected 200 with a keptnContext: %s", url, status, snippet(reply))
	}
	return verifyContext(ctx, client, srv, ack.KeptnContext, 1)
}

// verifyContext checks that GET by keptnContext returns want events, all of
// that context.
func verifyContext(ctx context.Context, client *http.Client, srv *server, keptnContext string, want int) error {
	url := contextQueryURL(srv.baseURL, keptnContext)
	page, err := getPage(ctx, client, url, srv.token)
	if err != nil {
		return err
	}
	if page.TotalCount != want || len(page.Events) != min(20, want) {
		return fmt.Errorf("GET %s: expected totalCount %d and %d events, got %d and %d",
			url, want, min(20, want), page.TotalCount, len(page.Events))
	}
	for _, ev := range page.Events {
		if ev.Shkeptncontext != keptnContext {
			return fmt.Errorf("GET %s: returned an event of keptnContext %q", url, ev.Shkeptncontext)
		}
	}
	return nil
}

func getPage(ctx context.Context, client *http.Client, url, token string) (eventPage, error) {
	var page eventPage
	status, body, err := send(ctx, client, http.MethodGet, url, token, nil)
	if err != nil {
		return page, err
	}
	if status != http.StatusOK {
		return page, fmt.Errorf("GET %s returned %d, expected 200: %s", url, status, snippet(body))
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return page, fmt.Errorf("GET %s: decode the response: %w", url, err)
	}
	return page, nil
}
