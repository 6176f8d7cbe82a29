package gitrepo_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/gitrepo"
)

const (
	httpBackend = "/usr/lib/git-core/git-http-backend"
	testUser    = "keptn-user"
	// testToken contains characters that URL escaping changes, so a leak in
	// escaped form would show too.
	testToken = "tok/en+s3cr3t=value"
)

// httpRemote is a git server on 127.0.0.1: git http-backend behind
// net/http/cgi, reachable only with basic authentication by testUser and
// testToken.
type httpRemote struct {
	t    *testing.T
	root string // GIT_PROJECT_ROOT
	url  string // base URL, without a trailing slash
	// reject makes every request fail with 403 while set.
	reject atomic.Bool
}

func startHTTPRemote(t *testing.T) *httpRemote {
	t.Helper()
	if _, err := os.Stat(httpBackend); err != nil {
		t.Skipf("git http-backend is not installed: %v", err)
	}
	rm := &httpRemote{t: t, root: t.TempDir()}
	backend := &cgi.Handler{
		Path: httpBackend,
		Env:  []string{"GIT_PROJECT_ROOT=" + rm.root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != testUser || pass != testToken {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if rm.reject.Load() {
			http.Error(w, "rejected by the test", http.StatusForbidden)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rm.url = srv.URL
	return rm
}

// newRepo creates an empty bare repository named name.git whose HEAD names
// defaultBranch, with pushes over HTTP allowed, and returns its URL.
func (rm *httpRemote) newRepo(name, defaultBranch string) string {
	rm.t.Helper()
	dir := filepath.Join(rm.root, name+".git")
	initBare(rm.t, dir, defaultBranch)
	runGit(rm.t, dir, "config", "http.receivepack", "true")
	return rm.url + "/" + name + ".git"
}

func (rm *httpRemote) dir(name string) string {
	return filepath.Join(rm.root, name+".git")
}

func (rm *httpRemote) upstream(name string) store.Upstream {
	return store.Upstream{User: testUser, Token: testToken, RemoteURI: rm.url + "/" + name + ".git"}
}

func initBare(t *testing.T, dir, defaultBranch string) {
	t.Helper()
	_, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(defaultBranch)},
	})
	if err != nil {
		t.Fatalf("init the bare remote %s: %v", dir, err)
	}
}

// runGit runs the git binary in the test only, to configure a remote.
func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// remoteHead returns the hash of a branch in a bare remote, or "" when the
// branch does not exist.
func remoteHead(t *testing.T, dir, branch string) string {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatalf("open the remote %s: %v", dir, err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return ""
	}
	if err != nil {
		t.Fatalf("read %s in the remote: %v", branch, err)
	}
	return ref.Hash().String()
}

// remoteFile returns the content of path at the head of branch in a bare
// remote.
func remoteFile(t *testing.T, dir, branch, path string) string {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatalf("open the remote %s: %v", dir, err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatalf("read %s in the remote: %v", branch, err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		t.Fatalf("read commit %s in the remote: %v", ref.Hash(), err)
	}
	f, err := c.File(path)
	if err != nil {
		t.Fatalf("read %s at %s in the remote: %v", path, branch, err)
	}
	content, err := f.Contents()
	if err != nil {
		t.Fatalf("read %s in the remote: %v", path, err)
	}
	return content
}

// commitDirectly makes a commit in the remote through a separate go-git
// clone over HTTP, as a user of the upstream would, and returns its hash.
func commitDirectly(t *testing.T, url, branch, path, content string) string {
	t.Helper()
	auth := &githttp.BasicAuth{Username: testUser, Password: testToken}
	dir := t.TempDir()
	repo, err := git.PlainClone(dir, false, &git.CloneOptions{
		URL: url, Auth: auth, ReferenceName: plumbing.NewBranchReferenceName(branch), SingleBranch: true,
	})
	if err != nil {
		t.Fatalf("clone %s: %v", url, err)
	}

	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add(path); err != nil {
		t.Fatalf("add %s: %v", path, err)
	}
	sig := &object.Signature{Name: "someone", Email: "someone@example.com", When: time.Now()}
	h, err := wt.Commit("direct change", &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatalf("commit in the clone: %v", err)
	}

	spec := config.RefSpec("refs/heads/" + branch + ":refs/heads/" + branch)
	if err := repo.Push(&git.PushOptions{Auth: auth, RefSpecs: []config.RefSpec{spec}}); err != nil {
		t.Fatalf("push from the clone: %v", err)
	}
	return h.String()
}

// wantNoSecret fails when err's text contains the token in any common form.
func wantNoSecret(t *testing.T, call string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	text := err.Error()
	for _, form := range []string{testToken, "s3cr3t", strings.ReplaceAll(testToken, "/", "%2F")} {
		if strings.Contains(text, form) {
			t.Errorf("%s: error text contains the token (%q): %s", call, form, text)
		}
	}
}

func TestHTTPUpstreamCreatePushesMain(t *testing.T) {
	remote := startHTTPRemote(t)
	url := remote.newRepo("sockshop", "master")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()

	up := remote.upstream("sockshop")
	v, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "projectname: sockshop\n"), "Added metadata.yaml")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if v.Branch != "master" {
		t.Errorf("main branch of an empty remote = %q, want master", v.Branch)
	}
	if v.UpstreamURL != url {
		t.Errorf("UpstreamURL = %q, want %q", v.UpstreamURL, url)
	}
	if got := remoteHead(t, remote.dir("sockshop"), "master"); got != v.CommitID {
		t.Errorf("remote master = %q after CreateRepository, want %s", got, v.CommitID)
	}
	if got := remoteFile(t, remote.dir("sockshop"), "master", "metadata.yaml"); got != "projectname: sockshop\n" {
		t.Errorf("remote metadata.yaml = %q", got)
	}
}

