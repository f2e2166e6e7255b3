package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	st "github.com/nlpodyssey/safetensors"
)

func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "beta", Shape: []int{}, Data: []float64{0.75}},
		{Name: "layers.0.weight", Shape: []int{2, 3}, Data: []float64{1, -2, 3.5, math.Inf(1), math.Copysign(0, -1), math.NaN()}},
		{Name: "layers.0.bias", Shape: []int{4}, Data: []float64{0.1, 0.2, 0.3, 1e-300}},
		{Name: "empty", Shape: []int{0, 5}, Data: []float64{}},
		{Name: "cube", Shape: []int{2, 2, 2}, Data: []float64{1, 2, 3, 4, 5, 6, 7, 8}},
	}
}

func sampleMetadata() map[string]string {
	return map[string]string{"format": "normflow", "config": `{"L": 8, "action": "phi4"}`, "note": "<&> ünïcode"}
}

func writeSample(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "model.safetensors")
	if err := WriteSafetensors(p, sampleTensors(), sampleMetadata()); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSafetensorsRoundTrip(t *testing.T) {
	p := writeSample(t, t.TempDir())
	got, meta, err := ReadSafetensors(p)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleTensors()
	if len(got) != len(want) {
		t.Fatalf("read %d tensors, want %d", len(got), len(want))
	}
	for _, w := range want {
		g, ok := got[w.Name]
		if !ok {
			t.Fatalf("tensor %q missing", w.Name)
		}
		if g.Name != w.Name || !sameInts(g.Shape, w.Shape) || !sameFloats(g.Data, w.Data) {
			t.Errorf("tensor %q = %+v, want %+v", w.Name, g, w)
		}
	}
	if len(meta) != len(sampleMetadata()) {
		t.Fatalf("metadata %v, want %v", meta, sampleMetadata())
	}
	for k, v := range sampleMetadata() {
		if meta[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, meta[k], v)
		}
	}
}

func TestSafetensorsLayout(t *testing.T) {
	p := writeSample(t, t.TempDir())
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	hdr := b[8 : 8+n]
	if hdr[0] != '{' {
		t.Errorf("header starts with %q", hdr[0])
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &m); err != nil {
		t.Fatalf("header is not JSON: %v", err)
	}
	if !strings.Contains(string(m["beta"]), `"shape":[]`) {
		t.Errorf("scalar tensor header %s lacks an empty shape", m["beta"])
	}
	if !strings.Contains(string(m["beta"]), `"dtype":"F64"`) {
		t.Errorf("scalar tensor header %s is not F64", m["beta"])
	}
}

// The nlpodyssey/safetensors decoder (a port of the reference Rust
// implementation) must accept what we write and see the same tensors.
func TestSafetensorsCrossCheckLibrary(t *testing.T) {
	dir := t.TempDir()
	for _, dtype := range []DType{F64, F32} {
		p := filepath.Join(dir, string(dtype)+".safetensors")
		if err := WriteSafetensorsAs(p, sampleTensors(), sampleMetadata(), dtype); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lib, err := st.Deserialize(b)
		if err != nil {
			t.Fatalf("%s: library rejects our file: %v", dtype, err)
		}
		_, md, err := st.ReadMetadata(b)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range sampleMetadata() {
			if md.Metadata()[k] != v {
				t.Errorf("%s: library metadata[%q] = %q, want %q", dtype, k, md.Metadata()[k], v)
			}
		}
		if lib.Len() != len(sampleTensors()) {
			t.Fatalf("%s: library sees %d tensors", dtype, lib.Len())
		}
		for _, w := range sampleTensors() {
			v, ok := lib.Tensor(w.Name)
			if !ok {
				t.Fatalf("%s: library lacks %q", dtype, w.Name)
			}
			if v.DType().String() != string(dtype) {
				t.Errorf("%s: %q has dtype %v", dtype, w.Name, v.DType())
			}
			if len(v.Shape()) != len(w.Shape) {
				t.Fatalf("%s: %q shape %v, want %v", dtype, w.Name, v.Shape(), w.Shape)
			}
			for i := range w.Shape {
				if int(v.Shape()[i]) != w.Shape[i] {
					t.Fatalf("%s: %q shape %v, want %v", dtype, w.Name, v.Shape(), w.Shape)
				}
			}
			raw := v.Data()
			for i, x := range w.Data {
				var g float64
				if dtype == F32 {
					g = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
					x = float64(float32(x))
				} else {
					g = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
				}
				if math.Float64bits(g) != math.Float64bits(x) {
					t.Errorf("%s: %q[%d] = %v, want %v", dtype, w.Name, i, g, x)
				}
			}
		}
	}
}

