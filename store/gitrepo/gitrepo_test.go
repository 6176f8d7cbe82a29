package gitrepo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/gitrepo"
	"github.com/keptn-api/keptn-api/store/storetest"
)

func openStore(t testing.TB, root string, opts gitrepo.Options) *gitrepo.Store {
	t.Helper()
	s, err := gitrepo.Open(root, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", root, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestRepositories(t *testing.T) {
	storetest.RunRepositories(t, func(t *testing.T) store.Repositories {
		return openStore(t, t.TempDir(), gitrepo.Options{})
	})
}

func files(changes ...string) []store.FileChange {
	var out []store.FileChange
	for i := 0; i+1 < len(changes); i += 2 {
		out = append(out, store.FileChange{Path: changes[i], Content: []byte(changes[i+1])})
	}
	return out
}

// openGit opens the bare repository of a project with go-git, to check what
// the store wrote from outside it.
func openGit(t *testing.T, root, project string) *git.Repository {
	t.Helper()
	repo, err := git.PlainOpen(filepath.Join(root, project+".git"))
	if err != nil {
		t.Fatalf("open the repository of %s with go-git: %v", project, err)
	}
	return repo
}

func TestLayoutIsBareRepository(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root, gitrepo.Options{})
	v, err := s.CreateRepository(context.Background(), "sockshop", nil, files("metadata.yaml", "x"), "Added metadata.yaml")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}

	repo := openGit(t, root, "sockshop")
	head, err := repo.Head()
	if err != nil {
		t.Fatalf("HEAD: %v", err)
	}
	if head.Name() != plumbing.NewBranchReferenceName("master") || head.Hash().String() != v.CommitID {
		t.Errorf("HEAD = %s at %s, want refs/heads/master at %s", head.Name(), head.Hash(), v.CommitID)
	}
	c, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatalf("read the commit: %v", err)
	}
	if c.Author.Name != "keptn" || c.Author.Email != "keptn@keptn.com" {
		t.Errorf("author = %s <%s>, want keptn <keptn@keptn.com>", c.Author.Name, c.Author.Email)
	}
	if c.Committer.Name != "keptn" || c.Committer.Email != "keptn@keptn.com" {
		t.Errorf("committer = %s <%s>, want keptn <keptn@keptn.com>", c.Committer.Name, c.Committer.Email)
	}
	if c.Message != "Added metadata.yaml" {
		t.Errorf("message = %q, want %q", c.Message, "Added metadata.yaml")
	}
	if _, err := os.Stat(filepath.Join(root, "sockshop.git", "upstream.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("upstream file of a project without upstream: stat error = %v, want not exist", err)
	}
}

// TestTreeMatchesGit checks the trees the store builds against go-git's
// own tree walk, including git's order of a directory "a" after "a.b".
func TestTreeMatchesGit(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root, gitrepo.Options{})
	ctx := context.Background()
	v, err := s.CreateRepository(ctx, "p", nil, files("a.b", "1", "a/c", "2", "a-b", "3", "a0", "4", "b/x/y/z", "5"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	v, err = s.Commit(ctx, "p", v.Branch, "m", files("a/d", "6", "b/x/w", "7"))
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}

	repo := openGit(t, root, "p")
	c, err := repo.CommitObject(plumbing.NewHash(v.CommitID))
	if err != nil {
		t.Fatalf("read the commit: %v", err)
	}
	tree, err := c.Tree()
	if err != nil {
		t.Fatalf("read the tree: %v", err)
	}
	var got []string
	err = tree.Files().ForEach(func(f *object.File) error {
		content, err := f.Contents()
		got = append(got, f.Name+"="+content)
		return err
	})
	if err != nil {
		t.Fatalf("walk the tree: %v", err)
	}
	want := "a-b=3 a.b=1 a/c=2 a/d=6 a0=4 b/x/w=7 b/x/y/z=5"
	if strings.Join(got, " ") != want {
		t.Errorf("files in git order = %q, want %q", strings.Join(got, " "), want)
	}
	for _, e := range tree.Entries {
		if e.Name == "" {
			t.Errorf("tree has an entry without a name")
		}
	}
}

// TestConcurrentCommitsInHistory checks with go-git that every commit that
// concurrent Commit calls returned is in the history of the branch.
func TestConcurrentCommitsInHistory(t *testing.T) {
	const writers = 50
	root := t.TempDir()
	s := openStore(t, root, gitrepo.Options{})
	ctx := context.Background()
	v, err := s.CreateRepository(ctx, "p", nil, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}

	ids := make([]string, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.Commit(ctx, "p", v.Branch, "m", files(fmt.Sprintf("f%02d", i), "x"))
			if err != nil {
				t.Errorf("Commit %d: %v", i, err)
				return
			}
			ids[i] = got.CommitID
		}()
	}
	wg.Wait()

	repo := openGit(t, root, "p")
	head, err := repo.Reference(plumbing.NewBranchReferenceName(v.Branch), true)
	if err != nil {
		t.Fatalf("read the branch: %v", err)
	}
	history := make(map[string]bool)
	iter, err := repo.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		t.Fatalf("Log: %v", err)
	}
	err = iter.ForEach(func(c *object.Commit) error {
		history[c.Hash.String()] = true
		return nil
	})
	if err != nil {
		t.Fatalf("walk the history: %v", err)
	}
	if len(history) != writers+1 {
		t.Errorf("history has %d commits, want %d", len(history), writers+1)
	}
	for i, id := range ids {
		if id != "" && !history[id] {
			t.Errorf("commit %d (%s) is not in the history of %s", i, id, v.Branch)
		}
	}
}

