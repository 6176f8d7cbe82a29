//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFileName is the file in the data directory that a running server
// holds an exclusive lock on.
const lockFileName = "keptn-api.lock"

// lockDataDir takes an exclusive lock on dir, so that a second server on the
// same data directory fails at start instead of writing to the same
// database and repositories. The stores cache what they read and assume
// that they are the only writer. The kernel releases the lock when the
// process exits, also on kill -9, so no stale lock is left behind.
func lockDataDir(dir string) (unlock func() error, err error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is in use by another keptn-api process: stop it or choose another --data-dir", dir)
		}
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	return f.Close, nil
}
