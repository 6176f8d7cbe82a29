//go:build unix

package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/sqlite"
)

// The data set of BenchmarkLargeStore has the shape of the one that
// cmd/keptn-api-bench seeds: 10 projects with 100 keptnContexts each and 100
// events per context, made by cycling through the event types of a Keptn 0.7
// delivery run.
const (
	largeProjects           = 10
	largeContextsPerProject = 100
	largeEventsPerContext   = 100
)

// largeTemplate describes one event type of the delivery run.
type largeTemplate struct {
	eventType, source, stage, service string
	// dataSize is the approximate length in bytes of the JSON data.
	dataSize int
	// triggeredBy is the index of the template whose latest event the
	// triggeredid names, or -1.
	triggeredBy int
}

var largeTemplates = []largeTemplate{
	{"sh.keptn.internal.event.project.create", "https://github.com/keptn/keptn/api", "", "", 930, -1},
	{"sh.keptn.internal.event.service.create", "https://github.com/keptn/keptn/api", "", "carts", 260, -1},
	{"sh.keptn.event.configuration.change", "https://ci.example.com/pipelines/carts", "dev", "carts", 400, -1},
	{"sh.keptn.events.deployment-finished", "helm-service", "hardening", "carts", 400, -1},
	{"sh.keptn.events.tests-finished", "jmeter-service", "hardening", "carts", 280, -1},
	{"sh.keptn.event.start-evaluation", "https://github.com/keptn/keptn/api", "hardening", "carts", 410, -1},
	{"sh.keptn.events.evaluation-done", "lighthouse-service", "hardening", "carts", 1530, -1},
	{"sh.keptn.event.approval.triggered", "gatekeeper-service", "production", "carts", 280, -1},
	{"sh.keptn.event.approval.finished", "https://github.com/keptn/keptn/bridge#approval.finished", "production", "carts", 500, 7},
	{"sh.keptn.event.problem.open", "prometheus-service", "production", "carts", 340, -1},
	{"sh.keptn.events.evaluation.invalidated", "https://github.com/keptn/keptn/bridge#evaluation.invalidated", "hardening", "carts", 320, 6},
	{"sh.keptn.event.remediation.triggered", "remediation-service", "production", "carts", 370, -1},
}

const largeEvaluationDone = "sh.keptn.events.evaluation-done"

func largeProject(i int) string { return fmt.Sprintf("sockshop-%02d", i) }

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

