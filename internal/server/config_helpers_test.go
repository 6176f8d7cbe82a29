package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/server"
)

// configBase is the public base path of the configuration-service
// collection.
const configBase = "/api/configuration-service/v1"

// configServer is a server with its own data directory, so that a test can
// inspect the git repositories the server writes.
type configServer struct {
	*testServer
	dir string
}

// repo returns the path of a project's bare repository.
func (s *configServer) repo(project string) string {
	return filepath.Join(s.dir, "repos", project+".git")
}

// startConfigServer starts a server with the default body limit whose log
// goes to the test output.
func startConfigServer(t *testing.T) *configServer {
	t.Helper()
	return startConfigServerWith(t, defaultBodyLimit, quietLog(t))
}

// quietLog is a logger that writes warnings and errors to the test output.
func quietLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startFileUpstreamServer starts a server that accepts file:// upstreams
// below root.
func startFileUpstreamServer(t *testing.T, root string) *configServer {
	t.Helper()
	return startConfigServerConfig(t, server.Config{MaxBodyBytes: defaultBodyLimit, FileUpstreamRoot: root, Log: quietLog(t)})
}

// initSeededBare creates a bare repository in dir whose HEAD names branch,
// with one commit on branch that adds README.md.
func initSeededBare(t *testing.T, dir, branch string) {
	t.Helper()
	git(t, "init", "--quiet", "--bare", "--initial-branch="+branch, dir)
	work := t.TempDir()
	git(t, "-C", work, "init", "--quiet", "--initial-branch="+branch)
	if err := os.WriteFile(filepath.Join(work, "README.md"), []byte("upstream\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	git(t, "-C", work, "add", "README.md")
	git(t, "-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "seed")
	git(t, "-C", work, "push", "--quiet", dir, branch)
}

// startConfigServerWith starts a server with the given body limit and
// logger. It stops when the test ends.
func startConfigServerWith(t *testing.T, maxBodyBytes int64, log *slog.Logger) *configServer {
	t.Helper()
	return startConfigServerConfig(t, server.Config{MaxBodyBytes: maxBodyBytes, Log: log})
}

// startConfigServerConfig starts a server with the settings of cfg (see
// newServerWithConfig). It stops when the test ends.
func startConfigServerConfig(t *testing.T, cfg server.Config) *configServer {
	t.Helper()
	dir := t.TempDir()
	s, stop, err := newServerWithConfig(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	reportBackend(t)
	return &configServer{testServer: s, dir: dir}
}

// syncBuffer collects log output written from the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// b64 encodes resource content as the configuration-service expects it.
func b64(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(s))
}

// expect sends a request and stops the test unless the status is want.
func (s *configServer) expect(t *testing.T, want int, method, path, body string, opts ...requestOption) response {
	t.Helper()
	r := s.send(t, method, configBase+path, body, opts...)
	if r.status != want {
		t.Fatalf("%s %s: status = %d, want %d; body: %s", method, path, r.status, want, r.body)
	}
	return r
}

// createProject creates a project without upstream and then its stages in
// order.
func (s *configServer) createProject(t *testing.T, project string, stages ...string) {
	t.Helper()
	s.expect(t, http.StatusNoContent, http.MethodPost, "/project", jsonBody(t, map[string]string{"projectName": project}))
	for _, stage := range stages {
		s.expect(t, http.StatusNoContent, http.MethodPost, "/project/"+project+"/stage", jsonBody(t, map[string]string{"stageName": stage}))
	}
}

// createService creates a service in each of the stages.
func (s *configServer) createService(t *testing.T, project, service string, stages ...string) {
	t.Helper()
	for _, stage := range stages {
		s.expect(t, http.StatusNoContent, http.MethodPost, "/project/"+project+"/stage/"+stage+"/service", jsonBody(t, map[string]string{"serviceName": service}))
	}
}

// versionBody is the Version of a write or the metadata of a read. The
// pointer tells a missing upstreamURL from an empty one.
type versionBody struct {
	Version     string  `json:"version"`
	Branch      string  `json:"branch"`
	UpstreamURL *string `json:"upstreamURL"`
}

var commitIDPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// decodeVersion decodes a Version body and checks that it names a commit.
func decodeVersion(t *testing.T, r response) versionBody {
	t.Helper()
	var v versionBody
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("Version body: %v; body: %s", err, r.body)
	}
	if !commitIDPattern.MatchString(v.Version) {
		t.Fatalf("Version.version = %q, want a 40-digit commit id; body: %s", v.Version, r.body)
	}
	return v
}

// resourceLevel is the path of a resource level below configBase, such as
// "/project/p/stage/dev/service/carts".
type resourceLevel string

func projectLevel(project string) resourceLevel { return resourceLevel("/project/" + project) }

func stageLevel(project, stage string) resourceLevel {
	return resourceLevel("/project/" + project + "/stage/" + stage)
}

func serviceLevel(project, stage, service string) resourceLevel {
	return resourceLevel("/project/" + project + "/stage/" + stage + "/service/" + service)
}

// defaultsLevel is the level of a service's files in all stages.
func defaultsLevel(project, service string) resourceLevel {
	return resourceLevel("/project/" + project + "/service/" + service)
}

// resourcePath returns the path of one resource with its URI as a single
// %2F-encoded segment.
func (l resourceLevel) resourcePath(uri string) string {
	return string(l) + "/resource/" + url.PathEscape(uri)
}

// resourceList is the path of the resource listing of a level.
func (l resourceLevel) resourceList() string {
	return string(l) + "/resource"
}

// putFile writes one resource through PUT .../resource/{resourceURI} and
// returns the version.
func (s *configServer) putFile(t *testing.T, level resourceLevel, uri, content string) versionBody {
	t.Helper()
	body := jsonBody(t, map[string]string{"resourceURI": uri, "resourceContent": b64(content)})
	return decodeVersion(t, s.expect(t, http.StatusCreated, http.MethodPut, level.resourcePath(uri), body))
}

// resourcesBody builds a resource list body from URI and content pairs.
func resourcesBody(t *testing.T, pairs ...string) string {
	t.Helper()
	items := []map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		items = append(items, map[string]string{"resourceURI": pairs[i], "resourceContent": b64(pairs[i+1])})
	}
	return jsonBody(t, map[string]any{"resources": items})
}

// resourceBody is a single resource as GET returns it.
type resourceBody struct {
	ResourceURI     string       `json:"resourceURI"`
	ResourceContent string       `json:"resourceContent"`
	Metadata        *versionBody `json:"metadata"`
}

// readFile gets a resource, expecting 200, and returns its decoded content
// and metadata. query is appended to the path as is ("" or "?commitID=...").
func (s *configServer) readFile(t *testing.T, level resourceLevel, uri, query string) (string, versionBody) {
	t.Helper()
	return s.readPath(t, level.resourcePath(uri)+query)
}

// readPath gets a resource at a path below configBase.
func (s *configServer) readPath(t *testing.T, path string) (string, versionBody) {
	t.Helper()
	r := s.expect(t, http.StatusOK, http.MethodGet, path, "")
	var res resourceBody
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatalf("GET %s: decode body: %v; body: %s", path, err, r.body)
	}
	content, err := base64.StdEncoding.DecodeString(res.ResourceContent)
	if err != nil {
		t.Fatalf("GET %s: resourceContent is not standard base64: %v", path, err)
	}
	if res.Metadata == nil {
		t.Fatalf("GET %s: no metadata; body: %s", path, r.body)
	}
	return string(content), *res.Metadata
}

