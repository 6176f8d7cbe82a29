package gitrepo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/gitrepo"
)

// Run with: go test -run '^$' -bench . -benchtime 5000x ./store/gitrepo/
// The numbers depend on the file system under the test's temporary
// directory.

// BenchmarkCommit makes sequential single-file commits of about 200 bytes
// into one branch without upstream, like PUTs of service resources.
func BenchmarkCommit(b *testing.B) {
	content := make([]byte, 200)
	for i := range content {
		content[i] = 'a' + byte(i%26)
	}
	layouts := []struct {
		name string
		path func(i int) string
	}{
		// A new file per commit, spread over 20 service directories.
		{"NewFile", func(i int) string { return fmt.Sprintf("svc-%02d/helm/res-%07d.yaml", i%20, i) }},
		// The same file changed by every commit.
		{"Overwrite", func(int) string { return "carts/helm/values.yaml" }},
	}
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			s := openStore(b, b.TempDir(), gitrepo.Options{})
			ctx := context.Background()
			v, err := s.CreateRepository(ctx, "bench", nil, files("metadata.yaml", "x"), "m")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				content[0] = byte(i)
				content[1] = byte(i >> 8)
				content[2] = byte(i >> 16)
				change := store.FileChange{Path: l.path(i), Content: content}
				if _, err := s.Commit(ctx, "bench", v.Branch, "Updated resource", []store.FileChange{change}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}

// BenchmarkReadFileParallel reads random files of a 200-file branch at its
// head from 16 goroutines per GOMAXPROCS. "Cached" uses the default cache;
// "Uncached" sets a cache too small to hold anything, so every read decodes
// objects from disk.
func BenchmarkReadFileParallel(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cache int64
	}{{"Cached", 0}, {"Uncached", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			s := openStore(b, b.TempDir(), gitrepo.Options{CacheBytes: bc.cache})
			ctx := context.Background()
			v, err := s.CreateRepository(ctx, "bench", nil, files("metadata.yaml", "x"), "m")
			if err != nil {
				b.Fatal(err)
			}
			const n = 200
			paths := make([]string, n)
			for i := range n {
				paths[i] = fmt.Sprintf("svc-%02d/helm/values-%03d.yaml", i%10, i)
				if _, err := s.Commit(ctx, "bench", v.Branch, "m", files(paths[i], fmt.Sprintf("value: %d\n", i))); err != nil {
					b.Fatal(err)
				}
			}
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
				for pb.Next() {
					path := paths[rng.IntN(n)]
					if _, _, err := s.ReadFile(ctx, "bench", v.Branch, "", path); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
	}
}