func TestSafetensorsF32RoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f32.safetensors")
	in := []Tensor{{Name: "w", Shape: []int{3}, Data: []float64{0.1, 1.0 / 3, -7}}}
	if err := WriteSafetensorsAs(p, in, nil, F32); err != nil {
		t.Fatal(err)
	}
	got, meta, err := ReadSafetensors(p)
	if err != nil {
		t.Fatal(err)
	}
	if meta == nil || len(meta) != 0 {
		t.Errorf("metadata = %#v, want empty non-nil map", meta)
	}
	for i, x := range in[0].Data {
		if got["w"].Data[i] != float64(float32(x)) {
			t.Errorf("w[%d] = %v, want %v", i, got["w"].Data[i], float64(float32(x)))
		}
	}
}

func TestSafetensorsNoTensors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.safetensors")
	if err := WriteSafetensors(p, nil, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := ReadSafetensors(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 || meta["k"] != "v" {
		t.Fatalf("got %v %v", got, meta)
	}
}

func TestWriteSafetensorsRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	p := writeRaw(t, dir, "keep.safetensors", []byte("previous checkpoint"))
	cases := map[string]struct {
		tensors []Tensor
		dtype   DType
	}{
		"shape mismatch": {[]Tensor{{Name: "a", Shape: []int{2, 2}, Data: []float64{1, 2, 3}}}, F64},
		"scalar no data": {[]Tensor{{Name: "a", Shape: nil, Data: nil}}, F64},
		"negative dim":   {[]Tensor{{Name: "a", Shape: []int{-1}, Data: nil}}, F64},
		"duplicate":      {[]Tensor{{Name: "a", Shape: []int{1}, Data: []float64{1}}, {Name: "a", Shape: []int{1}, Data: []float64{2}}}, F64},
		"empty name":     {[]Tensor{{Name: "", Shape: []int{1}, Data: []float64{1}}}, F64},
		"reserved name":  {[]Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float64{1}}}, F64},
		"bad dtype":      {[]Tensor{{Name: "a", Shape: []int{1}, Data: []float64{1}}}, DType("BF16")},
	}
	for name, c := range cases {
		if err := WriteSafetensorsAs(p, c.tensors, nil, c.dtype); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
	if got, _ := os.ReadFile(p); string(got) != "previous checkpoint" {
		t.Fatalf("target changed to %q", got)
	}
	noTempFiles(t, dir)
}

