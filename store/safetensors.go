package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"unicode/utf8"
)

// Tensor is a named, dense, row-major (C-order) array of float64 values,
// the unit stored in a safetensors checkpoint. A 0-d (scalar) tensor has
// an empty Shape and one element.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float64
}

// DType is a safetensors element type.
type DType string

// Element types this package reads and writes.
const (
	F64 DType = "F64"
	F32 DType = "F32"
)

// Size returns the size in bytes of one element, or 0 for an unsupported
// type.
func (d DType) Size() int {
	switch d {
	case F64:
		return 8
	case F32:
		return 4
	}
	return 0
}

const (
	// safetensorsMaxHeader is the largest JSON header accepted, the same
	// limit the reference implementation uses.
	safetensorsMaxHeader = 100_000_000
	metadataKey          = "__metadata__"
)

type safetensorsInfo struct {
	DType       DType    `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes tensors as F64 and the string metadata (which
// may be nil) to path in the safetensors format, atomically (see
// [AtomicWriteFile]). Tensor data is laid out in the order given.
func WriteSafetensors(path string, tensors []Tensor, metadata map[string]string) error {
	return WriteSafetensorsAs(path, tensors, metadata, F64)
}

// WriteSafetensorsAs is [WriteSafetensors] with a chosen element type:
// F64, or F32 to halve the size at the cost of rounding every value to
// float32.
func WriteSafetensorsAs(path string, tensors []Tensor, metadata map[string]string, dtype DType) error {
	header, err := safetensorsHeader(tensors, metadata, dtype)
	if err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	return AtomicWriteFile(path, func(w io.Writer) error {
		return encodeSafetensors(w, header, tensors, dtype)
	})
}

// EncodeSafetensors writes tensors (F64) and metadata in the safetensors
// format to w: the bytes WriteSafetensors puts in its file.
func EncodeSafetensors(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, err := safetensorsHeader(tensors, metadata, F64)
	if err != nil {
		return err
	}
	return encodeSafetensors(w, header, tensors, F64)
}

// DecodeSafetensors is ReadSafetensors on an image held in memory; name
// stands for the file in errors.
func DecodeSafetensors(data []byte, name string) (tensors map[string]Tensor, metadata map[string]string, err error) {
	return decodeSafetensors(bytes.NewReader(data), int64(len(data)), name)
}

// encodeSafetensors writes the length, the prepared header and the data.
func encodeSafetensors(w io.Writer, header []byte, tensors []Tensor, dtype DType) error {
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, t := range tensors {
		if err := writeFloats(w, t.Data, dtype); err != nil {
			return err
		}
	}
	return nil
}

// safetensorsHeader validates the tensors and builds the padded JSON
// header.
func safetensorsHeader(tensors []Tensor, metadata map[string]string, dtype DType) ([]byte, error) {
	size := dtype.Size()
	if size == 0 {
		return nil, fmt.Errorf("unsupported dtype %q (want %s or %s)", dtype, F64, F32)
	}
	hdr := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("metadata %q: not valid UTF-8", k)
			}
		}
		hdr[metadataKey] = metadata
	}
	var offset int64
	for _, t := range tensors {
		switch {
		case t.Name == "":
			return nil, errors.New("tensor with empty name")
		case t.Name == metadataKey:
			return nil, fmt.Errorf("tensor name %q is reserved", t.Name)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("tensor name %q is not valid UTF-8", t.Name)
		}
		if _, dup := hdr[t.Name]; dup {
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		n, err := checkShape(t.Shape)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("tensor %q: shape %v holds %d elements but data has %d", t.Name, t.Shape, n, len(t.Data))
		}
		shape := make([]int64, len(t.Shape)) // never nil: a 0-d tensor has shape []
		for i, d := range t.Shape {
			shape[i] = int64(d)
		}
		end := offset + int64(n)*int64(size)
		hdr[t.Name] = safetensorsInfo{DType: dtype, Shape: shape, DataOffsets: [2]int64{offset, end}}
		offset = end
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(hdr); err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	b := bytes.TrimRight(buf.Bytes(), "\n")
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	if len(b) > safetensorsMaxHeader {
		return nil, fmt.Errorf("header of %d bytes exceeds the format's limit of %d", len(b), safetensorsMaxHeader)
	}
	return b, nil
}

// checkShape checks that every dimension is non-negative and returns the
// number of elements, failing on overflow.
func checkShape(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
	}
	for _, d := range shape {
		if d == 0 {
			return 0, nil
		}
	}
	for _, d := range shape {
		if n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= d
	}
	return n, nil
}

// writeFloats encodes data little-endian as dtype.
func writeFloats(w io.Writer, data []float64, dtype DType) error {
	const chunk = 4096
	buf := make([]byte, chunk*8)
	for len(data) > 0 {
		m := min(len(data), chunk)
		var b []byte
		if dtype == F32 {
			b = buf[:4*m]
			for i, v := range data[:m] {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)))
			}
		} else {
			b = buf[:8*m]
			for i, v := range data[:m] {
				binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		data = data[m:]
	}
	return nil
}

// ReadSafetensors reads a safetensors file. F64 and F32 tensors are
// supported (F32 values are widened to float64); any other dtype is an
// error. The returned metadata map is never nil.
//
// The file is validated in full: the header length against the file
// size, the JSON header (well-formed UTF-8 JSON object, no duplicate or
// unknown keys, string-valued metadata), and every tensor's dtype, shape
// and data offsets, which must tile the data section exactly (in range,
// contiguous, non-overlapping, and each the byte length its shape
// implies). Defects are reported as a [*FormatError].
func ReadSafetensors(path string) (tensors map[string]Tensor, metadata map[string]string, err error) {
	const format = "safetensors"
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("store: %s: not a regular file", path)
	}
	return decodeSafetensors(bufio.NewReaderSize(f, 1<<20), fi.Size(), path)
}

// decodeSafetensors reads a safetensors image of size bytes from r; path
// is used in errors.
func decodeSafetensors(r io.Reader, size int64, path string) (tensors map[string]Tensor, metadata map[string]string, err error) {
	const format = "safetensors"
	if size < 8 {
		return nil, nil, formatErr(path, format, "", "file is %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, nil, fmt.Errorf("store: %s: reading header length: %w", path, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > uint64(size-8) {
		return nil, nil, formatErr(path, format, "", "header length %d exceeds the %d bytes that follow it", n, size-8)
	}
	if n > safetensorsMaxHeader {
		return nil, nil, formatErr(path, format, "", "header length %d exceeds the limit of %d", n, safetensorsMaxHeader)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, nil, fmt.Errorf("store: %s: reading header: %w", path, err)
	}
	dataLen := size - 8 - int64(n)

	infos, order, metadata, err := parseSafetensorsHeader(header)
	if err != nil {
		return nil, nil, formatErr(path, format, "", "header: %v", err)
	}

	// Validate each tensor, then check that the offsets tile the data
	// section exactly.
	for _, name := range order {
		info := infos[name]
		size := info.DType.Size()
		if size == 0 {
			return nil, nil, formatErr(path, format, name, "unsupported dtype %q (supported: %s, %s)", info.DType, F64, F32)
		}
		begin, end := info.DataOffsets[0], info.DataOffsets[1]
		if begin < 0 || end < begin || end > dataLen {
			return nil, nil, formatErr(path, format, name, "data_offsets [%d, %d] out of range for a data section of %d bytes", begin, end, dataLen)
		}
		numel, ok := numElements(info.Shape, dataLen/int64(size))
		if !ok {
			return nil, nil, formatErr(path, format, name, "shape %v of %s needs more bytes than the whole %d-byte data section", info.Shape, info.DType, dataLen)
		}
		if numel*int64(size) != end-begin {
			return nil, nil, formatErr(path, format, name, "shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d", info.Shape, info.DType, numel*int64(size), begin, end, end-begin)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := infos[order[i]].DataOffsets, infos[order[j]].DataOffsets
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return a[1] < b[1]
	})
	var pos int64
	for _, name := range order {
		off := infos[name].DataOffsets
		if off[0] != pos {
			if off[0] < pos {
				return nil, nil, formatErr(path, format, name, "data_offsets [%d, %d] overlap the previous tensor, which ends at %d", off[0], off[1], pos)
			}
			return nil, nil, formatErr(path, format, name, "data_offsets [%d, %d] leave a gap after byte %d", off[0], off[1], pos)
		}
		pos = off[1]
	}
	if pos != dataLen {
		return nil, nil, formatErr(path, format, "", "tensors cover %d bytes of data but the data section has %d", pos, dataLen)
	}

	// The header is sound: decode the data in file order.
	tensors = make(map[string]Tensor, len(order))
	for _, name := range order {
		info := infos[name]
		shape := make([]int, len(info.Shape))
		for i, d := range info.Shape {
			shape[i] = int(d)
		}
		nbytes := info.DataOffsets[1] - info.DataOffsets[0]
		data, err := readFloats(r, int(nbytes/int64(info.DType.Size())), info.DType)
		if err != nil {
			return nil, nil, fmt.Errorf("store: %s: reading tensor %q: %w", path, name, err)
		}
		tensors[name] = Tensor{Name: name, Shape: shape, Data: data}
	}
	return tensors, metadata, nil
}

// parseSafetensorsHeader decodes the JSON header strictly. It returns the
// tensor infos, their names in header order, and the metadata.
func parseSafetensorsHeader(header []byte) (map[string]safetensorsInfo, []string, map[string]string, error) {
	if !utf8.Valid(header) {
		return nil, nil, nil, errors.New("not valid UTF-8")
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, nil, errors.New("does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	if _, err := dec.Token(); err != nil {
		return nil, nil, nil, err
	}
	infos := make(map[string]safetensorsInfo)
	var order []string
	metadata := make(map[string]string)
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, nil, fmt.Errorf("unexpected token %v", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, nil, fmt.Errorf("value of %q: %w", key, err)
		}
		if key == metadataKey {
			if seenMeta {
				return nil, nil, nil, fmt.Errorf("duplicate key %q", key)
			}
			seenMeta = true
			var m map[string]string
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, nil, nil, fmt.Errorf("%s must map strings to strings: %w", metadataKey, err)
			}
			for k, v := range m {
				metadata[k] = v
			}
			continue
		}
		if _, dup := infos[key]; dup {
			return nil, nil, nil, fmt.Errorf("duplicate tensor %q", key)
		}
		info, err := parseTensorInfo(raw)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("tensor %q: %w", key, err)
		}
		infos[key] = info
		order = append(order, key)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, nil, err
	}
	for _, c := range header[dec.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return nil, nil, nil, fmt.Errorf("unexpected data after the JSON object at byte %d", dec.InputOffset())
		}
	}
	return infos, order, metadata, nil
}

func parseTensorInfo(raw json.RawMessage) (safetensorsInfo, error) {
	var v struct {
		DType       *string  `json:"dtype"`
		Shape       *[]int64 `json:"shape"`
		DataOffsets *[]int64 `json:"data_offsets"`
	}
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return safetensorsInfo{}, errors.New("must be a JSON object with dtype, shape and data_offsets")
	}
	// encoding/json matches field names case-insensitively; the format's
	// keys are exact.
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return safetensorsInfo{}, err
	}
	for k := range keys {
		if k != "dtype" && k != "shape" && k != "data_offsets" {
			return safetensorsInfo{}, fmt.Errorf("unknown field %q (want dtype, shape, data_offsets)", k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return safetensorsInfo{}, err
	}
	switch {
	case v.DType == nil:
		return safetensorsInfo{}, errors.New("missing dtype")
	case v.Shape == nil: // absent or null
		return safetensorsInfo{}, errors.New("missing shape")
	case v.DataOffsets == nil:
		return safetensorsInfo{}, errors.New("missing data_offsets")
	}
	if len(*v.DataOffsets) != 2 {
		return safetensorsInfo{}, fmt.Errorf("data_offsets has %d entries, want 2", len(*v.DataOffsets))
	}
	for _, d := range *v.Shape {
		if d < 0 {
			return safetensorsInfo{}, fmt.Errorf("negative dimension in shape %v", *v.Shape)
		}
	}
	off := *v.DataOffsets
	return safetensorsInfo{DType: DType(*v.DType), Shape: *v.Shape, DataOffsets: [2]int64{off[0], off[1]}}, nil
}

// numElements returns the product of the non-negative dims, or false if
// it exceeds limit (or a dimension does not fit in an int).
func numElements(shape []int64, limit int64) (int64, bool) {
	for _, d := range shape {
		if d < 0 || d > math.MaxInt {
			return 0, false
		}
	}
	for _, d := range shape {
		if d == 0 {
			return 0, true
		}
	}
	n := int64(1)
	for _, d := range shape {
		if d > limit/n {
			return 0, false
		}
		n *= d
	}
	return n, n <= limit
}

// readFloats reads n little-endian elements of dtype and widens them to
// float64.
func readFloats(r io.Reader, n int, dtype DType) ([]float64, error) {
	const chunk = 4096
	size := dtype.Size()
	out := make([]float64, n)
	buf := make([]byte, chunk*size)
	for i := 0; i < n; {
		m := min(n-i, chunk)
		b := buf[:m*size]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		if dtype == F32 {
			for j := range m {
				out[i+j] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:])))
			}
		} else {
			for j := range m {
				out[i+j] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*j:]))
			}
		}
		i += m
	}
	return out, nil
}
