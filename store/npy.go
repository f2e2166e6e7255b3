package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Array is a named, dense, row-major (C-order) NumPy array. Data holds
// the elements as one of:
//
//	[]float64 (<f8)  []float32 (<f4)  []int64 (<i8)  []int32 (<i4)
//	[]uint8   (|u1)  []bool    (|b1)  []complex128 (<c16)
//
// A complex array's Shape counts complex elements; [ComplexPairs] views
// its data as interleaved (re, im) float64 pairs and [Complex128s] the
// other way, without copying (complex.go).
//
// Writers also accept []int, stored as int64 (<i8) and read back as
// []int64. A 0-d (scalar) array has an empty Shape and one element.
type Array struct {
	Name  string
	Shape []int
	Data  any
}

// Len returns the number of elements in a.Data, or -1 if its type is not
// supported.
func (a Array) Len() int {
	switch d := a.Data.(type) {
	case []float64:
		return len(d)
	case []float32:
		return len(d)
	case []int64:
		return len(d)
	case []int32:
		return len(d)
	case []int:
		return len(d)
	case []uint8:
		return len(d)
	case []bool:
		return len(d)
	case []complex128:
		return len(d)
	}
	return -1
}

// Float64s returns the elements converted to float64 (booleans become 0
// or 1). A []float64 Data is returned as is, not copied. A complex array
// is an error: its values are pairs ([Array.ComplexPairs]).
func (a Array) Float64s() ([]float64, error) {
	switch d := a.Data.(type) {
	case []complex128:
		return nil, fmt.Errorf("store: array %q: complex (<c16), not real", a.Name)
	case []float64:
		return d, nil
	case []float32:
		return convert(d), nil
	case []int64:
		return convert(d), nil
	case []int32:
		return convert(d), nil
	case []int:
		return convert(d), nil
	case []uint8:
		return convert(d), nil
	case []bool:
		out := make([]float64, len(d))
		for i, b := range d {
			if b {
				out[i] = 1
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("store: array %q: unsupported data type %T", a.Name, a.Data)
}

func convert[T float32 | int64 | int32 | int | uint8](s []T) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// npyAlign is the alignment of the data section, as numpy writes it.
const npyAlign = 64

// npyDType describes one supported element type.
type npyDType struct {
	kind byte // 'f', 'i', 'u', 'b'
	size int
}

// part is the real type of the two parts of a complex type ('c', 16 →
// 'f', 8); other types are returned as they are.
func (t npyDType) part() npyDType {
	if t.kind == 'c' {
		return npyDType{'f', t.size / 2}
	}
	return t
}

func (t npyDType) descr() string {
	if t.size == 1 {
		return "|" + string(t.kind) + "1"
	}
	return "<" + string(t.kind) + strconv.Itoa(t.size)
}

// WriteNPY writes a as a .npy file at path, atomically (see
// [AtomicWriteFile]). a.Name is not stored.
func WriteNPY(path string, a Array) error {
	if err := checkArray(a); err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	return AtomicWriteFile(path, func(w io.Writer) error { return encodeNPY(w, a) })
}

// checkArray validates the data type and that the shape matches the
// number of elements.
func checkArray(a Array) error {
	n := a.Len()
	if n < 0 {
		return fmt.Errorf("array %q: unsupported data type %T", a.Name, a.Data)
	}
	want, err := checkShape(a.Shape)
	if err != nil {
		return fmt.Errorf("array %q: %w", a.Name, err)
	}
	if want != n {
		return fmt.Errorf("array %q: shape %v holds %d elements but data has %d", a.Name, a.Shape, want, n)
	}
	return nil
}

// npyHeader returns the magic, version, length and dict of a .npy file,
// padded so the data starts on a multiple of npyAlign.
func npyHeader(descr string, shape []int) []byte {
	var sb strings.Builder
	sb.WriteString("(")
	for i, d := range shape {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		sb.WriteString(",")
	}
	sb.WriteString(")")
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sb.String())

	prefix := 10 // magic(6) + version(2) + uint16 length
	major := byte(1)
	if prefix+len(dict)+1 > math.MaxUint16 {
		prefix, major = 12, 2 // uint32 length
	}
	total := prefix + len(dict) + 1
	pad := (npyAlign - total%npyAlign) % npyAlign
	hlen := len(dict) + pad + 1

	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.WriteByte(major)
	b.WriteByte(0)
	if major == 1 {
		_ = binary.Write(&b, binary.LittleEndian, uint16(hlen))
	} else {
		_ = binary.Write(&b, binary.LittleEndian, uint32(hlen))
	}
	b.WriteString(dict)
	b.Write(bytes.Repeat([]byte{' '}, pad))
	b.WriteByte('\n')
	return b.Bytes()
}

// encodeNPY writes a (already checked by checkArray) in .npy format.
func encodeNPY(w io.Writer, a Array) error {
	var dt npyDType
	switch a.Data.(type) {
	case []float64:
		dt = npyDType{'f', 8}
	case []float32:
		dt = npyDType{'f', 4}
	case []int64, []int:
		dt = npyDType{'i', 8}
	case []int32:
		dt = npyDType{'i', 4}
	case []uint8:
		dt = npyDType{'u', 1}
	case []bool:
		dt = npyDType{'b', 1}
	case []complex128:
		dt = npyDType{'c', 16}
	default:
		return fmt.Errorf("array %q: unsupported data type %T", a.Name, a.Data)
	}
	if _, err := w.Write(npyHeader(dt.descr(), a.Shape)); err != nil {
		return err
	}
	switch d := a.Data.(type) {
	case []float64:
		return writeFloats(w, d, F64)
	case []complex128:
		return writeFloats(w, ComplexPairs(d), F64)
	case []float32:
		return writeChunked(w, d, 4, func(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) })
	case []int64:
		return writeChunked(w, d, 8, func(b []byte, v int64) { binary.LittleEndian.PutUint64(b, uint64(v)) })
	case []int:
		return writeChunked(w, d, 8, func(b []byte, v int) { binary.LittleEndian.PutUint64(b, uint64(int64(v))) })
	case []int32:
		return writeChunked(w, d, 4, func(b []byte, v int32) { binary.LittleEndian.PutUint32(b, uint32(v)) })
	case []uint8:
		_, err := w.Write(d)
		return err
	case []bool:
		return writeChunked(w, d, 1, func(b []byte, v bool) {
			b[0] = 0
			if v {
				b[0] = 1
			}
		})
	}
	return nil
}

func writeChunked[T any](w io.Writer, data []T, size int, put func([]byte, T)) error {
	const chunk = 4096
	buf := make([]byte, chunk*size)
	for len(data) > 0 {
		m := min(len(data), chunk)
		for i, v := range data[:m] {
			put(buf[i*size:], v)
		}
		if _, err := w.Write(buf[:m*size]); err != nil {
			return err
		}
		data = data[m:]
	}
	return nil
}

// ReadNPY reads a .npy file. The returned Array is named after the file,
// without its ".npy" extension. Supported dtypes are f8, f4, i8, i4, c16
// and c8 (in either byte order; complex arrays are read as []complex128),
// u1 and b1; Fortran-ordered files are converted to
// C order. Defects are reported as a [*FormatError].
func ReadNPY(path string) (Array, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return Array{}, err
	}
	defer f.Close()
	buf := make([]byte, size)
	if _, err := io.ReadFull(f, buf); err != nil {
		return Array{}, fmt.Errorf("store: %s: %w", path, err)
	}
	a, err := decodeNPY(buf)
	if err != nil {
		return Array{}, formatErr(path, "npy", "", "%v", err)
	}
	a.Name = strings.TrimSuffix(filepath.Base(path), ".npy")
	return a, nil
}

