package store

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// npzModTime is the timestamp given to every npz entry, so that equal
// arrays always produce byte-identical files.
var npzModTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// maxDeflateRatio bounds the declared expansion of a deflated npz entry
// (deflate cannot exceed about 1032:1), which guards against archives that
// claim absurd sizes.
const maxDeflateRatio = 1100

// WriteNPZ writes arrays to path as an uncompressed .npz archive (what
// numpy.savez writes: a zip holding NAME.npy for each array), atomically
// (see [AtomicWriteFile]). Names must be unique, non-empty, valid slash-
// separated relative paths such as "phi" or "run1/phi"; numpy.load
// exposes each array under its Name.
func WriteNPZ(path string, arrays []Array) error {
	return WriteNPZComment(path, arrays, "")
}

// WriteNPZComment is [WriteNPZ] with comment (at most 65535 bytes) as the
// zip archive's comment: numpy.load ignores it, Python's
// zipfile.ZipFile(path).comment and [ReadNPZComment] read it.
func WriteNPZComment(path string, arrays []Array, comment string) error {
	seen := make(map[string]bool, len(arrays))
	for _, a := range arrays {
		if err := checkNPZEntry(a.Name, seen); err != nil {
			return fmt.Errorf("store: write %s: %w", path, err)
		}
		if err := checkArray(a); err != nil {
			return fmt.Errorf("store: write %s: %w", path, err)
		}
	}
	w, err := CreateNPZ(path)
	if err != nil {
		return err
	}
	defer w.Abort()
	for _, a := range arrays {
		if err := w.Add(a); err != nil {
			return err
		}
	}
	return w.Close(comment)
}

// NPZWriter writes an uncompressed .npz archive entry by entry, atomically
// (an [AtomicFile]: nothing appears at the path before Close). An entry is
// either a whole array (Add) or a float64 array whose shape is declared
// first and whose elements follow in C order, in as many pieces as the
// caller likes (BeginFloat64s, WriteFloat64s), so that an array larger than
// memory can be written. The bytes are those [WriteNPZComment] writes for
// the same arrays.
type NPZWriter struct {
	path string
	f    *AtomicFile
	zw   *zip.Writer
	seen map[string]bool
	// The entry being streamed: its name, writer and elements still due.
	name string
	ew   io.Writer
	left int
}

// CreateNPZ starts writing the .npz archive path.
func CreateNPZ(path string) (*NPZWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	return &NPZWriter{path: path, f: f, zw: zip.NewWriter(f), seen: map[string]bool{}}, nil
}

// entry checks that no streamed entry is unfinished and opens the entry
// name.npy.
func (w *NPZWriter) entry(name string) (io.Writer, error) {
	if err := w.finished(); err != nil {
		return nil, err
	}
	if err := checkNPZEntry(name, w.seen); err != nil {
		return nil, fmt.Errorf("store: write %s: %w", w.path, err)
	}
	ew, err := w.zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store, Modified: npzModTime})
	if err != nil {
		return nil, w.ioErr(name, err)
	}
	return ew, nil
}

// finished checks that the streamed entry, if any, received all its elements.
func (w *NPZWriter) finished() error {
	if w.left != 0 {
		return fmt.Errorf("store: write %s: array %q: %d values missing", w.path, w.name, w.left)
	}
	w.ew = nil
	return nil
}

func (w *NPZWriter) ioErr(name string, err error) error {
	return fmt.Errorf("store: atomic write %s: array %q: %w", w.path, name, err)
}

// Add writes the whole array a as the next entry.
func (w *NPZWriter) Add(a Array) error {
	if err := checkArray(a); err != nil {
		return fmt.Errorf("store: write %s: %w", w.path, err)
	}
	ew, err := w.entry(a.Name)
	if err != nil {
		return err
	}
	if err := encodeNPY(ew, a); err != nil {
		return w.ioErr(a.Name, err)
	}
	return nil
}

// BeginFloat64s starts the entry name, a float64 array of the given shape,
// whose elements WriteFloat64s then writes.
func (w *NPZWriter) BeginFloat64s(name string, shape []int) error {
	return w.begin(name, shape, npyDType{'f', 8})
}

// BeginComplex128s starts the entry name, a complex128 array ('<c16') of
// the given shape, whose elements WriteFloat64s then writes as interleaved
// (re, im) pairs, two values per element: the bytes of the pairs are those
// of the complex numbers, so nothing is converted or copied.
func (w *NPZWriter) BeginComplex128s(name string, shape []int) error {
	return w.begin(name, shape, npyDType{'c', 16})
}

// begin starts the streamed entry name of type dt (f8 or c16).
func (w *NPZWriter) begin(name string, shape []int, dt npyDType) error {
	n, err := checkShape(shape)
	if err != nil {
		return fmt.Errorf("store: write %s: array %q: %w", w.path, name, err)
	}
	ew, err := w.entry(name)
	if err != nil {
		return err
	}
	if _, err := ew.Write(npyHeader(dt.descr(), shape)); err != nil {
		return w.ioErr(name, err)
	}
	w.name, w.ew, w.left = name, ew, n*(dt.size/8)
	return nil
}

