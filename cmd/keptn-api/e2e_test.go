package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/internal/testmongo"
)

// binary is the keptn-api executable that TestMain builds for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keptn-api-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "keptn-api")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build keptn-api:", err)
		os.Exit(1)
	}
	code := testmongo.RunPerBackend(m, func(b testmongo.Backend) {
		backend = testBackend{name: b.Name, mongoURL: b.MongoURL}
	}, nil)
	os.RemoveAll(dir)
	os.Exit(code)
}

// testBackend is where the servers of a run keep events and the
// configuration view. TestMain runs every test once per backend.
type testBackend struct {
	name     string
	mongoURL string // "" for SQLite in the data directory
}

var backend testBackend

// databases maps a data directory to the MongoDB database of the servers
// started with it, so that a restarted server finds its data again.
var databases sync.Map

// backendArgs returns the options that point a server started with args at
// the current backend. A new database is dropped when the test ends.
func backendArgs(t *testing.T, args []string) []string {
	if backend.mongoURL == "" {
		return nil
	}
	dataDir := ""
	for i, a := range args {
		if a == "--data-dir" && i+1 < len(args) {
			dataDir = args[i+1]
		}
	}
	name, loaded := databases.LoadOrStore(dataDir, testmongo.DatabaseName())
	if !loaded {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("store backend: %s", backend.name)
			}
			databases.Delete(dataDir)
			if err := testmongo.DropDatabase(backend.mongoURL, name.(string)); err != nil {
				t.Logf("drop database %s: %v", name, err)
			}
		})
	}
	return []string{"--mongodb-url", backend.mongoURL, "--mongodb-database", name.(string)}
}

// serverProcess is a running keptn-api binary.
type serverProcess struct {
	cmd      *exec.Cmd
	endpoint string // http://127.0.0.1:PORT/api
	stdout   *lockedBuffer
	stderr   *lockedBuffer
	exited   chan error
	waited   bool
}

// lockedBuffer collects a process's output while tests read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	startedLine = regexp.MustCompile(`msg="keptn-api started" endpoint=(\S+)`)
	readyLine   = regexp.MustCompile(`msg="MongoDB ready"`)
)

// startServer runs the binary on a free loopback port and waits until it
// logs its endpoint. The environment's KEPTN_* settings are emptied, and the
// server rejects an empty host, so the host is set explicitly.
func startServer(t *testing.T, args ...string) *serverProcess {
	t.Helper()
	args = append(args, backendArgs(t, args)...)
	cmd := exec.Command(binary, append([]string{"--host", "127.0.0.1", "--port", "0", "--log-level", "info"}, args...)...)
	cmd.Env = append(os.Environ(), "KEPTN_API_TOKEN=", "KEPTN_DATA_DIR=", "KEPTN_PORT=", "KEPTN_HOST=",
		"KEPTN_FILE_UPSTREAM_ROOT=", "MONGODB_URL=", "MONGODB_DATABASE=")
	p := &serverProcess{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	cmd.Stdout = p.stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// With MongoDB, the server starts before its store is ready; the
	// tests begin once both happened.
	found := make(chan string, 1)
	ready := make(chan struct{})
	if backend.mongoURL == "" {
		close(ready)
	}
	go func() {
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			line := scanner.Text()
			p.stderr.Write([]byte(line + "\n"))
			if m := startedLine.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			if backend.mongoURL != "" && readyLine.MatchString(line) {
				close(ready)
			}
		}
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if !p.waited {
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})

	select {
	case p.endpoint = <-found:
		select {
		case <-ready:
			return p
		case <-time.After(30 * time.Second):
			t.Fatalf("the store of keptn-api was not ready within 30 s\n%s", p.stderr.String())
		}
	case err := <-p.exited:
		p.waited = true
		t.Fatalf("keptn-api exited before serving: %v\n%s", err, p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("keptn-api did not start within 30 s\n%s", p.stderr.String())
	}
	return nil
}

// wait returns the exit error of the process, failing after a timeout.
func (p *serverProcess) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.exited:
		p.waited = true
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("keptn-api did not exit within 30 s")
		return nil
	}
}