func TestHTTPUpstreamCommitsAndBranchesPush(t *testing.T) {
	remote := startHTTPRemote(t)
	remote.newRepo("sockshop", "master")
	dir := remote.dir("sockshop")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()
	up := remote.upstream("sockshop")
	v, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	// An annotated tag in the remote is advertised with the branches.
	runGit(t, dir, "-c", "user.name=someone", "-c", "user.email=someone@example.com",
		"tag", "-a", "v1", "-m", "release", v.CommitID)

	c, err := s.Commit(ctx, "sockshop", v.Branch, "Added resources", files("shipyard.yaml", "stages"))
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := remoteHead(t, dir, "master"); got != c.CommitID {
		t.Errorf("remote master = %q after Commit, want %s", got, c.CommitID)
	}
	if c.UpstreamURL != up.RemoteURI {
		t.Errorf("Commit UpstreamURL = %q, want %q", c.UpstreamURL, up.RemoteURI)
	}

	b, err := s.CreateBranch(ctx, "sockshop", "dev")
	if err != nil {
		t.Fatalf("CreateBranch: %v", err)
	}
	if got := remoteHead(t, dir, "dev"); got != b.CommitID {
		t.Errorf("remote dev = %q after CreateBranch, want %s", got, b.CommitID)
	}
	d, err := s.Commit(ctx, "sockshop", "dev", "Added service", files("carts/metadata.yaml", "carts"))
	if err != nil {
		t.Fatalf("Commit on dev: %v", err)
	}
	if got := remoteHead(t, dir, "dev"); got != d.CommitID {
		t.Errorf("remote dev = %q after Commit, want %s", got, d.CommitID)
	}
	if got := remoteFile(t, dir, "dev", "carts/metadata.yaml"); got != "carts" {
		t.Errorf("remote dev carts/metadata.yaml = %q, want carts", got)
	}

	if err := s.DeleteBranch(ctx, "sockshop", "dev"); err != nil {
		t.Fatalf("DeleteBranch: %v", err)
	}
	if got := remoteHead(t, dir, "dev"); got != "" {
		t.Errorf("remote dev = %q after DeleteBranch, want it deleted", got)
	}
	runGit(t, dir, "fsck", "--strict")
}

