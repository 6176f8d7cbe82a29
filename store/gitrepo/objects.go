package gitrepo

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// commitInfo is the part of a commit object that the store uses.
type commitInfo struct {
	tree    plumbing.Hash
	parents []plumbing.Hash
	when    time.Time // committer time
}

// treeEntry is one entry of a tree object.
type treeEntry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e treeEntry) isDir() bool { return e.mode == filemode.Dir }

// isFile reports whether the entry is a blob: a regular or executable file
// or a symlink. Submodule entries are neither files nor directories.
func (e treeEntry) isFile() bool {
	return e.mode == filemode.Regular || e.mode == filemode.Executable ||
		e.mode == filemode.Deprecated || e.mode == filemode.Symlink
}

// treeObject is a decoded tree with its entries in git order.
type treeObject struct {
	entries []treeEntry
	// unsorted marks a tree whose entries break git order, as a tree from
	// a broken remote might. Such a tree is searched entry by entry.
	unsorted bool
}

func (t *treeObject) find(name string) (treeEntry, bool) {
	if t.unsorted {
		for _, e := range t.entries {
			if e.name == name {
				return e, true
			}
		}
		return treeEntry{}, false
	}
	// A file and a directory of the same name sort at different places.
	if i, ok := slices.BinarySearchFunc(t.entries, treeEntry{name: name, mode: filemode.Regular}, compareGitOrder); ok {
		return t.entries[i], true
	}
	if i, ok := slices.BinarySearchFunc(t.entries, treeEntry{name: name, mode: filemode.Dir}, compareGitOrder); ok {
		return t.entries[i], true
	}
	return treeEntry{}, false
}

func (t *treeObject) cost() int64 {
	n := int64(64)
	for _, e := range t.entries {
		n += int64(len(e.name)) + 64
	}
	return n
}

var errObjectType = errors.New("object has an unexpected type")

// decodeTree parses the content of a tree object:
// repeated "<octal mode> <name>\x00<20-byte hash>".
func decodeTree(data []byte) (*treeObject, error) {
	t := &treeObject{}
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 {
			return nil, errors.New("malformed tree: missing mode")
		}
		mode, err := strconv.ParseUint(string(data[:sp]), 8, 32)
		if err != nil {
			return nil, errors.New("malformed tree: invalid mode")
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul <= 0 || len(data) < nul+1+20 {
			return nil, errors.New("malformed tree: truncated entry")
		}
		e := treeEntry{name: string(data[:nul]), mode: canonicalMode(filemode.FileMode(mode))}
		copy(e.hash[:], data[nul+1:nul+21])
		t.entries = append(t.entries, e)
		data = data[nul+21:]
	}
	t.unsorted = !slices.IsSortedFunc(t.entries, compareGitOrder)
	return t, nil
}

func canonicalMode(m filemode.FileMode) filemode.FileMode {
	switch m & 0o170000 {
	case 0o040000:
		return filemode.Dir
	case 0o100000:
		if m&0o111 != 0 {
			return filemode.Executable
		}
		return filemode.Regular
	case 0o120000:
		return filemode.Symlink
	default:
		return filemode.Submodule
	}
}

// encodeTree returns the content of a tree object. entries must be in git
// order (see sortEntries).
func encodeTree(entries []treeEntry) []byte {
	n := 0
	for _, e := range entries {
		n += len(e.name) + 28
	}
	buf := make([]byte, 0, n)
	for _, e := range entries {
		buf = strconv.AppendUint(buf, uint64(e.mode), 8)
		buf = append(buf, ' ')
		buf = append(buf, e.name...)
		buf = append(buf, 0)
		buf = append(buf, e.hash[:]...)
	}
	return buf
}

// compareGitOrder orders tree entries as git does: by name, with a
// directory compared as if its name ended in '/'.
func compareGitOrder(a, b treeEntry) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	return cmp.Compare(gitOrderByte(a, n), gitOrderByte(b, n))
}

