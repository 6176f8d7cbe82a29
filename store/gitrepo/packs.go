package gitrepo

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// Commits store their objects in packfiles, not as loose objects.
//
// Writing a loose object creates a new file, and creating a file (allocating
// an inode) can be far slower than rewriting an existing one. On the ext4
// disk of the 2-core VM this package was measured on, a create took about
// 0.5 ms, and a rename or an overwrite about 20 µs. A commit makes at least
// four objects, so loose objects capped commits at a few hundred per second.
//
// Instead each repository has a tail pack that contains the objects of its
// recent commits. A commit appends its objects to the tail in memory,
// writes the whole pack and its index into two spare files, renames them
// to pack-<checksum>.pack/.idx, and renames the previous tail files to
// spares. When the tail grows past tailPackMaxBytes it is frozen: it stays
// as an ordinary pack and the next commit starts a new tail. Frozen packs
// are merged so that their sizes grow geometrically (see merge.go), and the
// merged packs become spares too. So a commit creates files only while the
// pool of spares is empty.
//
// A reader must never find a pack that is being overwritten. Reads through
// a storage hold repo.gate for reading from the first lookup to the last
// byte, retries included, and writers hold it for writing while they
// rename packs into place and out of the pack set. So a reader sees a fixed
// set of packs, and once a pack has left the set no reader still has it
// open, and its files can be overwritten as spares at any later time.
//
// NOTE: this covers readers in this process only. A git process that reads
// the repository while the store writes can, rarely, read a spare that is
// being overwritten, and fail or see a wrong ref.

const (
	// tailPackMaxBytes is the size at which the tail pack is frozen. Each
	// commit rewrites and hashes the whole tail, so this bounds that cost.
	tailPackMaxBytes = 64 << 10
	// maxSpares bounds the pool of spare files per repository; further
	// recycled files are deleted.
	maxSpares   = 8
	sparePrefix = tempPrefix + "spare-"
)

// objectBatch collects the new objects of one write until they are
// published together.
type objectBatch struct {
	objects []batchObject
	seen    map[plumbing.Hash]bool
}

type batchObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	data []byte
	// base is the tree that a tree replaces, which it may be stored as a
	// delta of; zero for other objects and new directories.
	base plumbing.Hash
	// decoded is the *treeObject, *commitInfo or nil (for blobs) that the
	// read cache takes once the object is published.
	decoded any
}

func newObjectBatch() *objectBatch {
	return &objectBatch{seen: make(map[plumbing.Hash]bool)}
}

// add records an object and returns its hash.
func (b *objectBatch) add(t plumbing.ObjectType, data []byte, decoded any) plumbing.Hash {
	h := plumbing.ComputeHash(t, data)
	if !b.seen[h] {
		b.seen[h] = true
		b.objects = append(b.objects, batchObject{hash: h, typ: t, data: data, decoded: decoded})
	}
	return h
}

// addTree records a tree whose hash h the caller computed, and the tree
// base that it replaces (zero for a new directory).
func (b *objectBatch) addTree(h plumbing.Hash, data []byte, decoded *treeObject, base plumbing.Hash) {
	if !b.seen[h] {
		b.seen[h] = true
		b.objects = append(b.objects, batchObject{hash: h, typ: plumbing.TreeObject, data: data, base: base, decoded: decoded})
	}
}

// tailPack is the pack that commits append to. It is used only under the
// project lock.
type tailPack struct {
	buf     []byte          // header and entries, without the trailing checksum
	entries []idxfile.Entry // sorted by hash, as the index lists them
	hashes  map[plumbing.Hash]bool
	name    plumbing.Hash // checksum of the tail on disk; zero when there is none
	// trees holds trees of the tail that later trees may be deltas of,
	// with treeBytes the sum of their sizes.
	trees     map[plumbing.Hash]tailTree
	treeBytes int
}

// sparePool lists the files under objects/pack whose content is of no
// value, to be overwritten instead of creating files. It is used only
// under the project lock.
type sparePool struct {
	paths   []string
	counter int // suffix of the next spare name
}

// zlibWriters pools writers at the fastest level: a commit compresses its
// objects once, and git reads any level.
var zlibWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // the error is only for an invalid level
	return w
}}

