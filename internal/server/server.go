// Package server composes the three Keptn collections into one http.Handler
// with the gateway layout of a Keptn 0.7 installation: each collection at its
// public prefix under /api, the Swagger UI and specs, and a liveness probe.
package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/keptn-api/keptn-api/handlers"
	"github.com/keptn-api/keptn-api/internal/bridge"
	"github.com/keptn-api/keptn-api/internal/configsvc"
	"github.com/keptn-api/keptn-api/internal/eventbus"
	"github.com/keptn-api/keptn-api/internal/httpx"
	"github.com/keptn-api/keptn-api/internal/keptn"
	"github.com/keptn-api/keptn-api/internal/logstream"
	"github.com/keptn-api/keptn-api/internal/swaggerui"
	"github.com/keptn-api/keptn-api/internal/workflow"
	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/swagger"
)

// KeptnVersion is the Keptn release whose API this server implements. GET
// /api/v1/metadata reports it, and Keptn clients compare it with their own.
const KeptnVersion = "0.7.3"

// Public prefixes of the collections, as the Keptn gateway exposes them.
const (
	apiPrefix           = "/api"
	configurationPrefix = "/api/configuration-service"
	datastorePrefix     = "/api/mongodb-datastore"
)

// Config holds what the router needs.
type Config struct {
	// APIToken is the shared secret clients send in the x-token header.
	APIToken string
	// MaxBodyBytes caps request bodies; larger ones get a JSON 413.
	MaxBodyBytes int64
	Events       store.Events
	// Projects and Repositories hold the configuration view and the git
	// repositories of the configuration-service collection.
	Projects     store.Projects
	Repositories store.Repositories
	// DataDir is the data directory: it holds the bridge credentials file,
	// and no git upstream may lie in it.
	DataDir string
	// FileUpstreamRoot is the directory below which file:// git upstreams
	// may lie; when it is empty, file:// upstreams are rejected.
	FileUpstreamRoot string
	// Logs routes the messages of the log websocket. New creates a hub
	// with the default limits when it is nil. A caller that passes one can close the websocket
	// connections on shutdown with Logs.Close.
	Logs *logstream.Hub
	Log  *slog.Logger
}

