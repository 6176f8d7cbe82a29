// Command keptn-api serves the Keptn 0.7 control-plane API: the api,
// configuration-service and mongodb-datastore collections under /api, on an
// embedded SQLite store and one git repository per project in its data
// directory.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	flags "github.com/jessevdk/go-flags"

	"github.com/keptn-api/keptn-api/internal/logstream"
	"github.com/keptn-api/keptn-api/internal/server"
	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/gitrepo"
	"github.com/keptn-api/keptn-api/store/mongodb"
	"github.com/keptn-api/keptn-api/store/sqlite"
)

// options are the command-line flags; each has an environment variable.
type options struct {
	Host             string        `long:"host" env:"KEPTN_HOST" default:"127.0.0.1" description:"address to listen on"`
	Port             int           `long:"port" env:"KEPTN_PORT" default:"8080" description:"TCP port to listen on (0 picks a free one)"`
	DataDir          string        `long:"data-dir" env:"KEPTN_DATA_DIR" default:"keptn-data" description:"directory of the event database, the git repositories, the bridge credentials and the generated API token"`
	APIToken         string        `long:"api-token" env:"KEPTN_API_TOKEN" description:"API token clients send in the x-token header; without it, one is generated once and kept in the data directory"`
	LogLevel         string        `long:"log-level" env:"KEPTN_LOG_LEVEL" default:"info" choice:"debug" choice:"info" choice:"warn" choice:"error" description:"minimum level of log records"`
	MaxBodySize      int64         `long:"max-body-size" env:"KEPTN_MAX_BODY_SIZE" default:"67108864" description:"maximum request body in bytes; larger bodies get a 413"`
	ShutdownTimeout  time.Duration `long:"shutdown-timeout" env:"KEPTN_SHUTDOWN_TIMEOUT" default:"30s" description:"how long a SIGTERM waits for requests in flight and then for log websocket connections to close"`
	QueryCacheSize   int64         `long:"query-cache-size" env:"KEPTN_QUERY_CACHE_SIZE" default:"33554432" description:"memory in bytes for the pages of recent event queries on the SQLite store, which polling clients repeat; 0 turns the cache off"`
	MongoDBURL       string        `long:"mongodb-url" env:"MONGODB_URL" description:"MongoDB connection string; when set, events and the configuration view are kept in MongoDB in the Keptn 0.7 layout instead of the embedded SQLite database"`
	MongoDBDatabase  string        `long:"mongodb-database" env:"MONGODB_DATABASE" description:"MongoDB database to use (default: the one named in --mongodb-url, else keptn)"`
	WebsocketBuffer  int64         `long:"websocket-buffer-size" env:"KEPTN_WEBSOCKET_BUFFER_SIZE" default:"67108864" description:"memory in bytes for the log messages kept for websocket listeners; beyond it the oldest messages are dropped"`
	WebsocketConns   int           `long:"websocket-max-connections" env:"KEPTN_WEBSOCKET_MAX_CONNECTIONS" default:"1000" description:"maximum open log websocket connections; more get a 503"`
	FileUpstreamRoot string        `long:"file-upstream-root" env:"KEPTN_FILE_UPSTREAM_ROOT" description:"directory below which projects may have file:// git upstreams; without it, file:// upstreams are rejected"`
}

func main() {
	var opts options
	if _, err := flags.Parse(&opts); err != nil {
		var ferr *flags.Error
		if errors.As(err, &ferr) && ferr.Type == flags.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "keptn-api:", err)
		os.Exit(1)
	}
}