func TestHTTPUpstreamDefaultBranch(t *testing.T) {
	remote := startHTTPRemote(t)
	url := remote.newRepo("sockshop", "main")
	existing := commitDirectlyToEmpty(t, url, "main", "README.md", "hello")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()

	up := remote.upstream("sockshop")
	if main, err := s.NewMainBranch(ctx, "sockshop", &up); err != nil || main != "main" {
		t.Errorf("NewMainBranch = %q, %v; want main", main, err)
	}
	if got := remoteHead(t, remote.dir("sockshop"), "main"); got != existing {
		t.Errorf("remote main after NewMainBranch = %q, want it unchanged at %s", got, existing)
	}
	v, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if v.Branch != "main" {
		t.Errorf("main branch = %q, want the remote's default branch main", v.Branch)
	}
	if main, err := s.MainBranch(ctx, "sockshop"); err != nil || main != "main" {
		t.Errorf("MainBranch = %q, %v; want main", main, err)
	}
	wantFile(t, s, "sockshop", "main", "README.md", "hello")
	wantFile(t, s, "sockshop", "main", "metadata.yaml", "x")
	if got := remoteHead(t, remote.dir("sockshop"), "main"); got != v.CommitID {
		t.Errorf("remote main = %q, want %s", got, v.CommitID)
	}
	repo, err := git.PlainOpen(remote.dir("sockshop"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(v.CommitID))
	if err != nil {
		t.Fatalf("read the pushed commit: %v", err)
	}
	if len(c.ParentHashes) != 1 || c.ParentHashes[0].String() != existing {
		t.Errorf("parents of the initial commit = %v, want the remote head %s", c.ParentHashes, existing)
	}
}

// commitDirectlyToEmpty makes the first commit of an empty remote.
func commitDirectlyToEmpty(t *testing.T, url, branch, path, content string) string {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add(path); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "someone", Email: "someone@example.com", When: time.Now()}
	h, err := wt.Commit("first", &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
		t.Fatal(err)
	}
	spec := config.RefSpec("refs/heads/" + branch + ":refs/heads/" + branch)
	err = repo.Push(&git.PushOptions{
		Auth: &githttp.BasicAuth{Username: testUser, Password: testToken}, RefSpecs: []config.RefSpec{spec},
	})
	if err != nil {
		t.Fatalf("push the first commit: %v", err)
	}
	return h.String()
}

func wantFile(t *testing.T, s store.Repositories, project, branch, path, want string) {
	t.Helper()
	data, _, err := s.ReadFile(context.Background(), project, branch, "", path)
	if err != nil {
		t.Errorf("ReadFile(%s, %s): %v", branch, path, err)
		return
	}
	if string(data) != want {
		t.Errorf("ReadFile(%s, %s) = %q, want %q", branch, path, data, want)
	}
}

