package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/internal/within"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/store"
	"github.com/normflow/normflow-go/sun"
	"github.com/normflow/normflow-go/sungauge"
)

// wilsonConfig writes a run description of the SU(n) Wilson action on
// shape at beta into dir and returns its name.
func wilsonConfig(t *testing.T, dir, name, shape string, n int, beta float64) string {
	t.Helper()
	text := fmt.Sprintf("seed = 1\n[lattice]\nshape = %s\n[action]\nkind = \"wilson\"\nn = %d\nbeta = %.6f\n", shape, n, beta)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// linkReport is the JSON of measure on SU(N) links.
type linkReport struct {
	N           int                                    `json:"n"`
	ColorN      int                                    `json:"color_n"`
	Links       bool                                   `json:"links"`
	Dim         int                                    `json:"dim"`
	Loops       int                                    `json:"loops"`
	Observables map[string]struct{ Mean, Err float64 } `json:"observables"`
	TauInt      map[string]struct {
		Tau, Err float64
		Window   int
	} `json:"tau_int"`
	Errors string `json:"errors"`
}

func measureJSON(t *testing.T, dir string, args ...string) linkReport {
	t.Helper()
	r := mustRun(t, dir, append([]string{"measure", "--json"}, args...)...)
	var rep linkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("measure --json: %v\n%s", err, r.stdout)
	}
	return rep
}

// closeTo reports whether a and b agree to tol relative to max(1, |a|).
func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(a)) || (math.IsNaN(a) && math.IsNaN(b))
}

