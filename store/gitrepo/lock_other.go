//go:build !unix

package gitrepo

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockRoot opens <root>/.lock without locking it.
//
// NOTE: on systems without flock nothing stops two Stores from opening the
// same root, which would let their cached branch heads diverge.
func lockRoot(root string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(root, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: open lock file: %w", err)
	}
	return f, nil
}

func unlockRoot(f *os.File) error {
	return f.Close()
}
