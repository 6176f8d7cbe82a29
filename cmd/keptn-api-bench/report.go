package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
)

// The floors every run is checked against. They are reported, not enforced:
// a missed floor does not change the exit code.
const (
	minQueryRatio    = 0.2                   // query throughput / ceiling throughput
	maxQueryP99      = 25 * time.Millisecond // query latency, 99th percentile
	minIngestRate    = 5000                  // acknowledged events per second
	minUploadRate    = 1000                  // sequential resource uploads per second
	minResourceRatio = 0.3                   // resource read throughput / ceiling throughput
	maxRSSAfterSeed  = 200_000_000           // bytes
	bytesPerMegabyte = 1_000_000
)

// report is one run's results.
type report struct {
	date    time.Time
	cfg     config
	machine machine
	passes  []pass
	elapsed time.Duration
}

// pass is the outcome of the scenarios on one store backend.
type pass struct {
	backend string // backendSQLite or backendMongoDB
	// store describes where the server kept its events.
	store string
	// ferretdb is true when the MongoDB server was FerretDB.
	ferretdb     bool
	examples     int // number of example events the seed copies
	seed         seedResult
	results      []result
	rssAfterSeed int64 // bytes
	peakRSS      int64 // bytes
	// databasePeakRSS is the peak RSS of the FerretDB process that the
	// benchmark started, in bytes, or 0 when it started none.
	databasePeakRSS int64
}

// heldToFloors reports whether the floors apply to the pass. They are set
// for the embedded SQLite default. The MongoDB pass runs on whatever server
// it is given, which is FerretDB by default.
func (p pass) heldToFloors() bool { return p.backend == backendSQLite }

// title names the pass in headings and table columns.
func (p pass) title() string {
	switch {
	case p.backend == backendSQLite:
		return "SQLite"
	case p.ferretdb:
		return "MongoDB backend on FerretDB"
	default:
		return "MongoDB backend on MongoDB"
	}
}

// floor is one checked floor.
type floor struct {
	name     string
	target   string
	measured string
	met      bool
}

func (p pass) ceilingRate() float64 {
	for _, res := range p.results {
		if res.kind == kindCeiling {
			return res.rate
		}
	}
	return 0
}

func (p pass) ratio(res result) float64 {
	ceiling := p.ceilingRate()
	if ceiling == 0 {
		return 0
	}
	return res.rate / ceiling
}

func (p pass) floors() []floor {
	var floors []floor
	for _, res := range p.results {
		switch res.kind {
		case kindQuery:
			ratio := p.ratio(res)
			floors = append(floors,
				floor{
					name:     res.name + ": throughput",
					target:   fmt.Sprintf("≥ %.1f× ceiling", minQueryRatio),
					measured: fmt.Sprintf("%.3f×", ratio),
					met:      ratio >= minQueryRatio,
				},
				floor{
					name:     res.name + ": p99 latency",
					target:   "≤ " + formatMillis(maxQueryP99),
					measured: formatMillis(res.p99),
					met:      res.requests > 0 && res.p99 <= maxQueryP99,
				})
		case kindIngest:
			floors = append(floors, floor{
				name:     "ingest: acknowledged events",
				target:   fmt.Sprintf("≥ %d/s", minIngestRate),
				measured: fmt.Sprintf("%.0f/s", res.rate),
				met:      res.rate >= minIngestRate,
			})
		case kindUpload:
			floors = append(floors, floor{
				name:     "sequential resource uploads",
				target:   fmt.Sprintf("≥ %d/s", minUploadRate),
				measured: fmt.Sprintf("%.0f/s", res.rate),
				met:      res.rate >= minUploadRate,
			})
		case kindResourceRead:
			ratio := p.ratio(res)
			floors = append(floors, floor{
				name:     res.name + ": throughput",
				target:   fmt.Sprintf("≥ %.1f× ceiling", minResourceRatio),
				measured: fmt.Sprintf("%.3f×", ratio),
				met:      ratio >= minResourceRatio,
			})
		}
	}
	floors = append(floors, floor{
		name:     "keptn-api RSS after seeding",
		target:   fmt.Sprintf("≤ %d MB", maxRSSAfterSeed/bytesPerMegabyte),
		measured: formatMegabytes(p.rssAfterSeed),
		met:      p.rssAfterSeed <= maxRSSAfterSeed,
	})
	return floors
}

