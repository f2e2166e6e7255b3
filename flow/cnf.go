package flow

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
)

// CNFOptions are the settings of a continuous normalizing flow layer
// (DefaultCNFOptions gives the defaults of the run-description kind "cnf").
type CNFOptions struct {
	// Steps is the number of RK4 steps from t = 0 to 1 (≥ 1).
	Steps int
	// TrainSteps is the number of RK4 steps of a taped pass (one that can
	// backpropagate: training), 0 meaning Steps. Untaped passes (sampling,
	// flow-MCMC, the evaluations of the training loop) use Steps and their
	// own logJ, so a layer trained with fewer steps is sampled with the map
	// of Steps steps (docs/conventions.md §5.19, "Training steps").
	TrainSteps int
	// Freqs is the number of single-site features sin(ω_b φ) besides φ
	// itself (≥ 0), with learnable frequencies ω_b.
	Freqs int
	// TimeFreqs is the number of time frequencies: the time features are 1,
	// cos(πkt), sin(πkt) for k = 1 … TimeFreqs (≥ 0).
	TimeFreqs int
	// Kernel is the largest offset |x_μ − y_μ| (folded on the torus) per axis
	// the kernel reaches; 0 is the whole lattice.
	Kernel int
	// Local adds the local term Σ_c U_c(t) sin(ν_c φ_x) with Freqs frequencies ν_c
	// of its own.
	Local bool
	// Basis is what the kernel weights are: CNFPosition ("" or "position",
	// the default), one weight per orbit of offsets, K(r); or CNFMomentum
	// ("momentum", only with Kernel = 0), one weight per orbit of momenta,
	// the gain K̂(k) = Σ_r K(r) e^{−ik·r} of those modes (docs/conventions.md
	// §5.19, "Basis").
	Basis string
}

// The kernel bases of CNFOptions.Basis.
const (
	CNFPosition = "position"
	CNFMomentum = "momentum"
)

// DefaultCNFOptions returns the defaults: 90 RK4 steps (the fewest of the
// measured ones that round-trip a trained layer to 1e-8, docs/conventions.md
// §5.19), 3 frequencies, 2 time frequencies, the kernel over the whole
// lattice, no local term.
func DefaultCNFOptions() CNFOptions {
	return CNFOptions{Steps: 90, Freqs: 3, TimeFreqs: 2}
}

// Convolution modes of newCNF.
const (
	cnfAuto     = iota // directly up to cnfDirectMax offsets, by FFT beyond
	cnfByFFT           // by FFT
	cnfDirectly        // directly
)

// cnfDirectMax is the largest kernel support (number of offsets) summed
// directly rather than by FFT: the measured crossover lies at 25–50 offsets
// on 8² to 32² lattices (BenchmarkCNFConv; docs/conventions.md §5.19).
const cnfDirectMax = 27

