package plots

import (
	"fmt"
	"gonum.org/v1/plot/plotter"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkPNG decodes path as a PNG with a non-empty image.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		t.Fatalf("%s: empty image %v", path, b)
	}
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("%s exists after a failed call (stat: %v)", path, err)
	}
}

func writeHistoryCSV(t *testing.T, dir, content string) string {
	t.Helper()
	p := filepath.Join(dir, "history.csv")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHistory(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("epoch,loss,ess,logp_mean,logp_std,skipped\n")
	for e := 1; e <= 50; e++ {
		loss, skipped := 10/float64(e), false
		if e == 7 {
			loss, skipped = math.NaN(), true
		}
		fmt.Fprintf(&b, "%d,%g,%g,%g,%g,%t\n", e, loss, 1-1/float64(e), -3.0, 0.5, skipped)
	}
	csvPath := writeHistoryCSV(t, dir, b.String())
	out := filepath.Join(dir, "history.png")
	if err := History(csvPath, out); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, out)
	h, err := ReadHistory(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epoch) != 50 || h.ESS[1] != 0.5 || !math.IsNaN(h.Loss[6]) {
		t.Fatalf("ReadHistory: %d rows, ESS[1] = %g, Loss[6] = %g", len(h.Epoch), h.ESS[1], h.Loss[6])
	}
}

func TestHistoryBadInput(t *testing.T) {
	cases := map[string]string{
		"empty":       "",
		"header only": "epoch,loss,ess,logp_mean,logp_std,skipped\n",
		"no ess":      "epoch,loss\n1,2\n",
		"not numbers": "epoch,loss,ess\n1,abc,0.5\n",
		"ragged":      "epoch,loss,ess\n1,2\n",
		"binary":      "\x00\x01\xff\"garbled,\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "history.png")
			if err := History(writeHistoryCSV(t, dir, content), out); err == nil {
				t.Fatal("no error")
			}
			noFile(t, out)
		})
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "history.png")
	if err := History(filepath.Join(dir, "missing.csv"), out); err == nil {
		t.Fatal("missing history.csv: no error")
	}
	noFile(t, out)
}

// ar1 returns n values of an AR(1) process with coefficient a.
func ar1(n int, a float64) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n)
	for i := 1; i < n; i++ {
		x[i] = a*x[i-1] + r.NormFloat64()
	}
	return x
}

func TestMagnetisationHistogram(t *testing.T) {
	const n, vol = 400, 16
	r := rand.New(rand.NewPCG(3, 4))
	phi := make([]float64, n*vol)
	for i := range phi {
		phi[i] = r.NormFloat64()
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "magnetisation.png")
	if err := MagnetisationHistogram(phi, vol, out); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, out)

	m, err := Magnetisations([]float64{1, 3, -2, -4}, 2)
	if err != nil || len(m) != 2 || m[0] != 2 || m[1] != -3 {
		t.Fatalf("Magnetisations = %v, %v", m, err)
	}
	// A constant ensemble still gives a figure.
	out = filepath.Join(dir, "constant.png")
	if err := MagnetisationHistogram(make([]float64, 8), 4, out); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, out)

	bad := filepath.Join(dir, "bad.png")
	for _, c := range []struct {
		phi []float64
		vol int
	}{{phi[:10], 0}, {phi[:10], 3}, {nil, 4}, {[]float64{1, math.NaN()}, 2}} {
		if err := MagnetisationHistogram(c.phi, c.vol, bad); err == nil {
			t.Errorf("len %d, volume %d: no error", len(c.phi), c.vol)
		}
	}
	noFile(t, bad)
}

func TestAutocorrelation(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "autocorr_M2.png")
	if err := Autocorrelation(ar1(2000, 0.8), "M²", out); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, out)
	out = filepath.Join(dir, "constant.png")
	if err := Autocorrelation([]float64{2, 2, 2, 2}, "c", out); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, out)
	bad := filepath.Join(dir, "bad.png")
	for _, s := range [][]float64{nil, {1}, {1, math.Inf(1), 2}} {
		if err := Autocorrelation(s, "x", bad); err == nil {
			t.Errorf("%v: no error", s)
		}
	}
	noFile(t, bad)
}

// TestLossRange: a loss falling from 300 to about −16 is shown on the range
// of its later values; a gently falling loss keeps the automatic range.
func TestLossRange(t *testing.T) {
	steep := make(plotter.XYs, 1000)
	gentle := make(plotter.XYs, 1000)
	for i := range steep {
		x := float64(i)
		steep[i] = plotter.XY{X: x, Y: -16 + 316*math.Exp(-x/5) + 0.1*math.Sin(x)}
		gentle[i] = plotter.XY{X: x, Y: 2 - x/1000}
	}
	lo, hi, clipped := lossRange(steep)
	if !clipped || lo > -16.1 || lo < -17 || hi > -14 || hi < -15.9 {
		t.Errorf("steep loss: range [%g, %g], clipped %v; want about [−16.2, −15.8], clipped", lo, hi, clipped)
	}
	if _, _, clipped := lossRange(gentle); clipped {
		t.Error("gentle loss: clipped, want the automatic range")
	}
	if _, _, clipped := lossRange(steep[:10]); clipped {
		t.Error("10 epochs: clipped, want the automatic range")
	}
}
