package store

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// Streaming readers: an .npz archive opened once, its arrays read whole
// (NPZReader.Read) or element by element (NPZReader.Stream, OpenNPY), so
// that an array larger than memory can be processed in pieces. They
// validate as ReadNPZ and ReadNPY do and report defects as a
// [*FormatError] naming the file and the array.

// maxStreamHeader bounds the .npy header a stream reads before its data
// (numpy's own headers are a few hundred bytes).
const maxStreamHeader = 1 << 20

// NPZReader is an open .npz archive (stored or deflated entries).
type NPZReader struct {
	path  string
	f     *os.File
	size  int64
	zr    *zip.Reader
	files map[string]*zip.File
	names []string
}

// OpenNPZ opens the .npz archive at path and checks its directory: every
// entry a NAME.npy, no name twice. Close it when done.
func OpenNPZ(path string) (*NPZReader, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(f, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		f.Close()
		return nil, formatErr(path, "npz", "", "not a zip archive: %v", err)
	}
	files, names, err := npzEntries(zr, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &NPZReader{path: path, f: f, size: size, zr: zr, files: files, names: names}, nil
}

// npzEntries checks the directory of an npz archive (every entry a
// NAME.npy, no name twice) and returns its entries by name and the names
// in archive order.
func npzEntries(zr *zip.Reader, path string) (map[string]*zip.File, []string, error) {
	files := make(map[string]*zip.File, len(zr.File))
	names := make([]string, 0, len(zr.File))
	for _, zf := range zr.File {
		name, ok := strings.CutSuffix(zf.Name, ".npy")
		if !ok || name == "" {
			return nil, nil, formatErr(path, "npz", zf.Name, "entry is not a .npy file")
		}
		if _, dup := files[name]; dup {
			return nil, nil, formatErr(path, "npz", name, "duplicate entry")
		}
		files[name] = zf
		names = append(names, name)
	}
	return files, names, nil
}

// openRegular opens path, which must be a regular file, and returns its size.
func openRegular(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("store: %s: not a regular file", path)
	}
	return f, fi.Size(), nil
}

// Close closes the archive.
func (r *NPZReader) Close() error { return r.f.Close() }

// Comment is the zip archive comment ("" when none).
func (r *NPZReader) Comment() string { return r.zr.Comment }

// Names lists the arrays in archive order.
func (r *NPZReader) Names() []string { return slices.Clone(r.names) }

// Has reports whether the archive holds the array name.
func (r *NPZReader) Has(name string) bool { _, ok := r.files[name]; return ok }

// Read reads the whole array name.
func (r *NPZReader) Read(name string) (Array, error) {
	zf, ok := r.files[name]
	if !ok {
		return Array{}, formatErr(r.path, "npz", name, "no such array")
	}
	return readNPZArray(zf, r.size, r.path, name)
}

// Stream opens the array name for reading element by element; the archive
// must stay open while it is read.
func (r *NPZReader) Stream(name string) (*NPYStream, error) {
	zf, ok := r.files[name]
	if !ok {
		return nil, formatErr(r.path, "npz", name, "no such array")
	}
	if err := checkZipEntry(zf, r.size); err != nil {
		return nil, formatErr(r.path, "npz", name, "%v", err)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, formatErr(r.path, "npz", name, "%v", err)
	}
	return newNPYStream(rc, int64(zf.UncompressedSize64), r.path, "npz", name)
}

// NPYStream reads the elements of one .npy array (a file, or an entry of an
// .npz) in C order, converted to float64, in pieces of any length. A
// complex array (c16, c8) is read as interleaved (re, im) pairs: two
// values per element, the layout of an SU(N) field (complex.go).
type NPYStream struct {
	// Shape is the array's shape (in elements, complex ones counted once).
	Shape []int
	// Complex says that the elements are complex: Remaining and
	// ReadFloat64s count their real and imaginary parts.
	Complex bool
	// Descr is the array's NumPy dtype, e.g. "<f8" or "<c16".
	Descr string

	path, format, entry string
	rc                  io.ReadCloser
	br                  *bufio.Reader
	hdr                 npyHeaderInfo
	left                int64     // elements not yet read
	buf                 []byte    // raw bytes of one piece
	whole               []float64 // a Fortran-ordered array, read whole and reordered
}

// OpenNPY opens the .npy file at path for reading element by element.
func OpenNPY(path string) (*NPYStream, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	return newNPYStream(f, size, path, "npy", "")
}

// newNPYStream reads the header of the .npy of total bytes that rc reads.
func newNPYStream(rc io.ReadCloser, total int64, path, format, entry string) (*NPYStream, error) {
	s := &NPYStream{path: path, format: format, entry: entry, rc: rc, br: bufio.NewReaderSize(rc, 1<<16)}
	if err := s.open(total); err != nil {
		rc.Close()
		return nil, err
	}
	return s, nil
}

