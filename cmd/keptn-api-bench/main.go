// Command keptn-api-bench measures keptn-api on loopback. It builds and starts
// the server and seeds it with Keptn events. Then it runs a fixed-duration
// load against a static "ceiling" server and against six keptn-api
// endpoints, prints the results with the performance floors, and writes them
// to docs/benchmarks.md.
//
// Run it from inside the module, usually as `make bench`. It exits 0 when the
// measurements ran, whether or not the floors are met, and 1 when the setup
// failed: the build, a process start, the seeding or a result check.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Backend names of the -backends flag.
const (
	backendSQLite  = "sqlite"
	backendMongoDB = "mongodb"
)

// config holds the command-line flags.
type config struct {
	duration    time.Duration
	warmup      time.Duration
	connections int
	seedWorkers int
	events      int
	out         string
	// backends lists the store backends to measure, in order, each once.
	backends []string
	// mongodbURL is the MongoDB server of the mongodb pass. Empty starts
	// FerretDB. It may contain a password, so it is never printed.
	mongodbURL    string
	mongodbEvents int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == ceilingArg {
		os.Exit(serveCeiling())
	}
	if len(os.Args) == 3 && os.Args[1] == ferretdbArg {
		os.Exit(serveFerretDB(os.Args[2]))
	}

	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "keptn-api-bench:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "keptn-api-bench:", err)
		stop()
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("keptn-api-bench", flag.ContinueOnError)
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured time of each scenario")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured load before each scenario")
	fs.IntVar(&cfg.connections, "connections", 32, "concurrent keep-alive connections of the load generator")
	fs.IntVar(&cfg.seedWorkers, "seed-workers", 32, "concurrent clients that seed the events")
	fs.IntVar(&cfg.events, "events", 100_000, "events to seed: a multiple of 1000 (10 projects, 100 events per keptnContext)")
	fs.StringVar(&cfg.out, "out", "docs/benchmarks.md", "Markdown report to overwrite, relative to the current directory; empty skips it")
	backends := fs.String("backends", backendSQLite+","+backendMongoDB, "comma-separated store backends to measure in turn: sqlite, mongodb")
	fs.StringVar(&cfg.mongodbURL, "mongodb-url", "", "MongoDB connection string for the mongodb backend; empty starts FerretDB v1 (SQLite handler) on loopback in a temporary directory")
	// NOTE: FerretDB's queries slow down with the size of a collection. At
	// 5000 events a query by keptnContext took about 6 s at 32 connections
	// on a 2-CPU machine, so a much larger default would let requests reach
	// requestTimeout and count as errors.
	fs.IntVar(&cfg.mongodbEvents, "mongodb-events", 5000, "events to seed for the mongodb backend: a multiple of 1000")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q: every setting is a flag, see -help", fs.Arg(0))
	}

	switch {
	case cfg.duration <= 0:
		return cfg, fmt.Errorf("invalid -duration %s: it must be positive", cfg.duration)
	case cfg.warmup < 0:
		return cfg, fmt.Errorf("invalid -warmup %s: it must not be negative", cfg.warmup)
	case cfg.connections < 1:
		return cfg, fmt.Errorf("invalid -connections %d: it must be at least 1", cfg.connections)
	case cfg.seedWorkers < 1:
		return cfg, fmt.Errorf("invalid -seed-workers %d: it must be at least 1", cfg.seedWorkers)
	case !validEventCount(cfg.events):
		return cfg, fmt.Errorf("invalid -events %d: it must be a positive multiple of %d", cfg.events, eventsPerProjectRound)
	case !validEventCount(cfg.mongodbEvents):
		return cfg, fmt.Errorf("invalid -mongodb-events %d: it must be a positive multiple of %d", cfg.mongodbEvents, eventsPerProjectRound)
	}
	var err error
	if cfg.backends, err = parseBackends(*backends); err != nil {
		return cfg, err
	}
	if cfg.mongodbURL != "" && !slices.Contains(cfg.backends, backendMongoDB) {
		return cfg, fmt.Errorf("-mongodb-url is set, but -backends %q does not include %s", *backends, backendMongoDB)
	}
	return cfg, nil
}

func validEventCount(n int) bool {
	return n >= eventsPerProjectRound && n%eventsPerProjectRound == 0
}

// parseBackends splits the -backends list and checks each name.
func parseBackends(list string) ([]string, error) {
	var backends []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name != backendSQLite && name != backendMongoDB:
			return nil, fmt.Errorf("invalid -backends %q: unknown backend %q, expected %s or %s", list, name, backendSQLite, backendMongoDB)
		case slices.Contains(backends, name):
			return nil, fmt.Errorf("invalid -backends %q: %s is listed twice", list, name)
		}
		backends = append(backends, name)
	}
	return backends, nil
}

