package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/keptn-api/keptn-api/store"
)

// RunRepositories runs the store.Repositories conformance tests as subtests
// of t. Each subtest calls newStore for an empty store of its own; newStore
// should register the store's cleanup with t.Cleanup. The tests use no
// upstream.
func RunRepositories(t *testing.T, newStore func(t *testing.T) store.Repositories) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Repositories)
	}{
		{"CreateRepository", testRepoCreate},
		{"CreateDuplicate", testRepoCreateDuplicate},
		{"CreateEmpty", testRepoCreateEmpty},
		{"DeleteRepository", testRepoDelete},
		{"RecreateAfterDelete", testRepoRecreateAfterDelete},
		{"InitialFilesOnMain", testRepoInitialFiles},
		{"MainBranch", testRepoMainBranch},
		{"NewMainBranch", testRepoNewMainBranch},
		{"BranchForksFromMainHead", testRepoBranchForks},
		{"BranchIsolation", testRepoBranchIsolation},
		{"CreateBranchDuplicate", testRepoCreateBranchDuplicate},
		{"CommitAddFile", testRepoCommitAdd},
		{"CommitOverwriteFile", testRepoCommitOverwrite},
		{"CommitDeleteFile", testRepoCommitDeleteFile},
		{"CommitDeleteDirectory", testRepoCommitDeleteDirectory},
		{"CommitDeleteMissingPath", testRepoCommitDeleteMissing},
		{"CommitNoOp", testRepoCommitNoOp},
		{"CommitPathConflict", testRepoCommitPathConflict},
		{"CheckCommit", testRepoCheckCommit},
		{"CommitAppliesInOrder", testRepoCommitOrder},
		{"NestedPaths", testRepoNestedPaths},
		{"ReadFileAtHead", testRepoReadAtHead},
		{"ReadFileAtOlderCommit", testRepoReadAtOlderCommit},
		{"ReadFileUnknownCommit", testRepoReadUnknownCommit},
		{"ReadFileMissing", testRepoReadMissing},
		{"ReadFileReturnsCopy", testRepoReadReturnsCopy},
		{"ListFilesWholeTree", testRepoListWholeTree},
		{"ListFilesUnderDir", testRepoListUnderDir},
		{"Exists", testRepoExists},
		{"BranchesSortedWithoutMain", testRepoBranches},
		{"DeleteBranch", testRepoDeleteBranch},
		{"DeleteMainBranch", testRepoDeleteMainBranch},
		{"UnknownProject", testRepoUnknownProject},
		{"UnknownBranch", testRepoUnknownBranch},
		{"BinaryContent", testRepoBinaryContent},
		{"EmptyFile", testRepoEmptyFile},
		{"PullWithoutUpstream", testRepoPullWithoutUpstream},
		{"ConcurrentCommitsOneBranch", testRepoConcurrentCommits},
		{"ParallelProjects", testRepoParallelProjects},
		{"ReadsDuringWrites", testRepoReadsDuringWrites},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

// fileChange returns a change that writes content to path.
func fileChange(path, content string) store.FileChange {
	return store.FileChange{Path: path, Content: []byte(content)}
}

func deleteChange(path string) store.FileChange {
	return store.FileChange{Path: path, Delete: true}
}

func createRepo(t *testing.T, s store.Repositories, project string, initial ...store.FileChange) store.Version {
	t.Helper()
	v, err := s.CreateRepository(context.Background(), project, nil, initial, "Added metadata.yaml")
	if err != nil {
		t.Fatalf("CreateRepository(%q): %v", project, err)
	}
	return v
}

func repoMainBranch(t *testing.T, s store.Repositories, project string) string {
	t.Helper()
	b, err := s.MainBranch(context.Background(), project)
	if err != nil {
		t.Fatalf("MainBranch(%q): %v", project, err)
	}
	return b
}

func createRepoBranch(t *testing.T, s store.Repositories, project, branch string) store.Version {
	t.Helper()
	v, err := s.CreateBranch(context.Background(), project, branch)
	if err != nil {
		t.Fatalf("CreateBranch(%q, %q): %v", project, branch, err)
	}
	return v
}

func commitChanges(t *testing.T, s store.Repositories, project, branch string, changes ...store.FileChange) store.Version {
	t.Helper()
	v, err := s.Commit(context.Background(), project, branch, "Updated resources", changes)
	if err != nil {
		t.Fatalf("Commit(%q, %q): %v", project, branch, err)
	}
	return v
}

func readRepoFile(t *testing.T, s store.Repositories, project, branch, commitID, path string) ([]byte, store.Version) {
	t.Helper()
	data, v, err := s.ReadFile(context.Background(), project, branch, commitID, path)
	if err != nil {
		t.Fatalf("ReadFile(%q, %q, %q, %q): %v", project, branch, commitID, path, err)
	}
	return data, v
}

// wantRepoContent checks the content of a file at the head of branch.
func wantRepoContent(t *testing.T, s store.Repositories, project, branch, path, want string) {
	t.Helper()
	data, _ := readRepoFile(t, s, project, branch, "", path)
	if string(data) != want {
		t.Errorf("ReadFile(%q, %q, %q) = %q, want %q", project, branch, path, data, want)
	}
}

func listRepoFiles(t *testing.T, s store.Repositories, project, branch, dir string) []string {
	t.Helper()
	files, err := s.ListFiles(context.Background(), project, branch, dir)
	if err != nil {
		t.Fatalf("ListFiles(%q, %q, %q): %v", project, branch, dir, err)
	}
	return files
}

func wantRepoFiles(t *testing.T, s store.Repositories, project, branch, dir string, want ...string) {
	t.Helper()
	got := listRepoFiles(t, s, project, branch, dir)
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListFiles(%q, %q, %q) = %q, want %q", project, branch, dir, got, want)
	}
}

