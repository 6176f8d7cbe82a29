package gitrepo

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/keptn-api/keptn-api/store"
)

// Commit author and committer, as in Keptn's configuration-service.
const (
	authorName  = "keptn"
	authorEmail = "keptn@keptn.com"
)

// dirEdit is a directory under change: its base tree, decoded on first
// use, and the entries that the changes so far added, replaced or removed.
// Only directories on changed paths are loaded; every other subtree keeps
// its hash.
type dirEdit struct {
	base   plumbing.Hash // tree this directory started from; zero when new
	tree   *treeObject   // decoded base; nil until loaded or when new
	loaded bool
	// changed maps an entry name to its new entry, or to nil when the
	// entry was removed.
	changed map[string]*editEntry
}

type editEntry struct {
	mode filemode.FileMode
	hash plumbing.Hash // blob hash, or subtree hash while dir is nil
	dir  *dirEdit      // subtree under change
}

// treeBuilder applies a change set to a tree and collects the new objects
// in a batch. It runs under the project lock and reads through the writer
// storage.
type treeBuilder struct {
	repo  *repo
	root  *dirEdit
	blobs map[plumbing.Hash][]byte // contents of the blobs the change set writes
	batch *objectBatch
}

func newTreeBuilder(r *repo, rootTree plumbing.Hash) *treeBuilder {
	return &treeBuilder{
		repo:  r,
		root:  &dirEdit{base: rootTree},
		blobs: make(map[plumbing.Hash][]byte),
		batch: newObjectBatch(),
	}
}

func (b *treeBuilder) load(d *dirEdit) error {
	if d.loaded {
		return nil
	}
	d.loaded = true
	d.changed = make(map[string]*editEntry)
	if d.base.IsZero() {
		return nil
	}
	t, err := b.repo.tree(locked, d.base)
	if err != nil {
		return err
	}
	d.tree = t
	return nil
}

// entry returns the current entry name of the loaded directory d, or nil.
func (d *dirEdit) entry(name string) *editEntry {
	if e, ok := d.changed[name]; ok {
		return e
	}
	if d.tree == nil {
		return nil
	}
	if e, ok := d.tree.find(name); ok {
		return &editEntry{mode: e.mode, hash: e.hash}
	}
	return nil
}

// subdir returns the loaded directory of the directory entry name of d,
// recording it as changed so that seal visits it.
func (b *treeBuilder) subdir(d *dirEdit, name string, e *editEntry) (*dirEdit, error) {
	if e.dir == nil {
		e.dir = &dirEdit{base: e.hash}
	}
	d.changed[name] = e
	return e.dir, b.load(e.dir)
}

// apply applies one change. Changes of a set apply in order, so a later
// change to the same path wins.
func (b *treeBuilder) apply(c store.FileChange) error {
	if err := validatePath(c.Path); err != nil {
		return err
	}
	segs := strings.Split(c.Path, "/")
	d := b.root
	if err := b.load(d); err != nil {
		return err
	}
	for i, seg := range segs[:len(segs)-1] {
		e := d.entry(seg)
		switch {
		case c.Delete && (e == nil || e.mode != filemode.Dir):
			return fmt.Errorf("delete %q: %w", c.Path, store.ErrNotFound)
		case e == nil:
			e = &editEntry{mode: filemode.Dir, dir: &dirEdit{loaded: true, changed: make(map[string]*editEntry)}}
		case e.mode != filemode.Dir:
			return &store.PathConflictError{Path: c.Path, Existing: strings.Join(segs[:i+1], "/")}
		}
		next, err := b.subdir(d, seg, e)
		if err != nil {
			return err
		}
		d = next
	}

	name := segs[len(segs)-1]
	existing := d.entry(name)
	if c.Delete {
		if existing == nil {
			return fmt.Errorf("delete %q: %w", c.Path, store.ErrNotFound)
		}
		d.changed[name] = nil
		return nil
	}
	if existing != nil && existing.mode == filemode.Dir {
		return &store.PathConflictError{Path: c.Path, Existing: c.Path, ExistingIsDir: true}
	}

	h := plumbing.ComputeHash(plumbing.BlobObject, c.Content)
	mode := filemode.Regular
	if existing != nil && existing.mode == filemode.Executable {
		mode = filemode.Executable
	}
	if existing == nil || existing.hash != h || existing.mode != mode {
		if existing == nil || existing.hash != h {
			// A copy, because the cache keeps it after the call returns.
			b.blobs[h] = bytes.Clone(c.Content)
		}
		d.changed[name] = &editEntry{mode: mode, hash: h}
	}
	return nil
}

