package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	serverPackage = "github.com/keptn-api/keptn-api/cmd/keptn-api"
	// startTimeout bounds the wait for a child process to accept requests.
	startTimeout = 15 * time.Second
	// stopTimeout bounds the wait after SIGTERM before SIGKILL. keptn-api
	// drains for up to 30 s by default, but no request is in flight by then.
	stopTimeout = 10 * time.Second
	// maxForwardedLogLines caps how many server log lines reach stderr, so
	// that an error logged per request cannot flood the terminal.
	maxForwardedLogLines = 20
)

// child is a started process with its exit status collected in the
// background.
type child struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	err    error         // exit error, valid after exited is closed
}

func startChild(name string, cmd *exec.Cmd) (*child, error) {
	// The kernel sends SIGTERM to the child if this process dies without
	// stopping it, so that no server outlives an interrupted run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// alive returns an error when the process has exited.
func (c *child) alive() error {
	select {
	case <-c.exited:
		return fmt.Errorf("%s (pid %d) exited during the run: %v", c.name, c.pid(), c.err)
	default:
		return nil
	}
}

// stop sends SIGTERM and waits for the exit, then sends SIGKILL after
// stopTimeout.
func (c *child) stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(stopTimeout):
		fmt.Fprintf(os.Stderr, "keptn-api-bench: %s (pid %d) did not stop within %s of SIGTERM; killing it\n", c.name, c.pid(), stopTimeout)
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// server is the keptn-api process under test.
type server struct {
	*child
	baseURL string // http://127.0.0.1:PORT
	token   string
	bin     string   // the built binary
	dataDir string   // its --data-dir
	env     []string // added to its environment, such as MONGODB_URL
}

// buildServer builds keptn-api into dir and returns the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "keptn-api")
	started := time.Now()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, serverPackage)
	build.Stdout = os.Stderr
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build of %s failed, see the go build output above (the benchmark must run inside the keptn-api module): %w", serverPackage, err)
	}
	fmt.Printf("built keptn-api in %.1f s\n", time.Since(started).Seconds())
	return bin, nil
}

// startServer starts the binary bin on a free loopback port with its data in
// dataDir and env added to its environment. It waits until GET /health
// returns 200 and a query of the event store returns 200.
//
// The server runs with --log-level warn, because at info level it writes an
// access log line per request, which would be part of the measurement. At
// warn level it does not log its address, so the port is picked here: a
// listener on port 0 is opened and closed, and its port is passed to the
// server. Another process can take the port in between, so a failed start is
// retried on a new port.
func startServer(ctx context.Context, bin, dataDir string, env []string) (*server, error) {
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	srv := &server{token: token, bin: bin, dataDir: dataDir, env: env}
	const attempts = 3
	var lastErr error
	for range attempts {
		started, err := srv.start(ctx)
		if err == nil {
			return started, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("start keptn-api: %w", lastErr)
}

// restart stops the server and starts it again on the same data directory
// and environment, with extraArgs added to its command line.
func (s *server) restart(ctx context.Context, extraArgs ...string) (*server, error) {
	s.stop()
	return s.start(ctx, extraArgs...)
}

// start starts a new process with the settings of s and returns it as a new
// server.
func (s *server) start(ctx context.Context, extraArgs ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--host", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--data-dir", s.dataDir,
		"--api-token", s.token,
		"--log-level", "warn",
	}
	cmd := exec.Command(s.bin, append(args, extraArgs...)...)
	cmd.Env = append(os.Environ(), s.env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	c, err := startChild("keptn-api", cmd)
	if err != nil {
		return nil, err
	}
	logs := forwardLogs(stderr)

	srv := &server{child: c, baseURL: "http://127.0.0.1:" + strconv.Itoa(port),
		token: s.token, bin: s.bin, dataDir: s.dataDir, env: s.env}
	// With the MongoDB backend, /health returns 200 at once, but queries
	// return 503 until the server has connected to MongoDB.
	err = waitReady(ctx, c, srv.baseURL+"/health", "")
	if err == nil {
		err = waitReady(ctx, c, contextQueryURL(srv.baseURL, "00000000-0000-4000-8000-000000000000"), srv.token)
	}
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("%w; its log:\n%s", err, logs.text())
	}
	fmt.Printf("keptn-api (pid %d) is serving %s/api\n", c.pid(), srv.baseURL)
	return srv, nil
}

// logLines forwards a child's log to stderr, up to maxForwardedLogLines
// lines, and keeps those lines for error messages.
type logLines struct {
	mu      sync.Mutex
	lines   []string
	dropped int
}

func forwardLogs(r io.Reader) *logLines {
	l := &logLines{}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			l.mu.Lock()
			if len(l.lines) < maxForwardedLogLines {
				l.lines = append(l.lines, sc.Text())
				fmt.Fprintln(os.Stderr, "keptn-api log:", sc.Text())
			} else {
				l.dropped++
				if l.dropped == 1 {
					fmt.Fprintf(os.Stderr, "keptn-api log: more than %d lines; the rest are not shown\n", maxForwardedLogLines)
				}
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *logLines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return "(empty)"
	}
	return strings.Join(l.lines, "\n")
}

// waitReady polls url, with the x-token header when token is not empty,
// until it returns 200, the process exits or startTimeout passes.
func waitReady(ctx context.Context, c *child, url, token string) error {
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer probe.CloseIdleConnections()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if err := c.alive(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		req, err := newRequest(ctx, http.MethodGet, url, token, nil)
		if err != nil {
			return err
		}
		resp, err := probe.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s (pid %d) did not return 200 for GET %s within %s", c.name, c.pid(), url, startTimeout)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate the API token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// readMemory returns a memory field of /proc/PID/status (VmRSS, VmHWM) in
// bytes. The kernel writes these fields in kB, meaning KiB.
func readMemory(pid int, field string) (int64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read the memory use of pid %d: %w", pid, err)
	}
	for line := range strings.Lines(string(raw)) {
		value, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s in %s: %w", field, path, err)
		}
		return kib * 1024, nil
	}
	return 0, fmt.Errorf("no %s field in %s", field, path)
}

// machine describes the host for the report.
type machine struct {
	cpuModel  string
	cpus      int
	memory    string
	goVersion string
}

// readMachine reads the CPU model and count from /proc/cpuinfo, the memory
// from /proc/meminfo and the version of the go command that builds the
// server. A value it cannot read is reported as "unknown".
func readMachine() machine {
	m := machine{cpuModel: "unknown CPU", memory: "unknown memory", goVersion: "unknown Go version"}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(raw)) {
			key, value, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(key) {
			case "processor":
				m.cpus++
			case "model name":
				m.cpuModel = strings.TrimSpace(value)
			}
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(raw)) {
			if value, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
				if err == nil {
					m.memory = fmt.Sprintf("%.1f GiB RAM", float64(kib)/(1<<20))
				}
			}
		}
	}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		m.goVersion = strings.TrimSpace(string(out))
	}
	return m
}