// CNF is a continuous normalizing flow on a single-channel field
// [batch, V] (Gerdes, de Haan, Rainone, Bondesan & Cheng, arXiv:2207.00283;
// docs/conventions.md §5.19). The output is φ(1) of
//
//	dφ/dt = v(φ, t),   φ(0) = x,
//	v_x(φ, t) = Σ_y Σ_b K_b(x − y, t) f_b(φ_y) + Σ_c U_c(t) sin(ν_c φ_x),
//	K_b(r, t) = Σ_a g_a(t) W_{a,b,o(r)},   U_c(t) = Σ_a g_a(t) U_{a,c},
//
// with the odd single-site features f_b = sin(ω_b φ) (b < Freqs) and
// f_Freqs = φ, the time features g = (1, cos πt, sin πt, cos 2πt, …), and the
// kernel weight W shared by all offsets r of one orbit o(r) under the
// lattice's reflections and permutations of equal-length axes (the local
// term only with Local). The field is equivariant under translations,
// φ → −φ, reflections and those axis permutations. Only the r = 0 term
// depends on φ_x, so the divergence is exact and O(V):
//
//	div v = Σ_x [ Σ_b K_b(0, t) f_b′(φ_x) + Σ_c U_c(t) ν_c cos(ν_c φ_x) ],
//
// and logJ = ∫₀¹ div v dt (Liouville). Both are integrated by classical RK4
// with Steps steps, the logJ with the same stages; the inverse integrates
// from t = 1 back to 0. logJ is that of the continuous flow to O(h⁴), not
// exactly that of the discrete map, and the inverse undoes the forward map
// to O(h⁴) (docs/conventions.md §5.19 gives measured errors). The VJPs
// backpropagate through the RK4 stages, whose inputs the tape keeps
// (4·Steps·batch·V values): they are the exact derivatives of the computed
// (discretised) map and logJ. The weights W and U start at zero, so the fresh
// layer is the identity (v = 0).
type CNF struct {
	// Opts are the settings it was made with; Steps and TrainSteps may be
	// changed between passes (the kernel, basis and feature counts may not).
	Opts CNFOptions
	// Weights [nt, F, orbits] is W (nt = 1 + 2 TimeFreqs, F = Freqs + 1);
	// Freqs [Freqs] the ω_b (initially b + 1).
	Weights, Freqs *nn.Param
	// LocalWeights [nt, Freqs] is U and LocalFreqs [Freqs] the ν_c (initially
	// c + 1.5); nil without Local.
	LocalWeights, LocalFreqs *nn.Param

	lat             *lattice.Lattice
	vol, nt, nf, nl int // sites, time features, kernel features F, local features
	offsets, orbit  []int
	nOrb            int
	conv            cnfConv
	// With the momentum basis, toPos [nOrb][nOrb] maps the weights of the
	// momentum orbits to those of the offset orbits, W_o = Σ_o′ toPos[o][o′] Ŵ_o′,
	// and toMom [nOrb][nOrb] back; nil with the position basis.
	toPos, toMom []float64

	cache atomic.Pointer[cnfCache]
	pool  sync.Pool // *cnfWork
}

// cnfCache holds what the current parameter values determine.
type cnfCache struct {
	params []float64   // every parameter value, in Params order
	kab    [][]float64 // [nt·F] the kernel of W_{a,b,·} in the conv's representation
	// Views of params: W, ω, U and ν.
	w, om, lw, nu []float64
}

// cnfWork is the scratch of one sample.
type cnfWork struct {
	acc, z            []complex128
	feats, cosf, conv [][]float64 // [F][V]; cosf: cos(ω_b φ)
	lsin, lcos        [][]float64 // [nl][V]
}

// NewCNF makes an identity-initialised CNF layer on lattice lat (at least one
// axis); parameter names start with name.
func NewCNF(name string, lat *lattice.Lattice, opts CNFOptions) (*CNF, error) {
	return newCNF(name, lat, opts, cnfAuto)
}

// newCNF is NewCNF with the convolution done as mode says.
func newCNF(name string, lat *lattice.Lattice, opts CNFOptions, mode int) (*CNF, error) {
	if lat.Dim() == 0 {
		return nil, fmt.Errorf("cnf: needs a lattice with at least one axis")
	}
	if opts.Steps < 1 {
		return nil, fmt.Errorf("cnf: steps = %d: must be a positive integer", opts.Steps)
	}
	if opts.TrainSteps < 0 {
		return nil, fmt.Errorf("cnf: train_steps = %d: must be a positive integer (0: steps)", opts.TrainSteps)
	}
	if opts.Freqs < 0 {
		return nil, fmt.Errorf("cnf: freqs = %d: must be an integer >= 0", opts.Freqs)
	}
	if opts.TimeFreqs < 0 {
		return nil, fmt.Errorf("cnf: time_freqs = %d: must be an integer >= 0", opts.TimeFreqs)
	}
	if opts.Local && opts.Freqs == 0 {
		return nil, fmt.Errorf("cnf: local = true needs freqs >= 1 (the local term has freqs frequencies)")
	}
	switch opts.Basis {
	case "", CNFPosition:
	case CNFMomentum:
		if opts.Kernel != 0 {
			return nil, fmt.Errorf("cnf: basis = %q needs kernel = 0 (the whole lattice), not %d", opts.Basis, opts.Kernel)
		}
	default:
		return nil, fmt.Errorf("cnf: basis = %q: must be %q or %q", opts.Basis, CNFPosition, CNFMomentum)
	}
	maxExt := 0
	for _, l := range lat.Shape() {
		maxExt = max(maxExt, l/2)
	}
	if opts.Kernel < 0 || opts.Kernel > maxExt {
		return nil, fmt.Errorf("cnf: kernel = %d: must lie in [0, %d] on lattice %v (half its largest extent; 0 is the whole lattice)", opts.Kernel, maxExt, lat.Shape())
	}
	c := &CNF{Opts: opts, lat: lat, vol: lat.Volume(), nt: 1 + 2*opts.TimeFreqs, nf: opts.Freqs + 1}
	c.offsets, c.orbit, c.nOrb = cnfOrbits(lat, opts.Kernel)
	if mode == cnfDirectly || mode == cnfAuto && len(c.offsets) <= cnfDirectMax {
		c.conv = newCNFDirect(lat, c.offsets)
	} else {
		c.conv = newCNFFFT(lat, c.offsets)
	}
	if opts.Basis == CNFMomentum {
		c.toPos, c.toMom = cnfMomentumMaps(lat, c.orbit, c.nOrb)
	}
	c.Weights = nn.NewParam(name+".weights", c.nt, c.nf, c.nOrb)
	c.Freqs = nn.NewParam(name+".freqs", opts.Freqs)
	for b := range c.Freqs.Value {
		c.Freqs.Value[b] = float64(b + 1)
	}
	if opts.Local {
		c.nl = opts.Freqs
		c.LocalWeights = nn.NewParam(name+".local.weights", c.nt, c.nl)
		c.LocalFreqs = nn.NewParam(name+".local.freqs", c.nl)
		for i := range c.LocalFreqs.Value {
			c.LocalFreqs.Value[i] = float64(i) + 1.5
		}
	}
	return c, nil
}

