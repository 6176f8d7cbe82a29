package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keptn-api/keptn-api/internal/server"
	"github.com/keptn-api/keptn-api/store/gitrepo"
	"github.com/keptn-api/keptn-api/store/sqlite"
)

// benchRouter returns the composite router on a store seeded with contexts
// × perContext events of one project, called in process so that profiles
// show the server's own work per request.
func benchRouter(b *testing.B, contexts, perContext int) http.Handler {
	b.Helper()
	events, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { events.Close() })
	repos, err := gitrepo.Open(filepath.Join(b.TempDir(), "repos"), gitrepo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { repos.Close() })
	router, _, err := server.New(server.Config{
		APIToken: testToken, MaxBodyBytes: 1 << 20, Log: slog.New(slog.DiscardHandler),
		Events: events, Projects: events, Repositories: repos, DataDir: b.TempDir(),
	})
	if err != nil {
		b.Fatal(err)
	}
	for c := range contexts {
		for i := range perContext {
			body := fmt.Sprintf(`{"type":"sh.keptn.events.evaluation-done","source":"lighthouse-service","id":"ev-%d-%d",
				"shkeptncontext":"ctx-%d","time":"2020-11-16T09:%02d:%02d.000Z",
				"data":{"project":"sockshop","stage":"hardening","service":"carts","result":"pass","labels":{"a":"b"},
				"evaluationdetails":{"score":100,"indicatorResults":[{"score":1,"value":{"metric":"p95","value":412.37}}]}}}`,
				c, i, c, i/60, i%60)
			if rec := serveBench(router, http.MethodPost, "/api/mongodb-datastore/event", body); rec.Code != http.StatusCreated {
				b.Fatalf("seed: %d %s", rec.Code, rec.Body)
			}
		}
	}
	return router
}

func serveBench(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	req.Header.Set("x-token", testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func BenchmarkRouterGetByContext(b *testing.B) {
	router := benchRouter(b, 20, 100)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			target := fmt.Sprintf("/api/mongodb-datastore/event?keptnContext=ctx-%d&pageSize=20", i%20)
			if rec := serveBench(router, http.MethodGet, target, ""); rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
			i++
		}
	})
}

func BenchmarkRouterGetByType(b *testing.B) {
	router := benchRouter(b, 20, 100)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			target := "/api/mongodb-datastore/event/type/sh.keptn.events.evaluation-done?filter=data.project:sockshop%20AND%20data.service:carts&limit=20"
			if rec := serveBench(router, http.MethodGet, target, ""); rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}

func BenchmarkRouterPostEvent(b *testing.B) {
	router := benchRouter(b, 0, 0)
	body := `{"type":"sh.keptn.event.configuration.change","source":"https://ci.example.com",
		"data":{"project":"sockshop","stage":"dev","service":"carts","valuesCanary":{"image":"docker.io/keptnexamples/carts:0.12.1"}}}`
	b.ResetTimer()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := serveBench(router, http.MethodPost, "/api/v1/event", body); rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}
