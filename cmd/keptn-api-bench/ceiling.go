package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ceilingArg makes the program serve the ceiling instead of benchmarking. It
// is the first argument of the child process, and -help does not list it.
const ceilingArg = "-internal-serve-ceiling"

// ceilingBodySize is the size in bytes of the ceiling's response, about one
// page of a few small events.
const ceilingBodySize = 2048

// ceilingAddrPrefix starts the line on which the ceiling process reports
// its address on stdout.
const ceilingAddrPrefix = "ceiling listening on "

// ceilingBody returns a JSON object of exactly ceilingBodySize bytes.
func ceilingBody() []byte {
	const head, tail = `{"padding":"`, `"}`
	return []byte(head + strings.Repeat("x", ceilingBodySize-len(head)-len(tail)) + tail)
}

// serveCeiling runs in the child process. It serves a fixed 2 KB JSON body on
// a free loopback port with the server settings keptn-api uses, reports the
// address on stdout and serves until SIGTERM or SIGINT. It returns the exit
// code.
func serveCeiling() int {
	body := ceilingBody()
	size := strconv.Itoa(len(body))
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", size)
		_, _ = w.Write(body)
	})

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling: listen:", err)
		return 1
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Println(ceilingAddrPrefix + listener.Addr().String())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
	select {
	case err := <-served:
		fmt.Fprintln(os.Stderr, "ceiling: serve:", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	return 0
}

// ceiling is the running ceiling process.
type ceiling struct {
	*child
	baseURL string
}

// startCeiling starts this program again as the ceiling process.
func startCeiling(ctx context.Context) (*ceiling, error) {
	c, addr, err := startSelf(ctx, "ceiling", ceilingAddrPrefix, ceilingArg)
	if err != nil {
		return nil, err
	}
	cl := &ceiling{child: c, baseURL: "http://" + addr}
	if err := waitReady(ctx, c, cl.baseURL+"/", ""); err != nil {
		c.stop()
		return nil, fmt.Errorf("start the ceiling: %w", err)
	}
	fmt.Printf("ceiling (pid %d) is serving %s\n", c.pid(), cl.baseURL)
	return cl, nil
}

// startSelf starts this program again with args, as a child process named
// name, and returns what follows prefix on the first line of its stdout:
// the address the child serves.
func startSelf(ctx context.Context, name, prefix string, args ...string) (*child, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", fmt.Errorf("start the %s: find this program's executable: %w", name, err)
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	c, err := startChild(name, cmd)
	if err != nil {
		return nil, "", err
	}

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(startTimeout):
	case <-ctx.Done():
	}
	addr, ok := strings.CutPrefix(line, prefix)
	if !ok {
		c.stop()
		return nil, "", fmt.Errorf("start the %s: expected a line %q on its stdout within %s, got %q", name, prefix+"ADDRESS", startTimeout, line)
	}
	return c, addr, nil
}
