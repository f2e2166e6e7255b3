package flow

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/normflow/normflow-go/fft"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/spline"
)

// FourierInitLogSlope is the initial value of Fourier.LogSlope: e^{−5} ≈ 0.0067,
// so that at initialisation 1 ≥ w(k) ≥ (1+e^{−5})^{−1/2} ≈ 0.9966 (see Fourier).
const FourierInitLogSlope = -5

// Fourier is the power-spectral-density block (Komijani; docs/conventions.md §5.11) for a
// single-channel field x [batch, V] on a lattice:
//
//	y = IFFT( w(k) · FFT(x) ),   w(k) = ipsd(q_k)^{−1/2},
//	q_k = k̂²(k) / max_k' k̂²(k') ∈ [0,1],   k̂² = Σ_μ 4 sin²(k_μ/2),
//
// with the trainable inverse power spectral density
//
//	ipsd(q) = e^{pa} · (1 + e^{pc} · S(q)),
//
// where S is a rational-quadratic spline on [0,1] → [0,1] (package spline;
// monotone increasing, S(0) = 0, S(1) = 1, the identity at zero parameters),
// pa = LogScale and pc = LogSlope. ipsd is positive (≥ e^{pa}) and
// increasing in q, so w is positive and decreasing in k̂², and it depends on k
// only through k̂². The free propagator is exactly representable: with S the
// identity, e^{pa} = m² and e^{pc} = max k̂²/m² one has ipsd = k̂² + m², i.e.
// w(k) = 1/√(k̂² + m²), and y = IFFT(w·FFT z) of white noise z ~ N(0,1) has the
// free-field covariance (−∇² + m²)^{−1}.
//
// Initialisation. The identity (w ≡ 1) would need e^{pc} = 0: at that point the
// monotonicity constraint is active, and any smooth parametrisation of a
// non-negative slope has a vanishing gradient there, so the exact identity
// cannot be a trainable starting point. NewFourier therefore starts with all
// spline parameters and pa zero and pc = FourierInitLogSlope, giving
// ipsd(q) = 1 + e^{−5} q and w(k) ∈ [0.9966, 1]: the identity to 0.34 %.
// pa and pc are logarithms (not softplus_β arguments) so that a fixed step of
// the optimiser changes the mass and the slope by a fixed factor over the many
// decades they may need to travel.
//
// Jacobian. For real x the map is x ↦ A x with the V×V real matrix
// A = F⁻¹ diag(w) F (F the DFT matrix). As a complex matrix A has the plane
// waves e^{ik·x} as eigenvectors with eigenvalues w(k), k over all V modes;
// since w(−k) = w(k) (k̂² is even in k) A is real and symmetric:
// A_{xy} = (1/V) Σ_k w(k) e^{ik(x−y)} = (1/V) Σ_k w(k) cos(k(x−y)). The
// determinant of a real matrix is the product of its complex eigenvalues, so
//
//	log|det ∂y/∂x| = Σ_k log w(k)   (all V modes; the same for every sample).
//
// (The V real degrees of freedom of a real field are in one-to-one
// correspondence with the V modes: pairs (k, −k) carry Re and Im of one complex
// amplitude, self-conjugate modes one real amplitude.) With ExcludeZeroMode,
// w(0) = 1: the zero mode is untouched and does not enter logJ (use it after
// MeanField, which transforms the zero mode).
//
// VJPs. Since A is symmetric, the input cotangent is A·ḡ_y (forward) and
// A⁻¹·ḡ_x (inverse). For the weights, with L = Σ ḡ_y·y + Σ_b ḡ_{logJ,b} logJ_b
// and the fft adjoint Inverse† = Forward/V,
//
//	∂L/∂w(k) = Σ_b [ Re( conj(X_b(k)) G_b(k) ) / V + ḡ_{logJ,b} / w(k) ],
//	X_b = FFT(x_b), G_b = FFT(ḡ_{y,b}),
//
// i.e. ∂L/∂log w(k) = Σ_b [ Re(conj(Y_b(k)) G_b(k))/V + ḡ_{logJ,b} ] with
// Y_b = w X_b = FFT(y_b) the output spectrum. For the inverse x = A⁻¹y,
// logJ = −Σ log w, the same formula holds with the output spectrum FFT(x_b)
// and an overall minus sign. Then log w = −½ log ipsd is differentiated into
// pa, pc and (through spline.ForwardVJP/ParamsVJP) the spline parameters.
type Fourier struct {
	Knots           int
	ExcludeZeroMode bool
	// Widths (K−1), Heights (K−1), Derivs (K): the ipsd spline's unconstrained
	// parameters; LogScale (1) = pa, LogSlope (1) = pc (see the type comment).
	Widths, Heights, Derivs *nn.Param
	LogScale, LogSlope      *nn.Param

	plan *fft.Plan
	vol  int
	q    []float64 // normalised k̂² per mode, site order

	cache atomic.Pointer[fourierCache]
	bufs  sync.Pool // *[]complex128
}

