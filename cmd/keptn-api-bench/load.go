package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// requestTimeout bounds one request, so that a stalled server cannot hold a
// worker past the end of its scenario by more than this.
const requestTimeout = 10 * time.Second

// newClient returns the one HTTP client of the benchmark: keep-alive, HTTP/1.1,
// no proxy (every address is loopback) and no compression, with a connection
// for each concurrent worker.
func newClient(connections, seedWorkers int) *http.Client {
	perHost := max(connections, seedWorkers)
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			MaxIdleConns:        2 * perHost, // the ceiling and keptn-api
			MaxIdleConnsPerHost: perHost,
			MaxConnsPerHost:     perHost,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// send sends one request and returns the status and the whole body.
func send(ctx context.Context, client *http.Client, method, url, token string, body []byte) (int, []byte, error) {
	req, err := newRequest(ctx, method, url, token, body)
	if err != nil {
		return 0, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read the response: %w", method, url, err)
	}
	return resp.StatusCode, reply, nil
}

func newRequest(ctx context.Context, method, url, token string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("x-token", token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// snippet shortens a response body for an error message.
func snippet(body []byte) string {
	const maxLen = 300
	if len(body) > maxLen {
		return string(body[:maxLen]) + "..."
	}
	return string(body)
}

func contextQueryURL(base, keptnContext string) string {
	return base + "/api/mongodb-datastore/event?keptnContext=" + url.QueryEscape(keptnContext) + "&pageSize=20"
}

func rootQueryURL(base, project string) string {
	return base + "/api/mongodb-datastore/event?project=" + url.QueryEscape(project) + "&root=true&pageSize=20"
}

func typeQueryURL(base, project string) string {
	filter := "data.project:" + project + " AND data.service:carts"
	return base + "/api/mongodb-datastore/event/type/" + evaluationDoneType +
		"?filter=" + url.PathEscape(filter) + "&limit=20"
}

// scenarioKind selects the floors a scenario is held to.
type scenarioKind int

const (
	kindCeiling scenarioKind = iota
	kindQuery
	kindIngest
	kindUpload
	kindResourceRead
	// kindQueryUncached is a query on a server without its query cache. It
	// is reported next to the cached figures and held to no floor.
	kindQueryUncached
)

// scenario is one load: each request picks one of urls and, for a POST, one
// of bodies at random.
type scenario struct {
	name   string
	kind   scenarioKind
	method string
	urls   []string
	bodies [][]byte
	// success is the only status that counts as served. Any other status
	// and every transport error count as errors.
	success int
	// connections overrides cfg.connections when it is not 0.
	connections int
}

// result is the outcome of one scenario. Rates and latencies count only the
// successful requests sent during the measured time; errors also count the
// warm-up.
type result struct {
	name     string
	kind     scenarioKind
	requests int
	rate     float64 // successful requests per second
	p50, p99 time.Duration
	// meanBytes is the mean size of a successful response body.
	meanBytes  float64
	errors     int
	firstError string
}

// workerStats is the record of one load goroutine.
type workerStats struct {
	latencies  []time.Duration
	bytes      int64
	errors     int
	firstError string
}

func (w *workerStats) fail(err error) {
	w.errors++
	if w.firstError == "" {
		w.firstError = err.Error()
	}
}

// runScenarios runs the ceiling, the three queries and the ingest, in that
// order, so that the ingested events cannot change what the queries read.
// queryScenarios returns the three datastore query scenarios, each with
// suffix appended to its name.
func queryScenarios(srv *server, plan *seedPlan, kind scenarioKind, suffix string) []scenario {
	var contextURLs, rootURLs, typeURLs []string
	for _, c := range plan.contexts {
		contextURLs = append(contextURLs, contextQueryURL(srv.baseURL, c.id))
	}
	for _, p := range plan.projects {
		rootURLs = append(rootURLs, rootQueryURL(srv.baseURL, p))
		typeURLs = append(typeURLs, typeQueryURL(srv.baseURL, p))
	}
	return []scenario{
		{name: "GET event by keptnContext" + suffix, kind: kind, method: http.MethodGet,
			urls: contextURLs, success: http.StatusOK},
		{name: "GET root events of project" + suffix, kind: kind, method: http.MethodGet,
			urls: rootURLs, success: http.StatusOK},
		{name: "GET evaluation-done by filter" + suffix, kind: kind, method: http.MethodGet,
			urls: typeURLs, success: http.StatusOK},
	}
}

func runScenarios(ctx context.Context, client *http.Client, srv *server, ceil *ceiling, plan *seedPlan, cfg config) ([]result, error) {
	ingest, err := plan.ingestBodies()
	if err != nil {
		return nil, err
	}
	readURL, err := setupResources(ctx, client, srv)
	if err != nil {
		return nil, fmt.Errorf("set up the resource scenarios: %w", err)
	}
	uploadURLs, uploadBodies := uploadTargets(srv)

	scenarios := []scenario{
		{name: "ceiling: static 2 KB JSON", kind: kindCeiling, method: http.MethodGet,
			urls: []string{ceil.baseURL + "/"}, success: http.StatusOK},
	}
	scenarios = append(scenarios, queryScenarios(srv, plan, kindQuery, "")...)
	scenarios = append(scenarios, []scenario{
		{name: "POST /api/v1/event (ingest)", kind: kindIngest, method: http.MethodPost,
			urls: []string{srv.baseURL + "/api/v1/event"}, bodies: ingest, success: http.StatusOK},
		{name: "PUT stage resource, sequential", kind: kindUpload, method: http.MethodPut,
			urls: uploadURLs, bodies: uploadBodies, success: http.StatusCreated, connections: 1},
		{name: "GET service resource", kind: kindResourceRead, method: http.MethodGet,
			urls: []string{readURL}, success: http.StatusOK},
	}...)
	return runEach(ctx, client, srv, ceil, cfg, scenarios, 0)
}

// runEach runs scenarios in turn. seedBase offsets the random seeds, so that
// two calls do not repeat one sequence of requests.
func runEach(ctx context.Context, client *http.Client, srv *server, ceil *ceiling, cfg config, scenarios []scenario, seedBase uint64) ([]result, error) {
	var results []result
	for i, sc := range scenarios {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted: %w", err)
		}
		if err := ceil.alive(); err != nil {
			return nil, err
		}
		if err := srv.alive(); err != nil {
			return nil, err
		}
		r := sc.run(ctx, client, srv.token, cfg, seedBase+uint64(i))
		fmt.Printf("%-32s %9.0f req/s  p50 %8s  p99 %8s  errors %d\n",
			r.name, r.rate, formatMillis(r.p50), formatMillis(r.p99), r.errors)
		if r.firstError != "" {
			fmt.Printf("  first error: %s\n", r.firstError)
		}
		results = append(results, r)
	}
	return results, nil
}

// run loads the target from cfg.connections goroutines (or sc.connections) for cfg.warmup plus
// cfg.duration. A request counts when it starts inside the measured time.
// No request starts after its end, and run waits for the requests still
// running then, each for at most requestTimeout.
func (sc scenario) run(ctx context.Context, client *http.Client, token string, cfg config, stream uint64) result {
	start := time.Now()
	measureFrom := start.Add(cfg.warmup)
	end := measureFrom.Add(cfg.duration)

	connections := cfg.connections
	if sc.connections != 0 {
		connections = sc.connections
	}
	stats := make([]workerStats, connections)
	done := make(chan struct{})
	for w := range connections {
		go func() {
			defer func() { done <- struct{}{} }()
			rng := rand.New(rand.NewPCG(randomSeed+stream, uint64(w)))
			sc.work(ctx, client, token, rng, measureFrom, end, &stats[w])
		}()
	}
	for range connections {
		<-done
	}

	r := result{name: sc.name, kind: sc.kind}
	var latencies []time.Duration
	var bytes int64
	for i := range stats {
		latencies = append(latencies, stats[i].latencies...)
		bytes += stats[i].bytes
		r.errors += stats[i].errors
		if r.firstError == "" {
			r.firstError = stats[i].firstError
		}
	}
	slices.Sort(latencies)
	r.requests = len(latencies)
	r.rate = float64(r.requests) / cfg.duration.Seconds()
	r.p50 = percentile(latencies, 0.50)
	r.p99 = percentile(latencies, 0.99)
	if r.requests > 0 {
		r.meanBytes = float64(bytes) / float64(r.requests)
	}
	return r
}

// work is the loop of one load goroutine, which sends one request at a time
// until end.
func (sc scenario) work(ctx context.Context, client *http.Client, token string, rng *rand.Rand, measureFrom, end time.Time, st *workerStats) {
	for {
		t0 := time.Now()
		if !t0.Before(end) || ctx.Err() != nil {
			return
		}
		target := sc.urls[rng.IntN(len(sc.urls))]
		var body []byte
		if len(sc.bodies) > 0 {
			body = sc.bodies[rng.IntN(len(sc.bodies))]
		}
		req, err := newRequest(ctx, sc.method, target, token, body)
		if err != nil {
			st.fail(err)
			continue
		}

		resp, err := client.Do(req)
		if err != nil {
			st.fail(err)
			continue
		}
		var n int64
		if resp.StatusCode == sc.success {
			n, err = io.Copy(io.Discard, resp.Body)
		} else {
			reply, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			err = fmt.Errorf("%s %s returned %d, expected %d: %s", sc.method, target, resp.StatusCode, sc.success, reply)
			// Drain the rest so that the connection can be reused.
			_, _ = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
		latency := time.Since(t0)
		if err != nil {
			st.fail(err)
			continue
		}
		if !t0.Before(measureFrom) {
			st.latencies = append(st.latencies, latency)
			st.bytes += n
		}
	}
}

// percentile returns the nearest-rank percentile p (0 to 1) of sorted, or 0
// when it is empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// formatMillis formats d in milliseconds with two decimals.
func formatMillis(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}