func pathExists(t *testing.T, s store.Repositories, project, branch, path string) bool {
	t.Helper()
	ok, err := s.Exists(context.Background(), project, branch, path)
	if err != nil {
		t.Fatalf("Exists(%q, %q, %q): %v", project, branch, path, err)
	}
	return ok
}

// wantRepoErr checks that err wraps target.
func wantRepoErr(t *testing.T, call string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error = %v, want %v", call, err, target)
	}
}

func isCommitID(id string) bool {
	if len(id) != 40 {
		return false
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

func testRepoCreate(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "projectname: sockshop\n"))
	if !isCommitID(v.CommitID) {
		t.Errorf("CommitID = %q, want 40 lowercase hex digits", v.CommitID)
	}
	if v.Branch == "" {
		t.Error("Branch is empty")
	}
	if v.UpstreamURL != "" {
		t.Errorf("UpstreamURL = %q without upstream, want empty", v.UpstreamURL)
	}
}

func testRepoCreateDuplicate(t *testing.T, s store.Repositories) {
	first := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "first"))
	_, err := s.CreateRepository(context.Background(), "sockshop", nil, []store.FileChange{fileChange("metadata.yaml", "second")}, "m")
	wantRepoErr(t, "second CreateRepository", err, store.ErrAlreadyExists)

	data, v := readRepoFile(t, s, "sockshop", first.Branch, "", "metadata.yaml")
	if string(data) != "first" {
		t.Errorf("metadata.yaml after the duplicate = %q, want %q", data, "first")
	}
	if v.CommitID != first.CommitID {
		t.Errorf("head after the duplicate = %s, want %s", v.CommitID, first.CommitID)
	}
}

func testRepoCreateEmpty(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "empty")
	if !isCommitID(v.CommitID) {
		t.Errorf("CommitID = %q, want a commit on the main branch", v.CommitID)
	}
	wantRepoFiles(t, s, "empty", v.Branch, "")
	b := createRepoBranch(t, s, "empty", "dev")
	if b.CommitID != v.CommitID {
		t.Errorf("branch of an empty project at %s, want %s", b.CommitID, v.CommitID)
	}
}

func testRepoDelete(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	createRepoBranch(t, s, "sockshop", "dev")
	if err := s.DeleteRepository(ctx, "sockshop"); err != nil {
		t.Fatalf("DeleteRepository: %v", err)
	}
	_, err := s.MainBranch(ctx, "sockshop")
	wantRepoErr(t, "MainBranch after delete", err, store.ErrNotFound)
	_, _, err = s.ReadFile(ctx, "sockshop", "dev", "", "metadata.yaml")
	wantRepoErr(t, "ReadFile after delete", err, store.ErrNotFound)
	err = s.DeleteRepository(ctx, "sockshop")
	wantRepoErr(t, "second DeleteRepository", err, store.ErrNotFound)
}

func testRepoRecreateAfterDelete(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	old := createRepo(t, s, "sockshop", fileChange("old.yaml", "old"))
	createRepoBranch(t, s, "sockshop", "dev")
	if err := s.DeleteRepository(ctx, "sockshop"); err != nil {
		t.Fatalf("DeleteRepository: %v", err)
	}
	v := createRepo(t, s, "sockshop", fileChange("new.yaml", "new"))
	wantRepoFiles(t, s, "sockshop", v.Branch, "", "new.yaml")
	branches, err := s.Branches(ctx, "sockshop")
	if err != nil {
		t.Fatalf("Branches: %v", err)
	}
	if len(branches) != 0 {
		t.Errorf("Branches of the new repository = %q, want none", branches)
	}
	_, _, err = s.ReadFile(ctx, "sockshop", v.Branch, old.CommitID, "old.yaml")
	wantRepoErr(t, "ReadFile at a commit of the deleted repository", err, store.ErrNotFound)
}