// fourierCache holds the weights of the parameter values they were built from.
type fourierCache struct {
	params []float64 // widths, heights, derivs, pa, pc
	sp     *spline.Spline
	s      []float64 // S(q_k)
	w      []float64 // w(k)
	sumLog float64   // Σ_k log w(k) (zero mode left out when excluded)
}

// NewFourier makes a Fourier block on lattice lat with a knots ≥ 2 ipsd spline,
// initialised as described in the type comment. Parameter names start with name.
func NewFourier(name string, lat *lattice.Lattice, knots int, excludeZeroMode bool) (*Fourier, error) {
	if knots < 2 {
		return nil, fmt.Errorf("fourier: knots = %d: must be at least 2", knots)
	}
	f := &Fourier{
		Knots: knots, ExcludeZeroMode: excludeZeroMode,
		Widths:   nn.NewParam(name+".ipsd.widths", knots-1),
		Heights:  nn.NewParam(name+".ipsd.heights", knots-1),
		Derivs:   nn.NewParam(name+".ipsd.derivs", knots),
		LogScale: nn.NewParam(name+".ipsd.logscale", 1),
		LogSlope: nn.NewParam(name+".ipsd.logslope", 1),
		plan:     fft.NewPlan(lat),
		vol:      lat.Volume(),
	}
	f.LogSlope.Value[0] = FourierInitLogSlope
	f.q = fft.MomentumSquared(lat)
	if m := slices.Max(f.q); m > 0 {
		for i := range f.q {
			f.q[i] = min(f.q[i]/m, 1)
		}
	}
	return f, nil
}

// Params lists the trainable parameters.
func (f *Fourier) Params() []*nn.Param {
	return []*nn.Param{f.Widths, f.Heights, f.Derivs, f.LogScale, f.LogSlope}
}

// Q returns a copy of the normalised momentum squared q_k ∈ [0,1] of every
// mode (site order, as fft.Plan.Forward lays out the spectrum).
func (f *Fourier) Q() []float64 { return slices.Clone(f.q) }

// Weights returns a copy of the current w(k) for every mode (site order).
func (f *Fourier) Weights() []float64 { return slices.Clone(f.weights().w) }

// weights returns the weights of the current parameters, rebuilt only when
// they changed; the result is read-only and may be shared by concurrent passes.
func (f *Fourier) weights() *fourierCache {
	wd, ht, dv := f.Widths.Value, f.Heights.Value, f.Derivs.Value
	pa, pc := f.LogScale.Value[0], f.LogSlope.Value[0]
	if c := f.cache.Load(); c != nil {
		p := c.params
		n := len(p) - 2
		if p[n] == pa && p[n+1] == pc && slices.Equal(p[:len(wd)], wd) &&
			slices.Equal(p[len(wd):len(wd)+len(ht)], ht) && slices.Equal(p[len(wd)+len(ht):n], dv) {
			return c
		}
	}
	sp := spline.New(f.Knots)
	sp.SetParams(wd, ht, dv, 0, 1, 0, 1, false)
	c := &fourierCache{
		params: slices.Concat(wd, ht, dv, []float64{pa, pc}),
		sp:     sp,
		s:      make([]float64, f.vol),
		w:      make([]float64, f.vol),
	}
	ec := math.Exp(pc)
	for k, q := range f.q {
		if f.ExcludeZeroMode && k == 0 {
			c.w[k] = 1
			continue
		}
		s, _ := sp.Forward(q)
		lw := -0.5 * (pa + math.Log1p(ec*s))
		c.s[k], c.w[k] = s, math.Exp(lw)
		c.sumLog += lw
	}
	f.cache.Store(c)
	return c
}

