package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/keptn-api/keptn-api/internal/testmongo"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ferretdbArg makes the program serve FerretDB instead of benchmarking. It
// is the first argument of the child process, followed by the directory of
// FerretDB's files, and -help does not list it.
const ferretdbArg = "-internal-serve-ferretdb"

// ferretdbURLPrefix starts the line on which the FerretDB process reports
// its connection string on stdout.
const ferretdbURLPrefix = "ferretdb serving "

// ferretdbModule is the module path of FerretDB, whose version the report
// names.
const ferretdbModule = "github.com/FerretDB/FerretDB"

// serveFerretDB runs in the child process. It serves FerretDB with its
// SQLite handler on a free loopback port with its files in dir, reports the
// connection string on stdout and serves until SIGTERM or SIGINT. It
// returns the exit code.
//
// FerretDB runs in a process of its own, so that its CPU time and memory
// are not the load generator's and its peak RSS can be read.
func serveFerretDB(dir string) int {
	srv, err := testmongo.StartInDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: start:", err)
		return 1
	}
	fmt.Println(ferretdbURLPrefix + srv.URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	srv.Stop()
	return 0
}

// runMongoDBPass runs the pass of the mongodb backend on the server at
// cfg.mongodbURL, or on a FerretDB that it starts with its files in tmp.
// The server's database is new, and on a server at cfg.mongodbURL it is
// dropped at the end.
func runMongoDBPass(ctx context.Context, client *http.Client, ceiling *ceiling, cfg config, bin, tmp string) (pass, error) {
	url := cfg.mongodbURL
	var ferret *child
	if url == "" {
		dir := filepath.Join(tmp, "ferretdb")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return pass{}, fmt.Errorf("create the FerretDB directory: %w", err)
		}
		c, u, err := startSelf(ctx, "FerretDB", ferretdbURLPrefix, ferretdbArg, dir)
		if err != nil {
			return pass{}, err
		}
		defer c.stop()
		fmt.Printf("FerretDB (pid %d) is serving %s\n", c.pid(), u)
		ferret, url = c, u
	}

	info, err := readServerInfo(ctx, url)
	if err != nil {
		return pass{}, err
	}
	store := info.describe(ferret != nil)
	fmt.Println("MongoDB backend:", store)

	database, err := benchDatabaseName()
	if err != nil {
		return pass{}, err
	}
	if ferret == nil {
		defer func() {
			if err := testmongo.DropDatabase(url, database); err != nil {
				fmt.Fprintf(os.Stderr, "keptn-api-bench: drop the database %s: %v\n", database, err)
			}
		}()
	}

	p, err := runPass(ctx, client, ceiling, cfg, passSetup{
		backend: backendMongoDB,
		store:   store,
		events:  cfg.mongodbEvents,
		bin:     bin,
		dataDir: filepath.Join(tmp, "mongodb-data"),
		env:     []string{"MONGODB_URL=" + url, "MONGODB_DATABASE=" + database},
	})
	if err != nil {
		return pass{}, err
	}
	p.ferretdb = info.ferretdb
	if ferret != nil {
		if err := ferret.alive(); err != nil {
			return pass{}, err
		}
		if p.databasePeakRSS, err = readMemory(ferret.pid(), "VmHWM"); err != nil {
			return pass{}, err
		}
	}
	return p, nil
}

// serverInfo is the part of a buildInfo reply of a MongoDB-wire server
// that the report uses.
type serverInfo struct {
	// version is the MongoDB version the server reports. FerretDB reports
	// the MongoDB version it imitates.
	version string
	// ferretdb is true when the server is FerretDB, which adds the field
	// ferretdbVersion to the reply.
	ferretdb        bool
	ferretdbVersion string
}

func readServerInfo(ctx context.Context, url string) (serverInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(url))
	if err != nil {
		return serverInfo{}, fmt.Errorf("connect to the MongoDB server: %w", err)
	}
	defer c.Disconnect(context.Background())

	var reply struct {
		Version         string  `bson:"version"`
		FerretDBVersion *string `bson:"ferretdbVersion"`
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&reply); err != nil {
		return serverInfo{}, fmt.Errorf("run buildInfo on the MongoDB server: %w", err)
	}
	info := serverInfo{version: reply.Version, ferretdb: reply.FerretDBVersion != nil}
	if info.ferretdb {
		info.ferretdbVersion = *reply.FerretDBVersion
	}
	return info, nil
}

// describe names the server for the report. started is true for the
// FerretDB that the benchmark started itself.
func (i serverInfo) describe(started bool) string {
	switch {
	case started:
		return fmt.Sprintf("FerretDB %s with its SQLite handler, started by the benchmark on loopback in a temporary directory; "+
			"the connection string limits the server to one connection (maxPoolSize=1), because this handler can fail concurrent writes with SQLITE_BUSY",
			ferretdbBuildVersion())
	case i.ferretdb:
		// An embedded FerretDB reports its version as "unknown".
		version := i.ferretdbVersion
		if version == "" || version == "unknown" {
			version = "of unknown version"
		}
		return fmt.Sprintf("FerretDB %s at -mongodb-url (reports MongoDB %s)", version, i.version)
	default:
		return fmt.Sprintf("MongoDB %s at -mongodb-url", i.version)
	}
}

// ferretdbBuildVersion returns the version of the FerretDB module built
// into this program. FerretDB's own buildInfo reply names no version when
// it runs embedded.
func ferretdbBuildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == ferretdbModule {
				return dep.Version
			}
		}
	}
	return "v1 (version unknown)"
}

// benchDatabaseName returns a new database name, so that a run on a shared
// MongoDB server neither reads nor drops data of others.
func benchDatabaseName() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate the database name: %w", err)
	}
	return "keptn_bench_" + hex.EncodeToString(b), nil
}
