package store

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
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
		if err := checkNPZName(a.Name); err != nil {
			return fmt.Errorf("store: write %s: %w", path, err)
		}
		if seen[a.Name] {
			return fmt.Errorf("store: write %s: duplicate array name %q", path, a.Name)
		}
		seen[a.Name] = true
		if err := checkArray(a); err != nil {
			return fmt.Errorf("store: write %s: %w", path, err)
		}
	}
	return AtomicWriteFile(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for _, a := range arrays {
			ew, err := zw.CreateHeader(&zip.FileHeader{
				Name:     a.Name + ".npy",
				Method:   zip.Store,
				Modified: npzModTime,
			})
			if err != nil {
				return fmt.Errorf("array %q: %w", a.Name, err)
			}
			if err := encodeNPY(ew, a); err != nil {
				return fmt.Errorf("array %q: %w", a.Name, err)
			}
		}
		if comment != "" {
			if err := zw.SetComment(comment); err != nil {
				return err
			}
		}
		return zw.Close()
	})
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
	const format = "npz"
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("store: %s: not a regular file", path)
	}
	return decodeNPZ(f, fi.Size(), path)
}

// decodeNPZ reads an npz archive of size bytes from r; path is used in
// errors.
func decodeNPZ(r io.ReaderAt, size int64, path string) (map[string]Array, error) {
	const format = "npz"
	zr, err := zip.NewReader(r, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return nil, formatErr(path, format, "", "not a zip archive: %v", err)
	}

	out := make(map[string]Array, len(zr.File))
	for _, zf := range zr.File {
		name, ok := strings.CutSuffix(zf.Name, ".npy")
		if !ok || name == "" {
			return nil, formatErr(path, format, zf.Name, "entry is not a .npy file")
		}
		if _, dup := out[name]; dup {
			return nil, formatErr(path, format, name, "duplicate entry")
		}
		data, err := readZipEntry(zf, size)
		if err != nil {
			return nil, formatErr(path, format, name, "%v", err)
		}
		a, err := decodeNPY(data)
		if err != nil {
			return nil, formatErr(path, format, name, "%v", err)
		}
		a.Name = name
		out[name] = a
	}
	return out, nil
}

// readZipEntry reads one entry after checking that its declared sizes are
// plausible for an archive of archiveSize bytes.
func readZipEntry(zf *zip.File, archiveSize int64) ([]byte, error) {
	csize, usize := zf.CompressedSize64, zf.UncompressedSize64
	if csize > uint64(archiveSize) {
		return nil, fmt.Errorf("compressed size %d exceeds the archive size %d", csize, archiveSize)
	}
	switch zf.Method {
	case zip.Store:
		if usize != csize {
			return nil, fmt.Errorf("stored entry declares %d bytes but occupies %d", usize, csize)
		}
	case zip.Deflate:
		if usize/maxDeflateRatio > csize {
			return nil, fmt.Errorf("declared size %d is implausible for %d compressed bytes", usize, csize)
		}
	default:
		return nil, fmt.Errorf("unsupported compression method %d", zf.Method)
	}
	if usize >= math.MaxInt64 {
		return nil, fmt.Errorf("declared size %d is too large", usize)
	}
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