// run serves until ctx is canceled, then drains requests in flight and
// closes the store.
func run(ctx context.Context, opts options, stdout io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.LogLevel)); err != nil {
		return fmt.Errorf("invalid --log-level %q: %w", opts.LogLevel, err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if opts.Host == "" {
		return errors.New("invalid --host \"\": name an address, such as 127.0.0.1, or 0.0.0.0 to listen on every interface")
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	unlock, err := lockDataDir(opts.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	if opts.QueryCacheSize < 0 {
		return fmt.Errorf("invalid --query-cache-size %d: it must be 0 (off) or a positive number of bytes", opts.QueryCacheSize)
	}
	if opts.WebsocketBuffer <= 0 {
		return fmt.Errorf("invalid --websocket-buffer-size %d: it must be a positive number of bytes", opts.WebsocketBuffer)
	}
	if opts.WebsocketConns <= 0 {
		return fmt.Errorf("invalid --websocket-max-connections %d: it must be a positive number", opts.WebsocketConns)
	}
	token, generated, err := apiToken(opts)
	if err != nil {
		return err
	}

	events, err := openEvents(ctx, opts, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := events.Close(); err != nil {
			log.Error("closing the event store failed", "error", err)
		}
	}()

	repos, err := gitrepo.Open(filepath.Join(opts.DataDir, "repos"), gitrepo.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if err := repos.Close(); err != nil {
			log.Error("closing the git repositories failed", "error", err)
		}
	}()

	logs := logstream.NewHub(log, logstream.Limits{MaxBufferedBytes: opts.WebsocketBuffer, MaxConnections: opts.WebsocketConns})
	router, _, err := server.New(server.Config{
		APIToken:         token,
		MaxBodyBytes:     opts.MaxBodySize,
		Events:           events,
		Projects:         events,
		Repositories:     repos,
		DataDir:          opts.DataDir,
		FileUpstreamRoot: opts.FileUpstreamRoot,
		Logs:             logs,
		Log:              log,
	})
	if err != nil {
		return err
	}

	listener, err := net.Listen("tcp", net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port)))
	if err != nil {
		return err
	}
	endpoint := "http://" + listener.Addr().String() + "/api"
	if generated {
		printFirstStart(stdout, endpoint, tokenPath(opts.DataDir))
	}
	backend := "sqlite"
	if opts.MongoDBURL != "" {
		backend = "mongodb"
	}
	log.Info("keptn-api started", "endpoint", endpoint, "data_dir", opts.DataDir, "store", backend, "version", server.KeptnVersion)

	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down", "timeout", opts.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	drainErr := srv.Shutdown(shutdownCtx)
	// Shutdown leaves the hijacked websocket connections open. Closing them
	// after the requests lets a listener receive the last lines of a
	// workflow that was in flight.
	closeErr := logs.Close(shutdownCtx)
	if drainErr != nil {
		return fmt.Errorf("drain requests: %w", drainErr)
	}
	if closeErr != nil {
		return closeErr
	}
	log.Info("keptn-api stopped")
	return nil
}

// eventStore keeps the events and the configuration view.
type eventStore interface {
	store.Events
	store.Projects
}

// openEvents opens the MongoDB store when --mongodb-url is set, else the
// SQLite file in the data directory. The MongoDB store returns at once and
// connects in the background, so the server starts while MongoDB is down
// and returns 503 until it is reachable.
func openEvents(ctx context.Context, opts options, log *slog.Logger) (eventStore, error) {
	if opts.MongoDBURL == "" {
		cacheBytes := opts.QueryCacheSize
		if cacheBytes == 0 {
			cacheBytes = -1 // sqlite.Options turns the cache off with a negative size
		}
		return sqlite.Open(ctx, filepath.Join(opts.DataDir, "events.db"), sqlite.Options{ResultCacheBytes: cacheBytes})
	}
	s, err := mongodb.Open(opts.MongoDBURL, mongodb.Options{
		Database: opts.MongoDBDatabase,
		Logger:   log.With("store", "mongodb"),
	})
	if err != nil {
		return nil, fmt.Errorf("--mongodb-url, --mongodb-database: %w", err)
	}
	return s, nil
}

func printFirstStart(w io.Writer, endpoint, path string) {
	fmt.Fprintf(w, `keptn-api generated an API token and stored it in %s.
Endpoint: %s
Authenticate every request with the x-token header, for example:
  curl -X POST -H "x-token: $(cat %s)" %s/v1/auth
`, path, endpoint, path, endpoint)
}