// gitOrderByte returns the byte of e's sort name at i, where a directory's
// sort name has a trailing '/', or 0 past its end.
func gitOrderByte(e treeEntry, i int) byte {
	switch {
	case i < len(e.name):
		return e.name[i]
	case i == len(e.name) && e.isDir():
		return '/'
	default:
		return 0
	}
}

// access names the storage that a read goes through.
type access bool

const (
	// pooled reads through a storage from the reader pool, from any
	// goroutine.
	pooled access = false
	// locked reads through the writer storage, only under the project lock.
	locked access = true
)

// readRaw reads the content of an object.
//
// A storage loads the index of each pack once. When a commit has replaced
// the tail pack or a merge has removed packs since, a lookup misses or the
// pack it names is gone, so a failed read reloads the indexes and tries
// once more. A pooled read holds r.gate for reading throughout, so the set
// of packs cannot change between the two tries (see packs.go). The writer
// storage is only read by the goroutine that changes that set.
func (r *repo) readRaw(via access, t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	var st *filesystem.Storage
	if via == locked {
		st = r.storage.Storage
	} else {
		r.gate.RLock()
		defer r.gate.RUnlock()
		st = r.getReader()
		defer r.putReader(st)
	}
	data, err := readObject(st, t, h)
	if err != nil && !errors.Is(err, errObjectType) {
		st.Reindex()
		data, err = readObject(st, t, h)
	}
	return data, err
}

func readObject(src storer.EncodedObjectStorer, t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	obj, err := src.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return nil, err
	}
	if obj.Type() != t {
		return nil, fmt.Errorf("%w: %s is a %s, not a %s", errObjectType, h, obj.Type(), t)
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	buf := bytes.NewBuffer(make([]byte, 0, obj.Size()))
	if _, err := io.Copy(buf, rd); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (r *repo) commit(via access, h plumbing.Hash) (*commitInfo, error) {
	if v, ok := r.cache.get(r.gen, h); ok {
		if c, ok := v.(*commitInfo); ok {
			return c, nil
		}
		return nil, fmt.Errorf("%w: %s is not a commit", errObjectType, h)
	}
	data, err := r.readRaw(via, plumbing.CommitObject, h)
	if err != nil {
		return nil, err
	}
	info, err := decodeCommit(data)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", h, err)
	}
	r.cache.put(r.gen, h, info, info.cost())
	return info, nil
}

func decodeCommit(data []byte) (*commitInfo, error) {
	obj := &plumbing.MemoryObject{}
	obj.SetType(plumbing.CommitObject)
	if _, err := obj.Write(data); err != nil {
		return nil, err
	}
	var c object.Commit
	if err := c.Decode(obj); err != nil {
		return nil, err
	}
	return &commitInfo{tree: c.TreeHash, parents: c.ParentHashes, when: c.Committer.When}, nil
}

func (c *commitInfo) cost() int64 { return 128 + int64(len(c.parents))*20 }

func (r *repo) tree(via access, h plumbing.Hash) (*treeObject, error) {
	if v, ok := r.cache.get(r.gen, h); ok {
		if t, ok := v.(*treeObject); ok {
			return t, nil
		}
		return nil, fmt.Errorf("%w: %s is not a tree", errObjectType, h)
	}
	data, err := r.readRaw(via, plumbing.TreeObject, h)
	if err != nil {
		return nil, err
	}
	t, err := decodeTree(data)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	r.cache.put(r.gen, h, t, t.cost())
	return t, nil
}

// maxCachedBlob is the largest blob, in bytes, that the cache keeps.
const maxCachedBlob = 1 << 20

// blob returns the content of a blob. The slice may be shared with the
// cache: callers that hand it out copy it first.
func (r *repo) blob(via access, h plumbing.Hash) ([]byte, error) {
	if v, ok := r.cache.get(r.gen, h); ok {
		if b, ok := v.([]byte); ok {
			return b, nil
		}
		return nil, fmt.Errorf("%w: %s is not a blob", errObjectType, h)
	}
	data, err := r.readRaw(via, plumbing.BlobObject, h)
	if err != nil {
		return nil, err
	}
	if len(data) <= maxCachedBlob {
		r.cache.put(r.gen, h, data, int64(len(data))+64)
	}
	return data, nil
}