func request(t *testing.T, method, url, token string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-token", token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func TestFirstStartGeneratesToken(t *testing.T) {
	dataDir := t.TempDir()
	p := startServer(t, "--data-dir", dataDir)

	path := filepath.Join(dataDir, "api-token")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("token file mode = %o, want 600", mode)
	}
	raw, _ := os.ReadFile(path)
	token := strings.TrimSpace(string(raw))
	if len(token) < 32 {
		t.Fatalf("token has %d characters, want at least 32", len(token))
	}

	if status, _ := request(t, http.MethodPost, p.endpoint+"/v1/auth", token, nil); status != http.StatusOK {
		t.Errorf("auth with the generated token: status %d", status)
	}
	// stdout arrives through its own pipe, so it may lag the log line.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !strings.Contains(p.stdout.String(), p.endpoint); {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(p.stdout.String(), path) || !strings.Contains(p.stdout.String(), p.endpoint) {
		t.Errorf("first start did not print the endpoint and token file:\n%s", p.stdout.String())
	}
	if strings.Contains(p.stdout.String(), token) || strings.Contains(p.stderr.String(), token) {
		t.Error("the token appears in the output")
	}

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	again := startServer(t, "--data-dir", dataDir)
	if status, _ := request(t, http.MethodPost, again.endpoint+"/v1/auth", token, nil); status != http.StatusOK {
		t.Errorf("second start does not accept the kept token: status %d", status)
	}
	if again.stdout.String() != "" {
		t.Errorf("second start printed:\n%s", again.stdout.String())
	}
}

// TestReadmeWalkthrough runs the shell blocks of the README's walkthrough
// against the binary, with the endpoint and token of this test's server.
func TestReadmeWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script := walkthrough(t, string(readme))

	token := "walkthrough-token"
	p := startServer(t, "--data-dir", t.TempDir(), "--api-token", token)

	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "KEPTN_ENDPOINT="+p.endpoint, "KEPTN_API_TOKEN="+token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		`"keptnContext":"6d792d62-7569-4c64-ad31-323334353637"`,
		`"type":"sh.keptn.event.configuration.change"`,
		`"eventContext":null`,
		`"totalCount":1`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("walkthrough output lacks %s:\n%s", want, out)
		}
	}
}

// walkthrough returns the sh blocks between each pair of walkthrough markers
// of a README or guide, in document order, as one script.
func walkthrough(t *testing.T, readme string) string {
	t.Helper()
	var script strings.Builder
	rest := readme
	for {
		_, section, ok := strings.Cut(rest, "<!-- walkthrough:start -->")
		if !ok {
			break
		}
		section, rest, ok = strings.Cut(section, "<!-- walkthrough:end -->")
		if !ok {
			t.Fatal("a walkthrough:start marker has no walkthrough:end marker")
		}
		for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
			script.WriteString(block[1])
		}
	}
	if script.Len() == 0 {
		t.Fatal("no sh block between walkthrough markers")
	}
	return script.String()
}

// TestAcknowledgedEventsSurviveKill stores events, kills the server with
// SIGKILL right after the last acknowledgement and checks that a restarted
// server has every one of them.
func TestAcknowledgedEventsSurviveKill(t *testing.T) {
	dataDir := t.TempDir()
	token := "kill-test-token"
	p := startServer(t, "--data-dir", dataDir, "--api-token", token)

	const writers, perWriter = 8, 25
	var wg sync.WaitGroup
	acked := make(chan string, writers*perWriter)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				id := fmt.Sprintf("kill-%d-%d", w, i)
				body := fmt.Sprintf(`{"type":"sh.keptn.event.configuration.change","source":"e2e","id":%q,
					"shkeptncontext":"c8e2a4f1-3b6d-4f0a-8e57-2d9b1c6a4e90","data":{"project":"sockshop"}}`, id)
				status, out := request(t, http.MethodPost, p.endpoint+"/mongodb-datastore/event", token, strings.NewReader(body))
				if status != http.StatusCreated {
					t.Errorf("store %s: status %d: %s", id, status, out)
					return
				}
				acked <- id
			}
		}()
	}
	wg.Wait()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	close(acked)

	again := startServer(t, "--data-dir", dataDir, "--api-token", token)
	status, out := request(t, http.MethodGet, again.endpoint+"/mongodb-datastore/event?project=sockshop&pageSize=1", token, nil)
	if status != http.StatusOK {
		t.Fatalf("query after restart: status %d: %s", status, out)
	}
	var page struct {
		TotalCount int `json:"totalCount"`
	}
	if err := json.Unmarshal(out, &page); err != nil {
		t.Fatal(err)
	}
	if page.TotalCount != len(acked) {
		t.Errorf("after kill -9: %d events stored, %d acknowledged", page.TotalCount, len(acked))
	}
	for id := range acked {
		status, out := request(t, http.MethodGet, again.endpoint+"/mongodb-datastore/event?project=sockshop&eventID="+id, token, nil)
		if status != http.StatusOK || !bytes.Contains(out, []byte(id)) {
			t.Errorf("acknowledged event %s is missing after kill -9: %d %s", id, status, out)
		}
	}
}

