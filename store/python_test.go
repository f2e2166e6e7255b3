package store

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/internal/numpytest"
)

// numpyPython returns a Python interpreter with numpy, or skips the test
// (internal/numpytest).
func numpyPython(t *testing.T) string { return numpytest.Python(t) }

func runPython(t *testing.T, python, script string, args ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "check.py")
	if err := os.WriteFile(p, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, append([]string{p}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", python, err, out)
	}
	return string(out)
}

// numpy must load what WriteNPZ and WriteNPY write, and we must load what
// numpy writes (savez_compressed, Fortran order, big-endian).
const npzCheckScript = `
import sys
import numpy as np

src, npy, out = sys.argv[1], sys.argv[2], sys.argv[3]
d = np.load(src)
want = {
    "phi": ("float64", (2, 3, 4)),
    "action": ("float32", (5,)),
    "beta": ("float64", ()),
    "n_accept": ("int64", ()),
    "sites": ("int32", (2, 2)),
    "bytes": ("uint8", (3,)),
    "accepted": ("bool", (4,)),
    "none": ("float64", (0,)),
    "run1/phi": ("float64", (1, 2)),
}
assert sorted(d.files) == sorted(want), d.files
for k, (dt, shape) in want.items():
    a = d[k]
    assert str(a.dtype) == dt, (k, a.dtype)
    assert a.shape == shape, (k, a.shape)
assert np.array_equal(d["phi"], (np.arange(24) * 0.25 - 3).reshape(2, 3, 4))
assert d["phi"][1, 2, 3] == 23 * 0.25 - 3
assert np.array_equal(d["action"], np.array([1.5, -2, 3, 0, -np.inf], dtype=np.float32))
assert d["beta"] == 0.5 and d["n_accept"] == -42
assert np.array_equal(d["sites"], [[1, 2], [3, 1 << 30]])
assert np.array_equal(d["bytes"], [0, 7, 255])
assert d["accepted"].tolist() == [True, False, False, True]
assert np.isnan(d["run1/phi"][0, 0]) and np.signbit(d["run1/phi"][0, 1])

single = np.load(npy)
assert single.dtype == np.float64 and single.shape == (2, 3, 4)
assert np.array_equal(single, d["phi"])

m = np.arange(6, dtype=np.float64).reshape(2, 3)
np.savez_compressed(
    out,
    phi=d["phi"],
    action=d["action"],
    accepted=d["accepted"],
    fortran=np.asfortranarray(m),
    bigendian=m.astype(">f8"),
    scalar=np.float64(2.5),
)
print("numpy", np.__version__, "ok")
`

func TestNPZNumpyInterop(t *testing.T) {
	python := numpyPython(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "ensemble.npz")
	if err := WriteNPZ(src, sampleArrays()); err != nil {
		t.Fatal(err)
	}
	npy := filepath.Join(dir, "phi.npy")
	if err := WriteNPY(npy, sampleArrays()[0]); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "from_numpy.npz")
	t.Log(strings.TrimSpace(runPython(t, python, npzCheckScript, src, npy, out)))

	got, err := ReadNPZ(out)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleArrays()
	sameArray(t, got["phi"], want[0])
	sameArray(t, got["action"], want[1])
	sameArray(t, got["accepted"], want[6])
	m := []float64{0, 1, 2, 3, 4, 5}
	sameArray(t, got["fortran"], Array{Name: "fortran", Shape: []int{2, 3}, Data: m})
	sameArray(t, got["bigendian"], Array{Name: "bigendian", Shape: []int{2, 3}, Data: m})
	sameArray(t, got["scalar"], Array{Name: "scalar", Shape: []int{}, Data: []float64{2.5}})
	checkStreamMatchesRead(t, out) // numpy's archive read element by element
}

