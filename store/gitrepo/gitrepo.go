// Package gitrepo implements store.Repositories with one bare git repository
// per project, written with go-git and never with a git binary.
//
// Layout under the root directory:
//
//	<root>/.lock                       held with flock while a Store is open
//	<root>/<project>.git/              bare repository of a project
//	<root>/<project>.git/upstream.json upstream credentials, mode 0600
//	<root>/.create-*, .delete-*        directories of unfinished creates and deletes
//
// There is no working tree. A commit reads the tree of the branch head,
// rewrites the subtrees on the changed paths and writes the new blobs,
// trees and commit into a pack. (packs.go explains why not as loose
// objects.) Only then does it move the branch ref. Branch heads are also
// kept in memory and published after the ref file, so a reader resolves
// head, commit, tree and blob without the project lock, and never reads a
// write half done.
//
// Crash safety: every file that a reader relies on, a pack, its index, a
// ref, the upstream file or a whole new repository, is written under
// another name and renamed (or, for refs, swapped) into place, objects
// before the refs that point at them. A process killed at any moment
// therefore leaves each repository readable, with every branch at a commit
// whose objects exist; Open removes the leftovers. Nothing calls fsync,
// because the page cache outlives a killed process.
//
// NOTE: without fsync, a power loss or kernel crash can lose recent writes or
// leave a renamed file empty. Only the death of the process is covered.
package gitrepo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"

	"github.com/keptn-api/keptn-api/store"
)

var _ store.Repositories = (*Store)(nil)

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// UpstreamTimeout bounds each network exchange with an upstream (list,
	// fetch or push). Zero means one minute.
	UpstreamTimeout time.Duration
	// PushAttempts is the maximum number of pushes of one Commit. When the
	// upstream rejects a push because its branch moved ahead, Commit applies
	// the change set onto the new upstream head and pushes again. Zero means
	// 3.
	PushAttempts int
	// CacheBytes bounds the memory, in bytes, of the decoded commits, trees
	// and small blobs kept for reads, shared by all projects. Zero means
	// 64 MiB.
	CacheBytes int64
}

func (o Options) withDefaults() Options {
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = time.Minute
	}
	if o.PushAttempts <= 0 {
		o.PushAttempts = 3
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 64 << 20
	}
	return o
}

// Store keeps the repositories of all projects under one root directory.
// Only one Store may have a root open at a time: Open takes an exclusive
// flock on <root>/.lock, because heads are cached in memory.
type Store struct {
	root     string
	opts     Options
	cache    *objectCache
	gitCache cache.Object
	lockFile *os.File
	nextGen  atomic.Uint64
	closed   atomic.Bool

	mu       sync.RWMutex
	projects map[string]*project
}

// project is the registry entry of one project name. It outlives the
// repository so that its write lock also serialises CreateRepository.
type project struct {
	write sync.Mutex // the project lock: held for the whole of every write
	// state is nil while no repository exists under the name. A published
	// state is never modified; writers publish a changed copy.
	state atomic.Pointer[projectState]
}

// projectState is an immutable snapshot of a repository.
type projectState struct {
	repo     *repo
	main     string
	heads    map[string]plumbing.Hash // branch name to head commit, main included
	upstream *credentials             // nil when the project has no upstream
}

func (st *projectState) upstreamURL() string {
	if st.upstream == nil {
		return ""
	}
	return st.upstream.publicURL()
}

func (st *projectState) version(branch string, commit plumbing.Hash) store.Version {
	return store.Version{CommitID: commit.String(), Branch: branch, UpstreamURL: st.upstreamURL()}
}

// withHead returns a copy of st with branch at head, or without branch when
// head is the zero hash.
func (st *projectState) withHead(branch string, head plumbing.Hash) *projectState {
	heads := make(map[string]plumbing.Hash, len(st.heads)+1)
	for name, h := range st.heads {
		heads[name] = h
	}
	if head.IsZero() {
		delete(heads, branch)
	} else {
		heads[branch] = head
	}
	next := *st
	next.heads = heads
	return &next
}

// Open opens the store under root, creating the directory when it is
// missing. It removes what an interrupted create or delete left behind and
// loads the branch heads of every repository.
func Open(root string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("gitrepo: create root: %w", err)
	}
	lockFile, err := lockRoot(abs)
	if err != nil {
		return nil, err
	}

	opts = opts.withDefaults()
	s := &Store{
		root:     abs,
		opts:     opts,
		cache:    newObjectCache(opts.CacheBytes),
		gitCache: cache.NewObjectLRU(gitObjectCacheBytes),
		lockFile: lockFile,
		projects: make(map[string]*project),
	}
	if err := s.load(); err != nil {
		_ = unlockRoot(lockFile)
		return nil, err
	}
	return s, nil
}

// Close releases the root directory. Calls after Close return
// store.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return store.ErrClosed
	}
	return unlockRoot(s.lockFile)
}

