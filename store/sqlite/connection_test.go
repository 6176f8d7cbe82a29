package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestConnectionSettings checks that the DSN parameters reached SQLite: the
// durability of InsertEvent depends on synchronous=FULL in WAL mode.
func TestConnectionSettings(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "events.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()

	writerWant := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"busy_timeout": "5000",
	}
	for pragma, want := range writerWant {
		var got string
		if err := s.writeConn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("writer PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("writer PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}

	var queryOnly string
	if err := s.read.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly); err != nil {
		t.Fatalf("reader PRAGMA query_only: %v", err)
	}
	if queryOnly != "1" {
		t.Errorf("reader PRAGMA query_only = %s, want 1", queryOnly)
	}
	if _, err := s.read.ExecContext(ctx, "DELETE FROM events"); err == nil {
		t.Error("DELETE through the read pool succeeded, want an error")
	}
}
