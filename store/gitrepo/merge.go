package gitrepo

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// freezeTail keeps the current tail as an ordinary pack and starts a new
// one with the next commit. It then merges packs when they no longer grow
// geometrically. A failed merge only leaves more packs than planned, and
// the next freeze tries again, so its error does not fail the commit.
func (r *repo) freezeTail() {
	r.tail = tailPack{buf: r.tail.buf[:0]}
	_ = r.mergePacks()
}

// mergeFactor is the size ratio kept between packs (see geometricSplit), so
// a repository has O(log size) packs and each object is copied O(log size)
// times.
const mergeFactor = 2

type packFile struct {
	base string // path without the .pack or .idx suffix
	size int64
}

// mergePacks merges the smallest packs into one, as geometricSplit decides,
// and recycles them as spares. It copies entries byte for byte, except that
// it rewrites the base distance of each OFS_DELTA entry. A pack with a
// REF_DELTA entry, which may name a base in another pack, is left alone
// from then on.
//
// A reader that looks up a merged pack by name fails, reloads the pack
// list and finds the merged pack.
func (r *repo) mergePacks() error {
	packDir := r.packDir()
	dirEntries, err := os.ReadDir(packDir)
	if err != nil {
		return err
	}
	var packs []packFile
	for _, e := range dirEntries {
		name, ok := strings.CutSuffix(e.Name(), ".pack")
		if !ok || !strings.HasPrefix(name, "pack-") || r.deltaPacks[name] || name == "pack-"+r.tail.name.String() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		packs = append(packs, packFile{base: filepath.Join(packDir, name), size: info.Size()})
	}
	slices.SortFunc(packs, func(a, b packFile) int { return cmp.Compare(a.size, b.size) })
	k := geometricSplit(packs)
	if k < 2 {
		return nil
	}

	packPath, idxPath, name, err := r.writeMergedPack(packs[:k])
	if errors.Is(err, errDeltaEntry) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("merge packs: %w", err)
	}

	r.gate.Lock()
	defer r.gate.Unlock()
	merged := filepath.Join(packDir, "pack-"+name.String())
	if err := installPack(merged, packPath, idxPath); err != nil {
		r.recycle(packPath)
		r.recycle(idxPath)
		return fmt.Errorf("merge packs: %w", err)
	}
	for _, p := range packs[:k] {
		if p.base != merged {
			r.recyclePack(p.base)
		}
	}
	return nil
}

// geometricSplit returns how many of packs, sorted by size, to merge so
// that the rest, with the merged pack, grow by mergeFactor at each step, as
// git repack --geometric does. The largest packs that already form such a
// progression stay. The smaller ones are rolled up, and every further pack
// that is smaller than mergeFactor times their total joins them.
func geometricSplit(packs []packFile) int {
	if len(packs) < 2 {
		return 0
	}
	i := len(packs) - 1
	for ; i > 0; i-- {
		if packs[i].size < mergeFactor*packs[i-1].size {
			break
		}
	}
	split := i
	if split > 0 {
		split++ // the larger pack of the failing pair is not in the progression
	}
	var total int64
	for _, p := range packs[:split] {
		total += p.size
	}
	for split < len(packs) && packs[split].size < mergeFactor*total {
		total += packs[split].size
		split++
	}
	return split
}

var errDeltaEntry = errors.New("pack contains a delta entry")

