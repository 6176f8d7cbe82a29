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

	"github.com/go-git/go-git/v5/plumbing/format/packfile"

	"github.com/keptn-api/keptn-api/store"
)

func TestTreeDeltaAppliesWithGoGit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	big := random(3 << 20) // longer than one copy instruction can name
	cases := map[string][2][]byte{
		"equal":          {[]byte("abc"), []byte("abc")},
		"insert middle":  {[]byte("aaaazzzz"), []byte("aaaa0123zzzz")},
		"remove middle":  {[]byte("aaaa0123zzzz"), []byte("aaaazzzz")},
		"replace all":    {[]byte("abc"), []byte("xyz")},
		"empty target":   {[]byte("old"), nil},
		"long insert":    {[]byte("ab"), append(append([]byte("a"), random(1000)...), 'b')},
		"repeated bytes": {[]byte("aaaa"), []byte("aaaaaa")},
		"large copies":   {big, append(append(bytes.Clone(big[:len(big)/2]), "changed"...), big[len(big)/2+7:]...)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := packfile.PatchDelta(c[0], treeDelta(c[0], c[1]))
			if err != nil {
				t.Fatalf("PatchDelta: %v", err)
			}
			if !bytes.Equal(got, c[1]) {
				t.Errorf("patched %d bytes differ from the %d-byte target", len(got), len(c[1]))
			}
		})
	}
}

func TestBaseDistanceRoundTrip(t *testing.T) {
	for _, d := range []uint64{1, 127, 128, 129, 16383, 16384, 16511, 16512, 1 << 32, 1<<63 - 1} {
		enc := appendBaseDistance(nil, d)
		got, n, err := parseBaseDistance(append(enc, 0xff))
		if err != nil || got != d || n != len(enc) {
			t.Errorf("distance %d: encoded % x, decoded %d (%d bytes, %v)", d, enc, got, n, err)
		}
	}
}

// TestLargeDirectoryHistory commits to one file after another in a
// directory of many files, so that each commit replaces a large tree. Every
// version must read back, git must accept the repository, and the trees
// must be stored as deltas.
func TestLargeDirectoryHistory(t *testing.T) {
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

	const files, commits = 500, 1500
	var initial []store.FileChange
	for i := range files {
		initial = append(initial, store.FileChange{Path: fmt.Sprintf("uploads/file-%04d.yaml", i), Content: []byte("v0\n")})
	}
	if _, err := s.Commit(ctx, "p", v.Branch, "m", initial); err != nil {
		t.Fatal(err)
	}
	type version struct {
		commit, path, content string
	}
	var history []version
	for i := range commits {
		path := fmt.Sprintf("uploads/file-%04d.yaml", (i*7)%files)
		content := fmt.Sprintf("v%d\n", i+1)
		got, err := s.Commit(ctx, "p", v.Branch, "m", []store.FileChange{{Path: path, Content: []byte(content)}})
		if err != nil {
			t.Fatalf("Commit %d: %v", i, err)
		}
		history = append(history, version{got.CommitID, path, content})
	}

	dir := filepath.Join(root, "p.git")
	out, err := exec.Command("git", "-C", dir, "fsck", "--full", "--strict").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}

	// A whole tree of 500 entries takes about 21 KB, so 1,500 of them
	// would be over 30 MB. Stored as deltas, with a whole tree at the start
	// of each tail, the packs stay far below that.
	var packBytes int64
	entries, err := os.ReadDir(filepath.Join(dir, "objects", "pack"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".pack") {
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			packBytes += info.Size()
		}
	}
	if packBytes > 4<<20 {
		t.Errorf("packs take %d bytes after %d commits, want deltas to keep them under 4 MiB", packBytes, commits)
	}

	// A fresh store has no cached trees, so every read below resolves
	// delta chains from the packs.
	s.Close()
	s2, err := Open(root, Options{CacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for i := 0; i < len(history); i += 37 {
		h := history[i]
		got, _, err := s2.ReadFile(ctx, "p", v.Branch, h.commit, h.path)
		if err != nil {
			t.Fatalf("ReadFile(%s at %s): %v", h.path, h.commit, err)
		}
		if string(got) != h.content {
			t.Errorf("%s at commit %d = %q, want %q", h.path, i, got, h.content)
		}
	}
	listed, err := s2.ListFiles(ctx, "p", v.Branch, "uploads")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != files {
		t.Errorf("ListFiles(uploads) returned %d files, want %d", len(listed), files)
	}
}
