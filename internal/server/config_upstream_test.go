package server_test

import (
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// gitHTTPBackend is the CGI program of git's smart HTTP protocol, as the
// Debian git package installs it.
const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// gitRemote is a git server on 127.0.0.1: git http-backend behind
// net/http/cgi, serving the bare repositories under root at url/<name>.git.
// Every request needs basic authentication with user and token.
type gitRemote struct {
	root string
	url  string
	// rejected counts requests answered with 401.
	rejected atomic.Int64

	mu    sync.Mutex
	user  string
	token string
	// hold, when set, runs before a request is served; a test uses it to
	// stall pushes.
	hold func(*http.Request)
}

// startGitRemote starts a git server that stops when the test ends.
func startGitRemote(t *testing.T, user, token string) *gitRemote {
	t.Helper()
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		t.Fatalf("git http-backend is required: %v", err)
	}
	g := &gitRemote{root: t.TempDir(), user: user, token: token}
	backend := &cgi.Handler{
		Path: gitHTTPBackend,
		Root: "/git",
		Env: []string{
			"GIT_PROJECT_ROOT=" + g.root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		wantUser, wantToken, hold := g.user, g.token, g.hold
		g.mu.Unlock()
		user, token, ok := r.BasicAuth()
		if !ok || user != wantUser || token != wantToken {
			g.rejected.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if hold != nil {
			hold(r)
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.url = srv.URL + "/git"
	return g
}

// setHold installs the function that runs before each request; nil removes
// it.
func (g *gitRemote) setHold(hold func(*http.Request)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold = hold
}

// setUser changes the user name the server accepts.
func (g *gitRemote) setUser(user string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.user = user
}

// newRepo creates an empty bare repository that accepts pushes over HTTP
// and returns its URL and directory.
func (g *gitRemote) newRepo(t *testing.T, name string) (url, dir string) {
	t.Helper()
	dir = filepath.Join(g.root, name+".git")
	git(t, "init", "--quiet", "--bare", "--initial-branch=master", dir)
	git(t, "--git-dir="+dir, "config", "http.receivepack", "true")
	return g.url + "/" + name + ".git", dir
}

// projectWithUpstream is a project creation body with git credentials.
func projectWithUpstream(t *testing.T, name, user, token, remote string) string {
	t.Helper()
	return jsonBody(t, map[string]string{"projectName": name, "gitUser": user, "gitToken": token, "gitRemoteURI": remote})
}

// checkNoSecret fails when text contains the secret.
func checkNoSecret(t *testing.T, label, text, secret string) {
	t.Helper()
	if strings.Contains(text, secret) {
		t.Errorf("%s contains the token: %s", label, text)
	}
}

// maskInWord matches a secret mask glued to a letter or digit, the trace of
// a short token masked inside ordinary words; standaloneT matches the token
// "t" on its own.
var (
	maskInWord  = regexp.MustCompile(`[A-Za-z0-9]\*{8}|\*{8}[A-Za-z0-9]`)
	standaloneT = regexp.MustCompile(`(^|[^A-Za-z0-9])t($|[^A-Za-z0-9])`)
)

// TestConfigUpstreamHTTP creates a project whose upstream is a git server
// over HTTP with basic authentication, and checks that every write reaches
// the upstream and that the token never leaves the server.
func TestConfigUpstreamHTTP(t *testing.T) {
	t.Parallel()
	const user, token = "keptn-bot", "tok-4f1c2e9a7b3d"
	logs := &syncBuffer{}
	s := startConfigServerWith(t, defaultBodyLimit, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	remote := startGitRemote(t, user, token)
	const p = "upstream"
	remoteURL, remoteDir := remote.newRepo(t, p)

	t.Run("create pushes", func(t *testing.T) {
		s.expect(t, http.StatusNoContent, http.MethodPost, "/project", projectWithUpstream(t, p, user, token, remoteURL))
		local := branchHead(t, s.repo(p), "master")
		if got := branchHead(t, remoteDir, "master"); got == "" || got != local {
			t.Errorf("upstream master = %q, want the local head %q", got, local)
		}
		if got := git(t, "--git-dir="+remoteDir, "show", "master:metadata.yaml"); !strings.Contains(got, "projectname: upstream") {
			t.Errorf("metadata.yaml on the upstream = %q", got)
		}
		s.expect(t, http.StatusNoContent, http.MethodPost, "/project/"+p+"/stage", `{"stageName":"dev"}`)
		s.createService(t, p, "carts", "dev")
		if got, want := branchHead(t, remoteDir, "dev"), branchHead(t, s.repo(p), "dev"); got == "" || got != want {
			t.Errorf("upstream dev = %q, want the local head %q", got, want)
		}
	})

	t.Run("writes push", func(t *testing.T) {
		v := s.putFile(t, projectLevel(p), "shipyard.yaml", "stages: [dev]\n")
		if v.UpstreamURL == nil || *v.UpstreamURL != remoteURL {
			t.Errorf("Version.upstreamURL = %v, want %s", deref(v.UpstreamURL), remoteURL)
		}
		if got := branchHead(t, remoteDir, "master"); got != v.Version {
			t.Errorf("upstream master = %s, want the written version %s", got, v.Version)
		}

		r := s.expect(t, http.StatusCreated, http.MethodPost, serviceLevel(p, "dev", "carts").resourceList(), resourcesBody(t, "values.yaml", "replicas: 3\n"))
		v = decodeVersion(t, r)
		if got := branchHead(t, remoteDir, "dev"); got != v.Version {
			t.Errorf("upstream dev = %s, want the written version %s", got, v.Version)
		}
		if got := git(t, "--git-dir="+remoteDir, "show", "dev:carts/values.yaml"); got != "replicas: 3" {
			t.Errorf("carts/values.yaml on the upstream = %q", got)
		}
		_, meta := s.readFile(t, serviceLevel(p, "dev", "carts"), "values.yaml", "")
		if meta.UpstreamURL == nil || *meta.UpstreamURL != remoteURL {
			t.Errorf("metadata.upstreamURL = %v, want %s", deref(meta.UpstreamURL), remoteURL)
		}
	})

	t.Run("view shows user and remote but never the token", func(t *testing.T) {
		got := s.getProject(t, p)
		if deref(got.GitUser) != user || deref(got.GitRemoteURI) != remoteURL {
			t.Errorf("gitUser = %v, gitRemoteURI = %v", deref(got.GitUser), deref(got.GitRemoteURI))
		}
		for _, path := range []string{"/project", "/project/" + p, "/project/" + p + "/stage"} {
			r := s.expect(t, http.StatusOK, http.MethodGet, path, "")
			checkNoSecret(t, "GET "+path, string(r.body), token)
			if strings.Contains(string(r.body), "gitToken") {
				t.Errorf("GET %s has a gitToken member: %s", path, r.body)
			}
		}
	})

	t.Run("upstream changes are pulled and kept", func(t *testing.T) {
		work := t.TempDir()
		git(t, "clone", "--quiet", remoteDir, work)
		if err := os.WriteFile(filepath.Join(work, "external.yaml"), []byte("from: outside\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, "-C", work, "add", "external.yaml")
		git(t, "-C", work, "-c", "user.name=Outside", "-c", "user.email=outside@example.com", "commit", "--quiet", "-m", "External change")
		git(t, "-C", work, "push", "--quiet", "origin", "master")
		external := git(t, "-C", work, "rev-parse", "HEAD")

		// The write starts from a stale head, so its first push is
		// rejected; the change must be applied on the upstream's head.
		v := s.putFile(t, projectLevel(p), "after.yaml", "after: external\n")
		if got := branchHead(t, remoteDir, "master"); got != v.Version {
			t.Errorf("upstream master = %s, want the written version %s", got, v.Version)
		}
		if _, err := gitCommand("--git-dir="+remoteDir, "merge-base", "--is-ancestor", external, v.Version); err != nil {
			t.Errorf("the external commit %s is not an ancestor of the write %s: %v", external, v.Version, err)
		}
		s.checkURIs(t, projectLevel(p), "/after.yaml", "/external.yaml", "/metadata.yaml", "/shipyard.yaml")
		if content, _ := s.readFile(t, projectLevel(p), "external.yaml", ""); content != "from: outside\n" {
			t.Errorf("external.yaml = %q", content)
		}
	})

	t.Run("reads pull unless disabled", func(t *testing.T) {
		work := t.TempDir()
		git(t, "clone", "--quiet", "--branch", "dev", remoteDir, work)
		if err := os.WriteFile(filepath.Join(work, "pulled.yaml"), []byte("pulled: true\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, "-C", work, "add", "pulled.yaml")
		git(t, "-C", work, "-c", "user.name=Outside", "-c", "user.email=outside@example.com", "commit", "--quiet", "-m", "Add pulled.yaml")
		git(t, "-C", work, "push", "--quiet", "origin", "dev")

		dev := stageLevel(p, "dev")
		pg := s.getPage(t, dev.resourceList()+"?disableUpstreamSync=true", "resources")
		if strings.Contains(string(pg.items), "pulled.yaml") {
			t.Errorf("listing without sync already has pulled.yaml: %s", pg.items)
		}
		if uris := s.listURIs(t, dev); !slices.Contains(uris, "/pulled.yaml") {
			t.Errorf("listing with sync = %v, want /pulled.yaml", uris)
		}
		if content, _ := s.readFile(t, dev, "pulled.yaml", "?disableUpstreamSync=true"); content != "pulled: true\n" {
			t.Errorf("pulled.yaml = %q", content)
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		const wrong = "wrong-tok-8e2d"
		otherURL, otherDir := remote.newRepo(t, "wrongtoken")
		before := remote.rejected.Load()
		r := s.send(t, http.MethodPost, configBase+"/project", projectWithUpstream(t, "wrongtoken", user, wrong, otherURL))
		if r.status < 400 || r.status > 499 {
			t.Errorf("status = %d, want a 4xx; body: %s", r.status, r.body)
		}
		if msg := errorMessage(r); msg == "" || strings.Contains(msg, "gitrepo") {
			t.Errorf("error message = %q, want a message without package prefix", msg)
		}
		checkNoSecret(t, "error body", string(r.body), wrong)
		if remote.rejected.Load() == before {
			t.Error("the upstream saw no rejected request; the credentials were never tried")
		}
		r = s.send(t, http.MethodGet, configBase+"/project/wrongtoken", "")
		checkStatus(t, r, http.StatusNotFound)
		if head := branchHead(t, otherDir, "master"); head != "" {
			t.Errorf("the upstream has master at %s after a rejected create", head)
		}
		if _, err := os.Stat(s.repo("wrongtoken")); err == nil {
			t.Error("a repository was left behind by the failed create")
		}
		// A re-try with the right token succeeds.
		s.expect(t, http.StatusNoContent, http.MethodPost, "/project", projectWithUpstream(t, "wrongtoken", user, token, otherURL))
		checkNoSecret(t, "log", logs.String(), wrong)
	})

	t.Run("short token", func(t *testing.T) {
		otherURL, _ := remote.newRepo(t, "shorttoken")
		r := s.send(t, http.MethodPost, configBase+"/project", projectWithUpstream(t, "shorttoken", user, "t", otherURL))
		checkStatus(t, r, http.StatusBadRequest)
		msg := errorMessage(r)
		if maskInWord.MatchString(msg) {
			t.Errorf("message = %q: the one-letter token was masked inside words", msg)
		}
		if standaloneT.MatchString(msg) {
			t.Errorf("message = %q contains the token t on its own", msg)
		}
	})

	t.Run("token only in the upstream file", func(t *testing.T) {
		info, err := os.Stat(filepath.Join(s.repo(p), "upstream.json"))
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("upstream.json mode = %o, want 600", mode)
		}
		err = filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() == "upstream.json" {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.Contains(string(data), token) {
				t.Errorf("%s contains the token", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checkNoSecret(t, "log", logs.String(), token)
	})
}

// TestConfigUpstreamAddedLater creates a project without upstream and adds
// one with PUT /project/{projectName}.
func TestConfigUpstreamAddedLater(t *testing.T) {
	t.Parallel()
	const user, token = "keptn-bot", "tok-later-93ab"
	s := startConfigServer(t)
	remote := startGitRemote(t, user, token)
	const p = "later"
	s.createProject(t, p, "dev", "prod")
	s.putFile(t, stageLevel(p, "dev"), "slo.yaml", "objectives: []\n")
	remoteURL, remoteDir := remote.newRepo(t, p)

	t.Run("wrong token keeps the project without upstream", func(t *testing.T) {
		const wrong = "wrong-later-51c0"
		r := s.send(t, http.MethodPut, configBase+"/project/"+p, projectWithUpstream(t, p, user, wrong, remoteURL))
		checkStatus(t, r, http.StatusBadRequest)
		checkNoSecret(t, "error body", string(r.body), wrong)
		got := s.getProject(t, p)
		if got.GitUser != nil || got.GitRemoteURI != nil {
			t.Errorf("gitUser = %v, gitRemoteURI = %v after a failed PUT, want both omitted", deref(got.GitUser), deref(got.GitRemoteURI))
		}
		v := s.putFile(t, projectLevel(p), "still-local.yaml", "x\n")
		if v.UpstreamURL != nil {
			t.Errorf("Version.upstreamURL = %q after a failed PUT", *v.UpstreamURL)
		}
	})

	t.Run("put pushes every branch", func(t *testing.T) {
		// The body's projectName may be left out: the path names the
		// project.
		body := jsonBody(t, map[string]string{"gitUser": user, "gitToken": token, "gitRemoteURI": remoteURL})
		s.expect(t, http.StatusNoContent, http.MethodPut, "/project/"+p, body)
		for _, branch := range []string{"master", "dev", "prod"} {
			if got, want := branchHead(t, remoteDir, branch), branchHead(t, s.repo(p), branch); got == "" || got != want {
				t.Errorf("upstream %s = %q, want the local head %q", branch, got, want)
			}
		}
		got := s.getProject(t, p)
		if deref(got.GitUser) != user || deref(got.GitRemoteURI) != remoteURL {
			t.Errorf("gitUser = %v, gitRemoteURI = %v", deref(got.GitUser), deref(got.GitRemoteURI))
		}
	})

	t.Run("later writes push", func(t *testing.T) {
		v := s.putFile(t, stageLevel(p, "prod"), "slo.yaml", "objectives: [p95]\n")
		if v.UpstreamURL == nil || *v.UpstreamURL != remoteURL {
			t.Errorf("Version.upstreamURL = %v, want %s", deref(v.UpstreamURL), remoteURL)
		}
		if got := branchHead(t, remoteDir, "prod"); got != v.Version {
			t.Errorf("upstream prod = %s, want %s", got, v.Version)
		}
		s.expect(t, http.StatusNoContent, http.MethodPost, "/project/"+p+"/stage", `{"stageName":"qa"}`)
		if got, want := branchHead(t, remoteDir, "qa"), branchHead(t, s.repo(p), "qa"); got == "" || got != want {
			t.Errorf("upstream qa = %q, want the new stage's head %q", got, want)
		}
	})

	t.Run("put replaces the credentials", func(t *testing.T) {
		const newUser = "other-bot"
		remote.setUser(newUser)
		body := projectWithUpstream(t, p, newUser, token, remoteURL)
		s.expect(t, http.StatusNoContent, http.MethodPut, "/project/"+p, body)
		if got := s.getProject(t, p); deref(got.GitUser) != newUser {
			t.Errorf("gitUser = %v, want %s", deref(got.GitUser), newUser)
		}
		v := s.putFile(t, projectLevel(p), "with-new-user.yaml", "x\n")
		if got := branchHead(t, remoteDir, "master"); got != v.Version {
			t.Errorf("upstream master = %s, want %s", got, v.Version)
		}
	})
}

// TestConfigUpstreamFile uses a local bare repository named by a file://
// URI as the upstream.
func TestConfigUpstreamFile(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := startFileUpstreamServer(t, root)
	remoteDir := filepath.Join(root, "remote.git")
	git(t, "init", "--quiet", "--bare", "--initial-branch=master", remoteDir)
	remoteURL := "file://" + remoteDir
	const p = "filed"

	s.expect(t, http.StatusNoContent, http.MethodPost, "/project", projectWithUpstream(t, p, "keptn", "file-token-unused", remoteURL))
	s.expect(t, http.StatusNoContent, http.MethodPost, "/project/"+p+"/stage", `{"stageName":"dev"}`)
	v := s.putFile(t, stageLevel(p, "dev"), "config.yaml", "remote: file\n")
	if v.UpstreamURL == nil || *v.UpstreamURL != remoteURL {
		t.Errorf("Version.upstreamURL = %v, want %s", deref(v.UpstreamURL), remoteURL)
	}
	if got := branchHead(t, remoteDir, "dev"); got != v.Version {
		t.Errorf("upstream dev = %q, want %s", got, v.Version)
	}
	if got := branchHead(t, remoteDir, "master"); got == "" || got != branchHead(t, s.repo(p), "master") {
		t.Errorf("upstream master = %q, want the local head", got)
	}
	if files := gitFiles(t, remoteDir, "dev"); !slices.Equal(files, []string{"config.yaml", "metadata.yaml"}) {
		t.Errorf("files of dev on the upstream = %v", files)
	}

	r := s.expect(t, http.StatusOK, http.MethodGet, "/project/"+p, "")
	var got expandedProject
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if deref(got.GitRemoteURI) != remoteURL {
		t.Errorf("gitRemoteURI = %v, want %s", deref(got.GitRemoteURI), remoteURL)
	}
	checkNoSecret(t, "GET /project/"+p, string(r.body), "file-token-unused")
}

// TestConfigUpstreamFileRestricted checks that a file:// upstream can name
// only a repository below the configured root and outside the data
// directory, and that a rejected one is neither created nor written to.
func TestConfigUpstreamFileRestricted(t *testing.T) {
	t.Parallel()

	// victim is a repository outside every allowed root, with one commit.
	victim := filepath.Join(t.TempDir(), "victim.git")
	initSeededBare(t, victim, "master")
	victimRefs := git(t, "--git-dir="+victim, "for-each-ref")

	shipyard := "stages:\n  - name: dev\n"
	rejectAll := func(t *testing.T, s *configServer, remote string, wantInMessage ...string) {
		t.Helper()
		responses := map[string]response{
			"POST configuration-service /project": s.send(t, http.MethodPost, configBase+"/project", projectWithUpstream(t, "up", "u", "file-token-1", remote)),
			"PUT configuration-service /project":  s.send(t, http.MethodPut, configBase+"/project/existing", projectWithUpstream(t, "existing", "u", "file-token-1", remote)),
			"POST api /v1/project":                s.send(t, http.MethodPost, "/api/v1/project", projectBody(t, "up", shipyard, "u", "file-token-1", remote)),
		}
		for label, r := range responses {
			if !checkStatus(t, r, http.StatusBadRequest) {
				continue
			}
			msg := errorMessage(r)
			for _, want := range wantInMessage {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: message = %q, want it to contain %q", label, msg, want)
				}
			}
			checkNoSecret(t, label, string(r.body), "file-token-1")
		}
		s.expect(t, http.StatusNotFound, http.MethodGet, "/project/up", "")
		r := s.expect(t, http.StatusOK, http.MethodGet, "/project/existing", "")
		if strings.Contains(string(r.body), "gitRemoteURI") {
			t.Errorf("project existing has an upstream after a rejected PUT: %s", r.body)
		}
	}

	t.Run("no root", func(t *testing.T) {
		s := startConfigServer(t)
		s.createProject(t, "existing", "dev")
		rejectAll(t, s, "file://"+victim, `"file://`+victim+`"`, "--file-upstream-root", "KEPTN_FILE_UPSTREAM_ROOT")
	})

	t.Run("with root", func(t *testing.T) {
		// Every t.TempDir of a test lies in one directory, so taking it as the
		// root puts the server's data directory below the root too.
		root := filepath.Dir(t.TempDir())
		s := startFileUpstreamServer(t, root)
		if !strings.HasPrefix(s.dir, root+string(filepath.Separator)) {
			t.Fatalf("data directory %s is not below the root %s", s.dir, root)
		}
		s.createProject(t, "existing", "dev")
		s.createProject(t, "sockshop", "dev")
		s.putFile(t, stageLevel("sockshop", "dev"), "a.yaml", "a: 1\n")
		ownHead := branchHead(t, s.repo("sockshop"), "master")

		outside := filepath.Join(root, "link-outside.git")
		if err := os.Symlink(victim, outside); err != nil {
			t.Fatal(err)
		}
		inData := filepath.Join(root, "link-data.git")
		if err := os.Symlink(s.repo("sockshop"), inData); err != nil {
			t.Fatal(err)
		}
		cases := []struct{ name, remote, want string }{
			{"outside the root", "file://" + victim, "outside the directory that --file-upstream-root allows"},
			{"dot-dot out of the root", "file://" + root + "/../" + strings.TrimPrefix(victim, filepath.Dir(root)+"/"), "outside the directory"},
			{"symbolic link out of the root", "file://" + outside, "outside the directory"},
			{"own repository", "file://" + s.repo("sockshop"), "inside the server's data directory"},
			{"symbolic link into the data directory", "file://" + inData, "inside the server's data directory"},
			{"file URL with a host", "file://example.com" + victim, "file:///absolute/path"},
			{"plain path", victim, "http, https or file"},
			{"relative path", "repos/sockshop.git", "http, https or file"},
			{"other scheme", "ssh://git@127.0.0.1/x.git", `"ssh"`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { rejectAll(t, s, tc.remote, tc.want) })
		}
		if got := branchHead(t, s.repo("sockshop"), "master"); got != ownHead {
			t.Errorf("master of sockshop moved from %s to %s", ownHead, got)
		}
		if files := gitFiles(t, s.repo("sockshop"), "dev"); !slices.Equal(files, []string{"a.yaml", "metadata.yaml"}) {
			t.Errorf("files of sockshop dev = %v", files)
		}
	})

	if got := git(t, "--git-dir="+victim, "for-each-ref"); got != victimRefs {
		t.Errorf("victim refs changed:\n%s\nwant:\n%s", got, victimRefs)
	}
}
