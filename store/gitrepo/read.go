package gitrepo

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/keptn-api/keptn-api/store"
)

// Reads take no lock. They use a published projectState, whose heads point
// only at commits with every object written, and read objects through the
// cache or a pooled storage.

// MainBranch returns the name of the main branch.
func (s *Store) MainBranch(ctx context.Context, project string) (string, error) {
	st, err := s.lookup(ctx, project)
	if err != nil {
		return "", err
	}
	return st.main, nil
}

// Branches returns the branches other than the main branch, sorted.
func (s *Store) Branches(ctx context.Context, project string) ([]string, error) {
	st, err := s.lookup(ctx, project)
	if err != nil {
		return nil, err
	}
	branches := make([]string, 0, len(st.heads))
	for b := range st.heads {
		if b != st.main {
			branches = append(branches, b)
		}
	}
	slices.Sort(branches)
	return branches, nil
}

// ReadFile returns a file at the head of branch or, when commitID is not
// "", at that commit. commitID must be a full 40-digit hex hash; whether the
// commit is on branch is not checked.
func (s *Store) ReadFile(ctx context.Context, project, branch, commitID, path string) ([]byte, store.Version, error) {
	st, head, err := s.branchHead(ctx, project, branch)
	if err != nil {
		return nil, store.Version{}, err
	}
	if commitID != "" {
		h, ok := parseHash(commitID)
		if !ok {
			return nil, store.Version{}, fmt.Errorf("gitrepo: project %q: commit %q: %w", project, commitID, store.ErrNotFound)
		}
		head = h
	}
	// The message is built only on failure: ReadFile is the hot path.
	fail := func(err error) error {
		at := fmt.Sprintf("branch %q", branch)
		if commitID != "" {
			at = fmt.Sprintf("commit %q", commitID)
		}
		return translate(err, fmt.Sprintf("project %q: %s: file %q", project, at, path))
	}

	r := st.repo
	c, err := r.commit(pooled, head)
	if err != nil {
		return nil, store.Version{}, fail(err)
	}
	e, found, err := r.lookupPath(c.tree, path)
	if err != nil {
		return nil, store.Version{}, fail(err)
	}
	if !found || !e.isFile() {
		return nil, store.Version{}, fail(store.ErrNotFound)
	}
	data, err := r.blob(pooled, e.hash)
	if err != nil {
		return nil, store.Version{}, fail(err)
	}
	// The cache shares data, and the caller may modify what it gets.
	return slices.Clone(data), st.version(branch, head), nil
}

// ListFiles returns the files below dir at the head of branch, sorted. A
// dir that is missing or names a file gives an empty list.
func (s *Store) ListFiles(ctx context.Context, project, branch, dir string) ([]string, error) {
	st, head, err := s.branchHead(ctx, project, branch)
	if err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("project %q: branch %q: list %q", project, branch, dir)
	r := st.repo
	c, err := r.commit(pooled, head)
	if err != nil {
		return nil, translate(err, subject)
	}
	dir = strings.Trim(dir, "/")
	tree := c.tree
	if dir != "" {
		e, found, err := r.lookupPath(c.tree, dir)
		if err != nil {
			return nil, translate(err, subject)
		}
		if !found || !e.isDir() {
			return []string{}, nil
		}
		tree = e.hash
	}

	files := []string{}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	if err := r.walkFiles(tree, prefix, &files); err != nil {
		return nil, translate(err, subject)
	}
	slices.Sort(files)
	return files, nil
}

// Exists reports whether path is a file or a directory at the head of
// branch. The empty path names the root directory, which always exists.
func (s *Store) Exists(ctx context.Context, project, branch, path string) (bool, error) {
	st, head, err := s.branchHead(ctx, project, branch)
	if err != nil {
		return false, err
	}
	fail := func(err error) error {
		return translate(err, fmt.Sprintf("project %q: branch %q: path %q", project, branch, path))
	}
	r := st.repo
	c, err := r.commit(pooled, head)
	if err != nil {
		return false, fail(err)
	}
	if path == "" {
		return true, nil
	}
	e, found, err := r.lookupPath(c.tree, path)
	if err != nil {
		return false, fail(err)
	}
	return found && (e.isFile() || e.isDir()), nil
}

func (s *Store) branchHead(ctx context.Context, project, branch string) (*projectState, plumbing.Hash, error) {
	st, err := s.lookup(ctx, project)
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	head, ok := st.heads[branch]
	if !ok {
		return nil, plumbing.ZeroHash, errBranchNotFound(project, branch)
	}
	return st, head, nil
}

// lookupPath finds the entry at a slash-separated path below tree.
func (r *repo) lookupPath(tree plumbing.Hash, path string) (treeEntry, bool, error) {
	var e treeEntry
	for i, seg := range strings.Split(path, "/") {
		if i > 0 && !e.isDir() {
			return treeEntry{}, false, nil
		}
		t, err := r.tree(pooled, tree)
		if err != nil {
			return treeEntry{}, false, err
		}
		var found bool
		if e, found = t.find(seg); !found {
			return treeEntry{}, false, nil
		}
		tree = e.hash
	}
	return e, true, nil
}

// walkFiles appends the paths of all files below tree, each prefixed with
// prefix.
func (r *repo) walkFiles(tree plumbing.Hash, prefix string, files *[]string) error {
	t, err := r.tree(pooled, tree)
	if err != nil {
		return err
	}
	for _, e := range t.entries {
		switch {
		case e.isDir():
			if err := r.walkFiles(e.hash, prefix+e.name+"/", files); err != nil {
				return err
			}
		case e.isFile():
			*files = append(*files, prefix+e.name)
		}
	}
	return nil
}

// parseHash accepts only a full hash in hex.
func parseHash(s string) (plumbing.Hash, bool) {
	var h plumbing.Hash
	if len(s) != 2*len(h) {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, false
	}
	return h, true
}
