//go:build linux

package fulldisk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

func mount(dir string, size int) error {
	return syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size))
}

func unmount(dir string) error { return syscall.Unmount(dir, 0) }

// fill writes dir/filler in pages until fewer than keep bytes remain free,
// or until a write finds the file system full (another process may be
// writing to it at the same time).
func fill(dir string, keep int) error {
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		return err
	}
	defer f.Close()
	page := make([]byte, os.Getpagesize())
	for {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			return err
		}
		if free := int64(st.Bavail) * int64(st.Bsize); free-int64(len(page)) < int64(keep) {
			return f.Sync()
		}
		if _, err := f.Write(page); errors.Is(err, syscall.ENOSPC) {
			return nil
		} else if err != nil {
			return err
		}
	}
}
