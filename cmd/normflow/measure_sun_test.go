package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/store"
	"github.com/normflow/normflow-go/sun"
)

// haarU is k configurations of m Haar SU(n) matrices each, [k, m·n·n].
func haarU(k, m, n int, seed uint64) []complex128 {
	u := make([]complex128, k*m*n*n)
	for c := range k {
		s := rng.New(seed, 0, uint64(c))
		sun.HaarField(u[c*m*n*n:(c+1)*m*n*n], n, &s)
	}
	return u
}

// writeU writes U of the given shape as an .npz with the field kind
// comment ("" for none).
func writeU(t *testing.T, path string, shape []int, data any, kind string) {
	t.Helper()
	comment := ""
	if kind != "" {
		comment = "normflow.field_kind=" + kind
	}
	if err := store.WriteNPZComment(path, []store.Array{{Name: "U", Shape: shape, Data: data}}, comment); err != nil {
		t.Fatal(err)
	}
}

// measure on Haar SU(3) matrices (a plain sample, averaged as a chain):
// ⟨Tr U⟩ = 0 and ⟨|Tr U|²⟩ = 1 within 4σ, in text and JSON; and the
// plaquette of Haar SU(2) links is 0 within 4σ.
func TestMeasureSUN(t *testing.T) {
	dir := t.TempDir()
	const k = 4000
	writeU(t, filepath.Join(dir, "haar.npz"), []int{k, 2, 3, 3}, haarU(k, 2, 3, 1), "sun_matrices")
	r := mustRun(t, dir, "measure", "haar.npz")
	for _, want := range []string{"haar.npz: 4000 SU(3) matrix configurations on [2], Markov chain", "errors: primary: Γ-method",
		"<Re tr U>/N:", "<Re tr U^2>/N:", "<|tr U|^2>:", "tau_int(trU):", "tau_int(absTrU2):"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("measure output lacks %q:\n%s", want, r.stdout)
		}
	}
	t.Logf("\n%s", r.stdout)
	r = mustRun(t, dir, "measure", "--json", "haar.npz")
	var rep struct {
		N           int                                    `json:"n"`
		ColorN      int                                    `json:"color_n"`
		Links       bool                                   `json:"links"`
		Observables map[string]struct{ Mean, Err float64 } `json:"observables"`
		TauInt      map[string]struct{ Tau, Err float64 }  `json:"tau_int"`
		Errors      string                                 `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if rep.N != k || rep.ColorN != 3 || rep.Links || len(rep.TauInt) != 3 || !strings.Contains(rep.Errors, "Γ-method") {
		t.Errorf("report %+v", rep)
	}
	tr, abs2 := rep.Observables["trU"], rep.Observables["absTrU2"]
	within.Sigmas(t, "⟨(1/3) Re Tr U⟩", tr.Mean, 0, tr.Err, 4)
	within.Sigmas(t, "⟨|Tr U|²⟩", abs2.Mean, 1, abs2.Err, 4)
	if ti := rep.TauInt["trU"]; math.Abs(ti.Tau-0.5) > 4*ti.Err+0.05 {
		t.Errorf("τ_int(trU) = %v ± %v of independent matrices", ti.Tau, ti.Err)
	}

	writeU(t, filepath.Join(dir, "links.npz"), []int{500, 2, 3, 3, 2, 2}, haarU(500, 18, 2, 2), "sun_links")
	r = mustRun(t, dir, "measure", "--json", "links.npz")
	var lrep struct {
		Links       bool                                   `json:"links"`
		Observables map[string]struct{ Mean, Err float64 } `json:"observables"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &lrep); err != nil {
		t.Fatal(err)
	}
	p := lrep.Observables["plaquette"]
	if !lrep.Links || len(lrep.Observables) != 6 { // plaquette, W(1,1), W(1,2), W(2,2), |P|, χ_P
		t.Errorf("links report %+v", lrep)
	}
	within.Sigmas(t, "Haar SU(2) plaquette", p.Mean, 0, p.Err, 4)
	for _, name := range []string{"W_1x2", "W_2x2"} {
		w := lrep.Observables[name]
		within.Sigmas(t, "Haar SU(2) "+name, w.Mean, 0, w.Err, 4)
	}
	if r := mustRun(t, dir, "measure", "links.npz"); !strings.Contains(r.stdout, "500 SU(2) link configurations on [3 3]") || !strings.Contains(r.stdout, "<Re tr U_P>/N:") {
		t.Errorf("links text:\n%s", r.stdout)
	}
}

