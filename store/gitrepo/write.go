package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"

	"github.com/keptn-api/keptn-api/store"
)

// defaultMainBranch is the main branch of a project without upstream, or
// whose upstream does not name a default branch.
const defaultMainBranch = "master"

// mainBranchOf returns the main branch of a repository cloned from a remote
// with the advertisement ar (nil for an empty remote): the remote's default
// branch when it names a valid one, else defaultMainBranch.
func mainBranchOf(ar *packp.AdvRefs) string {
	if ar != nil {
		if b := defaultBranch(ar); b != "" && validateBranchName(b) == nil {
			return b
		}
	}
	return defaultMainBranch
}

// NewMainBranch returns the main branch that CreateRepository would choose
// for upstream. It lists the remote's references and writes nothing.
func (s *Store) NewMainBranch(ctx context.Context, project string, upstream *store.Upstream) (string, error) {
	if err := s.check(ctx); err != nil {
		return "", err
	}
	if upstream == nil {
		return defaultMainBranch, nil
	}
	creds := newCredentials(*upstream)
	rm, err := newRemote(creds, s.opts.UpstreamTimeout)
	if err != nil {
		return "", newUpstreamError(project, "create", err, creds)
	}
	ar, err := rm.list(ctx)
	if err != nil {
		return "", newUpstreamError(project, "list remote branches", err, creds)
	}
	return mainBranchOf(ar), nil
}

// CreateRepository builds the repository in a temporary directory and
// renames it into place at the end, so a failure or a killed process leaves
// no repository behind. With an upstream it fetches every branch of the
// remote, takes the remote's HEAD as the main branch (master when an empty
// remote names none), commits initial on top and pushes the main branch.
func (s *Store) CreateRepository(ctx context.Context, project string, upstream *store.Upstream, initial []store.FileChange, message string) (store.Version, error) {
	p, err := s.lockProject(ctx, project)
	if err != nil {
		return store.Version{}, err
	}
	defer p.write.Unlock()
	if p.state.Load() != nil {
		return store.Version{}, fmt.Errorf("gitrepo: project %q: %w", project, store.ErrAlreadyExists)
	}
	dir := s.projectDir(project)
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return store.Version{}, fmt.Errorf("gitrepo: project %q: %w", project, store.ErrAlreadyExists)
	}

	tmp, err := os.MkdirTemp(s.root, createPrefix+project+"-")
	if err != nil {
		return store.Version{}, fmt.Errorf("gitrepo: project %q: %w", project, err)
	}
	built, err := s.buildRepository(ctx, project, tmp, upstream, initial, message)
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		if errors.Is(err, store.ErrUpstream) {
			return store.Version{}, err // names the project already
		}
		return store.Version{}, fmt.Errorf("gitrepo: project %q: create: %w", project, err)
	}

	built.repo = s.newRepo(dir)
	p.state.Store(built)
	return built.version(built.main, built.heads[built.main]), nil
}

