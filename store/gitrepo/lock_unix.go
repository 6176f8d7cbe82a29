//go:build unix

package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockRoot takes an exclusive flock on <root>/.lock. The kernel releases it
// when the process dies, so a killed process never blocks the next Open.
func lockRoot(root string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(root, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("gitrepo: root %q is open in another Store", root)
		}
		return nil, fmt.Errorf("gitrepo: lock root %q: %w", root, err)
	}
	return f, nil
}

func unlockRoot(f *os.File) error {
	return f.Close()
}