// Bad U arrays: exit 2, one line naming the file and the defect, nothing
// written.
func TestMeasureSUNBadInput(t *testing.T) {
	dir := t.TempDir()
	good := haarU(3, 2, 2, 1)
	nan := append([]complex128(nil), good...)
	nan[13] = complex(math.Inf(1), 0)
	scaled := append([]complex128(nil), good...)
	for i := 16; i < 20; i++ {
		scaled[i] *= 1.001
	}
	writeU(t, filepath.Join(dir, "rect.npz"), []int{3, 2, 4, 2}, make([]complex128, 48), "sun_matrices")
	writeU(t, filepath.Join(dir, "real.npz"), []int{3, 2, 2, 2}, make([]float64, 24), "sun_matrices")
	writeU(t, filepath.Join(dir, "inf.npz"), []int{3, 2, 2, 2}, nan, "sun_matrices")
	writeU(t, filepath.Join(dir, "notsu.npz"), []int{3, 2, 2, 2}, scaled, "")
	writeU(t, filepath.Join(dir, "links1d.npz"), []int{3, 1, 2, 2, 2}, good, "sun_links")
	for _, c := range []struct {
		file string
		want []string
	}{
		{"rect.npz", []string{"rect.npz", "U has shape [3 2 4 2]", "its matrices are 4×2, not square"}},
		{"real.npz", []string{"real.npz", "U is a real array", "complex128 (<c16)", "dtype <f8"}},
		{"inf.npz", []string{"inf.npz", "configuration 1, matrix 1: entry (0, 1) = (+Inf, 0) is not finite"}},
		{"notsu.npz", []string{"notsu.npz", "configuration 2, matrix 0 is not in SU(2)"}},
		{"links1d.npz", []string{"links1d.npz", "lattice 2 has 1 axes", "2, 3 or 4"}},
	} {
		checkBadInput(t, dir, []string{"measure", c.file}, c.want)
	}
}

// plot on an ensemble of Haar SU(3) matrices that does not say its action
// writes the eigen-angle figure against the Haar density; links, SU(4)
// and non-finite matrices are bad input, and nothing is written then.
func TestPlotSUNEigenAngles(t *testing.T) {
	wd := t.TempDir()
	r := filepath.Join(wd, "r")
	if err := os.Mkdir(r, 0o755); err != nil {
		t.Fatal(err)
	}
	hist := "epoch,loss,ess,logp_mean,logp_std,skipped\n0,1.5,0.2,-3,1,false\n1,1.0,0.5,-2,1,false\n"
	if err := os.WriteFile(filepath.Join(r, "history.csv"), []byte(hist), 0o644); err != nil {
		t.Fatal(err)
	}
	writeU(t, filepath.Join(wd, "haar.npz"), []int{2000, 3, 3}, haarU(2000, 1, 3, 5), "sun_matrices")
	out := mustRun(t, wd, "plot", "r", "--ensemble", "haar.npz").stdout
	png := filepath.Join("r", "eigen_angles.png")
	if !strings.Contains(out, png) {
		t.Fatalf("plot printed %q, want %s", out, png)
	}
	if st, err := os.Stat(filepath.Join(wd, png)); err != nil || st.Size() < 1000 {
		t.Fatalf("%s: %v", png, err)
	}
	if _, err := os.Stat(filepath.Join(r, "magnetisation.png")); err == nil {
		t.Error("a magnetisation figure for SU(N) matrices")
	}
	os.Remove(filepath.Join(wd, png))
	os.Remove(filepath.Join(r, "history.png"))

	writeU(t, filepath.Join(wd, "links.npz"), []int{3, 2, 2, 2, 2, 2}, haarU(3, 8, 2, 1), "sun_links")
	writeU(t, filepath.Join(wd, "su4.npz"), []int{3, 4, 4}, haarU(3, 1, 4, 1), "sun_matrices")
	bad := haarU(3, 1, 2, 1)
	bad[6] = complex(math.NaN(), 0)
	writeU(t, filepath.Join(wd, "nan.npz"), []int{3, 2, 2}, bad, "sun_matrices")
	for _, c := range []struct {
		file string
		want []string
	}{
		{"links.npz", []string{"links.npz holds sun_links", "sun_matrices"}},
		{"su4.npz", []string{"su4.npz holds SU(4) matrices", "N = 2 and 3"}},
		{"nan.npz", []string{"nan.npz: U: matrix 1: entry (1, 0) = (NaN, 0) is not finite"}},
	} {
		checkBadInput(t, wd, []string{"plot", "r", "--ensemble", c.file}, c.want)
	}
}
