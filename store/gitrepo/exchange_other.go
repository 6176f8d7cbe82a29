//go:build !linux

package gitrepo

import "errors"

// exchangeFiles is not available here; callers fall back to a new file and
// a rename.
func exchangeFiles(a, b string) error {
	return errors.ErrUnsupported
}