func (s *NPYStream) open(total int64) error {
	head := make([]byte, min(total, 12))
	if _, err := io.ReadFull(s.br, head); err != nil {
		return s.fail("%v", err)
	}
	// The header's end as its version and length say (checked by npyPreamble).
	need := int64(0)
	switch {
	case len(head) >= 10 && head[6] == 1:
		need = 10 + int64(binary.LittleEndian.Uint16(head[8:10]))
	case len(head) >= 12 && (head[6] == 2 || head[6] == 3):
		need = 12 + int64(binary.LittleEndian.Uint32(head[8:12]))
	}
	if need > maxStreamHeader {
		return s.fail("header length %d is too large", need)
	}
	if need > int64(len(head)) && need <= total {
		rest := make([]byte, need-int64(len(head)))
		if _, err := io.ReadFull(s.br, rest); err != nil {
			return s.fail("%v", err)
		}
		head = append(head, rest...)
	}
	hdr, start, err := npyPreamble(head, total)
	if err != nil {
		return s.fail("%v", err)
	}
	numel, shape, err := hdr.size(total - int64(start))
	if err != nil {
		return s.fail("%v", err)
	}
	s.hdr, s.Shape, s.left, s.Descr = hdr, shape, numel, hdr.descr
	if part := hdr.dtype.part(); part != hdr.dtype { // complex: read the parts
		s.Complex, s.hdr.dtype, s.left = true, part, 2*numel
	}
	if hdr.fortran && len(shape) > 1 {
		data := make([]byte, numel*int64(hdr.dtype.size))
		if _, err := io.ReadFull(s.br, data); err != nil {
			return s.fail("%v", err)
		}
		s.whole = make([]float64, s.left)
		decodeFloat64s(s.whole, fortranToC(data, shape, hdr.dtype.size), s.hdr.dtype, hdr.order)
		return s.atEnd()
	}
	return nil
}

// fail is a format error of the stream's file and array.
func (s *NPYStream) fail(format string, args ...any) error {
	return formatErr(s.path, s.format, s.entry, format, args...)
}

// Remaining is the number of values not yet read (elements; for a complex
// array, twice the elements).
func (s *NPYStream) Remaining() int64 {
	if s.whole != nil {
		return int64(len(s.whole))
	}
	return s.left
}

// ReadFloat64s fills dst with the next len(dst) elements (booleans become 0
// or 1); asking for more than remain is an error. Reading the last element
// also checks that nothing follows it and, for an .npz entry, its CRC.
func (s *NPYStream) ReadFloat64s(dst []float64) error {
	if int64(len(dst)) > s.Remaining() {
		return s.fail("%d elements asked, %d remain", len(dst), s.Remaining())
	}
	if s.whole != nil {
		copy(dst, s.whole)
		s.whole = s.whole[len(dst):]
		return nil
	}
	size := s.hdr.dtype.size
	if need := len(dst) * size; cap(s.buf) < need {
		s.buf = make([]byte, need)
	}
	raw := s.buf[:len(dst)*size]
	if _, err := io.ReadFull(s.br, raw); err != nil {
		return s.fail("%v", err)
	}
	decodeFloat64s(dst, raw, s.hdr.dtype, s.hdr.order)
	s.left -= int64(len(dst))
	if s.left == 0 {
		return s.atEnd()
	}
	return nil
}

// atEnd checks that the data ends where the shape says (reading to the end
// of a zip entry verifies its CRC).
func (s *NPYStream) atEnd() error {
	var b [1]byte
	n, err := io.ReadFull(s.br, b[:])
	switch {
	case n > 0:
		return s.fail("data continues past its shape %v", s.Shape)
	case err != io.EOF:
		return s.fail("%v", err)
	}
	return nil
}

// Close releases the stream.
func (s *NPYStream) Close() error { return s.rc.Close() }

// decodeFloat64s converts raw elements of dtype dt (byte order bo) into dst.
func decodeFloat64s(dst []float64, data []byte, dt npyDType, bo binary.ByteOrder) {
	switch {
	case dt.kind == 'f' && dt.size == 8:
		for i := range dst {
			dst[i] = math.Float64frombits(bo.Uint64(data[8*i:]))
		}
	case dt.kind == 'f' && dt.size == 4:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(bo.Uint32(data[4*i:])))
		}
	case dt.kind == 'i' && dt.size == 8:
		for i := range dst {
			dst[i] = float64(int64(bo.Uint64(data[8*i:])))
		}
	case dt.kind == 'i' && dt.size == 4:
		for i := range dst {
			dst[i] = float64(int32(bo.Uint32(data[4*i:])))
		}
	case dt.kind == 'u':
		for i := range dst {
			dst[i] = float64(data[i])
		}
	default: // 'b'
		for i := range dst {
			dst[i] = 0
			if data[i] != 0 {
				dst[i] = 1
			}
		}
	}
}