// WriteFloat64s writes the next elements of the entry begun by
// BeginFloat64s (or the next real and imaginary parts of one begun by
// BeginComplex128s); more than its shape holds is an error.
func (w *NPZWriter) WriteFloat64s(v []float64) error {
	if w.ew == nil {
		return fmt.Errorf("store: write %s: WriteFloat64s without BeginFloat64s", w.path)
	}
	if len(v) > w.left {
		return fmt.Errorf("store: write %s: array %q: %d values more than its shape holds", w.path, w.name, len(v)-w.left)
	}
	if err := writeFloats(w.ew, v, F64); err != nil {
		return w.ioErr(w.name, err)
	}
	w.left -= len(v)
	return nil
}

// Close finishes the archive with comment as its zip comment (see
// [WriteNPZComment]) and commits it to its path. A streamed entry that did
// not receive all its elements is an error, and nothing is written.
func (w *NPZWriter) Close(comment string) error {
	if err := w.finished(); err != nil {
		w.Abort()
		return err
	}
	if comment != "" {
		if err := w.zw.SetComment(comment); err != nil {
			w.Abort()
			return fmt.Errorf("store: write %s: %w", w.path, err)
		}
	}
	if err := w.zw.Close(); err != nil {
		w.Abort()
		return fmt.Errorf("store: atomic write %s: %w", w.path, err)
	}
	return w.f.Commit()
}

// Abort drops the archive being written; the path is left as it was. It
// does nothing after Close, so it can be deferred.
func (w *NPZWriter) Abort() { w.f.Abort() }

// checkNPZEntry checks an array name and that it is not in seen, and adds
// it there.
func checkNPZEntry(name string, seen map[string]bool) error {
	if err := checkNPZName(name); err != nil {
		return err
	}
	if seen[name] {
		return fmt.Errorf("duplicate array name %q", name)
	}
	seen[name] = true
	return nil
}

func checkNPZName(name string) error {
	switch {
	case name == "":
		return errors.New("array with empty name")
	case !utf8.ValidString(name), strings.ContainsAny(name, "\\\x00"), !fs.ValidPath(name + ".npy"):
		return fmt.Errorf("array name %q is not a valid archive path", name)
	}
	return nil
}

// ReadNPZComment returns the zip archive comment of the .npz at path (""
// when it has none).
func ReadNPZComment(path string) (string, error) {
	z, err := zip.OpenReader(path)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && z != nil) {
		return "", fmt.Errorf("store: %s: not a zip archive: %w", path, err)
	}
	defer z.Close()
	return z.Comment, nil
}

// ReadNPZ reads every array of a .npz archive (stored or deflated, as
// numpy.savez and numpy.savez_compressed write them), keyed by name (the
// entry name without ".npy"). Each array's Name is set to its key. Every
// entry must be a valid .npy file of a dtype [ReadNPY] supports; defects
// are reported as a [*FormatError] naming the entry.
func ReadNPZ(path string) (map[string]Array, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeNPZ(f, size, path)
}

// decodeNPZ reads an npz archive of size bytes from r; path is used in
// errors.
func decodeNPZ(r io.ReaderAt, size int64, path string) (map[string]Array, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return nil, formatErr(path, "npz", "", "not a zip archive: %v", err)
	}

	files, names, err := npzEntries(zr, path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Array, len(names))
	for _, name := range names {
		a, err := readNPZArray(files[name], size, path, name)
		if err != nil {
			return nil, err
		}
		out[name] = a
	}
	return out, nil
}

// readNPZArray reads and decodes the entry zf, the array name of the npz
// archive path of size bytes.
func readNPZArray(zf *zip.File, size int64, path, name string) (Array, error) {
	data, err := readZipEntry(zf, size)
	if err != nil {
		return Array{}, formatErr(path, "npz", name, "%v", err)
	}
	a, err := decodeNPY(data)
	if err != nil {
		return Array{}, formatErr(path, "npz", name, "%v", err)
	}
	a.Name = name
	return a, nil
}

// readZipEntry reads one entry after checking that its declared sizes are
// plausible for an archive of archiveSize bytes.
func readZipEntry(zf *zip.File, archiveSize int64) ([]byte, error) {
	if err := checkZipEntry(zf, archiveSize); err != nil {
		return nil, err
	}
	usize := zf.UncompressedSize64
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, int64(usize)+1))
	if err != nil {
		return nil, err
	}
	if uint64(len(data)) != usize {
		return nil, fmt.Errorf("entry holds %d bytes but declares %d", len(data), usize)
	}
	return data, nil
}

// checkZipEntry checks that the declared sizes and the method of an entry
// are plausible for an archive of archiveSize bytes.
func checkZipEntry(zf *zip.File, archiveSize int64) error {
	csize, usize := zf.CompressedSize64, zf.UncompressedSize64
	if csize > uint64(archiveSize) {
		return fmt.Errorf("compressed size %d exceeds the archive size %d", csize, archiveSize)
	}
	switch zf.Method {
	case zip.Store:
		if usize != csize {
			return fmt.Errorf("stored entry declares %d bytes but occupies %d", usize, csize)
		}
	case zip.Deflate:
		if usize/maxDeflateRatio > csize {
			return fmt.Errorf("declared size %d is implausible for %d compressed bytes", usize, csize)
		}
	default:
		return fmt.Errorf("unsupported compression method %d", zf.Method)
	}
	if usize >= math.MaxInt64 {
		return fmt.Errorf("declared size %d is too large", usize)
	}
	return nil
}
