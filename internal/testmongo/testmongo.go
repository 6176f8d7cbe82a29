// Package testmongo gives tests a MongoDB-wire server: FerretDB v1 with its
// SQLite handler, run inside the test process on a loopback port with its
// files in a temporary directory. When KEPTN_TEST_MONGODB_URL is set, tests
// that call Targets also run against the MongoDB server at that URL.
//
// Tests import it, and so does the benchmark program cmd/keptn-api-bench,
// which runs the same FerretDB through StartInDir when no MongoDB URL is
// given. It is not meant for the server binary.
package testmongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// EnvURL names the variable that points the tests at a real MongoDB.
const EnvURL = "KEPTN_TEST_MONGODB_URL"

// Target is a MongoDB-wire server the tests run against.
type Target struct {
	// Name is "ferretdb" or "mongodb"; tests use it as a subtest name.
	Name string
	// URL is the connection string without a database name.
	URL string
}

// Targets returns the in-process FerretDB, shared by every caller in the
// test binary, and the MongoDB named by KEPTN_TEST_MONGODB_URL when it is
// set.
func Targets(t testing.TB) []Target {
	t.Helper()
	targets := []Target{{Name: "ferretdb", URL: Shared(t)}}
	if u := os.Getenv(EnvURL); u != "" {
		targets = append(targets, Target{Name: "mongodb", URL: u})
	}
	return targets
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the URL of a FerretDB that runs until the test binary
// exits. Tests keep apart by using a database each (see NewDatabase).
func Shared(t testing.TB) string {
	t.Helper()
	u, err := SharedURL()
	if err != nil {
		t.Fatalf("start the shared FerretDB: %v", err)
	}
	return u
}

// SharedURL is Shared for callers without a testing.TB, such as TestMain.
func SharedURL() (string, error) {
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "keptn-testmongo-")
		if err != nil {
			shared.err = err
			return
		}
		shared.srv, shared.err = start(dir, "127.0.0.1:0")
	})
	if shared.err != nil {
		return "", shared.err
	}
	return shared.srv.URL(), nil
}

// StopShared stops the shared FerretDB, if it runs, and removes its files.
// A TestMain calls it after the tests; without it, the files stay in the
// system's temporary directory.
func StopShared() {
	if shared.srv != nil {
		shared.srv.Stop()
		os.RemoveAll(shared.srv.dir)
	}
}

// Server is a FerretDB run by a test, or by the caller of StartInDir.
type Server struct {
	dir  string
	addr string // host:port, fixed after the first start

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs a FerretDB of the test's own on a free loopback port, with
// its files in a temporary directory, and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start(t.TempDir(), "127.0.0.1:0")
	if err != nil {
		t.Fatalf("start FerretDB: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Reserve returns a Server that is not running yet: its URL names a free
// loopback port, where Restart starts it. It lets a test start a client
// while the database is down.
func Reserve(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("reserve a port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{dir: t.TempDir(), addr: addr}
	t.Cleanup(s.Stop)
	return s
}

// StartInDir runs a FerretDB on a free loopback port with its files in
// dir, until Stop. It is Start for programs without a testing.TB: the caller
// owns dir and removes it.
func StartInDir(dir string) (*Server, error) {
	return start(dir, "127.0.0.1:0")
}

func start(dir, addr string) (*Server, error) {
	s := &Server{dir: dir, addr: addr}
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the connection string of the server, without a database name.
// It limits each client to one connection, because FerretDB's SQLite handler
// fails concurrent writes to one database with SQLITE_BUSY when the machine is
// loaded, and a database is a file of its own, so tests on different
// databases still run in parallel. Options that a caller appends start
// with '&'.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "mongodb://" + s.addr + "/?maxPoolSize=1"
}

// Stop stops the server and waits until its port is closed. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cancel, s.done = nil, nil
}

// Restart starts a stopped server again on the same port and directory, so
// the data written before Stop is back.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.run(); err != nil {
		t.Fatalf("restart FerretDB: %v", err)
	}
}

func (s *Server) run() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return nil
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: s.addr},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handler:   "sqlite",
		SQLiteURL: "file:" + s.dir + "/",
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	// MongoDBURI waits until the listener has its address.
	u := f.MongoDBURI()
	host, err := hostOf(u)
	if err != nil {
		cancel()
		<-done
		return err
	}
	s.addr, s.cancel, s.done = host, cancel, done
	return waitReachable(host)
}

func hostOf(uri string) (string, error) {
	const prefix = "mongodb://"
	if len(uri) < len(prefix) || uri[:len(prefix)] != prefix {
		return "", fmt.Errorf("unexpected FerretDB URI %q", uri)
	}
	host := uri[len(prefix):]
	if i := len(host) - 1; i >= 0 && host[i] == '/' {
		host = host[:i]
	}
	return host, nil
}

// waitReachable waits until the server accepts a TCP connection.
func waitReachable(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("FerretDB on %s did not accept connections: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// NewDatabase returns the name of a database that no other test uses, and
// drops it when the test ends.
func NewDatabase(t testing.TB, url string) string {
	t.Helper()
	name := DatabaseName()
	t.Cleanup(func() {
		if err := DropDatabase(url, name); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return name
}

// DatabaseName returns a new random database name.
func DatabaseName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "keptntest_" + hex.EncodeToString(b)
}

// DropDatabase drops a database of the server at url.
func DropDatabase(url, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(url))
	if err != nil {
		return err
	}
	defer c.Disconnect(ctx)
	return c.Database(name).Drop(ctx)
}

// Client connects to url and disconnects when the test ends. Tests use it
// to write or read documents directly.
func Client(t testing.TB, url string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(url))
	if err != nil {
		t.Fatalf("connect to the test database server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.Disconnect(ctx)
	})
	return c
}
