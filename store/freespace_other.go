//go:build !linux

package store

import (
	"errors"
	"fmt"
)

// FreeBytes is the space available on the file system that holds dir; it
// is measured on Linux only (statfs), and elsewhere returns an error
// wrapping errors.ErrUnsupported.
func FreeBytes(dir string) (uint64, error) {
	return 0, fmt.Errorf("store: free space of %s: %w", dir, errors.ErrUnsupported)
}