func formatMegabytes(b int64) string {
	return fmt.Sprintf("%.1f MB", float64(b)/bytesPerMegabyte)
}

func metText(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

// tableRows returns the results table with its header row.
func (p pass) tableRows() [][]string {
	rows := [][]string{{"scenario", "requests/s", "p50", "p99", "× ceiling", "mean response", "errors"}}
	for _, res := range p.results {
		rows = append(rows, []string{
			res.name,
			fmt.Sprintf("%.0f", res.rate),
			formatMillis(res.p50),
			formatMillis(res.p99),
			fmt.Sprintf("%.3f", p.ratio(res)),
			fmt.Sprintf("%.0f B", res.meanBytes),
			fmt.Sprint(res.errors),
		})
	}
	return rows
}

func (p pass) floorRows() [][]string {
	rows := [][]string{{"floor", "target", "measured", "result"}}
	for _, f := range p.floors() {
		rows = append(rows, []string{f.name, f.target, f.measured, metText(f.met)})
	}
	return rows
}

// text returns the report for the terminal.
func (r report) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d connections, %s per scenario after %s of warm-up\n",
		r.date.Format("2006-01-02 15:04 UTC"), r.cfg.connections, r.cfg.duration, r.cfg.warmup)
	for _, p := range r.passes {
		fmt.Fprintf(&b, "\n%s: %s\n\n", p.title(), p.store)
		writeAligned(&b, p.tableRows())
		fmt.Fprintf(&b, "\n%s\n%s\n\n", p.seed.summary(), p.memoryText())
		if p.heldToFloors() {
			writeAligned(&b, p.floorRows())
		} else {
			fmt.Fprintln(&b, p.noFloorsText())
		}
	}
	if len(r.passes) > 1 {
		fmt.Fprintln(&b, "\nside by side:")
		writeAligned(&b, r.comparisonRows())
	}
	return b.String()
}

// memoryText returns the memory figures of the pass as one sentence.
func (p pass) memoryText() string {
	text := fmt.Sprintf("keptn-api RSS after seeding: %s, peak RSS at the end: %s",
		formatMegabytes(p.rssAfterSeed), formatMegabytes(p.peakRSS))
	if p.databasePeakRSS > 0 {
		text += ", FerretDB peak RSS: " + formatMegabytes(p.databasePeakRSS)
	}
	return text + "."
}

// noFloorsText returns the reason why a pass has no floor table.
func (p pass) noFloorsText() string {
	if p.ferretdb {
		return "These figures are FerretDB's, not MongoDB's, and they are not held to the floors."
	}
	return "These figures are not held to the floors, which are set for the SQLite default."
}

// comparisonRows returns a table with the requests/s and the ratio to the
// ceiling of each scenario, a pair of columns per pass. A scenario that a
// pass did not run shows "-".
func (r report) comparisonRows() [][]string {
	header := []string{"scenario"}
	for _, p := range r.passes {
		header = append(header, p.title()+" requests/s", p.title()+" × ceiling")
	}
	rows := [][]string{header}
	var names []string
	for _, p := range r.passes {
		for _, res := range p.results {
			if !slices.Contains(names, res.name) {
				names = append(names, res.name)
			}
		}
	}
	for _, name := range names {
		row := []string{name}
		for _, p := range r.passes {
			i := slices.IndexFunc(p.results, func(res result) bool { return res.name == name })
			if i < 0 {
				row = append(row, "-", "-")
				continue
			}
			row = append(row, fmt.Sprintf("%.0f", p.results[i].rate), fmt.Sprintf("%.3f", p.ratio(p.results[i])))
		}
		rows = append(rows, row)
	}
	return rows
}

func writeAligned(b *strings.Builder, rows [][]string) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

func markdownTable(rows [][]string) string {
	var b strings.Builder
	for i, row := range rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
		if i == 0 {
			fmt.Fprintf(&b, "|%s\n", strings.Repeat(" --- |", len(row)))
		}
	}
	return b.String()
}

