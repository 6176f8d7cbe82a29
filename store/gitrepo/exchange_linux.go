package gitrepo

import "golang.org/x/sys/unix"

// exchangeFiles swaps the files at paths a and b in one atomic step.
func exchangeFiles(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