// rootEntries lists what the store left in its root, apart from the lock
// file.
func rootEntries(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != ".lock" {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestHTTPUpstreamWrongToken(t *testing.T) {
	remote := startHTTPRemote(t)
	remote.newRepo("sockshop", "master")
	root := t.TempDir()
	s := openStore(t, root, gitrepo.Options{})
	ctx := context.Background()

	up := remote.upstream("sockshop")
	up.Token = "wrong-" + testToken
	_, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m")
	if !errors.Is(err, store.ErrUpstream) {
		t.Fatalf("CreateRepository with a wrong token: error = %v, want ErrUpstream", err)
	}
	wantNoSecret(t, "CreateRepository with a wrong token", err)
	if strings.Contains(err.Error(), up.Token) {
		t.Errorf("error text contains the wrong token: %s", err)
	}
	if _, err := s.MainBranch(ctx, "sockshop"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MainBranch after the failed create: error = %v, want ErrNotFound", err)
	}
	if names := rootEntries(t, root); len(names) != 0 {
		t.Errorf("root after the failed create holds %q, want nothing", names)
	}
	if got := remoteHead(t, remote.dir("sockshop"), "master"); got != "" {
		t.Errorf("remote master = %q after a rejected create, want none", got)
	}
}

func TestUpstreamTokenMaskedInErrors(t *testing.T) {
	// A port that nothing listens on: connections are refused at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	root := t.TempDir()
	s := openStore(t, root, gitrepo.Options{UpstreamTimeout: 5 * time.Second})
	ctx := context.Background()
	// The token also appears in the URI, so that the error texts, which
	// quote the URL, carry it. wantMask is true when the text should still
	// show where the token was: an invalid URI is not quoted at all.
	cases := []struct {
		uri      string
		wantMask bool
	}{
		{"http://" + addr + "/" + testToken + "/repo.git", true},
		{"http://" + addr + "/" + url.PathEscape(testToken) + "/repo.git", true},
		{"http://" + url.UserPassword(testUser, testToken).String() + "@" + addr + "/repo.git", false},
		{"http://" + testUser + ":" + testToken + "@" + addr + "/repo.git", false},
	}
	for _, tc := range cases {
		up := store.Upstream{User: testUser, Token: testToken, RemoteURI: tc.uri}
		_, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m")
		if !errors.Is(err, store.ErrUpstream) {
			t.Errorf("CreateRepository with an unreachable remote %q: error = %v, want ErrUpstream", tc.uri, err)
			continue
		}
		wantNoSecret(t, "unreachable remote", err)
		if tc.wantMask && !strings.Contains(err.Error(), "********") {
			t.Errorf("error text of %q does not show the mask: %s", tc.uri, err)
		}
		if names := rootEntries(t, root); len(names) != 0 {
			t.Errorf("root after the failed create holds %q, want nothing", names)
		}
	}
	if _, err := s.MainBranch(ctx, "sockshop"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MainBranch after failed creates: error = %v, want ErrNotFound", err)
	}
}

func TestUpstreamUnsupportedScheme(t *testing.T) {
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	up := store.Upstream{User: "u", Token: testToken, RemoteURI: "ssh://git@127.0.0.1/" + testToken + ".git"}
	_, err := s.CreateRepository(context.Background(), "p", &up, nil, "m")
	if !errors.Is(err, store.ErrUpstream) {
		t.Fatalf("CreateRepository with an ssh remote: error = %v, want ErrUpstream", err)
	}
	wantNoSecret(t, "ssh remote", err)
}

func TestHTTPUpstreamPull(t *testing.T) {
	remote := startHTTPRemote(t)
	url := remote.newRepo("sockshop", "master")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()
	up := remote.upstream("sockshop")
	v, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if _, err := s.CreateBranch(ctx, "sockshop", "dev"); err != nil {
		t.Fatalf("CreateBranch: %v", err)
	}

	onMain := commitDirectly(t, url, "master", "direct.yaml", "from the remote")
	onDev := commitDirectly(t, url, "dev", "carts/direct.yaml", "dev from the remote")
	// A branch made only in the remote.
	onHotfix := commitDirectlyToBranch(t, url, "master", "hotfix", "hotfix.yaml", "hotfix")

	if err := s.Pull(ctx, "sockshop"); err != nil {
		t.Fatalf("Pull: %v", err)
	}
	wantFile(t, s, "sockshop", v.Branch, "direct.yaml", "from the remote")
	wantFile(t, s, "sockshop", "dev", "carts/direct.yaml", "dev from the remote")
	wantFile(t, s, "sockshop", "hotfix", "hotfix.yaml", "hotfix")
	for branch, want := range map[string]string{v.Branch: onMain, "dev": onDev, "hotfix": onHotfix} {
		_, got, err := s.ReadFile(ctx, "sockshop", branch, "", "metadata.yaml")
		if err != nil {
			t.Errorf("ReadFile on %s: %v", branch, err)
		} else if got.CommitID != want {
			t.Errorf("head of %s after Pull = %s, want the remote's %s", branch, got.CommitID, want)
		}
	}
	branches, err := s.Branches(ctx, "sockshop")
	if err != nil || strings.Join(branches, ",") != "dev,hotfix" {
		t.Errorf("Branches after Pull = %q, %v; want [dev hotfix]", branches, err)
	}

	// A second Pull with nothing new changes nothing.
	if err := s.Pull(ctx, "sockshop"); err != nil {
		t.Fatalf("second Pull: %v", err)
	}
	_, got, _ := s.ReadFile(ctx, "sockshop", v.Branch, "", "metadata.yaml")
	if got.CommitID != onMain {
		t.Errorf("head after a second Pull = %s, want %s", got.CommitID, onMain)
	}
}

// commitDirectlyToBranch creates branch in the remote from base with one
// commit on it.
func commitDirectlyToBranch(t *testing.T, url, base, branch, path, content string) string {
	t.Helper()
	auth := &githttp.BasicAuth{Username: testUser, Password: testToken}
	dir := t.TempDir()
	repo, err := git.PlainClone(dir, false, &git.CloneOptions{
		URL: url, Auth: auth, ReferenceName: plumbing.NewBranchReferenceName(base), SingleBranch: true,
	})
	if err != nil {
		t.Fatalf("clone %s: %v", url, err)
	}

	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add(path); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "someone", Email: "someone@example.com", When: time.Now()}
	h, err := wt.Commit("new branch", &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatal(err)
	}

	spec := config.RefSpec("refs/heads/" + branch + ":refs/heads/" + branch)
	if err := repo.Push(&git.PushOptions{Auth: auth, RefSpecs: []config.RefSpec{spec}}); err != nil {
		t.Fatalf("push %s: %v", branch, err)
	}
	return h.String()
}

func TestHTTPUpstreamPullDivergedUpstreamWins(t *testing.T) {
	remote := startHTTPRemote(t)
	remote.newRepo("sockshop", "master")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()
	up := remote.upstream("sockshop")
	v, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if _, err := s.Commit(ctx, "sockshop", v.Branch, "m", files("local.yaml", "local")); err != nil {
		t.Fatalf("Commit: %v", err)
	}

	// Someone rewrites the remote branch: back to the initial commit, plus
	// a commit of their own, pushed with force.
	rewritten := forcePushFrom(t, remote, v.CommitID, "master", "theirs.yaml", "theirs")

	if err := s.Pull(ctx, "sockshop"); err != nil {
		t.Fatalf("Pull: %v", err)
	}
	_, head, err := s.ReadFile(ctx, "sockshop", v.Branch, "", "theirs.yaml")
	if err != nil {
		t.Fatalf("ReadFile of the upstream's file after Pull: %v", err)
	}
	if head.CommitID != rewritten {
		t.Errorf("head after Pull = %s, want the upstream head %s", head.CommitID, rewritten)
	}
	if _, _, err := s.ReadFile(ctx, "sockshop", v.Branch, "", "local.yaml"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadFile of the dropped local file: error = %v, want ErrNotFound", err)
	}
}

// forcePushFrom makes a commit on top of base in a clone and force-pushes it
// to branch of the remote.
func forcePushFrom(t *testing.T, remote *httpRemote, base, branch, path, content string) string {
	t.Helper()
	auth := &githttp.BasicAuth{Username: testUser, Password: testToken}
	dir := t.TempDir()
	url := remote.url + "/sockshop.git"
	repo, err := git.PlainClone(dir, false, &git.CloneOptions{URL: url, Auth: auth})
	if err != nil {
		t.Fatalf("clone: %v", err)
	}

	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.Reset(&git.ResetOptions{Commit: plumbing.NewHash(base), Mode: git.HardReset}); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add(path); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "someone", Email: "someone@example.com", When: time.Now()}
	h, err := wt.Commit("rewrite", &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatal(err)
	}

	spec := config.RefSpec("+refs/heads/" + branch + ":refs/heads/" + branch)
	if err := repo.Push(&git.PushOptions{Auth: auth, RefSpecs: []config.RefSpec{spec}}); err != nil {
		t.Fatalf("force push: %v", err)
	}
	return h.String()
}