// markdownTemplate is docs/benchmarks.md. The program overwrites the file on
// every run, so edits to the explanation belong here.
var markdownTemplate = template.Must(template.New("benchmarks.md").Parse(`# Benchmarks

This page is written by ` + "`make bench`" + ` (the program in ` + "`cmd/keptn-api-bench`" + `) and overwritten on every run.
Edit the text in that program, not here.

## What is measured

The benchmark runs on one machine and sends traffic to loopback addresses only.
It measures keptn-api once per store backend, in one pass each: first on the embedded SQLite default, then on the MongoDB backend.

1. It builds ` + "`cmd/keptn-api`" + ` once.
   For each pass it starts the server on an empty data directory with ` + "`--log-level warn`" + `, because at info level the server writes one access log line per request.
   The MongoDB pass gives the server ` + "`MONGODB_URL`" + ` and ` + "`MONGODB_DATABASE`" + ` with a new database.
   Without ` + "`-mongodb-url`" + `, the program first starts FerretDB (v1, the MongoDB-wire server that the tests use, with its SQLite handler) in a separate process on a loopback port, with its files in a temporary directory.
   With ` + "`-mongodb-url`" + `, it uses that server, and it drops the new database at the end.
2. It starts a ceiling: a plain ` + "`net/http`" + ` server in a separate process that returns the same 2,048-byte JSON body to every request.
   The ceiling shows what this machine, this Go version and this load generator reach when the handler does no work, so each keptn-api figure is also given as a ratio to it.
   Each pass measures the ceiling again and divides by its own figure.
3. It seeds events through ` + "`POST /api/mongodb-datastore/event`" + ` from {{.SeedWorkers}} concurrent clients: {{.Projects}} projects with the same number of keptnContexts each, and {{.EventsPerContext}} events per keptnContext.
   The SQLite pass seeds {{.Events}} events (` + "`-events`" + `) and the MongoDB pass {{.MongoDBEvents}} (` + "`-mongodb-events`" + `), because FerretDB stores events much more slowly and the whole run should stay within about 10 minutes.
   The events are copies of {{.Examples}} example events of a Keptn 0.7 delivery run (configuration change, deployment, tests, evaluation, approval, problem, remediation and others), taken in turn.
   Each copy gets a fresh id, its context's ` + "`shkeptncontext`" + ` and project, and a time 20 to 21 s after the previous event of its context.
   Before measuring, the program checks that each query returns the seeded events, and it stops if one does not.
4. It measures each scenario for {{.Duration}} after {{.Warmup}} of unmeasured warm-up, in both passes.
   {{.Connections}} goroutines share one HTTP/1.1 keep-alive client with one connection each, and each goroutine sends its next request as soon as the previous one returns.
   - ceiling: ` + "`GET /`" + ` on the static server.
   - GET event by keptnContext: ` + "`GET /api/mongodb-datastore/event?keptnContext=C&pageSize=20`" + ` for a random seeded context.
   - GET root events of project: ` + "`GET /api/mongodb-datastore/event?project=P&root=true&pageSize=20`" + ` for a random project.
   - GET evaluation-done by filter: ` + "`GET /api/mongodb-datastore/event/type/sh.keptn.events.evaluation-done?filter=data.project:P%20AND%20data.service:carts&limit=20`" + ` for a random project.
   - POST /api/v1/event (ingest): a configuration-change event without ` + "`shkeptncontext`" + ` for a random project, so every request starts a new keptnContext.
     Only 200 responses count as acknowledged.
   - PUT stage resource, sequential: one connection sends ` + "`PUT /api/configuration-service/v1/project/bench-config/stage/dev/resource/uploads%2Ffile-N.yaml`" + ` for one of 1,000 files with new content, so nearly every upload is a git commit.
     Only 201 responses count.
   - GET service resource: ` + "`GET .../stage/dev/service/carts/resource/helm%2Fvalues.yaml?disableUpstreamSync=true`" + `, a 2 KB file, from all connections.
5. On the SQLite store the server caches the pages of recent event queries.
   The three query scenarios repeat a few thousand distinct queries on a store that nothing writes to while they run, so after the warm-up nearly every query is served from that cache, as a client that polls the datastore is.
   To show what a query costs when it reads the database, the program then restarts keptn-api with ` + "`--query-cache-size 0`" + ` on the same data and runs the three query scenarios again ("cache off").
   Those rows are held to no floor.
   The MongoDB backend has no query cache, so its query rows already read the database, and its pass has no "cache off" rows.

requests/s counts the successful requests that started within the measured time, divided by that time, so for the ingest it is acknowledged events per second.
p50 and p99 are the nearest-rank percentiles of their latencies, measured in the client from sending the request to reading the whole body.
Any other status and every transport error count as errors, in the warm-up too.
"mean response" is the mean body size of the successful responses.
A page of 20 events is several times larger than the ceiling's body, and that difference is part of the ratio.
RSS is ` + "`VmRSS`" + ` of the server process after seeding and ` + "`VmHWM`" + ` (peak RSS) after the last scenario before the restart, both read from ` + "`/proc/PID/status`" + `.
For the FerretDB that the program starts, its own peak RSS is read at the end of its pass.
One MB is 10^6 bytes.

The load generator runs on the same machine as the server it measures, so both compete for the same CPUs.
Figures vary between runs and machines, especially shared ones, so compare the ratios to the ceiling within one run rather than absolute figures across runs.

### What the MongoDB figures mean

By default the MongoDB figures are FerretDB's, not MongoDB's.
FerretDB v1 with its SQLite handler keeps each collection in a SQLite table of JSON documents.
In v1.24 it turns only a filter on ` + "`_id`" + ` alone into SQL, so every other query reads the whole collection and filters and sorts the documents in Go, and the indexes that keptn-api creates do not speed up reads.
The server's connection string also limits it to one connection (` + "`maxPoolSize=1`" + `), because this handler can fail concurrent writes to one database with ` + "`SQLITE_BUSY`" + `.
So these figures show that the MongoDB backend works under load and what it costs on FerretDB; they say little about keptn-api on MongoDB.
To measure a real MongoDB, pass its connection string with ` + "`-mongodb-url`" + `.
Only the SQLite pass is held to the floors.

## How to run

` + "```" + `
make bench
` + "```" + `

runs ` + "`go run ./cmd/keptn-api-bench`" + ` from the repository root.
The run below took {{.Elapsed}} from the build of the server to this report.
Flags can be passed as ` + "`make bench BENCH_FLAGS='-backends sqlite -duration 10s'`" + `:

- ` + "`-backends`" + ` comma-separated backends to measure in turn, ` + "`sqlite`" + ` and ` + "`mongodb`" + ` (default sqlite,mongodb)
- ` + "`-mongodb-url`" + ` MongoDB connection string for the mongodb pass (default empty: start FerretDB); the program never prints it, because it can contain a password
- ` + "`-mongodb-events`" + ` events to seed for the mongodb pass, a multiple of 1000 (default 10000)
- ` + "`-duration`" + ` measured time of each scenario (default 5s)
- ` + "`-warmup`" + ` unmeasured load before each scenario (default 1s)
- ` + "`-connections`" + ` concurrent connections of the load (default 32)
- ` + "`-seed-workers`" + ` concurrent seeding clients (default 32)
- ` + "`-events`" + ` events to seed for the sqlite pass, a multiple of 1000 (default 100000)
- ` + "`-out`" + ` report file (default docs/benchmarks.md), or empty to skip writing it

The program exits with 0 when the measurements ran, whether or not the floors are met.
It exits with 1 when the build, a process start, the seeding or a check of the seeded events failed.

## Floors

These floors apply to the SQLite pass.

- Each query: at least {{.MinQueryRatio}}× the ceiling's requests/s, and p99 at most {{.MaxQueryP99}}.
- Ingest: at least {{.MinIngestRate}} acknowledged events/s.
- Sequential resource uploads: at least {{.MinUploadRate}}/s.
- GET of one resource: at least {{.MinResourceRatio}}× the ceiling's requests/s.
- Server RSS after seeding: at most {{.MaxRSS}}.

## Latest run

- Date: {{.Date}}
- Machine: {{.Machine.CPUModel}}, {{.Machine.CPUs}} logical CPUs, {{.Machine.Memory}}
- Go: {{.Machine.GoVersion}}
- Command: ` + "`{{.Command}}`" + `
{{- if .Comparison}}

### Side by side

Each pass's ratio is to the ceiling measured in that pass.

{{.Comparison}}
{{- end}}
{{- range .Passes}}

### {{.Title}}

Store: {{.Store}}.

{{.ResultTable}}

The run {{.SeedSummary}}.

{{.Memory}}

{{if .FloorTable}}{{.FloorTable}}{{else}}{{.NoFloors}}{{end}}
{{- end}}
`))

