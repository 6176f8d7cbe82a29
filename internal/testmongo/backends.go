package testmongo

import (
	"fmt"
	"os"
	"testing"
)

// Backend is a store backend that a test binary runs its tests on.
type Backend struct {
	Name     string
	MongoURL string // "" for SQLite
}

// RunPerBackend runs the tests of m once on SQLite, once on the shared
// FerretDB and, when KEPTN_TEST_MONGODB_URL is set, once on that MongoDB.
// Before each run it passes the backend to use, and after each run it calls
// after, which may be nil. It returns the exit code for os.Exit: the last
// non-zero code of a run, or 0.
func RunPerBackend(m *testing.M, use func(Backend), after func()) int {
	ferret, err := SharedURL()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start FerretDB:", err)
		return 1
	}
	defer StopShared()

	backends := []Backend{{Name: "sqlite"}, {Name: "ferretdb", MongoURL: ferret}}
	if u := os.Getenv(EnvURL); u != "" {
		backends = append(backends, Backend{Name: "mongodb", MongoURL: u})
	}
	code := 0
	for _, b := range backends {
		use(b)
		fmt.Fprintf(os.Stderr, "=== store backend %s\n", b.Name)
		if c := m.Run(); c != 0 {
			code = c
		}
		if after != nil {
			after()
		}
	}
	return code
}