// writeMergedPack writes one pack with every object of packs into spares
// and returns their paths and the pack's checksum. When one of packs contains
// a REF_DELTA entry it records that pack in r.deltaPacks and returns
// errDeltaEntry.
func (r *repo) writeMergedPack(packs []packFile) (packPath, idxPath string, name plumbing.Hash, err error) {
	type source struct {
		pack  int
		entry idxfile.Entry
		end   uint64 // offset where the entry's bytes end
	}
	var sources []source
	seen := make(map[plumbing.Hash]bool)
	// hashAt maps the offsets of each pack's entries to their objects, to
	// find the bases of OFS_DELTA entries.
	hashAt := make([]map[uint64]plumbing.Hash, len(packs))
	for i, p := range packs {
		idx, err := readIndex(p.base + ".idx")
		if err != nil {
			return "", "", name, err
		}
		iter, err := idx.EntriesByOffset()
		if err != nil {
			return "", "", name, err
		}
		var entries []idxfile.Entry
		for {
			e, err := iter.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				iter.Close()
				return "", "", name, err
			}
			entries = append(entries, *e)
		}
		iter.Close()
		byOffset := make(map[uint64]plumbing.Hash, len(entries))
		for j, e := range entries {
			byOffset[e.Offset] = e.Hash
			end := uint64(p.size) - 20 // the pack ends with a SHA-1 checksum
			if j+1 < len(entries) {
				end = entries[j+1].Offset
			}
			if !seen[e.Hash] {
				seen[e.Hash] = true
				sources = append(sources, source{pack: i, entry: e, end: end})
			}
		}
		hashAt[i] = byOffset
	}

	files := make([]*os.File, len(packs))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, p := range packs {
		f, err := os.Open(p.base + ".pack")
		if err != nil {
			return "", "", name, err
		}
		files[i] = f
	}

	out, err := r.openSpare()
	if err != nil {
		return "", "", name, err
	}
	packPath = out.Name()

	sum := sha1.New()
	w := bufio.NewWriterSize(io.MultiWriter(out, sum), 64<<10)
	header := []byte{'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(header[8:], uint32(len(sources)))
	_, err = w.Write(header)
	offset := uint64(len(header))
	entries := make([]idxfile.Entry, 0, len(sources))
	newOffsets := make(map[plumbing.Hash]uint64, len(sources))
	var raw []byte
	for _, src := range sources {
		if err != nil {
			break
		}
		n := src.end - src.entry.Offset
		raw = slices.Grow(raw[:0], int(n))[:n]
		if _, err = files[src.pack].ReadAt(raw, int64(src.entry.Offset)); err != nil {
			break
		}
		entry := idxfile.Entry{Hash: src.entry.Hash, CRC32: src.entry.CRC32, Offset: offset}
		out := raw
		switch plumbing.ObjectType(raw[0] >> 4 & 7) {
		case plumbing.REFDeltaObject:
			// A REF_DELTA, as fetched packs hold, may name a base in
			// another pack, which the merged pack would not be valid
			// without.
			if r.deltaPacks == nil {
				r.deltaPacks = make(map[string]bool)
			}
			r.deltaPacks[filepath.Base(packs[src.pack].base)] = true
			err = errDeltaEntry
		case plumbing.OFSDeltaObject:
			out, err = rebaseEntry(raw, src.entry.Offset, offset, hashAt[src.pack], newOffsets)
			entry.CRC32 = crc32.ChecksumIEEE(out)
		}
		if err != nil {
			break
		}
		entries = append(entries, entry)
		newOffsets[entry.Hash] = offset
		_, err = w.Write(out)
		offset += uint64(len(out))
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		copy(name[:], sum.Sum(nil))
		_, err = out.Write(name[:])
	}
	if err := finishSpare(out, int64(offset)+int64(len(name)), err); err != nil {
		return "", "", name, err
	}

	idxData, err := encodeIndex(entries, name)
	if err == nil {
		idxPath, err = r.writeSpare(idxData)
	}
	if err != nil {
		r.recycle(packPath)
		return "", "", name, err
	}
	return packPath, idxPath, name, nil
}

// rebaseEntry rewrites the OFS_DELTA entry raw, at oldOffset in a pack
// whose entries hashAt lists, for offset in the merged pack, where
// newOffsets lists the entries written so far. The base precedes its delta
// in the source pack, or its object was taken from an earlier pack, so it
// has been written already.
func rebaseEntry(raw []byte, oldOffset, offset uint64, hashAt map[uint64]plumbing.Hash, newOffsets map[plumbing.Hash]uint64) ([]byte, error) {
	baseAt, err := baseOffset(raw, oldOffset)
	if err != nil {
		return nil, err
	}
	base, ok := hashAt[baseAt]
	if !ok {
		return nil, fmt.Errorf("%w: no entry at the delta base offset %d", errBadEntry, baseAt)
	}
	newBase, ok := newOffsets[base]
	if !ok {
		return nil, fmt.Errorf("%w: delta base %s is not in the merged pack", errBadEntry, base)
	}
	return rebaseOffsetDelta(raw, offset, newBase)
}

// encodeIndex returns the version 2 index of a pack with the given entries
// and checksum. The index is a header, a fan-out table of 256 counts, the
// sorted hashes, their CRC-32s and their offsets, followed by a table for
// offsets of 2 GiB or more, the pack checksum and a SHA-1 of all that.
// go-git's idxfile.Writer produces the same bytes, several times slower.
func encodeIndex(entries []idxfile.Entry, checksum plumbing.Hash) ([]byte, error) {
	sorted := entries
	if !slices.IsSortedFunc(sorted, compareEntryHash) {
		sorted = slices.Clone(entries)
		slices.SortFunc(sorted, compareEntryHash)
	}
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Hash == sorted[i-1].Hash {
			return nil, fmt.Errorf("object %s appears twice in a pack", sorted[i].Hash)
		}
	}

	n := len(sorted)
	buf := make([]byte, 0, 8+256*4+n*(20+4+4)+40)
	buf = append(buf, 0xff, 't', 'O', 'c', 0, 0, 0, 2)
	var fanout [256]uint32
	for _, e := range sorted {
		fanout[e.Hash[0]]++
	}
	var count uint32
	for _, c := range fanout {
		count += c
		buf = binary.BigEndian.AppendUint32(buf, count)
	}
	for _, e := range sorted {
		buf = append(buf, e.Hash[:]...)
	}
	for _, e := range sorted {
		buf = binary.BigEndian.AppendUint32(buf, e.CRC32)
	}
	var large []uint64
	for _, e := range sorted {
		if e.Offset < 1<<31 {
			buf = binary.BigEndian.AppendUint32(buf, uint32(e.Offset))
			continue
		}
		buf = binary.BigEndian.AppendUint32(buf, 1<<31|uint32(len(large)))
		large = append(large, e.Offset)
	}
	for _, off := range large {
		buf = binary.BigEndian.AppendUint64(buf, off)
	}
	buf = append(buf, checksum[:]...)
	sum := sha1.Sum(buf)
	return append(buf, sum[:]...), nil
}

func compareEntryHash(a, b idxfile.Entry) int {
	return bytes.Compare(a.Hash[:], b.Hash[:])
}

func readIndex(path string) (*idxfile.MemoryIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	idx := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(bufio.NewReader(f)).Decode(idx); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return idx, nil
}
