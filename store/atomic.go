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
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Abort() // on error and on panic in write: drop the temporary file
	if err := write(f); err != nil {
		return fmt.Errorf("store: atomic write %s: %w", f.path, err)
	}
	return f.Commit()
}

// AtomicFile is a file being written atomically, for writers that produce
// it piece by piece rather than in one callback ([AtomicWriteFile]): the
// data goes to a temporary file ".NAME.tmp-*" in the target's directory,
// and only Commit puts it under its name. Until then an existing file at
// the path is untouched, and Abort (or a crash) leaves at most the
// temporary file, which nothing reads.
type AtomicFile struct {
	path, dir string
	perm      fs.FileMode
	tmp       *os.File
	bw        *bufio.Writer
	done      bool
}

// CreateAtomic starts the atomic write of path (see [AtomicWriteFile] for
// the permissions and symbolic links).
func CreateAtomic(path string) (*AtomicFile, error) {
	if resolved, rerr := filepath.EvalSymlinks(path); rerr == nil {
		path = resolved
	}
	perm := defaultPerm
	if fi, serr := os.Stat(path); serr == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("store: atomic write %s: is a directory", path)
		}
		perm = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("store: atomic write %s: %w", path, err)
	}
	return &AtomicFile{path: path, dir: dir, perm: perm, tmp: tmp, bw: bufio.NewWriterSize(tmp, 1<<20)}, nil
}

// Write writes to the temporary file (buffered).
func (f *AtomicFile) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("store: atomic write %s: write after commit or abort", f.path)
	}
	return f.bw.Write(p)
}

// Flush writes the buffered data to the temporary file (not yet synced).
func (f *AtomicFile) Flush() error { return f.bw.Flush() }

// Commit flushes and fsyncs the temporary file, renames it over the path
// and fsyncs the directory. On failure the temporary file is removed and
// the previous file at the path is kept.
func (f *AtomicFile) Commit() error {
	if f.done {
		return fmt.Errorf("store: atomic write %s: commit after commit or abort", f.path)
	}
	fail := func(what string, err error) error {
		f.Abort()
		return fmt.Errorf("store: atomic write %s: %s%w", f.path, what, err)
	}
	if err := f.bw.Flush(); err != nil {
		return fail("", err)
	}
	if err := f.tmp.Chmod(f.perm); err != nil && runtime.GOOS != "windows" {
		return fail("", err)
	}
	if err := f.tmp.Sync(); err != nil {
		return fail("fsync: ", err)
	}
	if err := f.tmp.Close(); err != nil {
		return fail("", err)
	}
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		return fail("", err)
	}
	f.done = true
	if err := syncDir(f.dir); err != nil {
		return fmt.Errorf("store: atomic write %s: fsync directory: %w", f.path, err)
	}
	return nil
}

// Abort drops the temporary file; the path is left as it was. It does
// nothing after Commit, so it can be deferred.
func (f *AtomicFile) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.tmp.Close()
	_ = os.Remove(f.tmp.Name())
}

// RemoveStaleTemps deletes the temporary files that atomic writes of the
// named files in dir left behind when their process was killed
// (".NAME.tmp-*"; a name may hold the wildcards of filepath.Match, e.g.
// "part-*.npz"); nothing ever reads them.
func RemoveStaleTemps(dir string, names ...string) {
	for _, name := range names {
		stale, _ := filepath.Glob(filepath.Join(dir, "."+name+".tmp-*"))
		for _, p := range stale {
			os.Remove(p)
		}
	}
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