func testRepoInitialFiles(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop",
		fileChange("metadata.yaml", "projectname: sockshop\n"),
		fileChange("shipyard.yaml", "stages: []\n"))
	wantRepoContent(t, s, "sockshop", v.Branch, "metadata.yaml", "projectname: sockshop\n")
	wantRepoContent(t, s, "sockshop", v.Branch, "shipyard.yaml", "stages: []\n")
	wantRepoFiles(t, s, "sockshop", v.Branch, "", "metadata.yaml", "shipyard.yaml")
}

func testRepoMainBranch(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	if got := repoMainBranch(t, s, "sockshop"); got != v.Branch {
		t.Errorf("MainBranch = %q, want the branch CreateRepository returned, %q", got, v.Branch)
	}
	createRepoBranch(t, s, "sockshop", "dev")
	if got := repoMainBranch(t, s, "sockshop"); got != v.Branch {
		t.Errorf("MainBranch after CreateBranch = %q, want %q", got, v.Branch)
	}
}

func testRepoNewMainBranch(t *testing.T, s store.Repositories) {
	want, err := s.NewMainBranch(context.Background(), "sockshop", nil)
	if err != nil {
		t.Fatalf("NewMainBranch: %v", err)
	}
	if want == "" {
		t.Fatal("NewMainBranch returned an empty name")
	}
	if _, err := s.MainBranch(context.Background(), "sockshop"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MainBranch after NewMainBranch: err = %v, want ErrNotFound (nothing created)", err)
	}
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	if v.Branch != want {
		t.Errorf("CreateRepository Branch = %q, want %q from NewMainBranch", v.Branch, want)
	}
}

func testRepoCommitPathConflict(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("cf", "file"), fileChange("dir/x", "x"))
	cases := []struct {
		name    string
		changes []store.FileChange
		want    store.PathConflictError
	}{
		{"below a file", []store.FileChange{fileChange("cf/y", "y")}, store.PathConflictError{Path: "cf/y", Existing: "cf"}},
		{"file over a directory", []store.FileChange{fileChange("dir", "d")}, store.PathConflictError{Path: "dir", Existing: "dir", ExistingIsDir: true}},
		{"both in one set", []store.FileChange{fileChange("new", "n"), fileChange("new/z", "z")}, store.PathConflictError{Path: "new/z", Existing: "new"}},
		{"directory then file in one set", []store.FileChange{fileChange("d2/z", "z"), fileChange("d2", "f")}, store.PathConflictError{Path: "d2", Existing: "d2", ExistingIsDir: true}},
	}
	for _, tc := range cases {
		_, err := s.Commit(context.Background(), "sockshop", v.Branch, "Added resources", tc.changes)
		var conflict *store.PathConflictError
		if !errors.As(err, &conflict) {
			t.Errorf("%s: Commit err = %v, want a *store.PathConflictError", tc.name, err)
			continue
		}
		if *conflict != tc.want {
			t.Errorf("%s: conflict = %+v, want %+v", tc.name, *conflict, tc.want)
		}
	}
	if files := listRepoFiles(t, s, "sockshop", v.Branch, ""); !slices.Equal(files, []string{"cf", "dir/x"}) {
		t.Errorf("files after the rejected commits = %v, want [cf dir/x]", files)
	}
}