// storeWriters pools writers that store without compressing, for trees.
// Trees are mostly 20-byte hashes that do not compress, and a commit
// rewrites every tree on its path, which in a directory of a few hundred
// files is kilobytes per commit. Storing them raised BenchmarkCommit/NewFile
// (-benchtime 5000x) from about 1,850 to about 2,900 commits/s on the 2-core
// VM named above, with other jobs running.
var storeWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.NoCompression) // the error is only for an invalid level
	return w
}}

// appendEntry appends the pack entry of an object: a header with the type
// and the size, then the content as a zlib stream.
func appendEntry(buf []byte, t plumbing.ObjectType, data []byte) []byte {
	buf = appendEntryHeader(buf, t, len(data))
	pool := &zlibWriters
	if t == plumbing.TreeObject {
		pool = &storeWriters
	}
	return appendCompressed(buf, data, pool)
}

// appendEntryHeader appends the type and size of a pack entry: the type in
// bits 4-6 of the first byte, and the size as a varint of 4 bits and then 7
// bits per byte.
func appendEntryHeader(buf []byte, t plumbing.ObjectType, size int) []byte {
	c := byte(t)<<4 | byte(size&0x0f)
	size >>= 4
	for size > 0 {
		buf = append(buf, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(buf, c)
}

// appendCompressed appends data as a zlib stream written by a writer from
// pool.
func appendCompressed(buf []byte, data []byte, pool *sync.Pool) []byte {
	out := bytes.NewBuffer(buf)
	zw := pool.Get().(*zlib.Writer)
	zw.Reset(out)
	_, _ = zw.Write(data) // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	pool.Put(zw)
	return out.Bytes()
}

// publish makes the objects of b readable from disk, through a new tail
// pack. Objects already in the tail are not added again.
func (r *repo) publish(b *objectBatch) error {
	t := &r.tail
	if t.hashes == nil {
		t.hashes = make(map[plumbing.Hash]bool)
	}
	if len(t.buf) == 0 {
		t.buf = append(t.buf[:0], 'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0)
	}
	for _, o := range b.objects {
		if t.hashes[o.hash] {
			continue
		}
		offset := len(t.buf)
		t.appendObject(o)
		e := idxfile.Entry{Hash: o.hash, Offset: uint64(offset), CRC32: crc32.ChecksumIEEE(t.buf[offset:])}
		i, _ := slices.BinarySearchFunc(t.entries, e, compareEntryHash)
		t.entries = slices.Insert(t.entries, i, e)
		t.hashes[o.hash] = true
	}
	binary.BigEndian.PutUint32(t.buf[8:12], uint32(len(t.entries)))

	if err := r.writeTail(); err != nil {
		return err
	}
	for _, o := range b.objects {
		r.cacheNew(o)
	}
	if len(t.buf) >= tailPackMaxBytes {
		r.freezeTail()
	}
	return nil
}

// appendObject appends the entry of o to the tail: a delta when o is a tree
// whose base tree is in the tail and the delta is much smaller, else the
// whole object.
func (t *tailPack) appendObject(o batchObject) {
	offset := len(t.buf)
	if o.typ != plumbing.TreeObject {
		t.buf = appendEntry(t.buf, o.typ, o.data)
		return
	}
	depth := 0
	base, ok := t.trees[o.base]
	// go-git rejects a delta of an empty base, as the empty tree is.
	if ok && len(base.content) > 0 && base.depth < maxDeltaDepth {
		if delta := treeDelta(base.content, o.data); len(delta) < len(o.data)/2 {
			t.buf = appendOffsetDeltaEntry(t.buf, offset-base.offset, delta)
			depth = base.depth + 1
		}
	}
	if len(t.buf) == offset {
		t.buf = appendEntry(t.buf, o.typ, o.data)
	}

	if t.trees == nil {
		t.trees = make(map[plumbing.Hash]tailTree)
	}
	if ok {
		// Later commits on this directory start from the new version, so
		// the old one is rarely a base again.
		delete(t.trees, o.base)
		t.treeBytes -= len(base.content)
	}
	if t.treeBytes+len(o.data) <= maxTailTreeBytes {
		t.trees[o.hash] = tailTree{content: o.data, offset: offset, depth: depth}
		t.treeBytes += len(o.data)
	}
}

// writeTail writes the tail pack and its index into spare files, renames
// them into place and recycles the previous tail's files.
func (r *repo) writeTail() error {
	t := &r.tail
	sum := sha1.Sum(t.buf)
	name := plumbing.Hash(sum)
	if name == t.name {
		return nil
	}
	idxData, err := encodeIndex(t.entries, name)
	if err != nil {
		return err
	}

	packPath, err := r.writeSpare(t.buf, sum[:])
	if err != nil {
		return err
	}
	idxPath, err := r.writeSpare(idxData)
	if err != nil {
		r.recycle(packPath)
		return err
	}

	r.gate.Lock()
	defer r.gate.Unlock()
	base := filepath.Join(r.packDir(), "pack-"+name.String())
	if err := installPack(base, packPath, idxPath); err != nil {
		r.recycle(packPath)
		r.recycle(idxPath)
		return err
	}
	old := t.name
	t.name = name
	if !old.IsZero() {
		// The new tail contains every object of the previous one.
		r.recyclePack(filepath.Join(r.packDir(), "pack-"+old.String()))
	}
	return nil
}

func (r *repo) packDir() string {
	return filepath.Join(r.dir, "objects", "pack")
}

// installPack renames a written pack and index to base.pack and base.idx.
// The index goes first: go-git finds packs by their .pack file and expects
// the index to be there.
func installPack(base, packPath, idxPath string) error {
	if err := os.Rename(idxPath, base+".idx"); err != nil {
		return err
	}
	if err := os.Rename(packPath, base+".pack"); err != nil {
		_ = os.Rename(base+".idx", idxPath)
		return err
	}
	return nil
}

// recyclePack takes the pack at base (a path without suffix) out of the
// pack set and recycles its files. The caller holds r.gate for writing. The
// .pack goes first, so no pack is ever listed without its index; Open
// removes an index left alone.
func (r *repo) recyclePack(base string) {
	r.recycle(base + ".pack")
	r.recycle(base + ".idx")
}

// recycle renames the file at path into the spare pool, or deletes it when
// the pool is full. A file of the pack set may only be recycled under
// r.gate held for writing. Failures are ignored: the file then stays where
// it is, which costs only disk space, and Open removes stray spares.
func (r *repo) recycle(path string) {
	p := &r.spares
	if len(p.paths) >= maxSpares {
		_ = os.Remove(path)
		return
	}
	p.counter++
	spare := filepath.Join(r.packDir(), sparePrefix+strconv.Itoa(p.counter))
	if os.Rename(path, spare) == nil {
		p.paths = append(p.paths, spare)
	}
}

// openSpare opens a spare for writing from its start, or creates a file
// when the pool is empty.
func (r *repo) openSpare() (*os.File, error) {
	p := &r.spares
	for len(p.paths) > 0 {
		path := p.paths[len(p.paths)-1]
		p.paths = p.paths[:len(p.paths)-1]
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(path)
		}
	}
	return os.CreateTemp(r.packDir(), sparePrefix+"new-*")
}

// writeSpare writes the concatenation of parts into a spare and returns its
// path.
func (r *repo) writeSpare(parts ...[]byte) (string, error) {
	f, err := r.openSpare()
	if err != nil {
		return "", err
	}
	var size int64
	for _, part := range parts {
		if err == nil {
			_, err = f.Write(part)
			size += int64(len(part))
		}
	}
	return f.Name(), finishSpare(f, size, err)
}

// finishSpare cuts a spare written from its start to size and closes it.
// It never truncates to zero: ext4 flushes a file on close when it was
// truncated to zero and written again, which would cost a disk write per
// commit. On failure it deletes the file.
func finishSpare(f *os.File, size int64, err error) error {
	if err == nil {
		err = f.Truncate(size)
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// cacheNew puts a just-written object into the read cache, so that reads
// right after a commit do not go to disk.
func (r *repo) cacheNew(o batchObject) {
	switch v := o.decoded.(type) {
	case *treeObject:
		r.cache.put(r.gen, o.hash, v, v.cost())
	case *commitInfo:
		r.cache.put(r.gen, o.hash, v, v.cost())
	case nil:
		if o.typ == plumbing.BlobObject && len(o.data) <= maxCachedBlob {
			r.cache.put(r.gen, o.hash, o.data, int64(len(o.data))+64)
		}
	}
}