// normflow hmc on SU(N) links, then measure: the CLI's numbers are package
// sungauge's functions of the configurations written, averaged with the
// Γ-method (stats.GammaMethod, sungauge.PolyakovSusceptibility), to 1e-12;
// a random local SU(N) gauge transformation of every configuration leaves
// every measured mean, error and τ_int unchanged to 1e-12. 2-d SU(2) 4×4
// with W(R,T) up to 3, and 4-d SU(3) 3⁴ with the topological charge.
func TestHMCMeasureLinks(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, shape string
		n, loops    int
		beta        float64
		therm, k    string
	}{
		{"su2_2d", "[4, 4]", 2, 3, 2, "100", "300"},
		{"su3_4d", "[3, 3, 3, 3]", 3, 2, 1, "60", "60"},
	} {
		cfg := wilsonConfig(t, dir, c.name+".toml", c.shape, c.n, c.beta)
		out := c.name + ".npz"
		r := mustRun(t, dir, "hmc", "--config", cfg, "--n", c.k, "--therm", c.therm, "--quiet", "--out", out, "--loops", "2")
		for _, want := range []string{fmt.Sprintf("SU(%d) link configurations on", c.n), "<Re tr U_P>/N:", "W(1,2):", "<|P|>:", "chi_P:", "tau_int(plaquette):"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s: hmc output lacks %q:\n%s", c.name, want, r.stdout)
			}
		}
		loops := strconv.Itoa(c.loops)
		rep := measureJSON(t, dir, "--loops", loops, out)
		f, err := ensemble.ReadFile(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		u, lat, n, err := f.Matrices()
		if err != nil || f.Kind != ensemble.SUNLinks || n != c.n {
			t.Fatalf("%s: kind %v, n %d, %v", out, f.Kind, n, err)
		}
		g, err := sungauge.NewGeometry(lat, n)
		if err != nil {
			t.Fatal(err)
		}
		size := g.FieldSize()
		k := len(u) / size
		if rep.N != k || !rep.Links || rep.Dim != lat.Dim() || rep.Loops != c.loops || rep.ColorN != c.n {
			t.Errorf("%s: report %+v", out, rep)
		}
		want := map[string][]float64{}
		add := func(name string, x float64) { want[name] = append(want[name], x) }
		for i := range k {
			cf := u[i*size : (i+1)*size]
			add("plaquette", g.MeanPlaquette(cf))
			w, err := g.WilsonLoops(cf, c.loops)
			if err != nil {
				t.Fatal(err)
			}
			for r := 1; r <= c.loops; r++ {
				for tt := r; tt <= c.loops; tt++ {
					add(fmt.Sprintf("W_%dx%d", r, tt), w[r-1][tt-1])
				}
			}
			add("absP", cmplx.Abs(g.Polyakov(cf)))
			if lat.Dim() == 4 {
				q, _ := g.TopologicalCharge(cf)
				add("Q", q)
				add("Q2", q*q)
			}
		}
		if len(rep.Observables) != len(want)+1+map[bool]int{true: 1}[lat.Dim() == 4] {
			t.Errorf("%s: observables %v", out, rep.Observables)
		}
		for name, x := range want {
			gm := stats.GammaMethod(x, 0)
			got, ti := rep.Observables[name], rep.TauInt[name]
			if !closeTo(got.Mean, gm.Mean, 1e-12) || !closeTo(got.Err, gm.Err, 1e-12) || !closeTo(ti.Tau, gm.TauInt, 1e-12) {
				t.Errorf("%s %s: CLI %v ± %v (τ %v), sungauge + Γ-method %v ± %v (τ %v)", out, name, got.Mean, got.Err, ti.Tau, gm.Mean, gm.Err, gm.TauInt)
			}
		}
		chi := sungauge.PolyakovSusceptibility(want["absP"], g.SpatialVolume())
		if got := rep.Observables["chi_P"]; !closeTo(got.Mean, chi.Mean, 1e-12) || !closeTo(got.Err, chi.Err, 1e-12) {
			t.Errorf("%s chi_P: CLI %v, sungauge %v ± %v", out, got, chi.Mean, chi.Err)
		}
		if lat.Dim() == 4 {
			q2 := stats.GammaMethod(want["Q2"], 0)
			if got := rep.Observables["chi_Q"]; !closeTo(got.Mean, q2.Mean/float64(g.Volume()), 1e-12) {
				t.Errorf("%s chi_Q: CLI %v, ⟨Q²⟩/V %v", out, got, q2.Mean/float64(g.Volume()))
			}
		}
		// Gauge transform every configuration by random local SU(N).
		cu := store.Complex128s(append([]float64(nil), u...))
		omega := make([]complex128, g.Volume()*n*n)
		for i := range k {
			s := rng.New(99, 0, uint64(i))
			sun.HaarField(omega, n, &s)
			g.Transform(cu[i*size/2:(i+1)*size/2], omega)
		}
		shape := append([]int{k}, f.Arrays["U"].Shape[1:]...)
		if err := store.WriteNPZComment(filepath.Join(dir, "gt_"+out), []store.Array{{Name: "U", Shape: shape, Data: cu}}, "normflow.field_kind=sun_links"); err != nil {
			t.Fatal(err)
		}
		gt := measureJSON(t, dir, "--loops", loops, "gt_"+out)
		for name, e := range rep.Observables {
			o := gt.Observables[name]
			if math.Abs(o.Mean-e.Mean) > 1e-12 || math.Abs(o.Err-e.Err) > 1e-12 {
				t.Errorf("%s %s: %v ± %v, gauge transformed %v ± %v", out, name, e.Mean, e.Err, o.Mean, o.Err)
			}
		}
		for name, e := range rep.TauInt {
			if o := gt.TauInt[name]; math.Abs(o.Tau-e.Tau) > 1e-12 || o.Window != e.Window {
				t.Errorf("%s τ_int(%s): %v, gauge transformed %v", out, name, e, o)
			}
		}
		t.Logf("%s: %d configurations, plaquette %v ± %v", out, k, rep.Observables["plaquette"].Mean, rep.Observables["plaquette"].Err)
	}
}

// hmc on SU(3) 4⁴ links (1024 links: the action and force run on several
// goroutines) gives the same ensemble, byte for byte, and the same report
// for --threads 1, 2 and 3; with --integrator omelyan too.
func TestHMCLinksThreads(t *testing.T) {
	dir := t.TempDir()
	cfg := wilsonConfig(t, dir, "su3.toml", "[4, 4, 4, 4]", 3, 1)
	for _, integ := range []string{"leapfrog", "omelyan"} {
		var first []byte
		var report string
		for _, thr := range []string{"1", "2", "3"} {
			out := integ + thr + ".npz"
			r := mustRun(t, dir, "hmc", "--config", cfg, "--n", "6", "--therm", "55", "--steps", "5", "--integrator", integ,
				"--threads", thr, "--quiet", "--out", out)
			b, err := os.ReadFile(filepath.Join(dir, out))
			if err != nil {
				t.Fatal(err)
			}
			rep := strings.ReplaceAll(r.stdout, out, "OUT")
			if first == nil {
				first, report = b, rep
				if strings.Contains(rep, "acceptance 0(0)") || (integ == "omelyan") != strings.Contains(rep, "(omelyan)") {
					t.Errorf("%s: %s", integ, rep)
				}
				continue
			}
			if string(b) != string(first) || rep != report {
				t.Errorf("%s --threads %s: the ensemble or the report differs from --threads 1:\n%s\n%s", integ, thr, rep, report)
			}
		}
	}
}