// Params lists the trainable parameters: weights, freqs (none with Freqs =
// 0), and local.weights, local.freqs with Local.
func (c *CNF) Params() []*nn.Param {
	var ps []*nn.Param
	for _, p := range c.all() {
		if p != nil && p.Size() > 0 {
			ps = append(ps, p)
		}
	}
	return ps
}

// all returns W, ω, U and ν (U and ν nil without Local).
func (c *CNF) all() [4]*nn.Param {
	return [4]*nn.Param{c.Weights, c.Freqs, c.LocalWeights, c.LocalFreqs}
}

// state returns the cache of the current parameter values.
func (c *CNF) state() *cnfCache {
	ps := c.Params()
	if s := c.cache.Load(); s != nil {
		off, same := 0, true
		for _, p := range ps {
			if !slices.Equal(s.params[off:off+len(p.Value)], p.Value) {
				same = false
				break
			}
			off += len(p.Value)
		}
		if same {
			return s
		}
	}
	size := 0
	for _, p := range ps {
		size += len(p.Value)
	}
	s := &cnfCache{kab: make([][]float64, c.nt*c.nf), params: make([]float64, 0, size)}
	var views [4][]float64
	for i, p := range c.all() {
		if p != nil {
			s.params = append(s.params, p.Value...)
			views[i] = s.params[len(s.params)-len(p.Value):]
		}
	}
	s.w, s.om, s.lw, s.nu = views[0], views[1], views[2], views[3]
	if c.toPos != nil {
		s.w = c.positionWeights(s.w)
	}
	k := make([]float64, len(c.offsets))
	for ab := range s.kab {
		w := s.w[ab*c.nOrb : (ab+1)*c.nOrb]
		for j, o := range c.orbit {
			k[j] = w[o]
		}
		s.kab[ab] = make([]float64, c.conv.m())
		c.conv.kernel(k, s.kab[ab])
	}
	c.cache.Store(s)
	return s
}

func (c *CNF) work() *cnfWork {
	if w, ok := c.pool.Get().(*cnfWork); ok {
		return w
	}
	rows := func(n int) [][]float64 {
		flat := make([]float64, n*c.vol)
		r := make([][]float64, n)
		for i := range r {
			r[i] = flat[i*c.vol : (i+1)*c.vol]
		}
		return r
	}
	return &cnfWork{
		acc: make([]complex128, c.vol), z: make([]complex128, c.vol),
		feats: rows(c.nf), cosf: rows(c.nf), conv: rows(c.nf),
		lsin: rows(c.nl), lcos: rows(c.nl),
	}
}

// timeFeatures writes g(t) = (1, cos πt, sin πt, cos 2πt, sin 2πt, …).
func timeFeatures(t float64, g []float64) {
	g[0] = 1
	for k := 1; 2*k < len(g); k++ {
		s, co := math.Sincos(math.Pi * float64(k) * t)
		g[2*k-1], g[2*k] = co, s
	}
}