func testRepoCheckCommit(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("cf", "file"))
	if err := s.CheckCommit(ctx, "sockshop", v.Branch, []store.FileChange{fileChange("ok/x", "x")}); err != nil {
		t.Errorf("CheckCommit of valid changes: %v", err)
	}
	var conflict *store.PathConflictError
	if err := s.CheckCommit(ctx, "sockshop", v.Branch, []store.FileChange{fileChange("cf/y", "y")}); !errors.As(err, &conflict) {
		t.Errorf("CheckCommit below a file: err = %v, want a *store.PathConflictError", err)
	}
	if err := s.CheckCommit(ctx, "sockshop", v.Branch, []store.FileChange{deleteChange("missing")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CheckCommit deleting a missing path: err = %v, want ErrNotFound", err)
	}
	if err := s.CheckCommit(ctx, "sockshop", "nope", []store.FileChange{fileChange("x", "x")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CheckCommit on an unknown branch: err = %v, want ErrNotFound", err)
	}
	if err := s.CheckCommit(ctx, "nope", v.Branch, []store.FileChange{fileChange("x", "x")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CheckCommit on an unknown project: err = %v, want ErrNotFound", err)
	}
	if _, got := readRepoFile(t, s, "sockshop", v.Branch, "", "cf"); got.CommitID != v.CommitID {
		t.Errorf("head after CheckCommit = %s, want %s", got.CommitID, v.CommitID)
	}
	if files := listRepoFiles(t, s, "sockshop", v.Branch, ""); !slices.Equal(files, []string{"cf"}) {
		t.Errorf("files after CheckCommit = %v, want [cf]", files)
	}
}

func testRepoBranchForks(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	head := commitChanges(t, s, "sockshop", v.Branch, fileChange("shipyard.yaml", "stages"))
	b := createRepoBranch(t, s, "sockshop", "dev")
	if b.CommitID != head.CommitID {
		t.Errorf("CreateBranch CommitID = %s, want the main head %s", b.CommitID, head.CommitID)
	}
	if b.Branch != "dev" {
		t.Errorf("CreateBranch Branch = %q, want %q", b.Branch, "dev")
	}
	wantRepoFiles(t, s, "sockshop", "dev", "", "metadata.yaml", "shipyard.yaml")
}

func testRepoBranchIsolation(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	createRepoBranch(t, s, "sockshop", "dev")
	commitChanges(t, s, "sockshop", v.Branch, fileChange("later.yaml", "main only"))
	commitChanges(t, s, "sockshop", "dev", fileChange("carts/metadata.yaml", "dev only"))

	wantRepoFiles(t, s, "sockshop", "dev", "", "carts/metadata.yaml", "metadata.yaml")
	wantRepoFiles(t, s, "sockshop", v.Branch, "", "later.yaml", "metadata.yaml")
}

func testRepoCreateBranchDuplicate(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	createRepoBranch(t, s, "sockshop", "dev")
	commitChanges(t, s, "sockshop", "dev", fileChange("dev.yaml", "dev"))

	_, err := s.CreateBranch(ctx, "sockshop", "dev")
	wantRepoErr(t, "second CreateBranch", err, store.ErrAlreadyExists)
	_, err = s.CreateBranch(ctx, "sockshop", v.Branch)
	wantRepoErr(t, "CreateBranch of the main branch", err, store.ErrAlreadyExists)
	wantRepoContent(t, s, "sockshop", "dev", "dev.yaml", "dev")
}

func testRepoCommitAdd(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	c := commitChanges(t, s, "sockshop", v.Branch, fileChange("shipyard.yaml", "stages"))
	if !isCommitID(c.CommitID) || c.CommitID == v.CommitID {
		t.Errorf("Commit CommitID = %q, want a new commit after %s", c.CommitID, v.CommitID)
	}
	if c.Branch != v.Branch {
		t.Errorf("Commit Branch = %q, want %q", c.Branch, v.Branch)
	}
	wantRepoContent(t, s, "sockshop", v.Branch, "shipyard.yaml", "stages")
	wantRepoContent(t, s, "sockshop", v.Branch, "metadata.yaml", "x")
}

func testRepoCommitOverwrite(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("shipyard.yaml", "one"))
	c := commitChanges(t, s, "sockshop", v.Branch, fileChange("shipyard.yaml", "two"))
	if c.CommitID == v.CommitID {
		t.Error("overwrite with new content made no commit")
	}
	wantRepoContent(t, s, "sockshop", v.Branch, "shipyard.yaml", "two")
	wantRepoFiles(t, s, "sockshop", v.Branch, "", "shipyard.yaml")
}

func testRepoCommitDeleteFile(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("a.yaml", "a"), fileChange("b.yaml", "b"))
	c := commitChanges(t, s, "sockshop", v.Branch, deleteChange("a.yaml"))
	if c.CommitID == v.CommitID {
		t.Error("delete made no commit")
	}
	_, _, err := s.ReadFile(ctx, "sockshop", v.Branch, "", "a.yaml")
	wantRepoErr(t, "ReadFile of a deleted file", err, store.ErrNotFound)
	wantRepoFiles(t, s, "sockshop", v.Branch, "", "b.yaml")
}

func testRepoCommitDeleteDirectory(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	commitChanges(t, s, "sockshop", v.Branch,
		fileChange("carts/metadata.yaml", "carts"),
		fileChange("carts/helm/values.yaml", "values"),
		fileChange("carts/helm/templates/deployment.yaml", "deployment"),
		fileChange("carts-db/metadata.yaml", "db"))
	commitChanges(t, s, "sockshop", v.Branch, deleteChange("carts"))

	wantRepoFiles(t, s, "sockshop", v.Branch, "", "carts-db/metadata.yaml", "metadata.yaml")
	if pathExists(t, s, "sockshop", v.Branch, "carts") {
		t.Error("Exists(carts) after deleting the directory = true")
	}
	if pathExists(t, s, "sockshop", v.Branch, "carts/helm/values.yaml") {
		t.Error("Exists(carts/helm/values.yaml) after deleting its directory = true")
	}
}