func (s *Store) load() error {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return fmt.Errorf("gitrepo: read root: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, createPrefix), strings.HasPrefix(name, deletePrefix):
			if err := os.RemoveAll(filepath.Join(s.root, name)); err != nil {
				return fmt.Errorf("gitrepo: remove leftover %q: %w", name, err)
			}
		case e.IsDir() && strings.HasSuffix(name, repoSuffix):
			projectName := strings.TrimSuffix(name, repoSuffix)
			if validateProjectName(projectName) != nil {
				continue
			}
			dir := filepath.Join(s.root, name)
			if err := cleanRepoDir(dir); err != nil {
				return fmt.Errorf("gitrepo: project %q: %w", projectName, err)
			}
			st, err := s.loadState(dir)
			if err != nil {
				return fmt.Errorf("gitrepo: project %q: %w", projectName, err)
			}
			p := &project{}
			p.state.Store(st)
			s.projects[projectName] = p
		}
	}
	return nil
}

// loadState reads the main branch, the branch heads and the upstream of the
// repository in dir.
func (s *Store) loadState(dir string) (*projectState, error) {
	r := s.newRepo(dir)
	head, err := r.storage.Reference(plumbing.HEAD)
	if err != nil {
		return nil, fmt.Errorf("read HEAD: %w", err)
	}
	if head.Type() != plumbing.SymbolicReference || !head.Target().IsBranch() {
		return nil, fmt.Errorf("HEAD %q does not name a branch", head.String())
	}
	heads, err := r.storage.branchHeads()
	if err != nil {
		return nil, err
	}
	creds, err := readCredentials(dir)
	if err != nil {
		return nil, err
	}
	return &projectState{
		repo:     r,
		main:     head.Target().Short(),
		heads:    heads,
		upstream: creds,
	}, nil
}

func (s *Store) newRepo(dir string) *repo {
	return newRepo(dir, s.nextGen.Add(1), s.cache, s.gitCache)
}

func (s *Store) projectDir(name string) string {
	return filepath.Join(s.root, name+repoSuffix)
}

// lookup returns the current state of a project for a read.
func (s *Store) lookup(ctx context.Context, name string) (*projectState, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	p := s.projects[name]
	s.mu.RUnlock()
	if p == nil {
		return nil, errProjectNotFound(name)
	}
	st := p.state.Load()
	if st == nil {
		return nil, errProjectNotFound(name)
	}
	return st, nil
}

// lockProject takes the write lock of a project, registering the name when
// it is new. The caller must call p.write.Unlock.
func (s *Store) lockProject(ctx context.Context, name string) (*project, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := validateProjectName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	p := s.projects[name]
	if p == nil {
		p = &project{}
		s.projects[name] = p
	}
	s.mu.Unlock()
	p.write.Lock()
	return p, nil
}

// lockExisting takes the write lock of an existing project and returns its
// state. The caller must call p.write.Unlock when err is nil.
func (s *Store) lockExisting(ctx context.Context, name string) (*project, *projectState, error) {
	if err := s.check(ctx); err != nil {
		return nil, nil, err
	}
	s.mu.RLock()
	p := s.projects[name]
	s.mu.RUnlock()
	if p == nil {
		return nil, nil, errProjectNotFound(name)
	}
	p.write.Lock()
	st := p.state.Load()
	if st == nil {
		p.write.Unlock()
		return nil, nil, errProjectNotFound(name)
	}
	if err := ctx.Err(); err != nil {
		p.write.Unlock()
		return nil, nil, err
	}
	return p, st, nil
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// validateProjectName accepts the names that are safe as one directory name
// with the ".git" suffix: up to 250 letters, digits, '-', '_' and '.',
// starting with a letter or digit, without "..".
func validateProjectName(name string) error {
	if name == "" || len(name) > 250 || strings.Contains(name, "..") {
		return fmt.Errorf("gitrepo: invalid project name %q", name)
	}
	for i, c := range name {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if alnum || i > 0 && (c == '-' || c == '_' || c == '.') {
			continue
		}
		return fmt.Errorf("gitrepo: invalid project name %q", name)
	}
	return nil
}

// validateBranchName accepts names that git accepts as branch names.
func validateBranchName(branch string) error {
	if branch == "" || branch == "HEAD" || strings.HasPrefix(branch, "-") {
		return fmt.Errorf("gitrepo: invalid branch name %q", branch)
	}
	if err := plumbing.NewBranchReferenceName(branch).Validate(); err != nil {
		return fmt.Errorf("gitrepo: invalid branch name %q", branch)
	}
	return nil
}

// validatePath enforces the FileChange path rules again, because a path
// with an empty, ".", ".." or ".git" segment would make a tree that git
// rejects or that climbs out of a checkout.
func validatePath(p string) error {
	if p == "" || strings.ContainsRune(p, 0) {
		return fmt.Errorf("invalid path %q", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.EqualFold(seg, ".git") {
			return fmt.Errorf("invalid path %q", p)
		}
	}
	return nil
}