// markdown returns docs/benchmarks.md for this run.
func (r report) markdown() string {
	command := "make bench"
	if flags := r.nonDefaultFlags(); flags != "" {
		command = "go run ./cmd/keptn-api-bench " + flags
	}
	examples := 0
	var passes []map[string]any
	for _, p := range r.passes {
		examples = p.examples
		view := map[string]any{
			"Title":       p.title(),
			"Store":       p.store,
			"ResultTable": strings.TrimSuffix(markdownTable(p.tableRows()), "\n"),
			"SeedSummary": p.seed.summary(),
			"Memory":      p.memoryText(),
			"FloorTable":  "",
			"NoFloors":    p.noFloorsText(),
		}
		if p.heldToFloors() {
			view["FloorTable"] = strings.TrimSuffix(markdownTable(p.floorRows()), "\n")
		}
		passes = append(passes, view)
	}
	comparison := ""
	if len(r.passes) > 1 {
		comparison = strings.TrimSuffix(markdownTable(r.comparisonRows()), "\n")
	}

	var b strings.Builder
	err := markdownTemplate.Execute(&b, map[string]any{
		"Events":           r.cfg.events,
		"MongoDBEvents":    r.cfg.mongodbEvents,
		"Examples":         examples,
		"SeedWorkers":      r.cfg.seedWorkers,
		"Projects":         projectCount,
		"EventsPerContext": eventsPerContext,
		"Duration":         r.cfg.duration,
		"Warmup":           r.cfg.warmup,
		"Connections":      r.cfg.connections,
		"MinQueryRatio":    minQueryRatio,
		"MaxQueryP99":      formatMillis(maxQueryP99),
		"MinIngestRate":    minIngestRate,
		"MinUploadRate":    minUploadRate,
		"MinResourceRatio": minResourceRatio,
		"MaxRSS":           formatMegabytes(maxRSSAfterSeed),
		"Date":             r.date.Format("2006-01-02 15:04 UTC"),
		"Elapsed":          r.elapsed.Round(time.Second),
		"Machine": map[string]any{
			"CPUModel":  r.machine.cpuModel,
			"CPUs":      r.machine.cpus,
			"Memory":    r.machine.memory,
			"GoVersion": r.machine.goVersion,
		},
		"Command":    command,
		"Comparison": comparison,
		"Passes":     passes,
	})
	if err != nil {
		// The template and its data are fixed, so this is a defect.
		panic(err)
	}
	return b.String()
}

