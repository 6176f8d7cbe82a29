//go:build !unix

package main

// lockDataDir does nothing on systems without flock.
//
// NOTE: two servers on one data directory are not detected here, and the
// second one would write to the same database and repositories.
func lockDataDir(string) (func() error, error) {
	return func() error { return nil }, nil
}