// decodeNPY parses a complete .npy image.
func decodeNPY(b []byte) (Array, error) {
	hdr, start, err := npyPreamble(b, int64(len(b)))
	if err != nil {
		return Array{}, err
	}
	data := b[start:]
	_, shape, err := hdr.size(int64(len(data)))
	if err != nil {
		return Array{}, err
	}
	if hdr.fortran && len(shape) > 1 {
		data = fortranToC(data, shape, hdr.dtype.size)
	}
	return Array{Shape: shape, Data: decodeElements(data, hdr.dtype, hdr.order)}, nil
}

// npyPreamble parses the magic string, version, header length and header
// of a .npy file of total bytes whose first bytes are b (at least the whole
// header when the file holds one); it returns the header and the offset of
// the data.
func npyPreamble(b []byte, total int64) (npyHeaderInfo, int, error) {
	if len(b) < 10 || string(b[:6]) != npyMagic {
		return npyHeaderInfo{}, 0, errors.New("missing the \\x93NUMPY magic string")
	}
	major, minor := b[6], b[7]
	if minor != 0 {
		return npyHeaderInfo{}, 0, fmt.Errorf("unsupported format version %d.%d", major, minor)
	}
	var hlen, start int
	switch major {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return npyHeaderInfo{}, 0, errors.New("truncated header length")
		}
		h := binary.LittleEndian.Uint32(b[8:12])
		if uint64(h) > uint64(total) {
			return npyHeaderInfo{}, 0, fmt.Errorf("header length %d exceeds the file size %d", h, total)
		}
		hlen, start = int(h), 12
	default:
		return npyHeaderInfo{}, 0, fmt.Errorf("unsupported format version %d.%d", major, minor)
	}
	if int64(hlen) > total-int64(start) || hlen > len(b)-start {
		return npyHeaderInfo{}, 0, fmt.Errorf("header length %d exceeds the %d bytes that follow it", hlen, total-int64(start))
	}
	hdr, err := parseNPYHeader(b[start : start+hlen])
	if err != nil {
		return npyHeaderInfo{}, 0, fmt.Errorf("header: %w", err)
	}
	return hdr, start + hlen, nil
}