func TestReopenKeepsState(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	s, err := gitrepo.Open(root, gitrepo.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	v, err := s.CreateRepository(ctx, "p", nil, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if _, err := s.CreateBranch(ctx, "p", "dev"); err != nil {
		t.Fatalf("CreateBranch: %v", err)
	}
	last, err := s.Commit(ctx, "p", "dev", "m", files("carts/metadata.yaml", "carts"))
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if _, err := gitrepo.Open(root, gitrepo.Options{}); err == nil {
		t.Error("a second Open of an open root succeeded, want an error")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.MainBranch(ctx, "p"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("MainBranch after Close: error = %v, want ErrClosed", err)
	}

	s2 := openStore(t, root, gitrepo.Options{})
	main, err := s2.MainBranch(ctx, "p")
	if err != nil || main != v.Branch {
		t.Errorf("MainBranch after reopen = %q, %v; want %q", main, err, v.Branch)
	}
	data, got, err := s2.ReadFile(ctx, "p", "dev", "", "carts/metadata.yaml")
	if err != nil {
		t.Fatalf("ReadFile after reopen: %v", err)
	}
	if string(data) != "carts" || got.CommitID != last.CommitID {
		t.Errorf("ReadFile after reopen = %q at %s, want %q at %s", data, got.CommitID, "carts", last.CommitID)
	}
}

func TestOpenRemovesLeftovers(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	s, err := gitrepo.Open(root, gitrepo.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := s.CreateRepository(ctx, "p", nil, files("metadata.yaml", "x"), "m"); err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// What a killed process can leave behind.
	leftovers := []string{
		filepath.Join(root, ".create-q-123", "objects"),
		filepath.Join(root, ".delete-r-7", "refs"),
	}
	for _, dir := range leftovers {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tempFiles := []string{
		filepath.Join(root, "p.git", ".tmp-123"),
		filepath.Join(root, "p.git", "objects", "pack", "tmp_obj_1"),
		filepath.Join(root, "p.git", "objects", "pack", "pack-0123456789012345678901234567890123456789.idx"),
	}
	for _, f := range tempFiles {
		if err := os.WriteFile(f, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	s2 := openStore(t, root, gitrepo.Options{})
	for _, path := range append(leftovers, tempFiles...) {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after Open: stat error = %v, want not exist", path, err)
		}
	}
	for _, name := range []string{"q", "r"} {
		if _, err := s2.MainBranch(ctx, name); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MainBranch(%s) of an unfinished directory: error = %v, want ErrNotFound", name, err)
		}
	}
	if _, _, err := s2.ReadFile(ctx, "p", "master", "", "metadata.yaml"); err != nil {
		t.Errorf("ReadFile after cleanup: %v", err)
	}
}

func TestInvalidNamesAndPaths(t *testing.T) {
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()
	for _, name := range []string{"", "../x", "a/b", ".hidden", "-x", "a..b"} {
		if _, err := s.CreateRepository(ctx, name, nil, nil, "m"); err == nil {
			t.Errorf("CreateRepository(%q) succeeded, want an error", name)
		}
	}
	v, err := s.CreateRepository(ctx, "p", nil, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	for _, path := range []string{"", "/abs", "a//b", "../x", "a/../b", ".git/config", "a/.GIT/x", "dir/"} {
		if _, err := s.Commit(ctx, "p", v.Branch, "m", files(path, "x")); err == nil {
			t.Errorf("Commit of path %q succeeded, want an error", path)
		}
	}
	for _, branch := range []string{"", "a..b", "a b", "HEAD", "x.lock", "-"} {
		if _, err := s.CreateBranch(ctx, "p", branch); err == nil {
			t.Errorf("CreateBranch(%q) succeeded, want an error", branch)
		}
	}
	// A file and a directory cannot take each other's place.
	if _, err := s.Commit(ctx, "p", v.Branch, "m", files("metadata.yaml/x", "x")); err == nil {
		t.Error("Commit below a file succeeded, want an error")
	}
	if _, err := s.Commit(ctx, "p", v.Branch, "m", files("carts/a", "x")); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if _, err := s.Commit(ctx, "p", v.Branch, "m", files("carts", "x")); err == nil {
		t.Error("Commit of a file over a directory succeeded, want an error")
	}
}
