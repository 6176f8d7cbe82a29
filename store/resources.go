package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrUpstream reports that the git upstream of a project could not be
// reached or rejected an operation. Its text never contains the token.
var ErrUpstream = errors.New("upstream failed")

// Upstream is the git remote that a project's repository mirrors. The token
// is a secret: implementations store it with owner-only permissions, never
// return it, and mask it in every error text.
type Upstream struct {
	User      string
	Token     string
	RemoteURI string
}

// Version identifies a commit.
type Version struct {
	CommitID string
	Branch   string
	// UpstreamURL is the remote URI without credentials, or "" when the
	// project has no upstream.
	UpstreamURL string
}

// PathConflictError reports a change that would make one path both a file
// and a directory. Commit returns it, wrapped, and writes nothing.
type PathConflictError struct {
	// Path is the path of the change.
	Path string
	// Existing is the path in the way: a file that Path needs as a
	// directory, or the directory at Path itself. It exists on the branch
	// or was written by an earlier change of the same set.
	Existing string
	// ExistingIsDir reports that Existing is a directory.
	ExistingIsDir bool
}

func (e *PathConflictError) Error() string {
	if e.ExistingIsDir {
		return fmt.Sprintf("write %q: the path is a directory", e.Path)
	}
	return fmt.Sprintf("write %q: %q is a file, not a directory", e.Path, e.Existing)
}

// FileChange is one change of a commit. Path is a slash-separated path
// relative to the repository root that the caller has checked: it is not
// absolute and contains no "..", ".git" or empty segment.
type FileChange struct {
	Path string
	// Content is the new content of the file at Path.
	Content []byte
	// Delete removes the file or the whole directory at Path instead.
	Delete bool
}

// Repositories stores the versioned files of projects: one git repository
// per project, with a main branch for project files and one branch per stage.
//
// Reads never touch a working tree: they read the objects of a commit, so a
// reader never sees a write half done. Writes to one project are serialised;
// writes to different projects run in parallel. Implementations are safe for
// concurrent use. Where a method returns ErrNotFound for an unknown
// project, the error wraps ErrProjectNotFound.
type Repositories interface {
	// CreateRepository creates the repository of a project and commits
	// initial on its main branch. With an upstream it clones the remote (an
	// empty remote is fine), takes the remote's default branch as the main
	// branch, and pushes; it stores the upstream for later operations. It
	// returns ErrAlreadyExists, or an error wrapping ErrUpstream, and leaves
	// nothing behind on failure.
	CreateRepository(ctx context.Context, project string, upstream *Upstream, initial []FileChange, message string) (Version, error)

	// DeleteRepository removes the repository and the stored upstream of a
	// project; the remote is not touched. It returns ErrNotFound.
	DeleteRepository(ctx context.Context, project string) error

	// SetUpstream stores an upstream for an existing repository and pushes
	// every branch to it. On failure the previous upstream stays in place.
	// It returns ErrNotFound, or an error wrapping ErrUpstream.
	SetUpstream(ctx context.Context, project string, upstream Upstream) error

	// MainBranch returns the name of the main branch, or ErrNotFound.
	MainBranch(ctx context.Context, project string) (string, error)

	// NewMainBranch returns the name of the main branch that
	// CreateRepository would give a project with this upstream (nil for
	// none) now, without creating or pushing anything. With an upstream it
	// reads the remote's default branch, so it can return an error wrapping
	// ErrUpstream.
	NewMainBranch(ctx context.Context, project string, upstream *Upstream) (string, error)

	// Branches returns every branch except the main branch, sorted.
	Branches(ctx context.Context, project string) ([]string, error)

	// CreateBranch forks a branch from the head of the main branch and
	// pushes it when the project has an upstream. It returns ErrNotFound for
	// an unknown project, ErrAlreadyExists, or an error wrapping ErrUpstream.
	CreateBranch(ctx context.Context, project, branch string) (Version, error)

	// DeleteBranch removes a branch, also from the upstream. It returns
	// ErrNotFound for an unknown project or branch.
	DeleteBranch(ctx context.Context, project, branch string) error

	// Commit applies changes to the head of a branch as one commit and
	// pushes it when the project has an upstream. A change set that changes
	// nothing makes no commit and returns the current head. It returns
	// ErrNotFound for an unknown project or branch, or for a Delete of a
	// path that does not exist, a wrapped *PathConflictError, and an error
	// wrapping ErrUpstream when the push fails; the commit is then not kept.
	Commit(ctx context.Context, project, branch, message string, changes []FileChange) (Version, error)

	// CheckCommit returns the error that Commit would return for changes on
	// the head of branch before it pushes: ErrNotFound for an unknown
	// project or branch or for a Delete of a missing path, or a wrapped
	// *PathConflictError. It writes nothing, so a caller can check the
	// changes of several branches before it commits to the first.
	CheckCommit(ctx context.Context, project, branch string, changes []FileChange) error

	// ReadFile returns the content of a file at the head of a branch, or at
	// commitID when it is not "", with the version it was read from. It
	// returns ErrNotFound for an unknown project, branch, commit or file.
	ReadFile(ctx context.Context, project, branch, commitID, path string) ([]byte, Version, error)

	// ListFiles returns the paths of the files below dir ("" for the whole
	// tree) at the head of a branch, sorted, relative to the repository root.
	// It returns ErrNotFound for an unknown project or branch; a missing dir
	// gives an empty list.
	ListFiles(ctx context.Context, project, branch, dir string) ([]string, error)

	// Exists reports whether path names a file or a directory at the head of
	// a branch. It returns ErrNotFound for an unknown project or branch.
	Exists(ctx context.Context, project, branch, path string) (bool, error)

	// Pull brings every branch up to date with the upstream; the upstream
	// wins where both changed. A project without upstream is left as is. It
	// returns ErrNotFound, or an error wrapping ErrUpstream.
	Pull(ctx context.Context, project string) error
}