// spectrum returns a complex scratch buffer of length n from the pool.
func (f *Fourier) spectrum(n int) *[]complex128 {
	if p, ok := f.bufs.Get().(*[]complex128); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]complex128, n)
	return &s
}

// Forward maps x to y = IFFT(w · FFT x), adding Σ_k log w(k) to every logJ.
func (f *Fourier) Forward(tape *Tape, x, y, logJ []float64) { f.apply(tape, x, y, logJ, false) }

// Inverse maps y to x = IFFT(FFT y / w), adding −Σ_k log w(k) to every logJ.
func (f *Fourier) Inverse(tape *Tape, y, x, logJ []float64) { f.apply(tape, y, x, logJ, true) }

func (f *Fourier) apply(tape *Tape, in, out, logJ []float64, inverse bool) {
	c := f.weights()
	v := f.vol
	if len(in) != len(logJ)*v {
		panic(fmt.Sprintf("fourier: input length %d is not batch %d × volume %d", len(in), len(logJ), v))
	}
	n := len(in)
	bp := f.spectrum(n)
	X := *bp
	f.plan.Forward(in, X)
	for i := range X {
		wk := c.w[i%v]
		if inverse {
			X[i] = complex(real(X[i])/wk, imag(X[i])/wk)
		} else {
			X[i] = complex(real(X[i])*wk, imag(X[i])*wk)
		}
	}
	// The output spectrum is kept (re, im interleaved) for the weight VJP.
	var spec []float64
	if tape != nil {
		spec = tape.Floats(2 * n)
		for i, z := range X {
			spec[2*i], spec[2*i+1] = real(z), imag(z)
		}
	}
	f.plan.Inverse(X, out)
	f.bufs.Put(bp)
	lj := c.sumLog
	if inverse {
		lj = -lj
	}
	for b := range logJ {
		logJ[b] += lj
	}
	if tape == nil {
		return
	}
	tape.Push(func(dout, dlogJ, din []float64, grads *nn.Grads) {
		bp := f.spectrum(n)
		G := *bp
		f.plan.Forward(dout, G)
		if grads != nil {
			// glw[k] = ∂L/∂log w(k) (sign of the inverse applied below).
			glw := make([]float64, v)
			var gl float64
			for _, g := range dlogJ {
				gl += g
			}
			inv := 1 / float64(v)
			for i, g := range G {
				glw[i%v] += (spec[2*i]*real(g) + spec[2*i+1]*imag(g)) * inv
			}
			sign := 1.0
			if inverse {
				sign = -1
			}
			for k := range glw {
				glw[k] = sign * (glw[k] + gl)
			}
			f.paramGrads(c, glw, grads)
		}
		for i := range G {
			wk := c.w[i%v]
			if inverse {
				G[i] = complex(real(G[i])/wk, imag(G[i])/wk)
			} else {
				G[i] = complex(real(G[i])*wk, imag(G[i])*wk)
			}
		}
		f.plan.Inverse(G, din)
		f.bufs.Put(bp)
	})
}

// paramGrads maps glw[k] = ∂L/∂log w(k) to the parameters, using
// log w = −½ [pa + log(1 + e^{pc} S(q))].
func (f *Fourier) paramGrads(c *fourierCache, glw []float64, grads *nn.Grads) {
	gX, gY, gD := make([]float64, f.Knots), make([]float64, f.Knots), make([]float64, f.Knots)
	ec := math.Exp(c.params[len(c.params)-1])
	var gpa, gpc float64
	for k, g := range glw {
		if f.ExcludeZeroMode && k == 0 {
			continue
		}
		gli := -0.5 * g // ∂L/∂log ipsd
		s := c.s[k]
		r := ec / (1 + ec*s)
		gpa += gli
		gpc += gli * s * r
		c.sp.ForwardVJP(f.q[k], gli*r, 0, gX, gY, gD)
	}
	c.sp.ParamsVJP(gX, gY, gD, grads.Of(f.Widths), grads.Of(f.Heights), grads.Of(f.Derivs))
	if g := grads.Of(f.LogScale); g != nil {
		g[0] += gpa
	}
	if g := grads.Of(f.LogSlope); g != nil {
		g[0] += gpc
	}
}