// page is a paged list of the configuration-service with its item array
// kept raw, so that a test can tell [] from null.
type page struct {
	items       json.RawMessage
	nextPageKey *string
	totalCount  *float64
	members     map[string]json.RawMessage
}

// getPage gets a list, expecting 200, and returns the page whose item array
// is the member named items.
func (s *configServer) getPage(t *testing.T, path, items string) page {
	t.Helper()
	r := s.expect(t, http.StatusOK, http.MethodGet, path, "")
	var members map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &members); err != nil {
		t.Fatalf("GET %s: decode body: %v; body: %s", path, err, r.body)
	}
	p := page{items: members[items], members: members}
	if p.items == nil {
		t.Fatalf("GET %s: body has no %s member: %s", path, items, r.body)
	}
	if string(p.items) == "null" {
		t.Errorf("GET %s: %s is null, want an array", path, items)
	}
	if raw, ok := members["nextPageKey"]; ok {
		var key string
		if err := json.Unmarshal(raw, &key); err != nil {
			t.Errorf("GET %s: nextPageKey %s is not a string", path, raw)
		}
		p.nextPageKey = &key
	}
	if raw, ok := members["totalCount"]; ok {
		var n float64
		if err := json.Unmarshal(raw, &n); err != nil {
			t.Errorf("GET %s: totalCount %s is not a number", path, raw)
		}
		p.totalCount = &n
	}
	if _, ok := members["pageSize"]; ok {
		t.Errorf("GET %s: pageSize is present, want it omitted: %s", path, r.body)
	}
	return p
}

// decodeItems decodes the item array of a page.
func (p page) decodeItems(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(p.items, v); err != nil {
		t.Fatalf("decode items %s: %v", p.items, err)
	}
}

