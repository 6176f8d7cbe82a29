package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{backendSQLite, backendMongoDB}; !slices.Equal(cfg.backends, want) {
		t.Errorf("backends %q, expected %q", cfg.backends, want)
	}
	if cfg.mongodbURL != "" {
		t.Errorf("mongodb-url %q, expected empty", cfg.mongodbURL)
	}
	if cfg.mongodbEvents != 5000 {
		t.Errorf("mongodb-events %d, expected 5000", cfg.mongodbEvents)
	}
	if cfg.events != 100_000 {
		t.Errorf("events %d, expected 100000", cfg.events)
	}
}

func TestParseFlagsBackends(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-backends", "sqlite"}, []string{backendSQLite}},
		{[]string{"-backends", "mongodb"}, []string{backendMongoDB}},
		{[]string{"-backends", "mongodb, sqlite"}, []string{backendMongoDB, backendSQLite}},
		{[]string{"-backends", "mongodb", "-mongodb-url", "mongodb://127.0.0.1:27017"}, []string{backendMongoDB}},
	}
	for _, c := range cases {
		cfg, err := parseFlags(c.args)
		if err != nil {
			t.Errorf("parseFlags(%q): %v", c.args, err)
			continue
		}
		if !slices.Equal(cfg.backends, c.want) {
			t.Errorf("parseFlags(%q): backends %q, expected %q", c.args, cfg.backends, c.want)
		}
	}
}

func TestParseFlagsRejectsBackends(t *testing.T) {
	cases := []struct {
		args    []string
		message string // a part of the expected error
	}{
		{[]string{"-backends", ""}, `unknown backend ""`},
		{[]string{"-backends", "postgres"}, `unknown backend "postgres"`},
		{[]string{"-backends", "sqlite,,mongodb"}, `unknown backend ""`},
		{[]string{"-backends", "sqlite,sqlite"}, "sqlite is listed twice"},
		{[]string{"-backends", "sqlite", "-mongodb-url", "mongodb://127.0.0.1:27017"}, "does not include mongodb"},
		{[]string{"-mongodb-events", "1500"}, "invalid -mongodb-events 1500"},
		{[]string{"-mongodb-events", "0"}, "invalid -mongodb-events 0"},
	}
	for _, c := range cases {
		_, err := parseFlags(c.args)
		if err == nil {
			t.Errorf("parseFlags(%q) returned no error", c.args)
			continue
		}
		if !strings.Contains(err.Error(), c.message) {
			t.Errorf("parseFlags(%q): error %q does not contain %q", c.args, err, c.message)
		}
	}
}

// testPass returns a pass with a ceiling of 10,000 requests/s and one
// query at 2,500 requests/s, the given p99.
func testPass(backend string, queryP99 time.Duration) pass {
	return pass{
		backend:  backend,
		store:    backend + " store",
		examples: 12,
		seed:     seedResult{events: 1000, workers: 4, elapsed: time.Second, p50: time.Millisecond, p99: 2 * time.Millisecond},
		results: []result{
			{name: "ceiling: static 2 KB JSON", kind: kindCeiling, requests: 50_000, rate: 10_000},
			{name: "GET event by keptnContext", kind: kindQuery, requests: 12_500, rate: 2500, p50: time.Millisecond, p99: queryP99},
		},
		rssAfterSeed: 50_000_000,
		peakRSS:      90_000_000,
	}
}

func testReport(t *testing.T, args []string, passes ...pass) report {
	t.Helper()
	cfg, err := parseFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	return report{
		date:    time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		cfg:     cfg,
		machine: machine{cpuModel: "Test CPU", cpus: 2, memory: "1.0 GiB RAM", goVersion: "go1.26.8"},
		passes:  passes,
		elapsed: 3 * time.Minute,
	}
}

