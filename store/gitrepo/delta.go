package gitrepo

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Trees are stored as deltas against the previous version of the same
// directory when that version is in the tail pack.
//
// A commit rewrites every tree on the path to each changed file, and a tree
// lists all entries of its directory. So in a directory of 1,000 files,
// each commit adds a 42 KB tree that differs from its parent's in one entry.
// Stored whole, those trees made most of a repository's size, and most of
// the bytes that each commit wrote and that merges copied again. As an
// OFS_DELTA entry (pack type 6) such a tree takes about 60 bytes.
//
// The delta's base must be in the same pack, because git resolves an
// OFS_DELTA by its offset in that pack. So a tree is a delta only when its
// base is in the tail, and the first version of a directory in a new tail
// is stored whole.

const (
	// maxDeltaDepth bounds delta chains. A read of a tree at depth n
	// applies n deltas, unless the read cache already holds the tree.
	maxDeltaDepth = 50
	// maxTailTreeBytes bounds the tree contents kept in memory as delta
	// bases for the tail.
	maxTailTreeBytes = 4 << 20
)

// tailTree is a tree object of the tail pack, kept in memory as a delta
// base.
type tailTree struct {
	content []byte
	offset  int // offset of its entry in the tail pack
	depth   int // 0 for a whole tree, else 1 + the depth of its base
}

// treeDelta returns the git delta that turns base into target: the common
// prefix and suffix are copied from base, and the rest is inserted. That is
// the whole difference between two versions of a tree in which a few
// adjacent entries changed.
func treeDelta(base, target []byte) []byte {
	limit := min(len(base), len(target))
	prefix := 0
	for prefix < limit && base[prefix] == target[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < limit-prefix && base[len(base)-1-suffix] == target[len(target)-1-suffix] {
		suffix++
	}

	delta := make([]byte, 0, 32+len(target)-prefix-suffix)
	delta = appendDeltaSize(delta, len(base))
	delta = appendDeltaSize(delta, len(target))
	delta = appendCopy(delta, 0, prefix)
	delta = appendInsert(delta, target[prefix:len(target)-suffix])
	delta = appendCopy(delta, len(base)-suffix, suffix)
	return delta
}

// appendDeltaSize appends a size in the little-endian base-128 form of
// delta headers.
func appendDeltaSize(b []byte, n int) []byte {
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

// maxCopy is the largest size one copy instruction can name.
const maxCopy = 0xffffff

// appendCopy appends copy instructions for base[offset:offset+n]. Each
// instruction is 0x80 with one bit for each non-zero byte of its offset
// (4 bytes) and size (3 bytes), followed by those bytes.
func appendCopy(b []byte, offset, n int) []byte {
	for n > 0 {
		size := min(n, maxCopy)
		op := byte(0x80)
		var args [7]byte
		k := 0
		for i := range 4 {
			if v := byte(offset >> (8 * i)); v != 0 {
				op |= 1 << i
				args[k] = v
				k++
			}
		}
		for i := range 3 {
			if v := byte(size >> (8 * i)); v != 0 {
				op |= 1 << (4 + i)
				args[k] = v
				k++
			}
		}
		b = append(b, op)
		b = append(b, args[:k]...)
		offset += size
		n -= size
	}
	return b
}

// appendInsert appends insert instructions for data: a length byte of 1 to
// 127, then that many literal bytes.
func appendInsert(b []byte, data []byte) []byte {
	for len(data) > 0 {
		n := min(len(data), 0x7f)
		b = append(b, byte(n))
		b = append(b, data[:n]...)
		data = data[n:]
	}
	return b
}

// appendOffsetDeltaEntry appends the pack entry of an OFS_DELTA: a header
// with the type and the size of the delta, the distance back to the base
// entry, and the delta as a zlib stream.
func appendOffsetDeltaEntry(buf []byte, distance int, delta []byte) []byte {
	buf = appendEntryHeader(buf, plumbing.OFSDeltaObject, len(delta))
	buf = appendBaseDistance(buf, uint64(distance))
	return appendCompressed(buf, delta, &zlibWriters)
}

// appendBaseDistance appends the distance of an OFS_DELTA entry to its base
// in git's encoding: big-endian base-128 in which each continued byte
// stands for one more than its value, so that every distance has one form.
func appendBaseDistance(b []byte, distance uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(distance & 0x7f)
	for distance >>= 7; distance != 0; distance >>= 7 {
		distance--
		i--
		tmp[i] = 0x80 | byte(distance&0x7f)
	}
	return append(b, tmp[i:]...)
}

var errBadEntry = errors.New("malformed pack entry")

// parseEntryHeader returns the object type of a pack entry and the length
// of its type-and-size header.
func parseEntryHeader(raw []byte) (plumbing.ObjectType, int, error) {
	for i, c := range raw {
		if c&0x80 == 0 {
			return plumbing.ObjectType(raw[0] >> 4 & 7), i + 1, nil
		}
		if i >= 10 {
			break
		}
	}
	return 0, 0, errBadEntry
}

// parseBaseDistance decodes the distance that starts raw, and returns it
// with its length in bytes.
func parseBaseDistance(raw []byte) (uint64, int, error) {
	var distance uint64
	for i, c := range raw {
		if i > 0 {
			distance++
		}
		distance = distance<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return distance, i + 1, nil
		}
		if i >= 9 {
			break
		}
	}
	return 0, 0, errBadEntry
}

// rebaseOffsetDelta returns the OFS_DELTA entry raw, found at oldOffset in
// its pack, rewritten for newOffset in another pack whose base entry is at
// newBase. The delta data stays byte for byte.
func rebaseOffsetDelta(raw []byte, newOffset, newBase uint64) ([]byte, error) {
	_, headerLen, err := parseEntryHeader(raw)
	if err != nil {
		return nil, err
	}
	_, distanceLen, err := parseBaseDistance(raw[headerLen:])
	if err != nil {
		return nil, err
	}
	if newBase >= newOffset {
		return nil, fmt.Errorf("%w: delta base at %d is not before the entry at %d", errBadEntry, newBase, newOffset)
	}
	out := make([]byte, 0, len(raw)+4)
	out = append(out, raw[:headerLen]...)
	out = appendBaseDistance(out, newOffset-newBase)
	return append(out, raw[headerLen+distanceLen:]...), nil
}

// baseOffset returns the offset of the base of the OFS_DELTA entry raw that
// is at offset in its pack.
func baseOffset(raw []byte, offset uint64) (uint64, error) {
	_, headerLen, err := parseEntryHeader(raw)
	if err != nil {
		return 0, err
	}
	distance, _, err := parseBaseDistance(raw[headerLen:])
	if err != nil {
		return 0, err
	}
	if distance == 0 || distance > offset {
		return 0, fmt.Errorf("%w: delta distance %d at offset %d", errBadEntry, distance, offset)
	}
	return offset - distance, nil
}