// cnfStage holds the time-dependent coefficients of one RK4 stage.
type cnfStage struct {
	g  []float64   // time features [nt]
	kt [][]float64 // K_b(·, t) in the conv's representation [F][M]
	k0 []float64   // K_b(0, t) [F]
	ut []float64   // U_c(t) [nl]
}

func (c *CNF) newStage() *cnfStage {
	st := &cnfStage{g: make([]float64, c.nt), kt: make([][]float64, c.nf), k0: make([]float64, c.nf), ut: make([]float64, c.nl)}
	for b := range st.kt {
		st.kt[b] = make([]float64, c.conv.m())
	}
	return st
}

// at sets the coefficients of time t.
func (c *CNF) at(s *cnfCache, st *cnfStage, t float64) {
	timeFeatures(t, st.g)
	w := s.w
	for b := range c.nf {
		kt := st.kt[b]
		clear(kt)
		st.k0[b] = 0
		for a, ga := range st.g {
			for m, v := range s.kab[a*c.nf+b] {
				kt[m] += ga * v
			}
			st.k0[b] += ga * w[(a*c.nf+b)*c.nOrb] // orbit 0 is the offset 0
		}
	}
	for i := range c.nl {
		st.ut[i] = 0
		for a, ga := range st.g {
			st.ut[i] += ga * s.lw[a*c.nl+i]
		}
	}
}

// features fills w.feats (f_b), w.cosf (cos ω_b φ), w.lsin and w.lcos for the field s of one sample.
func (c *CNF) features(p *cnfCache, s []float64, w *cnfWork) {
	for b, om := range p.om {
		sincosScaled(om, s, w.feats[b], w.cosf[b])
	}
	copy(w.feats[c.nf-1], s)
	for i, nu := range p.nu {
		sincosScaled(nu, s, w.lsin[i], w.lcos[i])
	}
}

// field writes v(s, t) of one sample into out and returns div v. It needs
// only the sums Σ_x cos(ω_b s_x) and Σ_x cos(ν_c s_x), not the cosines
// themselves (fieldVJP does), so it computes the sines and those sums in one
// pass per frequency; the sums run in site order as in features.
func (c *CNF) field(p *cnfCache, st *cnfStage, s, out []float64, w *cnfWork) float64 {
	var cosSum [2][]float64 // Σ_x cos(ω_b s_x), Σ_x cos(ν_c s_x)
	var sums [16]float64
	cosSum[0], cosSum[1] = sums[:0], sums[:0]
	if len(p.om)+len(p.nu) <= len(sums) {
		cosSum[0], cosSum[1] = sums[:len(p.om)], sums[len(p.om):len(p.om)+len(p.nu)]
	} else {
		cosSum[0], cosSum[1] = make([]float64, len(p.om)), make([]float64, len(p.nu))
	}
	for b, om := range p.om {
		cosSum[0][b] = sincosSumCos(om, s, w.feats[b])
	}
	copy(w.feats[c.nf-1], s)
	for i, nu := range p.nu {
		cosSum[1][i] = sincosSumCos(nu, s, w.lsin[i])
	}
	c.conv.apply(st.kt, w.feats, out, w)
	var div float64
	for b, om := range p.om {
		div += st.k0[b] * om * cosSum[0][b]
	}
	div += st.k0[c.nf-1] * float64(c.vol)
	for i, nu := range p.nu {
		u := st.ut[i]
		for x, sn := range w.lsin[i] {
			out[x] += u * sn
		}
		div += u * nu * cosSum[1][i]
	}
	return div
}

// RK4 tableau: stage i is evaluated at t + rk4C[i]·h on φ + rk4A[i]·h·k_{i−1}
// and enters the step with weight rk4W[i].
var (
	rk4A = [4]float64{0, 0.5, 0.5, 1}
	rk4C = [4]float64{0, 0.5, 0.5, 1}
	rk4W = [4]float64{1.0 / 6, 2.0 / 6, 2.0 / 6, 1.0 / 6}
)

// Forward integrates dφ/dt = v from t = 0 to 1, adding ∫₀¹ div v dt to logJ.
func (c *CNF) Forward(tape *Tape, x, y, logJ []float64) { c.integrate(tape, x, y, logJ, false) }