// Bad input on SU(N) links: one line, exit 2, nothing written.
func TestLinksBadInput(t *testing.T) {
	dir := t.TempDir()
	wilsonConfig(t, dir, "w1d.toml", "[8]", 2, 2)
	wilsonConfig(t, dir, "w4.toml", "[4, 4]", 4, 2)
	wilsonConfig(t, dir, "w1.toml", "[4, 4]", 1, 2)
	cfg := wilsonConfig(t, dir, "su2.toml", "[4, 4]", 2, 2)
	affine := `[lattice]
shape = [4, 4]
[action]
kind = "wilson"
n = 2
beta = 2.0
[[flow.layers]]
kind = "affine_coupling"
mask = "checkerboard"
hidden = [8]
kernel = 3
`
	if err := os.WriteFile(filepath.Join(dir, "affine.toml"), []byte(affine), 0o644); err != nil {
		t.Fatal(err)
	}
	phi4 := "[lattice]\nshape = [4, 4]\n[action]\nkind = \"phi4\"\nkappa = 0.3\nm_sq = -1.2\nlambd = 0.5\n"
	if err := os.WriteFile(filepath.Join(dir, "phi4.toml"), []byte(phi4), 0o644); err != nil {
		t.Fatal(err)
	}
	// An ensemble to measure, written before the snapshots.
	mustRun(t, dir, "hmc", "--config", cfg, "--n", "20", "--therm", "10", "--quiet", "--out", "links.npz")
	for _, c := range []struct {
		args, want []string
	}{
		{[]string{"hmc", "--config", "w1d.toml", "--out", "x.npz"}, []string{"w1d.toml", "[8]", "wilson", "2, 3 or 4 axes"}},
		{[]string{"hmc", "--config", "w4.toml", "--out", "x.npz"}, []string{"w4.toml", "action.n = 4", "2 or 3"}},
		{[]string{"hmc", "--config", "w1.toml", "--out", "x.npz"}, []string{"w1.toml", "action.n = 1"}},
		{[]string{"train", "--config", "affine.toml", "--out", "run"}, []string{"affine.toml", "affine_coupling", "wilson"}},
		{[]string{"hmc", "--config", "su2.toml", "--loops", "0", "--out", "x.npz"}, []string{"--loops = 0", "positive"}},
		{[]string{"hmc", "--config", "su2.toml", "--loops", "4", "--out", "x.npz"}, []string{"--loops = 4", "allowed 1 … 3", "[4 4]"}},
		{[]string{"hmc", "--config", "phi4.toml", "--loops", "2", "--out", "x.npz"}, []string{"--loops = 2", "SU(N) links", "scalar"}},
		{[]string{"hmc", "--config", "su2.toml", "--integrator", "rk4", "--out", "x.npz"}, []string{"--integrator \"rk4\"", "leapfrog, omelyan"}},
		{[]string{"hmc", "--config", "su2.toml", "--threads", "-1", "--out", "x.npz"}, []string{"--threads = -1"}},
		{[]string{"measure", "--loops", "0", "links.npz"}, []string{"--loops = 0", "allowed 1 … 3"}},
		{[]string{"measure", "--loops", "4", "links.npz"}, []string{"--loops = 4", "allowed 1 … 3"}},
	} {
		checkBadInput(t, dir, c.args, c.want)
	}
}

// Physics through the command line (docs/sun.md §10.3): normflow hmc on the
// 2-d torus, then normflow measure; the plaquette agrees within 4σ
// (Γ-method error) with the exact character-expansion value
// sungauge.PlaquetteTorus: SU(2) β = 2 L = 4 (0.4331280031) and SU(3)
// β = 6 L = 4 (0.4225320567), 20000 trajectories each (about 10 s).
func TestHMCPlaquetteExactCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("20000 HMC trajectories per point through the CLI; run without -short")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		n    int
		beta float64
		l    int
	}{{2, 2, 4}, {3, 6, 4}} {
		name := fmt.Sprintf("su%d_b%g_l%d", c.n, c.beta, c.l)
		cfg := wilsonConfig(t, dir, name+".toml", fmt.Sprintf("[%d, %d]", c.l, c.l), c.n, c.beta)
		start := time.Now()
		r := mustRun(t, dir, "hmc", "--config", cfg, "--n", "20000", "--therm", "500", "--quiet", "--out", name)
		rep := measureJSON(t, dir, name)
		p := rep.Observables["plaquette"]
		exact := sungauge.PlaquetteTorus(c.n, c.beta, c.l*c.l)
		within.Sigmas(t, name+" plaquette", p.Mean, exact, p.Err, 4)
		t.Logf("%s: %s plaquette %v ± %v (τ_int %.2f), exact %.10f (%.1fσ), %.1f s",
			name, strings.SplitN(r.stdout, "\n", 2)[0], p.Mean, p.Err, rep.TauInt["plaquette"].Tau, exact, (p.Mean-exact)/p.Err, time.Since(start).Seconds())
	}
}

