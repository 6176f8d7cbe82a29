package gitrepo_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keptn-api/keptn-api/store"
	"github.com/keptn-api/keptn-api/store/gitrepo"
)

// crashRootEnv names the store root for TestCrashChild. Only the parent
// test sets it.
const crashRootEnv = "GITREPO_CRASH_CHILD_ROOT"

// TestCrashChild commits in a loop until it is killed and prints one line
// per returned commit: "C <commit> <branch> <path> <content>", or
// "B <commit> <branch>" for a created branch. It runs only as the child
// process of TestKillDuringCommits.
func TestCrashChild(t *testing.T) {
	root := os.Getenv(crashRootEnv)
	if root == "" {
		t.Skip("runs only as the child process of TestKillDuringCommits")
	}
	s, err := gitrepo.Open(root, gitrepo.Options{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	ctx := context.Background()
	out := bufio.NewWriter(os.Stdout)
	seed := time.Now().UnixNano()
	for i := 0; ; i++ {
		branch := "master"
		if i%4 == 3 {
			branch = "dev"
		}
		if i%97 == 0 {
			name := fmt.Sprintf("stage-%d-%d", seed, i)
			v, err := s.CreateBranch(ctx, "p", name)
			if err != nil {
				fmt.Println("ERR", err)
				os.Exit(1)
			}
			fmt.Fprintf(out, "B %s %s\n", v.CommitID, name)
		}
		path := fmt.Sprintf("svc-%d/helm/file-%d.yaml", i%5, i%40)
		content := fmt.Sprintf("%d-%d", seed, i)
		v, err := s.Commit(ctx, "p", branch, "Updated resource", []store.FileChange{{Path: path, Content: []byte(content)}})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		// The line goes out only after Commit returned.
		fmt.Fprintf(out, "C %s %s %s %s\n", v.CommitID, branch, path, content)
		if err := out.Flush(); err != nil {
			os.Exit(1)
		}
	}
}

type crashRecord struct {
	kind, commit, branch, path, content string
}

// TestKillDuringCommits kills a committing child process with SIGKILL at
// varying moments and checks after each kill that the store opens, every
// commit the child reported is readable with its content, and the
// repository still takes commits.
func TestKillDuringCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	root := t.TempDir()
	s, err := gitrepo.Open(root, gitrepo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.CreateRepository(ctx, "p", nil, files("metadata.yaml", "x"), "m"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateBranch(ctx, "p", "dev"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var all []crashRecord
	const rounds = 4
	for round := range rounds {
		records := runAndKill(t, root, 200+rng.IntN(400), time.Duration(rng.IntN(3000))*time.Microsecond)
		if len(records) == 0 {
			t.Fatalf("round %d: the child reported no commit", round)
		}
		all = append(all, records...)

		s, err := gitrepo.Open(root, gitrepo.Options{})
		if err != nil {
			t.Fatalf("round %d: Open after SIGKILL: %v", round, err)
		}
		checkRecords(t, s, all)
		// The repository still takes commits.
		if _, err := s.Commit(ctx, "p", "master", "m", files(fmt.Sprintf("after-kill-%d.yaml", round), "x")); err != nil {
			t.Errorf("round %d: Commit after SIGKILL: %v", round, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d commits reported before the kill", round, len(records))
	}

	if _, err := exec.LookPath("git"); err == nil {
		out, err := exec.Command("git", "-C", filepath.Join(root, "p.git"), "fsck", "--full", "--strict").CombinedOutput()
		if err != nil {
			t.Errorf("git fsck after the kills: %v\n%s", err, out)
		}
	}
}

// runAndKill starts TestCrashChild on root, reads lines until it has
// reported want commits, waits delay more, kills it with SIGKILL and
// returns what it reported.
func runAndKill(t *testing.T, root string, want int, delay time.Duration) []crashRecord {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashRootEnv+"="+root)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the child: %v", err)
	}

	var records []crashRecord
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	commits := 0
	timeout := time.After(2 * time.Minute)
	for commits < want {
		select {
		case line, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("the child ended after %d commits", commits)
			}
			rec, ok := parseRecord(line)
			if !ok {
				if strings.HasPrefix(line, "ERR") {
					t.Fatalf("the child failed: %s", line)
				}
				continue
			}
			records = append(records, rec)
			if rec.kind == "C" {
				commits++
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("the child reported only %d commits in 2 minutes", commits)
		}
	}
	time.Sleep(delay)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatalf("kill the child: %v", err)
	}
	// Lines written before the kill count too: their calls returned.
	for line := range lines {
		if rec, ok := parseRecord(line); ok {
			records = append(records, rec)
		}
	}
	_ = cmd.Wait()
	return records
}

func parseRecord(line string) (crashRecord, bool) {
	f := strings.Fields(line)
	switch {
	case len(f) == 5 && f[0] == "C":
		return crashRecord{kind: "C", commit: f[1], branch: f[2], path: f[3], content: f[4]}, true
	case len(f) == 3 && f[0] == "B":
		return crashRecord{kind: "B", commit: f[1], branch: f[2]}, true
	}
	return crashRecord{}, false
}

func checkRecords(t *testing.T, s *gitrepo.Store, records []crashRecord) {
	t.Helper()
	ctx := context.Background()
	branches, err := s.Branches(ctx, "p")
	if err != nil {
		t.Fatalf("Branches: %v", err)
	}
	for _, rec := range records {
		switch rec.kind {
		case "C":
			data, _, err := s.ReadFile(ctx, "p", rec.branch, rec.commit, rec.path)
			if err != nil {
				t.Errorf("commit %s (%s) that Commit returned: %v", rec.commit, rec.path, err)
				continue
			}
			if string(data) != rec.content {
				t.Errorf("%s at %s = %q, want %q", rec.path, rec.commit, data, rec.content)
			}
		case "B":
			found := false
			for _, b := range branches {
				found = found || b == rec.branch
			}
			if !found {
				t.Errorf("branch %s that CreateBranch returned is missing", rec.branch)
			}
		}
	}
	// Every branch head is readable down to its files.
	for _, b := range append(branches, "master") {
		paths, err := s.ListFiles(ctx, "p", b, "")
		if err != nil {
			t.Errorf("ListFiles(%s): %v", b, err)
			continue
		}
		for _, path := range paths {
			if _, _, err := s.ReadFile(ctx, "p", b, "", path); err != nil {
				t.Errorf("ReadFile(%s, %s): %v", b, path, err)
			}
		}
	}
}