// checkPaging checks the paging members of a page: nextPageKey as given
// and totalCount, which must be omitted when it is 0.
func (p page) checkPaging(t *testing.T, nextPageKey string, totalCount int) {
	t.Helper()
	if p.nextPageKey == nil {
		t.Errorf("nextPageKey is missing, want %q", nextPageKey)
	} else if *p.nextPageKey != nextPageKey {
		t.Errorf("nextPageKey = %q, want %q", *p.nextPageKey, nextPageKey)
	}
	switch {
	case totalCount == 0 && p.totalCount != nil:
		t.Errorf("totalCount = %v, want it omitted", *p.totalCount)
	case totalCount != 0 && p.totalCount == nil:
		t.Errorf("totalCount is missing, want %d", totalCount)
	case totalCount != 0 && *p.totalCount != float64(totalCount):
		t.Errorf("totalCount = %v, want %d", *p.totalCount, totalCount)
	}
}

// listURIs returns the resource URIs of a listing, reading every page.
func (s *configServer) listURIs(t *testing.T, level resourceLevel) []string {
	t.Helper()
	var uris []string
	key := "0"
	for range 100 {
		p := s.getPage(t, level.resourceList()+"?pageSize=50&nextPageKey="+key, "resources")
		var items []struct {
			ResourceURI     string  `json:"resourceURI"`
			ResourceContent *string `json:"resourceContent"`
		}
		p.decodeItems(t, &items)
		for _, it := range items {
			if it.ResourceContent != nil {
				t.Errorf("listing item %s carries resourceContent", it.ResourceURI)
			}
			uris = append(uris, it.ResourceURI)
		}
		if p.nextPageKey == nil || *p.nextPageKey == "0" {
			return uris
		}
		key = *p.nextPageKey
	}
	t.Fatalf("listing of %s did not end after 100 pages", level)
	return nil
}

// checkURIs checks a listing against the expected URIs in order.
func (s *configServer) checkURIs(t *testing.T, level resourceLevel, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	got := s.listURIs(t, level)
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("listing of %s =\n\t%q\nwant\n\t%q", level, got, want)
	}
}

// checkMessage checks status, code and message of an error response. A
// message ending in "..." is checked as a prefix.
func checkMessage(t *testing.T, r response, status int, code int64, message string) {
	t.Helper()
	prefix, isPrefix := strings.CutSuffix(message, "...")
	if !isPrefix {
		checkError(t, r, status, code, message)
		return
	}
	checkStatus(t, r, status)
	var body errorBody
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Errorf("error body is not a JSON object: %v; body: %s", err, r.body)
		return
	}
	if body.Code == nil || *body.Code != code {
		t.Errorf("error code = %v, want %d; body: %s", deref(body.Code), code, r.body)
	}
	if body.Message == nil || !strings.HasPrefix(*body.Message, prefix) {
		t.Errorf("error message = %q, want the prefix %q", deref(body.Message), prefix)
	}
}

// checkNamesValue checks a 400 whose message quotes the rejected value.
func checkNamesValue(t *testing.T, r response, value string) {
	t.Helper()
	checkStatus(t, r, http.StatusBadRequest)
	if msg := errorMessage(r); !strings.Contains(msg, strconv.Quote(value)) {
		t.Errorf("message = %q, want it to name %s", msg, strconv.Quote(value))
	}
}

// git runs the git binary and returns its trimmed standard output.
func git(t *testing.T, args ...string) string {
	t.Helper()
	out, err := gitCommand(args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// gitCommand runs the git binary without user or system configuration.
func gitCommand(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// branchHead returns the commit a branch of a bare repository points at, or
// "" when the branch does not exist.
func branchHead(t *testing.T, gitDir, branch string) string {
	t.Helper()
	out, err := gitCommand("--git-dir="+gitDir, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return out
}

// gitFiles lists the files of a branch of a bare repository with the git
// binary.
func gitFiles(t *testing.T, gitDir, branch string) []string {
	t.Helper()
	out := git(t, "--git-dir="+gitDir, "ls-tree", "-r", "--name-only", "refs/heads/"+branch)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// checkEpochNanos checks that a creationDate or time is a decimal Unix
// nanosecond count between two instants.
func checkEpochNanos(t *testing.T, label, value string, from, to time.Time) {
	t.Helper()
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		t.Errorf("%s = %q, want epoch nanoseconds in decimal", label, value)
		return
	}
	if got := time.Unix(0, n); got.Before(from) || got.After(to) {
		t.Errorf("%s = %s (%s), want between %s and %s", label, value, got.UTC(), from.UTC(), to.UTC())
	}
}