// size checks the header's shape against the dataBytes that follow the
// header and returns the number of elements and the shape.
func (hdr npyHeaderInfo) size(dataBytes int64) (int64, []int, error) {
	numel, ok := numElements(hdr.shape, dataBytes/int64(hdr.dtype.size))
	if !ok {
		return 0, nil, fmt.Errorf("shape %v needs more data than the %d bytes present", hdr.shape, dataBytes)
	}
	if want := numel * int64(hdr.dtype.size); want != dataBytes {
		return 0, nil, fmt.Errorf("shape %v of %s needs %d data bytes but there are %d", hdr.shape, hdr.descr, want, dataBytes)
	}
	shape := make([]int, len(hdr.shape))
	for i, d := range hdr.shape {
		shape[i] = int(d)
	}
	return numel, shape, nil
}

// decodeElements converts validated raw bytes into a typed slice.
func decodeElements(data []byte, dt npyDType, bo binary.ByteOrder) any {
	n := len(data) / dt.size
	switch {
	case dt.kind == 'f' && dt.size == 8:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(bo.Uint64(data[8*i:]))
		}
		return out
	case dt.kind == 'f' && dt.size == 4:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(bo.Uint32(data[4*i:]))
		}
		return out
	case dt.kind == 'i' && dt.size == 8:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(bo.Uint64(data[8*i:]))
		}
		return out
	case dt.kind == 'i' && dt.size == 4:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(bo.Uint32(data[4*i:]))
		}
		return out
	case dt.kind == 'u':
		return bytes.Clone(data)
	case dt.kind == 'c':
		out := make([]complex128, n)
		decodeFloat64s(ComplexPairs(out), data, dt.part(), bo)
		return out
	default: // 'b'
		out := make([]bool, n)
		for i, v := range data {
			out[i] = v != 0
		}
		return out
	}
}

// fortranToC reorders column-major element data into row-major order.
func fortranToC(data []byte, shape []int, size int) []byte {
	out := make([]byte, len(data))
	nd := len(shape)
	fstride := make([]int, nd) // element strides of the Fortran layout
	s := 1
	for j := range nd {
		fstride[j] = s
		s *= shape[j]
	}
	idx := make([]int, nd)
	n := len(data) / size
	for c := range n {
		f := 0
		for j := range nd {
			f += idx[j] * fstride[j]
		}
		copy(out[c*size:(c+1)*size], data[f*size:(f+1)*size])
		for j := nd - 1; j >= 0; j-- { // advance the C-order index
			idx[j]++
			if idx[j] < shape[j] {
				break
			}
			idx[j] = 0
		}
	}
	return out
}

type npyHeaderInfo struct {
	descr   string
	dtype   npyDType
	order   binary.ByteOrder
	fortran bool
	shape   []int64
}