// buildRepository initialises a bare repository in dir and fills it. The
// returned state has no repo yet, because dir is about to be renamed.
func (s *Store) buildRepository(ctx context.Context, project, dir string, upstream *store.Upstream, initial []store.FileChange, message string) (*projectState, error) {
	r := s.newRepo(dir)
	st := &projectState{main: defaultMainBranch, heads: make(map[string]plumbing.Hash)}

	var rm *remote
	var ar *packp.AdvRefs
	if upstream != nil {
		st.upstream = newCredentials(*upstream)
		var err error
		if rm, err = newRemote(st.upstream, s.opts.UpstreamTimeout); err != nil {
			return nil, newUpstreamError(project, "create", err, st.upstream)
		}
		if ar, err = rm.list(ctx); err != nil {
			return nil, newUpstreamError(project, "list remote branches", err, st.upstream)
		}
		st.main = mainBranchOf(ar)
	}

	_, err := git.InitWithOptions(r.storage, nil, git.InitOptions{
		DefaultBranch: plumbing.NewBranchReferenceName(st.main),
	})
	if err != nil {
		return nil, err
	}
	if ar != nil && len(branchHeads(ar)) > 0 {
		heads, err := rm.fetch(ctx, r, nil, nil)
		if err != nil {
			return nil, newUpstreamError(project, "fetch", err, st.upstream)
		}
		st.heads = heads
	}

	remoteMain := st.heads[st.main]
	head, changed, err := r.buildCommit(remoteMain, message, initial)
	if err != nil {
		return nil, err
	}
	if changed {
		st.heads[st.main] = head
	}
	for branch, h := range st.heads {
		if err := r.storage.setBranch(branch, h); err != nil {
			return nil, err
		}
	}

	if rm != nil && head != remoteMain {
		if err := rm.push(ctx, r, []refUpdate{{branch: st.main, head: head}}); err != nil {
			return nil, newUpstreamError(project, "push", err, st.upstream)
		}
	}
	if st.upstream != nil {
		if err := writeCredentials(dir, st.upstream); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// DeleteRepository renames the repository out of the way before it removes
// it, so that a killed process leaves a complete repository or none; Open
// removes the renamed directory if the removal did not finish.
func (s *Store) DeleteRepository(ctx context.Context, project string) error {
	p, st, err := s.lockExisting(ctx, project)
	if err != nil {
		return err
	}
	defer p.write.Unlock()

	trash := filepath.Join(s.root, deletePrefix+project+"-"+strconv.FormatUint(s.nextGen.Add(1), 10))
	p.state.Store(nil)
	if err := os.Rename(st.repo.dir, trash); err != nil {
		p.state.Store(st)
		return fmt.Errorf("gitrepo: project %q: delete: %w", project, err)
	}
	// The repository is gone once renamed. A removal error leaves only a
	// directory that the next Open removes, so it is not reported.
	_ = os.RemoveAll(trash)
	return nil
}

// SetUpstream pushes every branch to the new upstream and stores it only
// when the push succeeded. A remote whose branches are not ancestors of the
// local ones rejects the push.
func (s *Store) SetUpstream(ctx context.Context, project string, upstream store.Upstream) error {
	p, st, err := s.lockExisting(ctx, project)
	if err != nil {
		return err
	}
	defer p.write.Unlock()

	creds := newCredentials(upstream)
	rm, err := newRemote(creds, s.opts.UpstreamTimeout)
	if err != nil {
		return newUpstreamError(project, "set upstream", err, creds)
	}
	updates := make([]refUpdate, 0, len(st.heads))
	for branch, h := range st.heads {
		updates = append(updates, refUpdate{branch: branch, head: h})
	}
	if err := rm.push(ctx, st.repo, updates); err != nil {
		return newUpstreamError(project, "push", err, creds)
	}
	if err := writeCredentials(st.repo.dir, creds); err != nil {
		return fmt.Errorf("gitrepo: project %q: %w", project, err)
	}
	next := *st
	next.upstream = creds
	p.state.Store(&next)
	return nil
}

// CreateBranch pushes the new branch before it writes it locally, so a
// failed push leaves nothing behind.
func (s *Store) CreateBranch(ctx context.Context, project, branch string) (store.Version, error) {
	p, st, err := s.lockExisting(ctx, project)
	if err != nil {
		return store.Version{}, err
	}
	defer p.write.Unlock()

	if err := validateBranchName(branch); err != nil {
		return store.Version{}, err
	}
	if _, ok := st.heads[branch]; ok {
		return store.Version{}, fmt.Errorf("gitrepo: project %q: branch %q: %w", project, branch, store.ErrAlreadyExists)
	}
	head, ok := st.heads[st.main]
	if !ok {
		return store.Version{}, errBranchNotFound(project, st.main)
	}

	if st.upstream != nil {
		if err := s.pushUpdates(ctx, project, st, refUpdate{branch: branch, head: head}); err != nil {
			return store.Version{}, err
		}
	}
	if err := st.repo.storage.setBranch(branch, head); err != nil {
		return store.Version{}, fmt.Errorf("gitrepo: project %q: create branch %q: %w", project, branch, err)
	}
	p.state.Store(st.withHead(branch, head))
	return st.version(branch, head), nil
}

// DeleteBranch deletes the branch on the upstream first and keeps the local
// branch when that fails.
func (s *Store) DeleteBranch(ctx context.Context, project, branch string) error {
	p, st, err := s.lockExisting(ctx, project)
	if err != nil {
		return err
	}
	defer p.write.Unlock()

	if _, ok := st.heads[branch]; !ok {
		return errBranchNotFound(project, branch)
	}
	if branch == st.main {
		return fmt.Errorf("gitrepo: project %q: the main branch %q cannot be deleted", project, branch)
	}
	if st.upstream != nil {
		if err := s.pushUpdates(ctx, project, st, refUpdate{branch: branch}); err != nil {
			return err
		}
	}
	if err := st.repo.storage.setBranch(branch, plumbing.ZeroHash); err != nil {
		return fmt.Errorf("gitrepo: project %q: delete branch %q: %w", project, branch, err)
	}
	p.state.Store(st.withHead(branch, plumbing.ZeroHash))
	return nil
}

func (s *Store) pushUpdates(ctx context.Context, project string, st *projectState, updates ...refUpdate) error {
	rm, err := newRemote(st.upstream, s.opts.UpstreamTimeout)
	if err == nil {
		err = rm.push(ctx, st.repo, updates)
	}
	if err != nil {
		return newUpstreamError(project, "push", err, st.upstream)
	}
	return nil
}

// Commit writes the new objects, pushes when the project has an upstream,
// and moves the branch only after the push succeeded: a failed push leaves
// the local branch where it was, with only unreferenced objects written.
func (s *Store) Commit(ctx context.Context, project, branch, message string, changes []store.FileChange) (store.Version, error) {
	p, st, err := s.lockExisting(ctx, project)
	if err != nil {
		return store.Version{}, err
	}
	defer p.write.Unlock()

	head, ok := st.heads[branch]
	if !ok {
		return store.Version{}, errBranchNotFound(project, branch)
	}
	next, changed, err := st.repo.buildCommit(head, message, changes)
	if err != nil {
		return store.Version{}, fmt.Errorf("gitrepo: project %q: branch %q: commit: %w", project, branch, err)
	}
	if !changed {
		return st.version(branch, head), nil
	}
	if st.upstream != nil {
		if next, err = s.pushCommit(ctx, project, st, branch, next, message, changes); err != nil {
			return store.Version{}, err
		}
	}
	if next != head {
		if err := st.repo.storage.setBranch(branch, next); err != nil {
			return store.Version{}, fmt.Errorf("gitrepo: project %q: branch %q: %w", project, branch, err)
		}
		p.state.Store(st.withHead(branch, next))
	}
	return st.version(branch, next), nil
}

// CheckCommit applies changes to the tree of the branch's head in memory
// and drops the result.
func (s *Store) CheckCommit(ctx context.Context, project, branch string, changes []store.FileChange) error {
	p, st, err := s.lockExisting(ctx, project)
	if err != nil {
		return err
	}
	defer p.write.Unlock()

	head, ok := st.heads[branch]
	if !ok {
		return errBranchNotFound(project, branch)
	}
	c, err := st.repo.commit(locked, head)
	if err == nil {
		_, err = st.repo.applyChanges(c.tree, changes)
	}
	if err != nil {
		return fmt.Errorf("gitrepo: project %q: branch %q: check changes: %w", project, branch, err)
	}
	return nil
}

// pushCommit pushes candidate to branch. When the remote rejects the push
// because its branch moved ahead, it fetches that branch, applies the same
// changes onto the remote head and tries again, up to Options.PushAttempts
// pushes in all. It returns the commit that the branch should point to:
// the pushed commit, or the remote head when the changes are already there.
func (s *Store) pushCommit(ctx context.Context, project string, st *projectState, branch string, candidate plumbing.Hash, message string, changes []store.FileChange) (plumbing.Hash, error) {
	rm, err := newRemote(st.upstream, s.opts.UpstreamTimeout)
	if err != nil {
		return plumbing.ZeroHash, newUpstreamError(project, "push", err, st.upstream)
	}
	for attempt := 1; ; attempt++ {
		err := rm.push(ctx, st.repo, []refUpdate{{branch: branch, head: candidate}})
		if err == nil {
			return candidate, nil
		}
		if !errors.Is(err, errPushRejected) || attempt >= s.opts.PushAttempts {
			return plumbing.ZeroHash, newUpstreamError(project, "push", err, st.upstream)
		}

		remoteHeads, err := rm.fetch(ctx, st.repo, st.heads, func(b string) bool { return b == branch })
		if err != nil {
			return plumbing.ZeroHash, newUpstreamError(project, "fetch", err, st.upstream)
		}
		base, ok := remoteHeads[branch]
		if !ok {
			continue // the remote branch is gone, so the next push creates it
		}
		rebuilt, changed, err := st.repo.buildCommit(base, message, changes)
		if err != nil {
			return plumbing.ZeroHash, newUpstreamError(project, "apply the changes onto the upstream head", err, st.upstream)
		}
		if !changed {
			return base, nil
		}
		candidate = rebuilt
	}
}

// Pull fetches every branch of the upstream and then handles each remote
// branch. It creates a missing local branch, fast-forwards a local branch
// that is behind and keeps one that is ahead. A local branch that diverged
// is reset to the remote head and loses its own commits, so the upstream
// wins. Local branches missing on the remote are kept.
func (s *Store) Pull(ctx context.Context, project string) error {
	p, st, err := s.lockExisting(ctx, project)
	if err != nil {
		return err
	}
	defer p.write.Unlock()
	if st.upstream == nil {
		return nil
	}

	rm, err := newRemote(st.upstream, s.opts.UpstreamTimeout)
	if err != nil {
		return newUpstreamError(project, "pull", err, st.upstream)
	}
	remoteHeads, err := rm.fetch(ctx, st.repo, st.heads, nil)
	if err != nil {
		return newUpstreamError(project, "fetch", err, st.upstream)
	}

	branches := make([]string, 0, len(remoteHeads))
	for b := range remoteHeads {
		branches = append(branches, b)
	}
	sort.Strings(branches)
	next := st
	for _, branch := range branches {
		remoteHead := remoteHeads[branch]
		if local, ok := st.heads[branch]; ok {
			if local == remoteHead {
				continue
			}
			ahead, err := st.repo.isAncestor(remoteHead, local)
			if err != nil {
				return translate(err, fmt.Sprintf("project %q: pull branch %q", project, branch))
			}
			if ahead {
				continue
			}
		}
		if err := st.repo.storage.setBranch(branch, remoteHead); err != nil {
			return fmt.Errorf("gitrepo: project %q: pull branch %q: %w", project, branch, err)
		}
		next = next.withHead(branch, remoteHead)
		p.state.Store(next)
	}
	return nil
}