// rawSafetensors assembles a file from a header string and data bytes,
// without any validation.
func rawSafetensors(header string, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestReadSafetensorsRejectsTruncated(t *testing.T) {
	dir := t.TempDir()
	full, err := os.ReadFile(writeSample(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint64(full[:8]))
	for _, size := range []int{0, 1, 7, 8, 9, 8 + n/2, 8 + n - 1, 8 + n, 8 + n + 1, len(full) - 8, len(full) - 1} {
		p := writeRaw(t, dir, "trunc.safetensors", full[:size])
		_, _, err := ReadSafetensors(p)
		wantFormatError(t, err, p)
	}
}

func TestReadSafetensorsRejectsFlippedHeaderBytes(t *testing.T) {
	dir := t.TempDir()
	full, err := os.ReadFile(writeSample(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint64(full[:8]))
	p := filepath.Join(dir, "flipped.safetensors")
	// Every byte of the length field and of the JSON header.
	for i := 0; i < 8+n; i++ {
		b := bytes.Clone(full)
		b[i] ^= 0xff
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ReadSafetensors(p); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
}

func TestReadSafetensorsRejectsBadHeaders(t *testing.T) {
	dir := t.TempDir()
	f8 := make([]byte, 16) // two float64 values
	huge := func(n uint64) []byte {
		b := binary.LittleEndian.AppendUint64(nil, n)
		return append(b, "{}      "...)
	}
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"header longer than file", huge(1 << 40), "exceeds"},
		{"header length max uint64", huge(math.MaxUint64), "exceeds"},
		{"not json", rawSafetensors("hello!!!", nil), "header"},
		{"json array", rawSafetensors("[1,2,3] ", nil), "'{'"},
		{"truncated json", rawSafetensors(`{"a":{"dtype":"F64"`, f8), "header"},
		{"trailing garbage", rawSafetensors(`{} xyz`, nil), "after the JSON"},
		{"invalid utf8", rawSafetensors("{\"\xff\":1}", nil), "UTF-8"},
		{"duplicate tensor", rawSafetensors(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, f8), "duplicate"},
		{"unsupported dtype", rawSafetensors(`{"a":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]}}`, f8), "unsupported dtype"},
		{"unknown field", rawSafetensors(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16],"x":1}}`, f8), "unknown field"},
		{"missing offsets", rawSafetensors(`{"a":{"dtype":"F64","shape":[2]}}`, f8), "missing data_offsets"},
		{"missing shape", rawSafetensors(`{"a":{"dtype":"F64","data_offsets":[0,16]}}`, f8), "missing shape"},
		{"three offsets", rawSafetensors(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8,16]}}`, f8), "want 2"},
		{"negative dim", rawSafetensors(`{"a":{"dtype":"F64","shape":[-2],"data_offsets":[0,16]}}`, f8), "negative"},
		{"fractional dim", rawSafetensors(`{"a":{"dtype":"F64","shape":[1.5],"data_offsets":[0,16]}}`, f8), "header"},
		{"shape overflow", rawSafetensors(`{"a":{"dtype":"F64","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,16]}}`, f8), "shape"},
		{"shape vs bytes", rawSafetensors(`{"a":{"dtype":"F64","shape":[3],"data_offsets":[0,16]}}`, make([]byte, 24)), "needs 24 bytes"},
		{"shape larger than file", rawSafetensors(`{"a":{"dtype":"F64","shape":[1000],"data_offsets":[0,16]}}`, f8), "needs more bytes"},
		{"offsets past end", rawSafetensors(`{"a":{"dtype":"F64","shape":[3],"data_offsets":[0,24]}}`, f8), "out of range"},
		{"negative offset", rawSafetensors(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[-8,0]}}`, f8), "out of range"},
		{"reversed offsets", rawSafetensors(`{"a":{"dtype":"F64","shape":[0],"data_offsets":[16,8]}}`, f8), "out of range"},
		{"overlap", rawSafetensors(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, f8), "overlap"},
		{"gap", rawSafetensors(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, f8), "gap"},
		{"trailing data", rawSafetensors(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, f8), "data section has 16"},
		{"metadata not strings", rawSafetensors(`{"__metadata__":{"L":8}}`, nil), "__metadata__"},
		{"tensor not object", rawSafetensors(`{"a":[1,2]}`, nil), `tensor "a": must be a JSON object`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeRaw(t, dir, "bad.safetensors", c.file)
			_, _, err := ReadSafetensors(p)
			wantFormatError(t, err, p, c.want)
		})
	}
}

func TestReadSafetensorsAcceptsHandWritten(t *testing.T) {
	// Offsets listed out of order, F32 and F64 mixed, null metadata,
	// newline padding: all legal.
	data := binary.LittleEndian.AppendUint64(nil, math.Float64bits(2.5))
	data = binary.LittleEndian.AppendUint32(data, math.Float32bits(-1.5))
	hdr := `{"__metadata__":null,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"shape":[],"data_offsets":[0,8],"dtype":"F64"}}` + "\n"
	p := writeRaw(t, t.TempDir(), "hand.safetensors", rawSafetensors(hdr, data))
	got, meta, err := ReadSafetensors(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(meta) != 0 || got["a"].Data[0] != 2.5 || len(got["a"].Shape) != 0 || got["b"].Data[0] != -1.5 {
		t.Fatalf("got %+v %v", got, meta)
	}
}

func TestReadSafetensorsMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "absent.safetensors")
	if _, _, err := ReadSafetensors(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v, want one naming %s", err, p)
	}
}

// Random corruption must produce an error or a valid result, never a
// panic.
func TestReadSafetensorsRandomCorruption(t *testing.T) {
	dir := t.TempDir()
	full, err := os.ReadFile(writeSample(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		b := bytes.Clone(full)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		if rng.IntN(4) == 0 {
			b = b[:rng.IntN(len(b))]
		}
		_, _, _ = decodeSafetensors(bytes.NewReader(b), int64(len(b)), "corrupt")
	}
}

func FuzzReadSafetensors(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "seed.safetensors")
	if err := WriteSafetensors(p, sampleTensors(), sampleMetadata()); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(rawSafetensors(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Fuzz(func(t *testing.T, b []byte) {
		tensors, meta, err := decodeSafetensors(bytes.NewReader(b), int64(len(b)), "fuzz")
		if err != nil {
			return
		}
		// Whatever was accepted must survive a round trip.
		list := make([]Tensor, 0, len(tensors))
		for _, tt := range tensors {
			list = append(list, tt)
		}
		header, err := safetensorsHeader(list, meta, F64)
		if err != nil {
			t.Fatalf("accepted tensors do not re-encode: %v", err)
		}
		var out bytes.Buffer
		if err := encodeSafetensors(&out, header, list, F64); err != nil {
			t.Fatal(err)
		}
		back, _, err := decodeSafetensors(bytes.NewReader(out.Bytes()), int64(out.Len()), "fuzz")
		if err != nil {
			t.Fatalf("re-encoded file does not decode: %v", err)
		}
		if len(back) != len(tensors) {
			t.Fatalf("%d tensors became %d", len(tensors), len(back))
		}
	})
}