// parseNPYHeader parses the Python dict literal of a .npy header, which
// must hold exactly the keys 'descr', 'fortran_order' and 'shape'.
func parseNPYHeader(h []byte) (npyHeaderInfo, error) {
	p := &pyParser{s: h}
	var info npyHeaderInfo
	seen := map[string]bool{}
	p.ws()
	if !p.eat('{') {
		return info, p.errorf("expected '{'")
	}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return info, err
		}
		if seen[key] {
			return info, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		p.ws()
		if !p.eat(':') {
			return info, p.errorf("expected ':' after %q", key)
		}
		p.ws()
		switch key {
		case "descr":
			if p.peek() == '[' {
				return info, errors.New("structured dtypes are not supported")
			}
			if info.descr, err = p.str(); err != nil {
				return info, err
			}
			if info.dtype, info.order, err = parseDescr(info.descr); err != nil {
				return info, err
			}
		case "fortran_order":
			if info.fortran, err = p.boolean(); err != nil {
				return info, err
			}
		case "shape":
			if info.shape, err = p.tuple(); err != nil {
				return info, err
			}
		default:
			return info, fmt.Errorf("unexpected key %q", key)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat('}') {
			break
		}
		return info, p.errorf("expected ',' or '}'")
	}
	p.ws()
	if p.i != len(p.s) {
		return info, p.errorf("unexpected data after the dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return info, fmt.Errorf("missing key %q", k)
		}
	}
	return info, nil
}

// parseDescr interprets a simple dtype string such as '<f8'.
func parseDescr(d string) (npyDType, binary.ByteOrder, error) {
	bad := fmt.Errorf("unsupported dtype %q (supported: f8, f4, i8, i4, c16, c8, u1, b1)", d)
	if len(d) < 3 || len(d) > 4 {
		return npyDType{}, nil, bad
	}
	var bo binary.ByteOrder
	switch d[0] {
	case '<', '=':
		bo = binary.LittleEndian
	case '>':
		bo = binary.BigEndian
	case '|':
		bo = binary.LittleEndian
	default:
		return npyDType{}, nil, bad
	}
	size, err := strconv.Atoi(d[2:])
	if err != nil || d[2] == '+' || d[2] == '-' {
		return npyDType{}, nil, bad
	}
	dt := npyDType{kind: d[1], size: size}
	switch {
	case dt.kind == 'f' && (dt.size == 8 || dt.size == 4),
		dt.kind == 'i' && (dt.size == 8 || dt.size == 4),
		dt.kind == 'c' && (dt.size == 16 || dt.size == 8):
		if d[0] == '|' {
			return npyDType{}, nil, bad
		}
	case (dt.kind == 'u' || dt.kind == 'b') && dt.size == 1:
	default:
		return npyDType{}, nil, bad
	}
	return dt, bo, nil
}

// pyParser reads the few Python literals that appear in .npy headers.
type pyParser struct {
	s []byte
	i int
}

func (p *pyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *pyParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyParser) eat(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string without escapes (none occur in valid headers).
func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errorf("expected a quoted string")
	}
	start := p.i + 1
	end := bytes.IndexByte(p.s[start:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	s := p.s[start : start+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return "", p.errorf("escape sequences are not supported")
	}
	p.i = start + end + 1
	return string(s), nil
}

func (p *pyParser) boolean() (bool, error) {
	switch {
	case bytes.HasPrefix(p.s[p.i:], []byte("True")):
		p.i += 4
		return true, nil
	case bytes.HasPrefix(p.s[p.i:], []byte("False")):
		p.i += 5
		return false, nil
	}
	return false, p.errorf("expected True or False")
}

// tuple reads a tuple of non-negative integers such as (), (3,) or (2, 3).
func (p *pyParser) tuple() ([]int64, error) {
	if !p.eat('(') {
		return nil, p.errorf("expected a tuple")
	}
	out := []int64{}
	for {
		p.ws()
		if p.eat(')') {
			return out, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, p.errorf("expected a non-negative integer")
		}
		v, err := strconv.ParseInt(string(p.s[start:p.i]), 10, 64)
		if err != nil {
			return nil, p.errorf("dimension %s: %v", p.s[start:p.i], err)
		}
		p.eat('L') // Python 2 long suffix
		out = append(out, v)
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat(')') {
			if len(out) == 1 {
				// "(3)" is the int 3 in Python, not a tuple.
				return nil, p.errorf("a one-element tuple needs a trailing comma")
			}
			return out, nil
		}
		return nil, p.errorf("expected ',' or ')'")
	}
}