func TestMarkdownBothBackends(t *testing.T) {
	sqlite := testPass(backendSQLite, 5*time.Millisecond)
	sqlite.results = append(sqlite.results, result{name: "GET event by keptnContext, cache off", kind: kindQueryUncached, requests: 5000, rate: 1000})
	ferret := testPass(backendMongoDB, 900*time.Millisecond)
	ferret.ferretdb = true
	ferret.databasePeakRSS = 60_000_000
	ferret.results[1].rate = 30

	md := testReport(t, nil, sqlite, ferret).markdown()

	checkContains(t, md,
		"Command: `make bench`",
		"### SQLite\n\nStore: sqlite store.",
		"### MongoDB backend on FerretDB\n\nStore: mongodb store.",
		"the MongoDB figures are FerretDB's, not MongoDB's",
		"These figures are FerretDB's, not MongoDB's, and they are not held to the floors.",
		"The SQLite pass seeds 100000 events (`-events`) and the MongoDB pass 5000 (`-mongodb-events`)",
		"FerretDB peak RSS: 60.0 MB.",
		// The side-by-side table: each pass's requests/s and ratio to its own
		// ceiling, and "-" where a pass has no such row.
		"| scenario | SQLite requests/s | SQLite × ceiling | MongoDB backend on FerretDB requests/s | MongoDB backend on FerretDB × ceiling |",
		"| GET event by keptnContext | 2500 | 0.250 | 30 | 0.003 |",
		"| GET event by keptnContext, cache off | 1000 | 0.100 | - | - |",
		"| GET event by keptnContext: p99 latency | ≤ 25.00 ms | 5.00 ms | met |",
	)
	if n := strings.Count(md, "| floor | target | measured | result |"); n != 1 {
		t.Errorf("the report has %d floor tables, expected 1 (the SQLite pass's)", n)
	}
	if strings.Contains(md, "900.00 ms | MISSED") {
		t.Error("the FerretDB pass is held to a floor")
	}
	if strings.Contains(md, "\n\n\n") {
		t.Error("the report has two blank lines in a row")
	}
	if !strings.HasSuffix(md, "not held to the floors.\n") {
		t.Errorf("the report does not end with the last pass and one newline: %q", md[len(md)-40:])
	}
	if strings.Index(md, "### SQLite") > strings.Index(md, "### MongoDB backend on FerretDB") {
		t.Error("the passes are not in run order")
	}
}

func TestMarkdownSQLiteOnly(t *testing.T) {
	md := testReport(t, []string{"-backends", "sqlite", "-events", "2000"}, testPass(backendSQLite, 30*time.Millisecond)).markdown()

	checkContains(t, md,
		"Command: `go run ./cmd/keptn-api-bench -backends sqlite -events 2000`",
		"| GET event by keptnContext: p99 latency | ≤ 25.00 ms | 30.00 ms | MISSED |",
		"The run seeded 1000 events in 1.0 s with 4 workers",
	)
	for _, unwanted := range []string{"### Side by side", "### MongoDB backend"} {
		if strings.Contains(md, unwanted) {
			t.Errorf("the report of a SQLite-only run contains %q", unwanted)
		}
	}
}

func TestReportHidesMongoDBURL(t *testing.T) {
	const password = "s3cret-password"
	p := testPass(backendMongoDB, time.Millisecond)
	rep := testReport(t, []string{"-backends", "mongodb", "-mongodb-url", "mongodb://bench:" + password + "@127.0.0.1:27017/"}, p)

	md, text := rep.markdown(), rep.text()
	for name, out := range map[string]string{"markdown": md, "text": text} {
		if strings.Contains(out, password) {
			t.Errorf("the %s report contains the password of -mongodb-url", name)
		}
	}
	checkContains(t, md, "Command: `go run ./cmd/keptn-api-bench -backends mongodb -mongodb-url URL`")
	checkContains(t, md, "### MongoDB backend on MongoDB")
	checkContains(t, md, "These figures are not held to the floors, which are set for the SQLite default.")
}

func TestTextBothBackends(t *testing.T) {
	ferret := testPass(backendMongoDB, time.Second)
	ferret.ferretdb = true
	text := testReport(t, nil, testPass(backendSQLite, time.Millisecond), ferret).text()

	checkContains(t, text,
		"SQLite: sqlite store",
		"MongoDB backend on FerretDB: mongodb store",
		"These figures are FerretDB's, not MongoDB's",
		"side by side:",
	)
}

// checkContains reports each of wants that out does not contain.
func checkContains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not contain %q:\n%s", want, out)
		}
	}
}

func TestServerInfoDescribe(t *testing.T) {
	cases := []struct {
		info    serverInfo
		started bool
		want    string // a part of the description
	}{
		{serverInfo{version: "7.0.42", ferretdb: true, ferretdbVersion: "unknown"}, true, "with its SQLite handler, started by the benchmark"},
		{serverInfo{version: "7.0.42", ferretdb: true, ferretdbVersion: "v1.24.2"}, false, "FerretDB v1.24.2 at -mongodb-url (reports MongoDB 7.0.42)"},
		{serverInfo{version: "7.0.42", ferretdb: true, ferretdbVersion: "unknown"}, false, "FerretDB of unknown version at -mongodb-url"},
		{serverInfo{version: "8.0.4"}, false, "MongoDB 8.0.4 at -mongodb-url"},
	}
	for _, c := range cases {
		if got := c.info.describe(c.started); !strings.Contains(got, c.want) {
			t.Errorf("describe(%+v, started %t) = %q, expected it to contain %q", c.info, c.started, got, c.want)
		}
	}
}
