package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/sqlite"
)

// killChildDBEnv names the database file of TestInsertUntilKilled. Only
// TestKillKeepsAcknowledgedEvents sets it.
const killChildDBEnv = "SQLITE_KILL_CHILD_DB"

// TestInsertUntilKilled inserts events from 16 goroutines until it is
// killed, and prints the ID of each event whose InsertEvent returned nil,
// one per line. It runs only as the child process of
// TestKillKeepsAcknowledgedEvents.
func TestInsertUntilKilled(t *testing.T) {
	path := os.Getenv(killChildDBEnv)
	if path == "" {
		t.Skip("runs only as the child process of TestKillKeepsAcknowledgedEvents")
	}
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	run := time.Now().UnixNano()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("%d-%d-%d", run, g, i)
				err := s.InsertEvent(context.Background(), testEvent(id, "p1", fmt.Sprintf("c%d-%d", g, i/10), time.Now()))
				mu.Lock()
				if err != nil {
					fmt.Fprintln(out, "ERR", err)
				} else {
					fmt.Fprintln(out, id)
				}
				err = out.Flush()
				mu.Unlock()
				if err != nil {
					os.Exit(1)
				}
			}
		})
	}
	wg.Wait()
}

// TestKillKeepsAcknowledgedEvents kills a process that inserts events with
// SIGKILL, three times over on the same file, and checks that every event
// whose InsertEvent returned nil is stored. Each round writes enough pages
// to run checkpoints while the process dies.
func TestKillKeepsAcknowledgedEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "events.db")
	var acked []string
	for round := range 3 {
		acked = append(acked, runUntilKilled(t, path, 3000, time.Duration(round)*20*time.Millisecond)...)
	}

	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open after the kills: %v", err)
	}
	defer s.Close()
	page, err := s.QueryEvents(context.Background(), store.EventQuery{Project: "p1"})
	if err != nil {
		t.Fatalf("QueryEvents: %v", err)
	}
	stored := make(map[string]bool, len(page.Events))
	for _, ev := range page.Events {
		stored[ev.ID] = true
	}
	missing := 0
	for _, id := range acked {
		if !stored[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged events are missing after the kills", missing, len(acked))
	}
}

// runUntilKilled starts TestInsertUntilKilled on path, reads acknowledged
// IDs until it has want of them, waits delay more, kills the process and
// returns the IDs it reported.
func runUntilKilled(t *testing.T, path string, want int, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestInsertUntilKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildDBEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the child process: %v", err)
	}

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var ids []string
	var killAt <-chan time.Time
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				if err := cmd.Wait(); err != nil && killAt == nil {
					t.Fatalf("child process ended before it was killed: %v", err)
				}
				return ids
			}
			if len(line) > 4 && line[:4] == "ERR " {
				t.Errorf("child process: %s", line)
				continue
			}
			ids = append(ids, line)
			if len(ids) == want && killAt == nil {
				killAt = time.After(delay)
			}
		case <-killAt:
			if err := cmd.Process.Kill(); err != nil {
				t.Fatalf("kill the child process: %v", err)
			}
			killAt = make(chan time.Time) // never fires again
		case <-timeout:
			cmd.Process.Kill()
			t.Fatalf("child process reported %d of %d events within 2 minutes", len(ids), want)
		}
	}
}