// run is the whole benchmark. The deferred stops end the child processes
// and remove the temporary directory on every return path.
func run(ctx context.Context, cfg config) error {
	started := time.Now()
	machine := readMachine()
	fmt.Printf("machine: %s, %d logical CPUs, %s, %s\n", machine.cpuModel, machine.cpus, machine.memory, machine.goVersion)

	tmp, err := os.MkdirTemp("", "keptn-api-bench-")
	if err != nil {
		return fmt.Errorf("create temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	bin, err := buildServer(ctx, tmp)
	if err != nil {
		return err
	}
	ceiling, err := startCeiling(ctx)
	if err != nil {
		return err
	}
	defer ceiling.stop()

	client := newClient(cfg.connections, cfg.seedWorkers)
	defer client.CloseIdleConnections()

	var passes []pass
	for _, backend := range cfg.backends {
		fmt.Printf("\n== backend %s\n", backend)
		var p pass
		switch backend {
		case backendSQLite:
			p, err = runPass(ctx, client, ceiling, cfg, passSetup{
				backend:    backendSQLite,
				store:      "SQLite in the data directory",
				events:     cfg.events,
				bin:        bin,
				dataDir:    filepath.Join(tmp, "sqlite-data"),
				queryCache: true,
			})
		case backendMongoDB:
			p, err = runMongoDBPass(ctx, client, ceiling, cfg, bin, tmp)
		}
		if err != nil {
			return fmt.Errorf("backend %s: %w", backend, err)
		}
		passes = append(passes, p)
	}

	rep := report{
		date:    time.Now().UTC(),
		cfg:     cfg,
		machine: machine,
		passes:  passes,
		elapsed: time.Since(started),
	}
	fmt.Println()
	fmt.Print(rep.text())

	if cfg.out != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
		if err := os.WriteFile(cfg.out, []byte(rep.markdown()), 0o644); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
		fmt.Printf("\nwrote %s\n", cfg.out)
	}
	return nil
}

// passSetup is the server binary, data directory and store of one
// backend's pass.
type passSetup struct {
	backend string
	// store describes where the server keeps events, for the report.
	store   string
	events  int
	bin     string
	dataDir string
	// env is added to the server's environment. It carries the MongoDB
	// connection string, which stays out of the process list that way.
	env []string
	// queryCache is true when the server caches event queries, which it
	// does on the SQLite store only. The pass then measures the queries
	// again with the cache off.
	queryCache bool
}

// runPass starts keptn-api on one backend, seeds it, checks the seeded
// events and runs every scenario. With setup.queryCache it then restarts
// the server without its query cache and runs the query scenarios again.
// The server is stopped on return.
func runPass(ctx context.Context, client *http.Client, ceiling *ceiling, cfg config, setup passSetup) (pass, error) {
	srv, err := startServer(ctx, setup.bin, setup.dataDir, setup.env)
	if err != nil {
		return pass{}, err
	}
	defer srv.stop()

	plan := newSeedPlan(setup.events)
	seed, err := seedEvents(ctx, client, srv, plan, cfg.seedWorkers)
	if err != nil {
		return pass{}, err
	}
	fmt.Println(seed.summary())

	rssAfterSeed, err := readMemory(srv.pid(), "VmRSS")
	if err != nil {
		return pass{}, err
	}
	if err := verifySeed(ctx, client, srv, plan); err != nil {
		return pass{}, fmt.Errorf("the seeded events are not served as expected: %w", err)
	}
	fmt.Println("verified the seeded events through the three query endpoints and one POST /api/v1/event")

	results, err := runScenarios(ctx, client, srv, ceiling, plan, cfg)
	if err != nil {
		return pass{}, err
	}
	if err := srv.alive(); err != nil {
		return pass{}, err
	}
	peakRSS, err := readMemory(srv.pid(), "VmHWM")
	if err != nil {
		return pass{}, err
	}

	p := pass{
		backend:      setup.backend,
		store:        setup.store,
		examples:     len(plan.templates),
		seed:         seed,
		results:      results,
		rssAfterSeed: rssAfterSeed,
		peakRSS:      peakRSS,
	}
	if !setup.queryCache {
		return p, nil
	}

	// The query scenarios repeat a few thousand queries on a store that no
	// one writes to, so after the warm-up nearly every query is a hit of the
	// server's query cache. They run once more on the same data without the
	// cache, to show what a query costs when it reads the database.
	fmt.Println("restarting keptn-api with --query-cache-size 0")
	uncachedSrv, err := srv.restart(ctx, "--query-cache-size", "0")
	if err != nil {
		return pass{}, err
	}
	defer uncachedSrv.stop()
	uncached, err := runEach(ctx, client, uncachedSrv, ceiling,
		cfg, queryScenarios(uncachedSrv, plan, kindQueryUncached, ", cache off"), uint64(len(results)))
	if err != nil {
		return pass{}, err
	}

	p.results = append(p.results, uncached...)
	return p, nil
}