// TestTermDrainsRequests sends SIGTERM while a request body is still
// arriving and checks that the request completes before the process exits.
func TestTermDrainsRequests(t *testing.T) {
	token := "drain-test-token"
	dataDir := t.TempDir()
	p := startServer(t, "--data-dir", dataDir, "--api-token", token)

	body, writer := io.Pipe()
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, p.endpoint+"/mongodb-datastore/event", body)
		req.Header.Set("x-token", token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("request in flight failed: %v", err)
			result <- 0
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()

	_, _ = io.WriteString(writer, `{"type":"sh.keptn.events.tests-finished","source":"e2e",`)
	time.Sleep(300 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	_, _ = io.WriteString(writer, `"id":"drained","data":{"project":"sockshop"}}`)
	writer.Close()

	if status := <-result; status != http.StatusCreated {
		t.Errorf("request in flight during SIGTERM: status %d, want 201", status)
	}
	if err := p.wait(t); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "keptn-api stopped") {
		t.Errorf("no clean stop in the log:\n%s", p.stderr.String())
	}

	again := startServer(t, "--data-dir", dataDir, "--api-token", token)
	status, out := request(t, http.MethodGet, again.endpoint+"/mongodb-datastore/event?project=sockshop&eventID=drained", token, nil)
	if status != http.StatusOK || !bytes.Contains(out, []byte(`"drained"`)) {
		t.Errorf("drained event not stored: %d %s", status, out)
	}
}

func TestSecondServerOnDataDirFails(t *testing.T) {
	dir := t.TempDir()
	first := startServer(t, "--data-dir", dir, "--api-token", "first-token")

	second := exec.Command(binary, "--host", "127.0.0.1", "--port", "0", "--data-dir", dir, "--api-token", "second-token")
	second.Env = append(os.Environ(), "KEPTN_API_TOKEN=", "KEPTN_DATA_DIR=", "KEPTN_PORT=", "KEPTN_HOST=")
	out, err := second.CombinedOutput()
	if err == nil {
		t.Fatalf("a second server on the same data directory started:\n%s", out)
	}
	if !strings.Contains(string(out), "is in use by another keptn-api process") {
		t.Errorf("second server's output does not name the cause:\n%s", out)
	}
	if strings.Contains(string(out), "second-token") {
		t.Errorf("second server's output contains its API token:\n%s", out)
	}

	// The first server still serves, and after it stops the directory can
	// be used again.
	if status, body := request(t, http.MethodPost, first.endpoint+"/v1/auth", "first-token", nil); status != http.StatusOK {
		t.Fatalf("first server after the failed start: POST /v1/auth = %d %s", status, body)
	}
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := first.wait(t); err != nil {
		t.Fatalf("first server exited with %v", err)
	}
	startServer(t, "--data-dir", dir, "--api-token", "third-token")
}

func TestEmptyHostIsRejected(t *testing.T) {
	cmd := exec.Command(binary, "--port", "0", "--data-dir", t.TempDir(), "--api-token", "token")
	cmd.Env = append(os.Environ(), "KEPTN_HOST=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the server started with an empty KEPTN_HOST:\n%s", out)
	}
	if !strings.Contains(string(out), `invalid --host ""`) {
		t.Errorf("output does not name the empty host:\n%s", out)
	}
}

// TestFileUpstreamRootOption checks that --file-upstream-root enables
// file:// upstreams below it, and that a root that is not a directory stops
// the start.
func TestFileUpstreamRootOption(t *testing.T) {
	root := t.TempDir()
	remote := filepath.Join(root, "remote.git")
	if out, err := exec.Command("git", "init", "--quiet", "--bare", "--initial-branch=master", remote).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	body := func(name string) io.Reader {
		return strings.NewReader(`{"projectName":"` + name + `","gitUser":"u","gitToken":"unused-token","gitRemoteURI":"file://` + remote + `"}`)
	}

	off := startServer(t, "--data-dir", t.TempDir(), "--api-token", "token")
	if status, out := request(t, http.MethodPost, off.endpoint+"/configuration-service/v1/project", "token", body("off")); status != http.StatusBadRequest {
		t.Errorf("without the option: POST /project = %d %s, want 400", status, out)
	}

	on := startServer(t, "--data-dir", t.TempDir(), "--api-token", "token", "--file-upstream-root", root)
	if status, out := request(t, http.MethodPost, on.endpoint+"/configuration-service/v1/project", "token", body("on")); status != http.StatusNoContent {
		t.Errorf("with the option: POST /project = %d %s, want 204", status, out)
	}

	missing := filepath.Join(root, "missing")
	cmd := exec.Command(binary, "--host", "127.0.0.1", "--port", "0", "--data-dir", t.TempDir(), "--api-token", "token")
	cmd.Env = append(os.Environ(), "KEPTN_FILE_UPSTREAM_ROOT="+missing)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the server started with a missing file upstream root:\n%s", out)
	}
	if want := `invalid --file-upstream-root "` + missing + `"`; !strings.Contains(string(out), want) {
		t.Errorf("output does not contain %q:\n%s", want, out)
	}
}