func TestHTTPUpstreamRejectedPushReapplied(t *testing.T) {
	remote := startHTTPRemote(t)
	url := remote.newRepo("sockshop", "master")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()
	up := remote.upstream("sockshop")
	v, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}

	// The remote moves ahead without the store knowing.
	theirs := commitDirectly(t, url, "master", "theirs.yaml", "theirs")

	c, err := s.Commit(ctx, "sockshop", v.Branch, "Added resources", files("mine.yaml", "mine"))
	if err != nil {
		t.Fatalf("Commit after the remote moved: %v", err)
	}
	if got := remoteHead(t, remote.dir("sockshop"), "master"); got != c.CommitID {
		t.Errorf("remote master = %q, want the re-applied commit %s", got, c.CommitID)
	}
	repo, err := git.PlainOpen(remote.dir("sockshop"))
	if err != nil {
		t.Fatal(err)
	}
	commit, err := repo.CommitObject(plumbing.NewHash(c.CommitID))
	if err != nil {
		t.Fatalf("read the re-applied commit: %v", err)
	}
	if len(commit.ParentHashes) != 1 || commit.ParentHashes[0].String() != theirs {
		t.Errorf("parent of the re-applied commit = %v, want the remote head %s", commit.ParentHashes, theirs)
	}
	if commit.Message != "Added resources" {
		t.Errorf("message of the re-applied commit = %q", commit.Message)
	}
	wantFile(t, s, "sockshop", v.Branch, "mine.yaml", "mine")
	wantFile(t, s, "sockshop", v.Branch, "theirs.yaml", "theirs")
	if got := remoteFile(t, remote.dir("sockshop"), "master", "mine.yaml"); got != "mine" {
		t.Errorf("remote mine.yaml = %q", got)
	}
	runGit(t, remote.dir("sockshop"), "fsck", "--strict")
}