func testRepoCommitDeleteMissing(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	_, err := s.Commit(ctx, "sockshop", v.Branch, "m", []store.FileChange{deleteChange("missing.yaml")})
	wantRepoErr(t, "Commit deleting a missing file", err, store.ErrNotFound)
	_, err = s.Commit(ctx, "sockshop", v.Branch, "m", []store.FileChange{deleteChange("missing/dir/file.yaml")})
	wantRepoErr(t, "Commit deleting below a missing directory", err, store.ErrNotFound)

	// A failing change set commits none of its changes.
	_, err = s.Commit(ctx, "sockshop", v.Branch, "m", []store.FileChange{fileChange("new.yaml", "new"), deleteChange("missing.yaml")})
	wantRepoErr(t, "Commit of a write and a missing delete", err, store.ErrNotFound)
	_, head := readRepoFile(t, s, "sockshop", v.Branch, "", "metadata.yaml")
	if head.CommitID != v.CommitID {
		t.Errorf("head after failed commits = %s, want %s", head.CommitID, v.CommitID)
	}
	wantRepoFiles(t, s, "sockshop", v.Branch, "", "metadata.yaml")
}

func testRepoCommitNoOp(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	same := commitChanges(t, s, "sockshop", v.Branch, fileChange("metadata.yaml", "x"))
	if same.CommitID != v.CommitID {
		t.Errorf("Commit of unchanged content = %s, want the head %s", same.CommitID, v.CommitID)
	}
	if same.Branch != v.Branch {
		t.Errorf("no-op Commit Branch = %q, want %q", same.Branch, v.Branch)
	}
	empty := commitChanges(t, s, "sockshop", v.Branch)
	if empty.CommitID != v.CommitID {
		t.Errorf("Commit of no changes = %s, want the head %s", empty.CommitID, v.CommitID)
	}
	addRemove := commitChanges(t, s, "sockshop", v.Branch, fileChange("tmp.yaml", "t"), deleteChange("tmp.yaml"))
	if addRemove.CommitID != v.CommitID {
		t.Errorf("Commit that adds and removes a file = %s, want the head %s", addRemove.CommitID, v.CommitID)
	}
}

func testRepoCommitOrder(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	commitChanges(t, s, "sockshop", v.Branch, fileChange("a.yaml", "first"), fileChange("a.yaml", "second"))
	wantRepoContent(t, s, "sockshop", v.Branch, "a.yaml", "second")

	commitChanges(t, s, "sockshop", v.Branch, deleteChange("a.yaml"), fileChange("a.yaml", "again"))
	wantRepoContent(t, s, "sockshop", v.Branch, "a.yaml", "again")
}

func testRepoNestedPaths(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	deep := "carts/helm/carts/templates/nested/deep/deployment.yaml"
	commitChanges(t, s, "sockshop", v.Branch, fileChange(deep, "deep"), fileChange("carts/helm/values.yaml", "values"))
	wantRepoContent(t, s, "sockshop", v.Branch, deep, "deep")
	wantRepoFiles(t, s, "sockshop", v.Branch, "carts/helm/carts",
		"carts/helm/carts/templates/nested/deep/deployment.yaml")
	commitChanges(t, s, "sockshop", v.Branch, fileChange(deep, "changed"))
	wantRepoContent(t, s, "sockshop", v.Branch, deep, "changed")
	wantRepoContent(t, s, "sockshop", v.Branch, "carts/helm/values.yaml", "values")
}

func testRepoReadAtHead(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	c := commitChanges(t, s, "sockshop", v.Branch, fileChange("shipyard.yaml", "stages"))
	data, got := readRepoFile(t, s, "sockshop", v.Branch, "", "metadata.yaml")
	if string(data) != "x" {
		t.Errorf("content = %q, want %q", data, "x")
	}
	if got.CommitID != c.CommitID {
		t.Errorf("Version.CommitID = %s, want the head %s", got.CommitID, c.CommitID)
	}
	if got.Branch != v.Branch {
		t.Errorf("Version.Branch = %q, want %q", got.Branch, v.Branch)
	}
	if got.UpstreamURL != "" {
		t.Errorf("Version.UpstreamURL = %q, want empty", got.UpstreamURL)
	}
}

func testRepoReadAtOlderCommit(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("shipyard.yaml", "v1"))
	commitChanges(t, s, "sockshop", v.Branch, fileChange("shipyard.yaml", "v2"))

	data, got := readRepoFile(t, s, "sockshop", v.Branch, v.CommitID, "shipyard.yaml")
	if string(data) != "v1" {
		t.Errorf("content at the first commit = %q, want %q", data, "v1")
	}
	if got.CommitID != v.CommitID {
		t.Errorf("Version.CommitID = %s, want %s", got.CommitID, v.CommitID)
	}
	wantRepoContent(t, s, "sockshop", v.Branch, "shipyard.yaml", "v2")
}

