package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

const (
	repoSuffix   = ".git"
	createPrefix = ".create-"
	deletePrefix = ".delete-"
	// tempPrefix names the temporary files of atomic writes inside a
	// repository directory. Git and go-git ignore them there.
	tempPrefix = ".tmp-"

	// gitObjectCacheBytes bounds go-git's own cache of encoded objects,
	// shared by all repositories of a Store. It mostly serves delta bases
	// while reading packfiles, because objectCache serves repeated reads.
	gitObjectCacheBytes = 16 << 20
)

// repo is one repository directory. A new repo value, with a new
// generation, is made whenever a repository is created, so cached objects of
// a deleted repository never leak into a new one of the same name.
type repo struct {
	gen   uint64
	dir   string
	cache *objectCache
	// gitCache is go-git's cache, shared by all storages of the Store and
	// guarded by go-git with a mutex. It is keyed by hash alone, which is
	// safe across repositories: a storage looks a hash up in its own packs
	// or loose objects first and only then takes the cached object.
	gitCache cache.Object
	// storage is used only under the project lock: go-git storages keep
	// unguarded state (pack indexes, open packfiles), so readers take their
	// own from readers instead.
	storage *repoStorage
	readers chan *filesystem.Storage
	// gate is held for reading by every read through a pooled storage; see
	// packs.go for the writer side.
	gate   sync.RWMutex
	tail   tailPack  // used only under the project lock
	spares sparePool // used only under the project lock
	// deltaPacks names the packs (as "pack-<checksum>") that mergePacks
	// leaves alone because they contain REF_DELTA entries. Used only under the
	// project lock.
	deltaPacks map[string]bool
}

func newRepo(dir string, gen uint64, c *objectCache, gitCache cache.Object) *repo {
	r := &repo{
		gen:      gen,
		dir:      dir,
		cache:    c,
		gitCache: gitCache,
		readers:  make(chan *filesystem.Storage, readerPoolSize),
	}
	r.storage = &repoStorage{Storage: r.newStorage(), dir: dir}
	return r
}

// newStorage opens a go-git storage on the repository.
//
// ExclusiveAccess stays off: with it, go-git caches the list of packs, which
// every commit changes (see packs.go), and lists the whole objects
// directory again after each loose object write.
func (r *repo) newStorage() *filesystem.Storage {
	fs := idxFS{Filesystem: osfs.New(r.dir)}
	return filesystem.NewStorageWithOptions(fs, r.gitCache, filesystem.Options{})
}

// idxFS reads pack index files whole. go-git decodes an index with many
// small unbuffered reads, hundreds of system calls per index, and a storage
// reloads every index after a commit replaced the tail pack.
type idxFS struct {
	billy.Filesystem
}

func (fs idxFS) Open(name string) (billy.File, error) {
	if !strings.HasSuffix(name, ".idx") {
		return fs.Filesystem.Open(name)
	}
	f, err := fs.Filesystem.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return &memFile{name: name, Reader: bytes.NewReader(data)}, nil
}

// memFile is a read-only billy.File over bytes in memory.
type memFile struct {
	name string
	*bytes.Reader
}

func (f *memFile) Name() string              { return f.name }
func (f *memFile) Write([]byte) (int, error) { return 0, errReadOnly }
func (f *memFile) Truncate(int64) error      { return errReadOnly }
func (f *memFile) Close() error              { return nil }
func (f *memFile) Lock() error               { return nil }
func (f *memFile) Unlock() error             { return nil }

var errReadOnly = errors.New("file is read-only")

// readerPoolSize is the number of idle read-only storages kept per
// repository.
var readerPoolSize = 4 * runtime.GOMAXPROCS(0)

func (r *repo) getReader() *filesystem.Storage {
	select {
	case st := <-r.readers:
		return st
	default:
		return r.newStorage()
	}
}

// putReader returns a storage to the pool. A dropped storage needs no
// Close: without KeepDescriptors go-git closes each packfile after a read.
func (r *repo) putReader(st *filesystem.Storage) {
	select {
	case r.readers <- st:
	default:
	}
}

