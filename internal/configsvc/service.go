// Package configsvc implements the configuration-service collection on top of
// two stores: the git repositories that hold each project's files and the
// configuration view that lists projects, stages and services. It keeps the
// two consistent: a write that fails halfway is rolled back, so no project,
// stage or service is left half created.
package configsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/keptn-api/keptn-api/internal/keylock"
	"github.com/keptn-api/keptn-api/store"
)

// Service coordinates the repositories and the view.
type Service struct {
	repos store.Repositories
	view  store.Projects
	log   *slog.Logger
	now   func() time.Time
	// locks serialises the structural changes of one project (creating and
	// deleting projects, stages and services), whose check and rollback
	// steps span both stores.
	locks keylock.Locks
	known knownServices

	upstreams upstreamPolicy
}

// Options are the settings of a Service.
type Options struct {
	// DataDir is the server's data directory. No git upstream may lie in
	// it, since pushes would write into the server's own repositories.
	DataDir string
	// FileUpstreamRoot is the directory below which file:// upstreams may
	// lie. When it is empty, every file:// upstream is rejected.
	FileUpstreamRoot string
}

// New returns a Service. It fails when a directory of opts cannot be used.
func New(repos store.Repositories, view store.Projects, log *slog.Logger, opts Options) (*Service, error) {
	upstreams, err := newUpstreamPolicy(opts.DataDir, opts.FileUpstreamRoot)
	if err != nil {
		return nil, err
	}
	return &Service{repos: repos, view: view, log: log, now: time.Now, upstreams: upstreams}, nil
}

// Commit messages that the Keptn 0.7 configuration-service wrote. Callers
// of WriteResources pass theirs ("Added resources", "Updated resources").
const (
	msgDeletedResources = "Deleted resources"
	msgAddedMetadata    = "Added metadata.yaml"
)

// rollback runs undo after a failed step and logs when undo fails too, since
// the caller returns the first error.
func (s *Service) rollback(ctx context.Context, what string, undo func(context.Context) error) {
	// The request context may be canceled already; the undo must still run.
	ctx = context.WithoutCancel(ctx)
	if err := undo(ctx); err != nil {
		s.log.Error("rollback failed; the view and the repository may disagree", "step", what, "error", err)
	}
}

// metadataYAML is the metadata.yaml of a project or service, with Go's
// default time text as Keptn 0.7 wrote it.
func metadataYAML(kind, name string, created time.Time) []byte {
	return fmt.Appendf(nil, "%sname: %s\ncreationtimestamp: %s\n", kind, name, created.UTC().String())
}

// isNotFound reports whether err is a not-found error of any kind.
func isNotFound(err error) bool {
	return errors.Is(err, store.ErrNotFound)
}