func testRepoReadUnknownCommit(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("shipyard.yaml", "v1"))
	for _, id := range []string{
		"0123456789abcdef0123456789abcdef01234567",
		"0000000000000000000000000000000000000000",
		"not-a-commit",
		v.CommitID[:7],
	} {
		_, _, err := s.ReadFile(ctx, "sockshop", v.Branch, id, "shipyard.yaml")
		wantRepoErr(t, fmt.Sprintf("ReadFile at commit %q", id), err, store.ErrNotFound)
	}
}

func testRepoReadMissing(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("carts/metadata.yaml", "x"))
	for _, path := range []string{"missing.yaml", "carts", "carts/missing.yaml", "carts/metadata.yaml/x"} {
		_, _, err := s.ReadFile(ctx, "sockshop", v.Branch, "", path)
		wantRepoErr(t, fmt.Sprintf("ReadFile(%q)", path), err, store.ErrNotFound)
	}
	c := commitChanges(t, s, "sockshop", v.Branch, fileChange("later.yaml", "later"))
	_, _, err := s.ReadFile(ctx, "sockshop", v.Branch, v.CommitID, "later.yaml")
	wantRepoErr(t, "ReadFile of a file added after the commit", err, store.ErrNotFound)
	_, _, err = s.ReadFile(ctx, "sockshop", v.Branch, c.CommitID, "later.yaml")
	if err != nil {
		t.Errorf("ReadFile at the commit that added it: %v", err)
	}
}

func testRepoReadReturnsCopy(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("shipyard.yaml", "original"))
	data, _ := readRepoFile(t, s, "sockshop", v.Branch, "", "shipyard.yaml")
	copy(data, "XXXXXXXX")
	wantRepoContent(t, s, "sockshop", v.Branch, "shipyard.yaml", "original")
}

func testRepoListWholeTree(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop",
		fileChange("shipyard.yaml", "s"),
		fileChange("metadata.yaml", "m"),
		fileChange("carts/metadata.yaml", "c"),
		fileChange("carts-db/metadata.yaml", "d"),
		fileChange("carts/helm/values.yaml", "v"),
		fileChange("a.b", "ab"))
	wantRepoFiles(t, s, "sockshop", v.Branch, "",
		"a.b",
		"carts-db/metadata.yaml",
		"carts/helm/values.yaml",
		"carts/metadata.yaml",
		"metadata.yaml",
		"shipyard.yaml")
}

func testRepoListUnderDir(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop",
		fileChange("metadata.yaml", "m"),
		fileChange("carts/metadata.yaml", "c"),
		fileChange("carts/helm/values.yaml", "v"),
		fileChange("carts-db/metadata.yaml", "d"))
	wantRepoFiles(t, s, "sockshop", v.Branch, "carts", "carts/helm/values.yaml", "carts/metadata.yaml")
	wantRepoFiles(t, s, "sockshop", v.Branch, "carts/helm", "carts/helm/values.yaml")
	wantRepoFiles(t, s, "sockshop", v.Branch, "missing")
	wantRepoFiles(t, s, "sockshop", v.Branch, "carts/missing")
}