// Inverse integrates from t = 1 back to 0, adding −∫₀¹ div v dt to logJ.
func (c *CNF) Inverse(tape *Tape, y, x, logJ []float64) { c.integrate(tape, y, x, logJ, true) }

func (c *CNF) integrate(tape *Tape, in, out, logJ []float64, inverse bool) {
	v, nb := c.vol, len(logJ)
	if len(in) != nb*v || len(out) != len(in) {
		panic(fmt.Sprintf("cnf: input length %d, output length %d: want batch %d × volume %d", len(in), len(out), nb, v))
	}
	n, steps := len(in), c.Opts.Steps
	if tape != nil && c.Opts.TrainSteps > 0 {
		steps = c.Opts.TrainSteps
	}
	h, t0 := 1/float64(steps), 0.0
	if inverse {
		h, t0 = -h, 1
	}
	s := c.state()
	floats := func(n int) []float64 {
		if tape != nil {
			return tape.Floats(n)
		}
		return make([]float64, n)
	}
	var states []float64 // [steps][4][n]: the stage inputs, for the VJP
	if tape != nil {
		states = tape.Floats(steps * 4 * n)
	}
	acc, k := floats(n), floats(n)
	var sbuf []float64
	if tape == nil {
		sbuf = make([]float64, n)
	}
	phi := out
	copy(phi, in)
	st := c.newStage()
	w := c.work()
	for step := range steps {
		t := t0 + float64(step)*h
		copy(acc, phi)
		for i := range 4 {
			c.at(s, st, t+rk4C[i]*h)
			si := sbuf
			if states != nil {
				si = states[(step*4+i)*n : (step*4+i+1)*n]
			}
			ah, wh := rk4A[i]*h, rk4W[i]*h
			for b := range nb {
				lo, hi := b*v, (b+1)*v
				sb, kb := si[lo:hi], k[lo:hi]
				for j, p := range phi[lo:hi] {
					sb[j] = p + ah*kb[j]
				}
				div := c.field(s, st, sb, kb, w)
				ab := acc[lo:hi]
				for j, kv := range kb {
					ab[j] += wh * kv
				}
				logJ[b] += wh * div
			}
		}
		copy(phi, acc)
	}
	c.pool.Put(w)
	if tape == nil {
		return
	}
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		c.backward(s, states, steps, h, t0, dout, dlogJ, din, grads, tape)
	})
}

// cnfGrads accumulates the parameter cotangents of one backward pass.
type cnfGrads struct {
	r  [][]float64 // per stage: cotangent of K_b's representation [F][M]
	a  [][]float64 // Σ_stages g_a r_b: [nt·F][M]
	d0 []float64   // per stage: cotangent of K_b(0, t) from the divergence [F]
	w0 []float64   // Σ_stages g_a d0_b: [nt·F]
	uc []float64   // per stage: cotangent of U_c(t) [nl]
	om []float64   // cotangents of ω_b
	nu []float64   // cotangents of ν_c
	lw []float64   // cotangents of U_{a,c}
}