// bench on a run description without a flow times HMC trajectories: one
// line per thread count with ms per trajectory and per step; training
// flags there, and HMC flags with a flow, are bad input.
func TestBenchHMC(t *testing.T) {
	dir := t.TempDir()
	cfg := wilsonConfig(t, dir, "su2.toml", "[4, 4, 4]", 2, 2)
	r := mustRun(t, dir, "bench", "--config", cfg, "--trajectories", "3", "--warmup", "1", "--repeat", "2", "--threads", "1,2", "--integrator", "omelyan")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	re := regexp.MustCompile(`^threads [12]: ([0-9.]+) ms/trajectory, ([0-9.]+) ms/step \(median; min [0-9.]+, max [0-9.]+ ms/trajectory\), [0-9.]+x the first row$`)
	if len(lines) != 3 || !strings.Contains(lines[0], "bench: HMC (no flow in su2.toml): action wilson, sun_links SU(2) on lattice [4 4 4], 10 omelyan steps of 0.1") {
		t.Fatalf("bench output:\n%s", r.stdout)
	}
	for _, l := range lines[1:] {
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q", l)
		}
		traj, _ := strconv.ParseFloat(m[1], 64)
		step, _ := strconv.ParseFloat(m[2], 64)
		if !(traj > 0) || math.Abs(step*10-traj) > 1e-3*traj+1e-3 {
			t.Errorf("line %q: %v ms/trajectory, %v ms/step", l, traj, step)
		}
	}
	flowCfg, err := filepath.Abs(filepath.Join("..", "..", "examples", "phi4_2d_affine.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ args, want []string }{
		{[]string{"bench", "--config", cfg, "--batch", "8"}, []string{"--batch", "su2.toml has no [flow] table"}},
		{[]string{"bench", "--config", cfg, "--trajectories", "0"}, []string{"--trajectories = 0"}},
		{[]string{"bench", "--config", cfg, "--integrator", "euler"}, []string{"--integrator \"euler\""}},
		{[]string{"bench", "--config", flowCfg, "--steps", "5"}, []string{"--steps times HMC", "has a flow"}},
	} {
		checkBadInput(t, dir, c.args, c.want)
	}
}

// The 4-d path through the command line (docs/sun.md §10.3–§10.4): normflow
// hmc on examples/su3_4d.toml (SU(3) 4⁴, β = 1) then normflow measure; the
// plaquette agrees within 4σ with strong coupling, sun.MeanTrace(3, 1) =
// 0.0601266 (the first correction, from the closed cube, is about 3e-6,
// a tenth of the error here), and ⟨Q⟩ with 0 (parity). 1500
// trajectories, about 20 s.
func TestHMC4DStrongCouplingCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("1500 HMC trajectories on SU(3) 4⁴ through the CLI; run without -short")
	}
	dir := t.TempDir()
	cfg, err := filepath.Abs(filepath.Join("..", "..", "examples", "su3_4d.toml"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := mustRun(t, dir, "hmc", "--config", cfg, "--n", "1500", "--therm", "300", "--quiet", "--out", "su3_4d")
	rep := measureJSON(t, dir, "su3_4d")
	p, q := rep.Observables["plaquette"], rep.Observables["Q"]
	u := sun.MeanTrace(3, 1)
	within.Sigmas(t, "SU(3) β = 1 4⁴ plaquette", p.Mean, u, p.Err, 4)
	within.Sigmas(t, "SU(3) β = 1 4⁴ <Q>", q.Mean, 0, q.Err, 4)
	if rep.Dim != 4 || rep.N != 1500 {
		t.Errorf("report %+v", rep)
	}
	t.Logf("%s plaquette %v ± %v, strong coupling %.7f (%.1fσ); W(1,2) %v, |P| %v, χ_P %v, χ_Q %v; %.0f s",
		strings.SplitN(r.stdout, "\n", 2)[0], p.Mean, p.Err, u, (p.Mean-u)/p.Err, rep.Observables["W_1x2"], rep.Observables["absP"],
		rep.Observables["chi_P"], rep.Observables["chi_Q"], time.Since(start).Seconds())
}
