package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"

	"github.com/keptn-api/keptn-api/store"
)

// TestEncodeIndexMatchesGoGit compares encodeIndex with go-git's index
// writer, including an offset that needs the 64-bit table.
func TestEncodeIndexMatchesGoGit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var entries []idxfile.Entry
	for i := range 300 {
		var h plumbing.Hash
		for j := range h {
			h[j] = byte(rng.UintN(256))
		}
		offset := uint64(12 + i*100)
		if i == 299 {
			offset = 3 << 30
		}
		entries = append(entries, idxfile.Entry{Hash: h, CRC32: rng.Uint32(), Offset: offset})
	}
	checksum := plumbing.NewHash("0123456789abcdef0123456789abcdef01234567")

	got, err := encodeIndex(entries, checksum)
	if err != nil {
		t.Fatalf("encodeIndex: %v", err)
	}

	w := &idxfile.Writer{}
	if err := w.OnHeader(uint32(len(entries))); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		w.Add(e.Hash, e.Offset, e.CRC32)
	}
	if err := w.OnFooter(checksum); err != nil {
		t.Fatal(err)
	}
	idx, err := w.Index()
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if _, err := idxfile.NewEncoder(&want).Encode(idx); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("encodeIndex differs from go-git's writer: %d bytes, want %d", len(got), want.Len())
	}

	decoded := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(bytes.NewReader(got)).Decode(decoded); err != nil {
		t.Fatalf("decode the index: %v", err)
	}
	for _, e := range entries {
		off, err := decoded.FindOffset(e.Hash)
		if err != nil || uint64(off) != e.Offset {
			t.Errorf("FindOffset(%s) = %d, %v; want %d", e.Hash, off, err, e.Offset)
		}
	}
}

func TestEncodeIndexRejectsDuplicates(t *testing.T) {
	h := plumbing.NewHash("0123456789abcdef0123456789abcdef01234567")
	_, err := encodeIndex([]idxfile.Entry{{Hash: h, Offset: 12}, {Hash: h, Offset: 40}}, plumbing.ZeroHash)
	if err == nil {
		t.Error("encodeIndex of a duplicate hash succeeded, want an error")
	}
}

// TestPacksAfterManyCommits makes enough commits to freeze and merge tail
// packs, then checks the repository with git fsck and the pack count.
func TestPacksAfterManyCommits(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	s, err := Open(root, Options{CacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	v, err := s.CreateRepository(ctx, "p", nil, []store.FileChange{{Path: "metadata.yaml", Content: []byte("x")}}, "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateBranch(ctx, "p", "dev"); err != nil {
		t.Fatal(err)
	}
	const commits = 1500
	content := make([]byte, 2000)
	for i := range commits {
		for j := range content {
			content[j] = byte('a' + (i+j)%26)
		}
		branch := v.Branch
		if i%3 == 0 {
			branch = "dev"
		}
		path := fmt.Sprintf("svc-%d/res-%d.yaml", i%7, i%50)
		if _, err := s.Commit(ctx, "p", branch, "m", []store.FileChange{{Path: path, Content: content}}); err != nil {
			t.Fatalf("Commit %d: %v", i, err)
		}
	}

	dir := filepath.Join(root, "p.git")
	out, err := exec.Command("git", "-C", dir, "fsck", "--full", "--strict").CombinedOutput()
	if err != nil {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("git fsck reports:\n%s", out)
	}
	count, err := exec.Command("git", "-C", dir, "rev-list", "--count", v.Branch).Output()
	if err != nil {
		t.Fatalf("git rev-list: %v", err)
	}
	if got := strings.TrimSpace(string(count)); got != fmt.Sprint(commits-commits/3+1) {
		t.Errorf("git rev-list --count %s = %s, want %d", v.Branch, got, commits-commits/3+1)
	}

	entries, err := os.ReadDir(filepath.Join(dir, "objects", "pack"))
	if err != nil {
		t.Fatal(err)
	}
	packs := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".pack") {
			packs++
		}
	}
	// 1500 commits of about 1 KiB of objects make about 25 tails of
	// 64 KiB; geometric merging keeps their number logarithmic.
	if packs > 8 {
		t.Errorf("%d packs after %d commits, want merging to keep at most 8", packs, commits)
	}
	if loose, _ := filepath.Glob(filepath.Join(dir, "objects", "??", "*")); len(loose) != 0 {
		t.Errorf("%d loose objects, want none", len(loose))
	}

	// A fresh store reads everything back from the packs.
	s.Close()
	s2, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	files, err := s2.ListFiles(ctx, "p", v.Branch, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, _, err := s2.ReadFile(ctx, "p", v.Branch, "", f); err != nil {
			t.Errorf("ReadFile(%s) after reopening: %v", f, err)
		}
	}
}

func TestGeometricSplit(t *testing.T) {
	cases := []struct {
		sizes []int64
		want  int
	}{
		{nil, 0},
		{[]int64{10}, 0},
		{[]int64{10, 10}, 2},
		{[]int64{10, 100}, 0},
		{[]int64{1, 100, 100}, 3},
		{[]int64{10, 30, 100}, 0},
		{[]int64{5, 5, 30, 100}, 2},
		{[]int64{5, 5, 8, 100}, 3},
		{[]int64{64, 64, 64, 64, 1000}, 4},
	}
	for _, tc := range cases {
		packs := make([]packFile, len(tc.sizes))
		for i, size := range tc.sizes {
			packs[i].size = size
		}
		if got := geometricSplit(packs); got != tc.want {
			t.Errorf("geometricSplit(%v) = %d, want %d", tc.sizes, got, tc.want)
		}
	}
}

// TestUncachedReadsDuringPackChanges reads without a cache, so every read
// goes to the packs, while commits replace the tail pack, freeze it and
// merge packs underneath.
func TestUncachedReadsDuringPackChanges(t *testing.T) {
	s, err := Open(t.TempDir(), Options{CacheBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	v, err := s.CreateRepository(ctx, "p", nil, []store.FileChange{{Path: "a/0.yaml", Content: []byte("0")}}, "m")
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	const readers = 2
	errs := make(chan error, readers)
	for range readers {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				files, err := s.ListFiles(ctx, "p", v.Branch, "")
				if err != nil {
					errs <- fmt.Errorf("ListFiles: %w", err)
					return
				}
				for _, f := range files {
					if _, _, err := s.ReadFile(ctx, "p", v.Branch, "", f); err != nil {
						errs <- fmt.Errorf("ReadFile(%s): %w", f, err)
						return
					}
				}
			}
		}()
	}
	content := make([]byte, 4000)
	// About 4 KiB of objects per commit freeze the tail every 16 commits,
	// so 300 commits also merge packs several times.
	for i := range 300 {
		for j := range content {
			content[j] = byte(i*7 + j*j)
		}
		path := fmt.Sprintf("a/%d.yaml", i%30)
		if _, err := s.Commit(ctx, "p", v.Branch, "m", []store.FileChange{{Path: path, Content: content}}); err != nil {
			t.Fatalf("Commit %d: %v", i, err)
		}
	}
	close(done)
	for range readers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
