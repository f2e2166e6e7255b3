package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// defaultPerm is the permission given to a newly created output file.
const defaultPerm fs.FileMode = 0o644

// AtomicWriteFile writes the file at path atomically. The write callback
// receives a buffered writer backed by a temporary file created in the
// same directory as path; when it returns nil the buffer is flushed, the
// temporary file is fsynced and closed, renamed over path, and the
// directory is fsynced so that the rename itself is durable.
//
// If write (or any later step) fails, or write panics, the temporary file
// is removed and an existing file at path is left untouched.
//
// A new file gets mode 0644; when path already exists its permission bits
// are kept. If path is a symbolic link the file it points to is replaced,
// not the link.
func AtomicWriteFile(path string, write func(w io.Writer) error) error {
	if write == nil {
		return fmt.Errorf("store: atomic write %s: nil write function", path)
	}
	if resolved, rerr := filepath.EvalSymlinks(path); rerr == nil {
		path = resolved
	}
	perm := defaultPerm
	if fi, serr := os.Stat(path); serr == nil {
		if fi.IsDir() {
			return fmt.Errorf("store: atomic write %s: is a directory", path)
		}
		perm = fi.Mode().Perm()
	}

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("store: atomic write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if committed {
			return
		}
		// Reached on error and on panic in write: drop the temporary file.
		_ = tmp.Close()
		_ = os.Remove(tmpName)
	}()

	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("store: atomic write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("store: atomic write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("store: atomic write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("store: atomic write %s: fsync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store: atomic write %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("store: atomic write %s: %w", path, err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("store: atomic write %s: fsync directory: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory so that a rename inside it is durable.
// Windows cannot fsync directories; there the call is a no-op.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && isSyncUnsupported(pe.Err) {
		return nil
	}
	return err
}

// isSyncUnsupported reports errors with which file systems that cannot
// fsync a directory answer; they are not failures of the write.
func isSyncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported)
}