// New returns the composite router and the event bus that every accepted
// event passes through.
func New(cfg Config) (http.Handler, *eventbus.Bus, error) {
	signer, err := keptn.NewTokenSigner(cfg.APIToken)
	if err != nil {
		return nil, nil, err
	}
	if cfg.MaxBodyBytes <= 0 {
		return nil, nil, fmt.Errorf("invalid body limit %d: it must be positive", cfg.MaxBodyBytes)
	}
	if cfg.Events == nil || cfg.Projects == nil || cfg.Repositories == nil {
		return nil, nil, fmt.Errorf("server config: the events, projects and repositories stores are required")
	}
	if cfg.DataDir == "" {
		return nil, nil, fmt.Errorf("server config: the data directory is required")
	}
	auth := httpx.NewTokenAuth(cfg.APIToken)
	bus := eventbus.New(cfg.Events, cfg.Log)
	configuration, err := configsvc.New(cfg.Repositories, cfg.Projects, cfg.Log,
		configsvc.Options{DataDir: cfg.DataDir, FileUpstreamRoot: cfg.FileUpstreamRoot})
	if err != nil {
		return nil, nil, err
	}
	bus.Subscribe(configuration.Subscriber())

	logs := cfg.Logs
	if logs == nil {
		logs = logstream.NewHub(cfg.Log, logstream.Limits{})
	}
	flows := workflow.New(configuration, bus, logs, signer, cfg.Log)
	apiHandler, err := handlers.NewAPI(bus, cfg.Events, signer, KeptnVersion, cfg.Log).
		WithWorkflows(flows, bridge.NewStore(cfg.DataDir)).
		Handler(auth)
	if err != nil {
		return nil, nil, err
	}
	configurationHandler, err := handlers.NewConfiguration(configuration, bus, cfg.Log).Handler(auth)
	if err != nil {
		return nil, nil, err
	}
	datastoreHandler, err := handlers.NewDatastore(bus, cfg.Events, cfg.Log).Handler(auth)
	if err != nil {
		return nil, nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", health)
	mux.HandleFunc("GET /nginx-health", nginxHealth)
	mux.Handle("/", notFoundHandler())
	mux.Handle(apiPrefix+"/{$}", http.RedirectHandler(apiPrefix+"/swagger-ui/", http.StatusMovedPermanently))
	mux.Handle(apiPrefix, http.RedirectHandler(apiPrefix+"/swagger-ui/", http.StatusMovedPermanently))

	specs := []struct {
		prefix, base string
		raw          []byte
	}{
		{apiPrefix, "/api/v1", swagger.API},
		{configurationPrefix, "/api/configuration-service/v1", swagger.ConfigurationService},
		{datastorePrefix, "/api/mongodb-datastore", swagger.MongoDBDatastore},
	}
	for _, s := range specs {
		published, err := swaggerui.PublishSpec(s.raw, s.base)
		if err != nil {
			return nil, nil, fmt.Errorf("publish spec of %s: %w", s.prefix, err)
		}
		mux.Handle("GET "+s.prefix+"/swagger-ui/swagger.yaml", swaggerui.SpecHandler(published))
	}
	mux.Handle("GET "+apiPrefix+"/swagger-ui/", http.StripPrefix(apiPrefix+"/swagger-ui", swaggerui.Handler()))

	mux.Handle(configurationPrefix+"/", auth.Wrap(stripPrefix(configurationPrefix, configurationHandler)))
	mux.Handle(datastorePrefix+"/", auth.Wrap(stripPrefix(datastorePrefix, datastoreHandler)))
	// The log websocket checks the eventContext token instead of x-token,
	// as in Keptn 0.7.
	mux.Handle("GET "+apiPrefix+"/websocket", logs.Handler(signer))
	mux.Handle(apiPrefix+"/v1/auth", auth.Wrap(asAuthCall(stripPrefix(apiPrefix, apiHandler))))
	mux.Handle(apiPrefix+"/", auth.Wrap(stripPrefix(apiPrefix, apiHandler)))

	var h http.Handler = rejectDotSegments(mux)
	h = httpx.LimitBody(cfg.MaxBodyBytes, h)
	h = httpx.Recover(cfg.Log, h)
	h = httpx.AccessLog(cfg.Log, h)
	h = httpx.WithRequestID(h)
	return h, bus, nil
}

func health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"OK"}` + "\n"))
}

// nginxHealth is the liveness probe of the Keptn 0.7 gateway, which
// answered it with a plain "OK".
func nginxHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("OK\n"))
}

func notFoundHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, http.StatusNotFound, fmt.Sprintf("path %s was not found", r.URL.Path))
	})
}

// stripPrefix removes a collection's public prefix, as the Keptn gateway
// does, and a trailing slash, which some Keptn clients add to list calls
// (GET .../v1/project/ is GET .../v1/project). It works on the escaped path,
// so that an encoded slash (%2F) inside a segment stays part of it.
func stripPrefix(prefix string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		escaped := trimPath(r.URL.EscapedPath(), prefix)
		path, err := url.PathUnescape(escaped)
		if err != nil {
			httpx.WriteError(w, http.StatusBadRequest, fmt.Sprintf("invalid path %q: %v", r.URL.EscapedPath(), err))
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.Path = path
		r2.URL.RawPath = ""
		if escaped != path {
			r2.URL.RawPath = escaped
		}
		next.ServeHTTP(w, r2)
	})
}

func trimPath(path, prefix string) string {
	path = strings.TrimPrefix(path, prefix)
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if path == "" {
		path = "/"
	}
	return path
}

// rejectDotSegments rejects with a 400 a path with an empty, "." or ".."
// segment. ServeMux would otherwise redirect it to the cleaned path, which
// can name another resource than the one the client wrote to: a PUT to
// .../stage/dev/resource/../../resource/x would land on the project. Segments
// are those of the escaped path, so a resourceURI with %2F-encoded slashes
// stays one segment and gets the handlers' own, more specific message.
func rejectDotSegments(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		escaped := r.URL.EscapedPath()
		segments := strings.Split(strings.TrimSuffix(strings.TrimPrefix(escaped, "/"), "/"), "/")
		for _, s := range segments {
			decoded, err := url.PathUnescape(s)
			if err != nil || (decoded == "" && escaped != "/") || decoded == "." || decoded == ".." {
				httpx.WriteError(w, http.StatusBadRequest,
					fmt.Sprintf("invalid path %q: it contains an empty, \".\" or \"..\" segment", escaped))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// asAuthCall turns any request to /api/v1/auth into a POST without a body,
// as the Keptn gateway forwards it: some clients check the token with GET.
func asAuthCall(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.Method = http.MethodPost
		r2.Body = http.NoBody
		r2.ContentLength = 0
		r2.Header.Del("Content-Type")
		next.ServeHTTP(w, r2)
	})
}