// repoStorage is the go-git storer that writes a repository. It replaces
// go-git's reference writes, which truncate the ref file in place and so can
// leave it empty when the process dies, with writes that swap or rename a
// complete file into place. Callers hold the project lock for every
// reference write, which also guards the spare file of exchangeRef.
type repoStorage struct {
	*filesystem.Storage
	dir string
}

// SetReference writes ref atomically.
func (s *repoStorage) SetReference(ref *plumbing.Reference) error {
	var content string
	switch ref.Type() {
	case plumbing.HashReference:
		content = ref.Hash().String() + "\n"
	case plumbing.SymbolicReference:
		content = "ref: " + ref.Target().String() + "\n"
	default:
		return fmt.Errorf("reference %q has an invalid type", ref.Name())
	}
	name := ref.Name()
	if name != plumbing.HEAD {
		if err := name.Validate(); err != nil || !strings.HasPrefix(name.String(), "refs/") {
			return fmt.Errorf("invalid reference name %q", name)
		}
	}
	path := filepath.Join(s.dir, filepath.FromSlash(name.String()))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if s.exchangeRef(path, []byte(content)) == nil {
		return nil
	}
	return writeFileAtomic(s.dir, path, []byte(content), 0o644)
}

// exchangeRef replaces the existing file at path with content without
// creating a file: it writes content into a spare file and swaps the two,
// after which the spare contains the old content. Creating a file costs far
// more than rewriting one on some file systems (see packs.go). The swap
// fails when path does not exist yet or the file system does not support
// it; the caller then writes a new file.
func (s *repoStorage) exchangeRef(path string, content []byte) error {
	spare := filepath.Join(s.dir, tempPrefix+"spare-ref")
	f, err := os.OpenFile(spare, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if err := finishSpare(f, int64(len(content)), err); err != nil {
		return err
	}
	return exchangeFiles(spare, path)
}

// CheckAndSetReference writes ref when the stored value of its name is old.
// Callers hold the project lock, so the check and the write cannot race
// within the process.
func (s *repoStorage) CheckAndSetReference(ref, old *plumbing.Reference) error {
	if old != nil {
		current, err := s.Storage.Reference(old.Name())
		if err != nil {
			return err
		}
		if current.Hash() != old.Hash() {
			return errors.New("reference has changed concurrently")
		}
	}
	return s.SetReference(ref)
}

// setBranch moves a branch to head, or removes it when head is zero.
func (s *repoStorage) setBranch(branch string, head plumbing.Hash) error {
	name := plumbing.NewBranchReferenceName(branch)
	if head.IsZero() {
		return s.RemoveReference(name)
	}
	return s.SetReference(plumbing.NewHashReference(name, head))
}

// branchHeads reads every branch, loose or packed.
func (s *repoStorage) branchHeads() (map[string]plumbing.Hash, error) {
	iter, err := s.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("read refs: %w", err)
	}
	heads := make(map[string]plumbing.Hash)
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Name().IsBranch() && ref.Type() == plumbing.HashReference {
			heads[ref.Name().Short()] = ref.Hash()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read refs: %w", err)
	}
	return heads, nil
}

var _ storer.Storer = (*repoStorage)(nil)

// writeFileAtomic replaces path with data through a temporary file in
// tempDir, which must be on the same file system. Readers see the old or
// the new content, never a part.
func writeFileAtomic(tempDir, path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(tempDir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// cleanRepoDir removes what a killed process can leave in a repository:
// temporary files of atomic writes, spare files, go-git's temporary object
// and pack files, and a pack index without its pack. go-git writes the
// index of a fetched pack in place before it renames the pack, and skips
// writing an index that exists, so a partial index would later be taken as
// complete.
func cleanRepoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}

	packDir := filepath.Join(dir, "objects", "pack")
	entries, err = os.ReadDir(packDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		remove := strings.HasPrefix(name, "tmp_") || strings.HasPrefix(name, tempPrefix)
		if base, ok := strings.CutSuffix(name, ".idx"); ok {
			_, statErr := os.Stat(filepath.Join(packDir, base+".pack"))
			remove = errors.Is(statErr, fs.ErrNotExist)
		}
		if remove {
			if err := os.Remove(filepath.Join(packDir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}
