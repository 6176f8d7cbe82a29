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
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// config holds the command-line flags.
type config struct {
	duration    time.Duration
	warmup      time.Duration
	connections int
	seedWorkers int
	events      int
	out         string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == ceilingArg {
		os.Exit(serveCeiling())
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
	case cfg.events < eventsPerProjectRound || cfg.events%eventsPerProjectRound != 0:
		return cfg, fmt.Errorf("invalid -events %d: it must be a positive multiple of %d", cfg.events, eventsPerProjectRound)
	}
	return cfg, nil
}

// run is the whole benchmark. The deferred stops end both child processes
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

	srv, err := startServer(ctx, tmp)
	if err != nil {
		return err
	}
	defer srv.stop()

	ceiling, err := startCeiling(ctx)
	if err != nil {
		return err
	}
	defer ceiling.stop()

	client := newClient(cfg.connections, cfg.seedWorkers)
	defer client.CloseIdleConnections()

	plan := newSeedPlan(cfg.events)
	seed, err := seedEvents(ctx, client, srv, plan, cfg.seedWorkers)
	if err != nil {
		return err
	}
	fmt.Println(seed.summary())

	rssAfterSeed, err := readMemory(srv.pid(), "VmRSS")
	if err != nil {
		return err
	}
	if err := verifySeed(ctx, client, srv, plan); err != nil {
		return fmt.Errorf("the seeded events are not served as expected: %w", err)
	}
	fmt.Println("verified the seeded events through the three query endpoints and one POST /api/v1/event")

	results, err := runScenarios(ctx, client, srv, ceiling, plan, cfg)
	if err != nil {
		return err
	}
	if err := srv.alive(); err != nil {
		return err
	}
	peakRSS, err := readMemory(srv.pid(), "VmHWM")
	if err != nil {
		return err
	}

	// The query scenarios repeat a few thousand queries on a store that no
	// one writes to, so after the warm-up nearly every query is a hit of the
	// server's query cache. They run once more on the same data without the
	// cache, to show what a query costs when it reads the database.
	fmt.Println("restarting keptn-api with --query-cache-size 0")
	uncachedSrv, err := srv.restart(ctx, "--query-cache-size", "0")
	if err != nil {
		return err
	}
	defer uncachedSrv.stop()
	uncached, err := runEach(ctx, client, uncachedSrv, ceiling,
		cfg, queryScenarios(uncachedSrv, plan, kindQueryUncached, ", cache off"), uint64(len(results)))
	if err != nil {
		return err
	}
	results = append(results, uncached...)

	rep := report{
		date:         time.Now().UTC(),
		cfg:          cfg,
		machine:      machine,
		seed:         seed,
		results:      results,
		rssAfterSeed: rssAfterSeed,
		peakRSS:      peakRSS,
		elapsed:      time.Since(started),
		examples:     len(plan.templates),
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