// backward is the VJP of one integration: reverse-mode through the RK4
// steps. With s_i = φ + A_i h k_{i−1}, k_i = v(s_i), φ′ = φ + h Σ W_i k_i and
// ℓ′ = ℓ + h Σ W_i div v(s_i), the cotangents are
// k̄_i = h W_i φ̄′ + A_{i+1} h s̄_{i+1}, s̄_i = (∂v/∂s_i)ᵀ k̄_i + h W_i ℓ̄ ∇ div v(s_i),
// φ̄ = φ̄′ + Σ_i s̄_i.
func (c *CNF) backward(s *cnfCache, states []float64, steps int, h, t0 float64, dout, dlogJ, din []float64, grads *nn.Grads, tape *Tape) {
	v, nb, n := c.vol, len(dlogJ), len(dout)
	abar := din
	copy(abar, dout)
	phibar, kbar, sbar := tape.Floats(n), tape.Floats(n), tape.Floats(n)
	var gr *cnfGrads
	if grads != nil {
		m := c.conv.m()
		gr = &cnfGrads{r: make([][]float64, c.nf), a: make([][]float64, c.nt*c.nf), d0: make([]float64, c.nf),
			w0: make([]float64, c.nt*c.nf), uc: make([]float64, c.nl), om: make([]float64, c.nf-1),
			nu: make([]float64, c.nl), lw: make([]float64, c.nt*c.nl)}
		for b := range gr.r {
			gr.r[b] = make([]float64, m)
		}
		for i := range gr.a {
			gr.a[i] = make([]float64, m)
		}
	}
	st := c.newStage()
	w := c.work()
	for step := steps - 1; step >= 0; step-- {
		t := t0 + float64(step)*h
		copy(phibar, abar)
		for j, a := range abar {
			kbar[j] = rk4W[3] * h * a
		}
		for i := 3; i >= 0; i-- {
			c.at(s, st, t+rk4C[i]*h)
			si := states[(step*4+i)*n : (step*4+i+1)*n]
			wh := rk4W[i] * h
			for b := range nb {
				lo, hi := b*v, (b+1)*v
				c.fieldVJP(s, st, si[lo:hi], kbar[lo:hi], wh*dlogJ[b], sbar[lo:hi], w, gr)
			}
			if gr != nil {
				gr.stageDone(st)
			}
			for j, sv := range sbar {
				phibar[j] += sv
			}
			if i > 0 {
				ah, wh := rk4A[i]*h, rk4W[i-1]*h
				for j, sv := range sbar {
					kbar[j] = wh*abar[j] + ah*sv
				}
			}
		}
		copy(abar, phibar)
	}
	c.pool.Put(w)
	if gr != nil {
		c.paramGrads(gr, grads)
	}
}

// stageDone moves the stage's cotangents of K(·, t), K(0, t) and U(t) to the
// time-independent weights through the time features.
func (gr *cnfGrads) stageDone(st *cnfStage) {
	nf := len(gr.r)
	for a, ga := range st.g {
		for b, rb := range gr.r {
			ab := gr.a[a*nf+b]
			for m, v := range rb {
				ab[m] += ga * v
			}
			gr.w0[a*nf+b] += ga * gr.d0[b]
		}
		for i, u := range gr.uc {
			gr.lw[a*len(gr.uc)+i] += ga * u
		}
	}
	for _, rb := range gr.r {
		clear(rb)
	}
	clear(gr.d0)
	clear(gr.uc)
}

// paramGrads adds the accumulated cotangents to the parameters' gradients.
func (c *CNF) paramGrads(gr *cnfGrads, grads *nn.Grads) {
	if g := grads.Of(c.Weights); g != nil {
		k := make([]float64, len(c.offsets))
		pos := make([]float64, c.nOrb)
		for ab, a := range gr.a {
			clear(k)
			c.conv.project(a, k)
			row := g[ab*c.nOrb : (ab+1)*c.nOrb]
			if c.toPos != nil {
				clear(pos)
				row = pos
			}
			for j, o := range c.orbit {
				row[o] += k[j]
			}
			row[0] += gr.w0[ab]
			if c.toPos != nil {
				// W = toPos Ŵ, so the cotangent of Ŵ is toPosᵀ times that of W.
				out := g[ab*c.nOrb : (ab+1)*c.nOrb]
				for o, gp := range pos {
					for q, m := range c.toPos[o*c.nOrb : (o+1)*c.nOrb] {
						out[q] += m * gp
					}
				}
			}
		}
	}
	addTo(grads.Of(c.Freqs), gr.om)
	if c.nl > 0 {
		addTo(grads.Of(c.LocalWeights), gr.lw)
		addTo(grads.Of(c.LocalFreqs), gr.nu)
	}
}

// addTo adds src to dst (nil: a parameter without gradient).
func addTo(dst, src []float64) {
	if dst == nil {
		return
	}
	for i, v := range src {
		dst[i] += v
	}
}