func TestHTTPUpstreamFailedPushKeepsBranch(t *testing.T) {
	remote := startHTTPRemote(t)
	remote.newRepo("sockshop", "master")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()
	up := remote.upstream("sockshop")
	v, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}

	remote.reject.Store(true)
	_, err = s.Commit(ctx, "sockshop", v.Branch, "m", files("lost.yaml", "lost"))
	if !errors.Is(err, store.ErrUpstream) {
		t.Fatalf("Commit with a failing remote: error = %v, want ErrUpstream", err)
	}
	wantNoSecret(t, "Commit with a failing remote", err)
	_, err = s.CreateBranch(ctx, "sockshop", "dev")
	if !errors.Is(err, store.ErrUpstream) {
		t.Errorf("CreateBranch with a failing remote: error = %v, want ErrUpstream", err)
	}
	remote.reject.Store(false)

	_, head, err := s.ReadFile(ctx, "sockshop", v.Branch, "", "metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if head.CommitID != v.CommitID {
		t.Errorf("head after a failed push = %s, want it kept at %s", head.CommitID, v.CommitID)
	}
	if _, _, err := s.ReadFile(ctx, "sockshop", v.Branch, "", "lost.yaml"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadFile of the file of the failed commit: error = %v, want ErrNotFound", err)
	}
	if branches, _ := s.Branches(ctx, "sockshop"); len(branches) != 0 {
		t.Errorf("Branches after a failed CreateBranch = %q, want none", branches)
	}

	// Once the remote works again, the same commit goes through.
	c, err := s.Commit(ctx, "sockshop", v.Branch, "m", files("lost.yaml", "found"))
	if err != nil {
		t.Fatalf("Commit after the remote recovered: %v", err)
	}
	if got := remoteHead(t, remote.dir("sockshop"), "master"); got != c.CommitID {
		t.Errorf("remote master = %q, want %s", got, c.CommitID)
	}
}

