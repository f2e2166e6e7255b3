//go:build linux

package store

import (
	"fmt"
	"syscall"
)

// FreeBytes is the space available to this (unprivileged) user on the file
// system that holds dir: statfs's f_bavail × f_bsize. Elsewhere than on
// Linux it returns an error wrapping errors.ErrUnsupported.
func FreeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("store: free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