// fieldVJP writes into out the cotangent of the stage input s of one sample
// for the cotangent u of v(s, t) and dd of div v(s, t), and accumulates the
// parameter cotangents into gr (nil: none). With f_b = sin(ω s):
// f′ = ω cos(ω s), f″ = −ω² sin(ω s), ∂f/∂ω = s cos(ω s),
// ∂f′/∂ω = cos(ω s) − ω s sin(ω s); the same for the local term with ν_c.
func (c *CNF) fieldVJP(p *cnfCache, st *cnfStage, s, u []float64, dd float64, out []float64, w *cnfWork, gr *cnfGrads) {
	c.features(p, s, w)
	var r [][]float64
	if gr != nil {
		r = gr.r
	}
	c.conv.backward(st.kt, u, w.feats, w.conv, r, w)
	last := c.nf - 1
	copy(out, w.conv[last]) // f_F = φ: f′ = 1, f″ = 0
	if gr != nil {
		gr.d0[last] += dd * float64(c.vol)
	}
	for b, om := range p.om {
		cb, sn, co := w.conv[b], w.feats[b], w.cosf[b]
		ddk := dd * st.k0[b]
		var gOm, sumCos, sumD float64
		for x, sv := range s {
			out[x] += cb[x]*om*co[x] - ddk*om*om*sn[x]
			if gr != nil {
				gOm += cb[x] * sv * co[x]
				sumD += co[x] - om*sv*sn[x]
				sumCos += co[x]
			}
		}
		if gr != nil {
			gr.om[b] += gOm + ddk*sumD
			gr.d0[b] += dd * om * sumCos
		}
	}
	for i, nu := range p.nu {
		ut := st.ut[i]
		sn, co := w.lsin[i], w.lcos[i]
		var gU, gNu, sumD float64
		for x, sv := range s {
			out[x] += ut * (u[x]*nu*co[x] - dd*nu*nu*sn[x])
			if gr != nil {
				gU += u[x]*sn[x] + dd*nu*co[x]
				gNu += u[x] * sv * co[x]
				sumD += co[x] - nu*sv*sn[x]
			}
		}
		if gr != nil {
			gr.uc[i] += gU
			gr.nu[i] += ut * (gNu + dd*sumD)
		}
	}
}

// positionWeights returns the offset-orbit weights W [nt·F][nOrb] of the
// momentum-orbit weights w (the momentum basis): W_o = Σ_o′ toPos[o][o′] w_o′
// for every time feature and feature.
func (c *CNF) positionWeights(w []float64) []float64 {
	out := make([]float64, len(w))
	n := c.nOrb
	for ab := range len(w) / n {
		wr, or := w[ab*n:(ab+1)*n], out[ab*n:(ab+1)*n]
		for o := range or {
			var sum float64
			for q, m := range c.toPos[o*n : (o+1)*n] {
				sum += m * wr[q]
			}
			or[o] = sum
		}
	}
	return out
}

// cnfMomentumMaps returns the maps between a whole-lattice kernel's weights
// per orbit of offsets, W_o = K(r ∈ o), and per orbit of momenta,
// Ŵ_o′ = K̂(k ∈ o′) = Σ_r K(r) cos(k·r) (K is real and even, so K̂ is real,
// and invariant under the same reflections and axis permutations, so a
// momentum k = 2π n/L has the orbit the offset n has). orbit is the orbit of
// every site index (offsets 0 … V−1 in order). toPos[o][o′] =
// (1/V) Σ_{k ∈ o′} cos(k·r_o) (the inverse transform at a representative
// r_o of o) and toMom[o′][o] = Σ_{r ∈ o} cos(k_o′·r); toMom·toPos is the
// identity (docs/conventions.md §5.19, "Basis").
func cnfMomentumMaps(lat *lattice.Lattice, orbit []int, nOrb int) (toPos, toMom []float64) {
	vol, shape := lat.Volume(), lat.Shape()
	coords := make([][]int, vol)
	for i := range coords {
		coords[i] = lat.Coords(i)
	}
	rep := make([]int, nOrb) // the first site of every orbit
	for o := range rep {
		rep[o] = -1
	}
	for i, o := range orbit {
		if rep[o] < 0 {
			rep[o] = i
		}
	}
	phase := func(k, r int) float64 {
		var p float64
		for mu, l := range shape {
			p += float64(coords[k][mu]*coords[r][mu]%l) / float64(l)
		}
		return math.Cos(2 * math.Pi * p)
	}
	toPos, toMom = make([]float64, nOrb*nOrb), make([]float64, nOrb*nOrb)
	for o, r := range rep {
		for k := range vol {
			toPos[o*nOrb+orbit[k]] += phase(k, r) / float64(vol)
			toMom[o*nOrb+orbit[k]] += phase(r, k)
		}
	}
	return toPos, toMom
}
