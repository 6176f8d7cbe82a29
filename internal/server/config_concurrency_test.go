package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// uploadResult is the outcome of one concurrent write.
type uploadResult struct {
	uri, content string
	status       int
	body         []byte
	version      string
	err          error
}

// putConcurrently writes one resource without touching t, so that it can
// run on any goroutine.
func (s *configServer) putConcurrently(level resourceLevel, uri, content string) uploadResult {
	res := uploadResult{uri: uri, content: content}
	body := fmt.Sprintf(`{"resourceURI":%q,"resourceContent":%q}`, uri, b64(content))
	req, err := http.NewRequest(http.MethodPut, s.url+configBase+level.resourcePath(uri), strings.NewReader(body))
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("x-token", testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		res.err = err
		return res
	}
	defer resp.Body.Close()
	res.status = resp.StatusCode
	res.body, res.err = io.ReadAll(resp.Body)
	var v versionBody
	if json.Unmarshal(res.body, &v) == nil {
		res.version = v.Version
	}
	return res
}

// TestConfigConcurrentUploads writes 50 files to one stage at once and
// checks that every write made its own commit, which still holds the file
// that write sent.
func TestConfigConcurrentUploads(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p, writers = "parallel", 50
	s.createProject(t, p, "dev")
	dev := stageLevel(p, "dev")

	results := make([]uploadResult, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			results[i] = s.putConcurrently(dev, fmt.Sprintf("files/file-%02d.yaml", i), fmt.Sprintf("writer: %d\n", i))
		})
	}
	wg.Wait()

	versions := map[string]string{}
	for _, res := range results {
		if res.err != nil || res.status != http.StatusCreated {
			t.Errorf("PUT %s: status %d, error %v; body: %s", res.uri, res.status, res.err, res.body)
			continue
		}
		if other, dup := versions[res.version]; dup {
			t.Errorf("%s and %s returned the same version %s", other, res.uri, res.version)
		}
		versions[res.version] = res.uri
	}

	want := []string{}
	for i := range writers {
		want = append(want, fmt.Sprintf("/files/file-%02d.yaml", i))
	}
	want = append(want, "/metadata.yaml")
	s.checkURIs(t, dev, want...)

	for _, res := range results {
		if res.version == "" {
			continue
		}
		content, meta := s.readFile(t, dev, res.uri, "?commitID="+res.version)
		if content != res.content {
			t.Errorf("%s at %s = %q, want %q", res.uri, res.version, content, res.content)
		}
		if meta.Version != res.version {
			t.Errorf("%s: metadata.version = %s, want %s", res.uri, meta.Version, res.version)
		}
	}

	// The commits form one line of history that the git binary accepts.
	history := strings.Fields(git(t, "--git-dir="+s.repo(p), "rev-list", "refs/heads/dev"))
	for v, uri := range versions {
		if !slices.Contains(history, v) {
			t.Errorf("the version %s of %s is not in the history of dev", v, uri)
		}
	}
	git(t, "--git-dir="+s.repo(p), "fsck", "--no-dangling")
}

// TestConfigProjectsWriteInParallel writes to two projects at once and
// checks that both get every file.
func TestConfigProjectsWriteInParallel(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	projects := []string{"first", "second"}
	for _, p := range projects {
		s.createProject(t, p, "dev")
	}

	const perProject = 20
	results := make(chan uploadResult, len(projects)*perProject)
	var wg sync.WaitGroup
	for _, p := range projects {
		for i := range perProject {
			wg.Go(func() {
				results <- s.putConcurrently(stageLevel(p, "dev"), fmt.Sprintf("%s-%02d.yaml", p, i), p)
			})
		}
	}
	wg.Wait()
	close(results)
	for res := range results {
		if res.err != nil || res.status != http.StatusCreated {
			t.Errorf("PUT %s: status %d, error %v; body: %s", res.uri, res.status, res.err, res.body)
		}
	}

	for _, p := range projects {
		uris := s.listURIs(t, stageLevel(p, "dev"))
		if len(uris) != perProject+1 {
			t.Errorf("%s lists %d files, want %d: %v", p, len(uris), perProject+1, uris)
		}
		for _, uri := range uris {
			if uri != "/metadata.yaml" && !strings.HasPrefix(uri, "/"+p+"-") {
				t.Errorf("%s lists %s of another project", p, uri)
			}
		}
	}
}

// TestConfigStalledPushBlocksOnlyItsProject stalls the push of a write to a
// project with an HTTP upstream and checks that writes to another project,
// and reads of the stalled project, complete while the push hangs. The
// check waits for completion with a generous timeout instead of comparing
// durations, so a slow machine cannot make it fail.
func TestConfigStalledPushBlocksOnlyItsProject(t *testing.T) {
	t.Parallel()
	const user, token = "keptn-bot", "tok-stall-0d9e"
	s := startConfigServer(t)
	remote := startGitRemote(t, user, token)
	remoteURL, _ := remote.newRepo(t, "stalled")
	s.expect(t, http.StatusNoContent, http.MethodPost, "/project", projectWithUpstream(t, "stalled", user, token, remoteURL))
	s.expect(t, http.StatusNoContent, http.MethodPost, "/project/stalled/stage", `{"stageName":"dev"}`)
	s.putFile(t, stageLevel("stalled", "dev"), "before.yaml", "before\n")
	s.createProject(t, "free", "dev")

	pushing := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	remote.setHold(func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			once.Do(func() { close(pushing) })
			<-release
		}
	})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()

	stalled := make(chan uploadResult, 1)
	go func() { stalled <- s.putConcurrently(stageLevel("stalled", "dev"), "stalled.yaml", "stalled\n") }()
	select {
	case <-pushing:
	case res := <-stalled:
		t.Fatalf("the write to the stalled project returned before its push: %d %s %v", res.status, res.body, res.err)
	case <-time.After(30 * time.Second):
		t.Fatal("the write to the stalled project never pushed")
	}

	done := make(chan []uploadResult, 1)
	go func() {
		var out []uploadResult
		for i := range 5 {
			out = append(out, s.putConcurrently(stageLevel("free", "dev"), fmt.Sprintf("free-%d.yaml", i), "free\n"))
		}
		done <- out
	}()
	select {
	case out := <-done:
		for _, res := range out {
			if res.err != nil || res.status != http.StatusCreated {
				t.Errorf("PUT %s to the other project: status %d, error %v; body: %s", res.uri, res.status, res.err, res.body)
			}
		}
	case <-time.After(30 * time.Second):
		t.Error("writes to another project did not complete while a push of the stalled project hung")
	}

	read := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, s.url+configBase+stageLevel("stalled", "dev").resourcePath("before.yaml")+"?disableUpstreamSync=true", nil)
		req.Header.Set("x-token", testToken)
		resp, err := s.client.Do(req)
		if err != nil {
			read <- response{}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		read <- response{status: resp.StatusCode, body: body}
	}()
	select {
	case r := <-read:
		checkStatus(t, r, http.StatusOK)
	case <-time.After(30 * time.Second):
		t.Error("a read of the stalled project without sync did not complete while its push hung")
	}

	select {
	case res := <-stalled:
		t.Errorf("the stalled write returned before its push was released: %d %s", res.status, res.body)
	default:
	}
	releaseOnce()
	res := <-stalled
	if res.err != nil || res.status != http.StatusCreated {
		t.Fatalf("stalled write after the release: status %d, error %v; body: %s", res.status, res.err, res.body)
	}
	if content, _ := s.readFile(t, stageLevel("stalled", "dev"), "stalled.yaml", ""); content != "stalled\n" {
		t.Errorf("stalled.yaml = %q", content)
	}
}