// finish adds the blobs and trees of the changed directories to the batch
// and returns the hash of the new root tree. A directory left without
// entries is dropped, as git cannot track one; the root becomes the empty
// tree.
func (b *treeBuilder) finish() (plumbing.Hash, error) {
	h, err := b.seal(b.root)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if h.IsZero() {
		return b.batch.add(plumbing.TreeObject, nil, &treeObject{}), nil
	}
	return h, nil
}

// seal adds the tree of d to the batch and returns its hash, or the zero
// hash when d is empty. Unchanged directories are not added.
func (b *treeBuilder) seal(d *dirEdit) (plumbing.Hash, error) {
	if !d.loaded || len(d.changed) == 0 {
		return d.base, nil
	}

	// The base entries are in git order already; the few changed ones are
	// inserted at their places.
	var entries []treeEntry
	if d.tree != nil {
		entries = make([]treeEntry, 0, len(d.tree.entries)+len(d.changed))
		for _, e := range d.tree.entries {
			if _, ok := d.changed[e.name]; !ok {
				entries = append(entries, e)
			}
		}
	}
	for name, e := range d.changed {
		if e == nil {
			continue
		}
		if e.dir != nil {
			h, err := b.seal(e.dir)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if h.IsZero() {
				continue
			}
			e.hash = h
		} else if content, ok := b.blobs[e.hash]; ok {
			b.batch.add(plumbing.BlobObject, content, nil)
		}
		entry := treeEntry{name: name, mode: e.mode, hash: e.hash}
		i, _ := slices.BinarySearchFunc(entries, entry, compareGitOrder)
		entries = slices.Insert(entries, i, entry)
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	if d.tree != nil && d.tree.unsorted {
		slices.SortFunc(entries, compareGitOrder)
	}

	content := encodeTree(entries)
	h := plumbing.ComputeHash(plumbing.TreeObject, content)
	if h == d.base {
		return h, nil
	}
	b.batch.addTree(h, content, &treeObject{entries: entries}, d.base)
	return h, nil
}

// buildCommit applies changes to the tree of parent (zero for a root
// commit) and writes a commit with its new objects. It returns parent and
// false when the changes leave the tree as it is. No branch moves.
func (r *repo) buildCommit(parent plumbing.Hash, message string, changes []store.FileChange) (plumbing.Hash, bool, error) {
	var baseTree plumbing.Hash
	if !parent.IsZero() {
		c, err := r.commit(locked, parent)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		baseTree = c.tree
	}

	b, err := r.applyChanges(baseTree, changes)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	tree, err := b.finish()
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if !parent.IsZero() && tree == baseTree {
		return parent, false, nil
	}
	h, err := addCommit(b.batch, tree, parent, message)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if err := r.publish(b.batch); err != nil {
		return plumbing.ZeroHash, false, err
	}
	return h, true, nil
}

// applyChanges applies changes to the tree baseTree (zero for none) in a new
// tree builder. Nothing is written until the builder's batch is published.
func (r *repo) applyChanges(baseTree plumbing.Hash, changes []store.FileChange) (*treeBuilder, error) {
	b := newTreeBuilder(r, baseTree)
	for _, c := range changes {
		if err := b.apply(c); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func addCommit(b *objectBatch, tree, parent plumbing.Hash, message string) (plumbing.Hash, error) {
	sig := object.Signature{Name: authorName, Email: authorEmail, When: time.Now()}
	c := &object.Commit{Author: sig, Committer: sig, Message: message, TreeHash: tree}
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	obj := &plumbing.MemoryObject{}
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	rd, err := obj.Reader()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	info := &commitInfo{tree: tree, parents: c.ParentHashes, when: sig.When}
	return b.add(plumbing.CommitObject, data, info), nil
}