func testRepoExists(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("carts/helm/values.yaml", "v"), fileChange("metadata.yaml", "m"))
	cases := []struct {
		path string
		want bool
	}{
		{"metadata.yaml", true},
		{"carts", true},
		{"carts/helm", true},
		{"carts/helm/values.yaml", true},
		{"missing.yaml", false},
		{"carts/missing", false},
		{"metadata.yaml/below", false},
	}
	for _, tc := range cases {
		if got := pathExists(t, s, "sockshop", v.Branch, tc.path); got != tc.want {
			t.Errorf("Exists(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func testRepoBranches(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	got, err := s.Branches(ctx, "sockshop")
	if err != nil {
		t.Fatalf("Branches: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("Branches of a new project = %q, want none", got)
	}
	for _, b := range []string{"production", "dev", "staging", "hardening"} {
		createRepoBranch(t, s, "sockshop", b)
	}
	got, err = s.Branches(ctx, "sockshop")
	if err != nil {
		t.Fatalf("Branches: %v", err)
	}
	want := []string{"dev", "hardening", "production", "staging"}
	if !slices.Equal(got, want) {
		t.Errorf("Branches = %q, want %q", got, want)
	}
}

func testRepoDeleteBranch(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	createRepoBranch(t, s, "sockshop", "dev")
	createRepoBranch(t, s, "sockshop", "staging")
	if err := s.DeleteBranch(ctx, "sockshop", "dev"); err != nil {
		t.Fatalf("DeleteBranch: %v", err)
	}
	got, err := s.Branches(ctx, "sockshop")
	if err != nil {
		t.Fatalf("Branches: %v", err)
	}
	if !slices.Equal(got, []string{"staging"}) {
		t.Errorf("Branches after DeleteBranch = %q, want [staging]", got)
	}
	_, _, err = s.ReadFile(ctx, "sockshop", "dev", "", "metadata.yaml")
	wantRepoErr(t, "ReadFile on a deleted branch", err, store.ErrNotFound)
	err = s.DeleteBranch(ctx, "sockshop", "dev")
	wantRepoErr(t, "second DeleteBranch", err, store.ErrNotFound)
	wantRepoContent(t, s, "sockshop", v.Branch, "metadata.yaml", "x")

	// The name is free again.
	createRepoBranch(t, s, "sockshop", "dev")
}

func testRepoDeleteMainBranch(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	if err := s.DeleteBranch(context.Background(), "sockshop", v.Branch); err == nil {
		t.Error("DeleteBranch of the main branch succeeded, want an error")
	}
	wantRepoContent(t, s, "sockshop", v.Branch, "metadata.yaml", "x")
}

func testRepoUnknownProject(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	createRepo(t, s, "other", fileChange("metadata.yaml", "x"))
	const p = "unknown"
	_, err := s.MainBranch(ctx, p)
	wantRepoErr(t, "MainBranch", err, store.ErrProjectNotFound)
	_, err = s.Branches(ctx, p)
	wantRepoErr(t, "Branches", err, store.ErrProjectNotFound)
	_, err = s.CreateBranch(ctx, p, "dev")
	wantRepoErr(t, "CreateBranch", err, store.ErrProjectNotFound)
	err = s.DeleteBranch(ctx, p, "dev")
	wantRepoErr(t, "DeleteBranch", err, store.ErrProjectNotFound)
	_, err = s.Commit(ctx, p, "master", "m", []store.FileChange{fileChange("a", "a")})
	wantRepoErr(t, "Commit", err, store.ErrProjectNotFound)
	_, _, err = s.ReadFile(ctx, p, "master", "", "metadata.yaml")
	wantRepoErr(t, "ReadFile", err, store.ErrProjectNotFound)
	_, err = s.ListFiles(ctx, p, "master", "")
	wantRepoErr(t, "ListFiles", err, store.ErrProjectNotFound)
	_, err = s.Exists(ctx, p, "master", "metadata.yaml")
	wantRepoErr(t, "Exists", err, store.ErrProjectNotFound)
	err = s.Pull(ctx, p)
	wantRepoErr(t, "Pull", err, store.ErrProjectNotFound)
	err = s.DeleteRepository(ctx, p)
	wantRepoErr(t, "DeleteRepository", err, store.ErrProjectNotFound)
	err = s.SetUpstream(ctx, p, store.Upstream{User: "u", Token: "t", RemoteURI: "https://127.0.0.1:1/repo.git"})
	wantRepoErr(t, "SetUpstream", err, store.ErrProjectNotFound)
}

func testRepoUnknownBranch(t *testing.T, s store.Repositories) {
	ctx := context.Background()
	createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	const b = "unknown"
	_, err := s.Commit(ctx, "sockshop", b, "m", []store.FileChange{fileChange("a", "a")})
	wantRepoErr(t, "Commit", err, store.ErrNotFound)
	_, _, err = s.ReadFile(ctx, "sockshop", b, "", "metadata.yaml")
	wantRepoErr(t, "ReadFile", err, store.ErrNotFound)
	_, err = s.ListFiles(ctx, "sockshop", b, "")
	wantRepoErr(t, "ListFiles", err, store.ErrNotFound)
	_, err = s.Exists(ctx, "sockshop", b, "metadata.yaml")
	wantRepoErr(t, "Exists", err, store.ErrNotFound)
	err = s.DeleteBranch(ctx, "sockshop", b)
	wantRepoErr(t, "DeleteBranch", err, store.ErrNotFound)
}

func testRepoBinaryContent(t *testing.T, s store.Repositories) {
	content := make([]byte, 0, 3*256)
	for i := range 256 {
		content = append(content, byte(i))
	}
	content = append(content, 0, 0, 0xff, 0xfe, '\r', '\n', 0x80)
	content = append(content, bytes.Repeat([]byte{0}, 256)...)

	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	commitChanges(t, s, "sockshop", v.Branch, store.FileChange{Path: "carts/chart.tgz", Content: content})
	got, _ := readRepoFile(t, s, "sockshop", v.Branch, "", "carts/chart.tgz")
	if !bytes.Equal(got, content) {
		t.Errorf("binary content changed in the round trip: got %d bytes, want %d", len(got), len(content))
	}
}

func testRepoEmptyFile(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	commitChanges(t, s, "sockshop", v.Branch, store.FileChange{Path: "empty.yaml"})
	got, _ := readRepoFile(t, s, "sockshop", v.Branch, "", "empty.yaml")
	if len(got) != 0 {
		t.Errorf("empty file content = %q, want none", got)
	}
	if !pathExists(t, s, "sockshop", v.Branch, "empty.yaml") {
		t.Error("Exists(empty.yaml) = false")
	}
}

func testRepoPullWithoutUpstream(t *testing.T, s store.Repositories) {
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	if err := s.Pull(context.Background(), "sockshop"); err != nil {
		t.Fatalf("Pull without upstream: %v", err)
	}
	_, head := readRepoFile(t, s, "sockshop", v.Branch, "", "metadata.yaml")
	if head.CommitID != v.CommitID {
		t.Errorf("head after Pull = %s, want %s", head.CommitID, v.CommitID)
	}
}

func testRepoConcurrentCommits(t *testing.T, s store.Repositories) {
	const writers = 50
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("metadata.yaml", "x"))
	createRepoBranch(t, s, "sockshop", "dev")

	versions := make([]store.Version, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("carts/file-%02d.yaml", i)
			versions[i], errs[i] = s.Commit(ctx, "sockshop", "dev", "m", []store.FileChange{fileChange(path, path)})
		}()
	}
	wg.Wait()

	seen := make(map[string]bool)
	for i := range writers {
		if errs[i] != nil {
			t.Errorf("Commit %d: %v", i, errs[i])
			continue
		}
		if seen[versions[i].CommitID] {
			t.Errorf("Commit %d returned %s, which another commit returned too", i, versions[i].CommitID)
		}
		seen[versions[i].CommitID] = true
		// The commit that added file-i must contain it.
		path := fmt.Sprintf("carts/file-%02d.yaml", i)
		data, _, err := s.ReadFile(ctx, "sockshop", "dev", versions[i].CommitID, path)
		if err != nil {
			t.Errorf("ReadFile(%s) at its commit %s: %v", path, versions[i].CommitID, err)
		} else if string(data) != path {
			t.Errorf("ReadFile(%s) at its commit = %q, want %q", path, data, path)
		}
	}
	files := listRepoFiles(t, s, "sockshop", "dev", "carts")
	if len(files) != writers {
		t.Errorf("ListFiles after %d concurrent commits has %d files, want %d", writers, len(files), writers)
	}
	wantRepoFiles(t, s, "sockshop", v.Branch, "", "metadata.yaml")
}

func testRepoParallelProjects(t *testing.T, s store.Repositories) {
	const perProject = 20
	ctx := context.Background()
	projects := []string{"alpha", "beta"}
	for _, p := range projects {
		createRepo(t, s, p, fileChange("metadata.yaml", p))
	}
	mains := make(map[string]string)
	for _, p := range projects {
		mains[p] = repoMainBranch(t, s, p)
	}

	var wg sync.WaitGroup
	errs := make(chan error, len(projects)*perProject)
	for _, p := range projects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perProject {
				path := fmt.Sprintf("%s-%02d.yaml", p, i)
				if _, err := s.Commit(ctx, p, mains[p], "m", []store.FileChange{fileChange(path, p)}); err != nil {
					errs <- fmt.Errorf("Commit(%s, %s): %w", p, path, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for _, p := range projects {
		files := listRepoFiles(t, s, p, mains[p], "")
		if len(files) != perProject+1 {
			t.Errorf("project %s has %d files, want %d", p, len(files), perProject+1)
		}
		for _, f := range files {
			if f != "metadata.yaml" && !strings.HasPrefix(f, p+"-") {
				t.Errorf("project %s contains %q, a file of another project", p, f)
			}
		}
	}
}

func testRepoReadsDuringWrites(t *testing.T, s store.Repositories) {
	const commits = 40
	ctx := context.Background()
	v := createRepo(t, s, "sockshop", fileChange("counter.yaml", "0"), fileChange("other.yaml", "0"))

	done := make(chan struct{})
	var wg sync.WaitGroup
	readErrs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				// Both files change in the same commits, so one version
				// always shows them equal.
				a, va, err := s.ReadFile(ctx, "sockshop", v.Branch, "", "counter.yaml")
				if err != nil {
					readErrs <- err
					return
				}
				b, _, err := s.ReadFile(ctx, "sockshop", v.Branch, va.CommitID, "other.yaml")
				if err != nil {
					readErrs <- err
					return
				}
				if !bytes.Equal(a, b) {
					readErrs <- fmt.Errorf("commit %s has counter %q and other %q", va.CommitID, a, b)
					return
				}
			}
		}()
	}
	for i := 1; i <= commits; i++ {
		n := fmt.Sprint(i)
		commitChanges(t, s, "sockshop", v.Branch, fileChange("counter.yaml", n), fileChange("other.yaml", n))
	}
	close(done)
	wg.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Errorf("read during writes: %v", err)
	}
	wantRepoContent(t, s, "sockshop", v.Branch, "counter.yaml", fmt.Sprint(commits))
}
