package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// uploadAck is a resource write that the server acknowledged with 201.
type uploadAck struct {
	level, uri, content, version string
}

// putResource writes one resource and returns the status and the version.
// Unlike request it reports a failed connection as an error, because the
// server is killed while writes are in flight.
func putResource(client *http.Client, levelURL, token, uri, content string) (int, string, error) {
	body := fmt.Sprintf(`{"resourceURI":%q,"resourceContent":%q}`, uri, base64.StdEncoding.EncodeToString([]byte(content)))
	req, err := http.NewRequest(http.MethodPut, levelURL+"/resource/"+url.PathEscape(uri), strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("x-token", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	var v struct {
		Version string `json:"version"`
	}
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(out, &v); err != nil {
			return resp.StatusCode, "", fmt.Errorf("decode Version %s: %w", out, err)
		}
	}
	return resp.StatusCode, v.Version, nil
}

// TestConfigUploadsSurviveKill writes resources from several goroutines,
// kills the server with SIGKILL while writes are in flight, and checks that
// a restarted server returns every acknowledged file at the version its
// write returned.
func TestConfigUploadsSurviveKill(t *testing.T) {
	dataDir := t.TempDir()
	const token = "config-kill-token"
	p := startServer(t, "--data-dir", dataDir, "--api-token", token)
	base := p.endpoint + "/configuration-service/v1"

	for _, step := range []struct{ path, body string }{
		{"/project", `{"projectName":"killed"}`},
		{"/project/killed/stage", `{"stageName":"dev"}`},
		{"/project/killed/stage/dev/service", `{"serviceName":"carts"}`},
	} {
		if status, out := request(t, http.MethodPost, base+step.path, token, strings.NewReader(step.body)); status != http.StatusNoContent {
			t.Fatalf("POST %s: status %d: %s", step.path, status, out)
		}
	}
	levels := []string{"/project/killed", "/project/killed/stage/dev", "/project/killed/stage/dev/service/carts"}

	const writers = 6
	var acked atomic.Int64
	acks := make(chan uploadAck, 100000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		level := levels[w%len(levels)]
		wg.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				uri := fmt.Sprintf("writer-%d/file-%05d.yaml", w, i)
				content := fmt.Sprintf("writer: %d\nwrite: %d\n", w, i)
				status, version, err := putResource(client, base+level, token, uri, content)
				if err != nil {
					// The server was killed while this write was in flight.
					return
				}
				if status != http.StatusCreated {
					t.Errorf("PUT %s/resource/%s: status %d", level, uri, status)
					return
				}
				acks <- uploadAck{level: level, uri: uri, content: content, version: version}
				acked.Add(1)
			}
		})
	}

	deadline := time.Now().Add(60 * time.Second)
	for acked.Load() < 120 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t)
	close(stop)
	wg.Wait()
	close(acks)
	if acked.Load() == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}
	t.Logf("%d writes acknowledged before the kill", acked.Load())

	again := startServer(t, "--data-dir", dataDir, "--api-token", token)
	base = again.endpoint + "/configuration-service/v1"

	byLevel := map[string][]string{}
	for ack := range acks {
		byLevel[ack.level] = append(byLevel[ack.level], "/"+ack.uri)
		status, out := request(t, http.MethodGet, base+ack.level+"/resource/"+url.PathEscape(ack.uri)+"?commitID="+ack.version, token, nil)
		if status != http.StatusOK {
			t.Errorf("%s/resource/%s at %s after the restart: status %d: %s", ack.level, ack.uri, ack.version, status, out)
			continue
		}
		var res struct {
			ResourceContent string `json:"resourceContent"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Errorf("decode %s: %v", out, err)
			continue
		}
		if content, _ := base64.StdEncoding.DecodeString(res.ResourceContent); string(content) != ack.content {
			t.Errorf("%s/resource/%s at %s = %q, want %q", ack.level, ack.uri, ack.version, content, ack.content)
		}
	}

	for level, want := range byLevel {
		listed := listResources(t, base+level, token)
		for _, uri := range want {
			if !slices.Contains(listed, uri) {
				t.Errorf("listing of %s after the restart lacks the acknowledged %s", level, uri)
			}
		}
	}

	status, out := request(t, http.MethodGet, base+"/project", token, nil)
	if status != http.StatusOK || !strings.Contains(string(out), `"projectName":"killed"`) {
		t.Errorf("GET /project after the restart: status %d: %s", status, out)
	}
	if status, _, err := putResource(http.DefaultClient, base+levels[1], token, "after-restart.yaml", "ok\n"); err != nil || status != http.StatusCreated {
		t.Errorf("write after the restart: status %d, error %v", status, err)
	}

	// The repository that the kill interrupted must pass git's own
	// consistency check.
	cmd := exec.Command("git", "--git-dir="+filepath.Join(dataDir, "repos", "killed.git"), "fsck", "--no-dangling")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("git fsck after the kill: %v\n%s", err, out)
	}
}

// listResources returns every resource URI of a level, following the pages.
func listResources(t *testing.T, levelURL, token string) []string {
	t.Helper()
	var uris []string
	key := "0"
	for range 1000 {
		status, out := request(t, http.MethodGet, levelURL+"/resource?pageSize=50&nextPageKey="+key, token, nil)
		if status != http.StatusOK {
			t.Fatalf("list %s: status %d: %s", levelURL, status, out)
		}
		var page struct {
			Resources []struct {
				ResourceURI string `json:"resourceURI"`
			} `json:"resources"`
			NextPageKey string `json:"nextPageKey"`
		}
		if err := json.Unmarshal(out, &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Resources {
			uris = append(uris, r.ResourceURI)
		}
		if page.NextPageKey == "" || page.NextPageKey == "0" {
			return uris
		}
		key = page.NextPageKey
	}
	t.Fatalf("listing of %s did not end", levelURL)
	return nil
}