// largeData returns a JSON object of about t.dataSize bytes with the fields
// that the store copies into columns.
func largeData(t largeTemplate, project, keptnContext string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"project":%q`, project)
	if t.stage != "" {
		fmt.Fprintf(&b, `,"stage":%q`, t.stage)
	}
	if t.service != "" {
		fmt.Fprintf(&b, `,"service":%q`, t.service)
	}
	fmt.Fprintf(&b, `,"eventContext":{"keptnContext":%q},"labels":{"buildId":"ci-2741"},"result":"pass"`, keptnContext)
	if pad := t.dataSize - b.Len() - 16; pad > 0 {
		fmt.Fprintf(&b, `,"details":%q`, strings.Repeat("x", pad))
	}
	b.WriteString("}")
	return []byte(b.String())
}

// largeContext returns the events of one keptnContext in time order.
func largeContext(index int, project, keptnContext string, start time.Time) []store.Event {
	rng := rand.New(rand.NewPCG(uint64(index), 2))
	lastID := make([]string, len(largeTemplates))
	events := make([]store.Event, 0, largeEventsPerContext)
	for j := range largeEventsPerContext {
		k := j % len(largeTemplates)
		t := largeTemplates[k]
		ev := store.Event{
			ID:           newUUID(rng),
			Type:         t.eventType,
			Source:       t.source,
			SpecVersion:  "0.2",
			ContentType:  "application/json",
			KeptnContext: keptnContext,
			Time:         start.Add(time.Duration(j)*20*time.Second + time.Duration(rng.Int64N(int64(time.Second)))),
			Data:         largeData(t, project, keptnContext),
			Project:      project,
			Stage:        t.stage,
			Service:      t.service,
		}
		if t.triggeredBy >= 0 {
			ev.TriggeredID = lastID[t.triggeredBy]
		}
		lastID[k] = ev.ID
		events = append(events, ev)
	}
	return events
}

// seedLarge stores the data set from 32 goroutines, each storing one
// keptnContext at a time in time order, and returns the keptnContexts.
func seedLarge(b testing.TB, s *sqlite.Store) []string {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	contexts := make([]string, largeProjects*largeContextsPerProject)
	for i := range contexts {
		contexts[i] = newUUID(rng)
	}
	start := time.Date(2020, 11, 2, 8, 0, 0, 0, time.UTC)

	began := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(contexts) {
					return
				}
				// Consecutive contexts belong to different projects, so
				// the projects' runs interleave in time.
				events := largeContext(i, largeProject(i%largeProjects), contexts[i], start.Add(time.Duration(i)*40*time.Minute))
				for _, ev := range events {
					if err := s.InsertEvent(ctx, ev); err != nil {
						b.Errorf("InsertEvent: %v", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.Logf("seeded %d events in %.1f s: %.0f events/s, RSS %s",
		len(contexts)*largeEventsPerContext, elapsed.Seconds(),
		float64(len(contexts)*largeEventsPerContext)/elapsed.Seconds(), rssSummary())
	return contexts
}

// BenchmarkLargeStore seeds 100,000 events once and then measures the
// queries and the ingest of make bench, each from 32 goroutines. The
// queries read the first page of a keptnContext's events, the first page of
// a project's root events (both with their total) and the newest
// evaluation-done events of a project and service. Each insert starts a new
// keptnContext. Run it with -v to see the seeding rate.
func BenchmarkLargeStore(b *testing.B) {
	s, _ := openTemp(b)
	contexts := seedLarge(b, s)
	ctx := context.Background()
	parallelism := (32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)

	queries := []struct {
		name  string
		query func(rng *rand.Rand) store.EventQuery
		// min is the fewest events a query must return.
		min int
	}{
		{"QueryContext", func(rng *rand.Rand) store.EventQuery {
			return store.EventQuery{KeptnContext: contexts[rng.IntN(len(contexts))], Limit: 20, CountTotal: true}
		}, 20},
		{"QueryRoots", func(rng *rand.Rand) store.EventQuery {
			return store.EventQuery{Project: largeProject(rng.IntN(largeProjects)), Root: true, Limit: 20, CountTotal: true}
		}, 20},
		{"QueryTypeFilter", func(rng *rand.Rand) store.EventQuery {
			project := largeProject(rng.IntN(largeProjects))
			return store.EventQuery{Project: project, Limit: 20, Conditions: []store.Condition{
				{Field: "data.project", Values: []string{project}},
				{Field: "data.service", Values: []string{"carts"}},
				{Field: "type", Values: []string{largeEvaluationDone}},
			}}
		}, 20},
	}
	for _, bq := range queries {
		b.Run(bq.name, func(b *testing.B) {
			var seeds atomic.Uint64
			cpu := startCPUTime()
			b.SetParallelism(parallelism)
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(seeds.Add(1), 3))
				for pb.Next() {
					page, err := s.QueryEvents(ctx, bq.query(rng))
					if err != nil {
						b.Errorf("QueryEvents: %v", err)
						return
					}
					if len(page.Events) < bq.min {
						b.Errorf("QueryEvents returned %d events, want at least %d", len(page.Events), bq.min)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			cpu.report(b)
			reportRSS(b)
		})
	}

	// The seeds carry over to each run of the sub-benchmark, so that no run
	// repeats an event ID of an earlier one.
	var insertSeeds atomic.Uint64
	b.Run("Insert", func(b *testing.B) {
		configurationChange := largeTemplates[2]
		cpu := startCPUTime()
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			rng := rand.New(rand.NewPCG(insertSeeds.Add(1), 4))
			for pb.Next() {
				project := largeProject(rng.IntN(largeProjects))
				keptnContext := newUUID(rng)
				ev := store.Event{
					ID:           newUUID(rng),
					Type:         configurationChange.eventType,
					Source:       configurationChange.source,
					SpecVersion:  "0.2",
					ContentType:  "application/json",
					KeptnContext: keptnContext,
					Time:         time.Now(),
					Data:         largeData(configurationChange, project, keptnContext),
					Project:      project,
					Stage:        configurationChange.stage,
					Service:      configurationChange.service,
				}
				if err := s.InsertEvent(ctx, ev); err != nil {
					b.Errorf("InsertEvent: %v", err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
		cpu.report(b)
		reportRSS(b)
	})
}

// cpuTime is the CPU time, user and system, that the process had used at
// the start of a measurement.
type cpuTime time.Duration

func startCPUTime() cpuTime {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return cpuTime(time.Duration(ru.Utime.Nano() + ru.Stime.Nano()))
}

// report reports the CPU time of the whole process per operation since
// start, which includes the writer goroutine and the garbage collector. On
// a machine shared with other work, it varies less than ns/op.
func (start cpuTime) report(b *testing.B) {
	end := startCPUTime()
	if start < 0 || end < 0 {
		return
	}
	b.ReportMetric(float64(time.Duration(end-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// reportRSS reports the peak resident set size of the test process, which
// includes SQLite's page caches, in MB (10^6 bytes).
func reportRSS(b *testing.B) {
	if peak, ok := procStatusKB("VmHWM"); ok {
		b.ReportMetric(float64(peak)*1024/1e6, "peak-RSS-MB")
	}
}

func rssSummary() string {
	rss, ok1 := procStatusKB("VmRSS")
	peak, ok2 := procStatusKB("VmHWM")
	if !ok1 || !ok2 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MB, peak %.1f MB", float64(rss)*1024/1e6, float64(peak)*1024/1e6)
}

// procStatusKB reads a field in kB from /proc/self/status, which exists on
// Linux only.
func procStatusKB(field string) (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		return kb, err == nil
	}
	return 0, false
}