func TestUpstreamCredentialsFile(t *testing.T) {
	remote := startHTTPRemote(t)
	remote.newRepo("sockshop", "master")
	root := t.TempDir()
	s := openStore(t, root, gitrepo.Options{})
	ctx := context.Background()
	up := remote.upstream("sockshop")
	if _, err := s.CreateRepository(ctx, "sockshop", &up, files("metadata.yaml", "x"), "m"); err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}

	path := filepath.Join(root, "sockshop.git", "upstream.json")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat the upstream file: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("upstream file mode = %o, want 600", info.Mode().Perm())
	}

	// The token is not in the git objects, which are pushed.
	err = filepath.WalkDir(filepath.Join(root, "sockshop.git", "objects"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), testToken) {
			t.Errorf("%s contains the token", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The upstream survives a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, root, gitrepo.Options{})
	c, err := s2.Commit(ctx, "sockshop", "master", "m", files("after-restart.yaml", "x"))
	if err != nil {
		t.Fatalf("Commit after reopening: %v", err)
	}
	if c.UpstreamURL != up.RemoteURI {
		t.Errorf("UpstreamURL after reopening = %q, want %q", c.UpstreamURL, up.RemoteURI)
	}
	if got := remoteHead(t, remote.dir("sockshop"), "master"); got != c.CommitID {
		t.Errorf("remote master = %q after a commit in the reopened store, want %s", got, c.CommitID)
	}

	if err := s2.DeleteRepository(ctx, "sockshop"); err != nil {
		t.Fatalf("DeleteRepository: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("upstream file after DeleteRepository: stat error = %v, want not exist", err)
	}
	if got := remoteHead(t, remote.dir("sockshop"), "master"); got != c.CommitID {
		t.Errorf("remote master = %q after DeleteRepository, want it untouched at %s", got, c.CommitID)
	}
}

func TestUpstreamUserinfoNotInVersion(t *testing.T) {
	remote := startHTTPRemote(t)
	remote.newRepo("sockshop", "master")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	up := remote.upstream("sockshop")
	plain := up.RemoteURI
	up.RemoteURI = strings.Replace(plain, "http://", "http://"+testUser+"@", 1)
	v, err := s.CreateRepository(context.Background(), "sockshop", &up, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if v.UpstreamURL != plain {
		t.Errorf("UpstreamURL = %q, want %q without user info", v.UpstreamURL, plain)
	}
}

func TestFileUpstream(t *testing.T) {
	for _, form := range []string{"file", "path"} {
		t.Run(form, func(t *testing.T) {
			remoteDir := filepath.Join(t.TempDir(), "remote.git")
			initBare(t, remoteDir, "master")
			uri := remoteDir
			if form == "file" {
				uri = "file://" + remoteDir
			}
			s := openStore(t, t.TempDir(), gitrepo.Options{})
			ctx := context.Background()
			up := store.Upstream{User: "ignored", Token: testToken, RemoteURI: uri}
			v, err := s.CreateRepository(ctx, "p", &up, files("metadata.yaml", "x"), "m")
			if err != nil {
				t.Fatalf("CreateRepository: %v", err)
			}
			if v.UpstreamURL != uri {
				t.Errorf("UpstreamURL = %q, want %q", v.UpstreamURL, uri)
			}
			if got := remoteHead(t, remoteDir, "master"); got != v.CommitID {
				t.Errorf("remote master = %q, want %s", got, v.CommitID)
			}
			if _, err := s.CreateBranch(ctx, "p", "dev"); err != nil {
				t.Fatalf("CreateBranch: %v", err)
			}
			c, err := s.Commit(ctx, "p", "dev", "m", files("carts/values.yaml", "v"))
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if got := remoteHead(t, remoteDir, "dev"); got != c.CommitID {
				t.Errorf("remote dev = %q, want %s", got, c.CommitID)
			}
			if err := s.Pull(ctx, "p"); err != nil {
				t.Fatalf("Pull: %v", err)
			}
			if err := s.DeleteBranch(ctx, "p", "dev"); err != nil {
				t.Fatalf("DeleteBranch: %v", err)
			}
			if got := remoteHead(t, remoteDir, "dev"); got != "" {
				t.Errorf("remote dev = %q after DeleteBranch, want none", got)
			}
			runGit(t, remoteDir, "fsck", "--strict")
		})
	}
}

func TestSetUpstream(t *testing.T) {
	remote := startHTTPRemote(t)
	remote.newRepo("sockshop", "master")
	s := openStore(t, t.TempDir(), gitrepo.Options{})
	ctx := context.Background()
	v, err := s.CreateRepository(ctx, "sockshop", nil, files("metadata.yaml", "x"), "m")
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	if _, err := s.CreateBranch(ctx, "sockshop", "dev"); err != nil {
		t.Fatal(err)
	}
	d, err := s.Commit(ctx, "sockshop", "dev", "m", files("carts/metadata.yaml", "carts"))
	if err != nil {
		t.Fatal(err)
	}

	bad := remote.upstream("sockshop")
	bad.Token = "wrong"
	err = s.SetUpstream(ctx, "sockshop", bad)
	if !errors.Is(err, store.ErrUpstream) {
		t.Fatalf("SetUpstream with a wrong token: error = %v, want ErrUpstream", err)
	}
	_, got, err := s.ReadFile(ctx, "sockshop", "dev", "", "carts/metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got.UpstreamURL != "" {
		t.Errorf("UpstreamURL after a failed SetUpstream = %q, want none", got.UpstreamURL)
	}

	up := remote.upstream("sockshop")
	if err := s.SetUpstream(ctx, "sockshop", up); err != nil {
		t.Fatalf("SetUpstream: %v", err)
	}
	if h := remoteHead(t, remote.dir("sockshop"), "master"); h != v.CommitID {
		t.Errorf("remote master = %q, want %s", h, v.CommitID)
	}
	if h := remoteHead(t, remote.dir("sockshop"), "dev"); h != d.CommitID {
		t.Errorf("remote dev = %q, want %s", h, d.CommitID)
	}
	c, err := s.Commit(ctx, "sockshop", "dev", "m", files("carts/values.yaml", "v"))
	if err != nil {
		t.Fatalf("Commit after SetUpstream: %v", err)
	}
	if c.UpstreamURL != up.RemoteURI {
		t.Errorf("UpstreamURL = %q, want %q", c.UpstreamURL, up.RemoteURI)
	}
	if h := remoteHead(t, remote.dir("sockshop"), "dev"); h != c.CommitID {
		t.Errorf("remote dev = %q after Commit, want %s", h, c.CommitID)
	}

	// A remote with a history of its own rejects the push.
	other := startHTTPRemote(t)
	otherURL := other.newRepo("other", "master")
	commitDirectlyToEmpty(t, otherURL, "master", "README.md", "unrelated")
	err = s.SetUpstream(ctx, "sockshop", other.upstream("other"))
	if !errors.Is(err, store.ErrUpstream) {
		t.Errorf("SetUpstream to a remote with unrelated history: error = %v, want ErrUpstream", err)
	}
	c2, err := s.Commit(ctx, "sockshop", "dev", "m", files("carts/values.yaml", "v2"))
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if c2.UpstreamURL != up.RemoteURI {
		t.Errorf("UpstreamURL after a rejected SetUpstream = %q, want the previous %q", c2.UpstreamURL, up.RemoteURI)
	}
}