// nonDefaultFlags returns the flags of this run that differ from their
// defaults, for the command line in the report. The MongoDB connection
// string is replaced by a placeholder, because it can contain a password.
func (r report) nonDefaultFlags() string {
	defaults, _ := parseFlags(nil)
	var flags []string
	if !slices.Equal(r.cfg.backends, defaults.backends) {
		flags = append(flags, "-backends "+strings.Join(r.cfg.backends, ","))
	}
	if r.cfg.mongodbURL != "" {
		flags = append(flags, "-mongodb-url URL")
	}
	if r.cfg.mongodbEvents != defaults.mongodbEvents {
		flags = append(flags, fmt.Sprint("-mongodb-events ", r.cfg.mongodbEvents))
	}
	if r.cfg.duration != defaults.duration {
		flags = append(flags, "-duration "+r.cfg.duration.String())
	}
	if r.cfg.warmup != defaults.warmup {
		flags = append(flags, "-warmup "+r.cfg.warmup.String())
	}
	if r.cfg.connections != defaults.connections {
		flags = append(flags, fmt.Sprint("-connections ", r.cfg.connections))
	}
	if r.cfg.seedWorkers != defaults.seedWorkers {
		flags = append(flags, fmt.Sprint("-seed-workers ", r.cfg.seedWorkers))
	}
	if r.cfg.events != defaults.events {
		flags = append(flags, fmt.Sprint("-events ", r.cfg.events))
	}
	return strings.Join(flags, " ")
}