// Loads the checkpoint with safetensors.numpy.load_file when the
// safetensors package is installed, otherwise with a numpy-only reader
// that follows the format specification.
const safetensorsCheckScript = `
import sys, json, struct
import numpy as np

path, expect = sys.argv[1], json.loads(sys.argv[2])
try:
    from safetensors.numpy import load_file
    from safetensors import safe_open
    tensors = load_file(path)
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    how = "safetensors.numpy"
except ImportError:
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    data = raw[8 + n:]
    tensors = {}
    end = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = info["data_offsets"]
        assert b == end, (name, b, end)
        end = e
        dt = {"F64": "<f8", "F32": "<f4"}[info["dtype"]]
        tensors[name] = np.frombuffer(data[b:e], dtype=dt).reshape(info["shape"])
    assert end == len(data)
    how = "numpy-only reader"
assert meta == expect["metadata"], meta
for name, (shape, first) in expect["tensors"].items():
    a = tensors[name]
    assert a.dtype == np.float64, (name, a.dtype)
    assert list(a.shape) == shape, (name, a.shape)
    if first is not None:
        assert a.ravel()[0] == first, (name, a.ravel()[0])
w = tensors["layers.0.weight"]
assert np.isinf(w[1, 0]) and np.signbit(w[1, 1]) and np.isnan(w[1, 2])
assert np.array_equal(tensors["cube"], np.arange(1, 9).reshape(2, 2, 2))
print(how, "ok")
`

func TestSafetensorsPythonInterop(t *testing.T) {
	python := numpyPython(t)
	p := writeSample(t, t.TempDir())
	expect := `{"metadata": {"format": "normflow", "config": "{\"L\": 8, \"action\": \"phi4\"}", "note": "<&> ünïcode"},
	 "tensors": {"beta": [[], 0.75], "layers.0.weight": [[2, 3], 1], "layers.0.bias": [[4], 0.1],
	             "empty": [[0, 5], null], "cube": [[2, 2, 2], 1]}}`
	t.Log(strings.TrimSpace(runPython(t, python, safetensorsCheckScript, p, expect)))
}

// numpy loads an .npz with an archive comment as without one, and Python's
// zipfile reads the comment.
func TestNPZCommentNumpy(t *testing.T) {
	python := numpyPython(t)
	p := filepath.Join(t.TempDir(), "commented.npz")
	if err := WriteNPZComment(p, sampleArrays()[:1], "normflow.field_kind=scalar"); err != nil {
		t.Fatal(err)
	}
	const script = `
import sys, zipfile
import numpy as np
d = np.load(sys.argv[1])
assert d.files == ["phi"], d.files
assert d["phi"].shape == (2, 3, 4)
assert zipfile.ZipFile(sys.argv[1]).comment == b"normflow.field_kind=scalar"
print("ok")
`
	runPython(t, python, script, p)
}

// numpy loads a streamed complex entry as complex128 of the right shape
// and values, and what numpy writes as complex128 we read back.
func TestComplexNumpyInterop(t *testing.T) {
	python := numpyPython(t)
	dir := t.TempDir()
	shape, pairs := complexSample()
	p := filepath.Join(dir, "u.npz")
	w, err := CreateNPZ(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.BeginComplex128s("U", shape); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat64s(pairs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(""); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "from_numpy.npz")
	const script = `
import sys
import numpy as np
u = np.load(sys.argv[1])["U"]
assert u.dtype == np.complex128, u.dtype
assert u.shape == (2, 2, 3), u.shape
flat = u.ravel()
for k in range(12):
    if k in (1, 10, 11):
        continue
    want = complex(k + 0.25, -k / 8)
    assert flat[k] == want, (k, flat[k], want)
assert flat[1].real == 1.25 and flat[1].imag == 0 and np.signbit(flat[1].imag)
assert np.isnan(flat[10].real) and flat[10].imag == -10 / 8
assert flat[11].real == 11.25 and np.isneginf(flat[11].imag)
m = (np.arange(6) + 1j * np.arange(6)[::-1]).reshape(2, 3)
np.savez(sys.argv[2], m=m, be=m.astype(">c16"), f=np.asfortranarray(m), s=m.astype(np.complex64))
print("ok")
`
	runPython(t, python, script, p, out)
	got, err := ReadNPZ(out)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]complex128, 6)
	for k := range want {
		want[k] = complex(float64(k), float64(5-k))
	}
	for _, name := range []string{"m", "be", "f", "s"} {
		a := got[name]
		if c, ok := a.Data.([]complex128); !ok || !slices.Equal(c, want) || !slices.Equal(a.Shape, []int{2, 3}) {
			t.Errorf("%s: %v %v, want %v", name, a.Shape, a.Data, want)
		}
	}
}
