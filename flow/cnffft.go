package flow

import (
	"math"
	"sync"

	"github.com/normflow/normflow-go/lattice"
)

// An in-place N-d complex FFT for the CNF's convolution (docs/conventions.md
// §5.19, "Convolution"). It is unnormalised in both directions,
//
//	forward:  X(k) = Σ_x c(x) e^{−ik·x},     inverse:  c(x) = Σ_k X(k) e^{+ik·x},
//
// and leaves the spectrum in a permuted order: mode k (in site order) is
// stored at pos[k]. The CNF only multiplies spectra mode by mode, so the
// order never needs undoing: the forward transform is a decimation in
// frequency (natural order in, digit-reversed order out) and the inverse its
// adjoint, stage by stage in reverse, a decimation in time (digit-reversed
// in, natural order out). Each axis of extent n = p_1 p_2 … is factored into
// at most one radix-2 stage (first), radix-4 stages and the odd primes of n
// (3 and 5 with butterflies of their own, larger primes summed directly,
// O(p²) per butterfly).
//
// One DIF stage of radix p on a sub-transform of length m (span s = m/p)
// maps, for 0 ≤ j < s,
//
//	y_r[j] = W_m^{jr} Σ_q x[j + q s] W_p^{qr},   W_m = e^{−2πi/m},
//
// and stores y_r at j + r s; the DFT of length s of the block y_r is then
// X[p k + r]. The inverse stage is its conjugate transpose,
// x[j + q s] = Σ_r conj(W_p^{qr}) conj(W_m^{jr}) y_r[j]. Along axis μ the
// butterflies act on whole rows of the faster axes at once (inner > 1), which
// keeps the memory access contiguous and lets the SIMD kernels of
// cnffft_amd64.s work on several rows' elements at a time.
//
// The last axis (inner = 1) would have no rows to work on, so on a lattice
// with two or more extents > 1 the forward transform, after the second-last
// such axis (extent P, of stride Q), transposes every [P][Q] block of the
// array to [Q][P] and then transforms the last axis (extent Q) as rows of P;
// the inverse does the same in reverse order and transposes back, so it
// returns the natural site order. The spectrum is therefore stored in the
// transposed layout, which pos[] records. Only a lattice with one extent > 1
// runs the scalar line kernels (dif4Line, …) with their per-element twiddles.
type cnfFFTPlan struct {
	vol    int
	axes   []cnfFFTAxis
	pos    []int // pos[k]: where mode k (site order) is stored
	tp, tq int   // transpose [tp][tq] blocks before the last axis (0: none)
	// scratch holds *[]complex128 of tp·tq for a non-square transpose (the
	// plan is shared by the concurrent samples of a CNF).
	scratch sync.Pool
}

// cnfFFTAxis holds the stages of one axis of extent n > 1, in DIF order.
type cnfFFTAxis struct {
	n, inner, outer int
	stages          []cnfFFTStage
}

// cnfFFTStage is one radix-p stage on sub-transforms of length m = p·span.
type cnfFFTStage struct {
	p, span int
	tw      []complex128 // [span][p−1]: W_m^{jr}, r = 1 … p−1
	root    []complex128 // [p]: W_p^q (generic odd radix only)
	// twv and twvConj hold tw and conj(tw) as the SIMD kernels read them
	// (radix 2 and 4 only): W = c + i d as the four float64 c, c, −d, d, so
	// that z·W = z·(c, c) + swap(z)·(−d, d) lane by lane, and conj(W) as
	// c, c, d, −d.
	twv, twvConj []float64
}

// newCNFFFTPlan factors the extents of lat and precomputes the twiddles.
func newCNFFFTPlan(lat *lattice.Lattice) *cnfFFTPlan {
	shape := lat.Shape()
	v := lat.Volume()
	pl := &cnfFFTPlan{vol: v}
	inner := v
	for _, n := range shape {
		inner /= n
		if n == 1 {
			continue
		}
		ax := cnfFFTAxis{n: n, inner: inner, outer: v / (n * inner)}
		m := n
		for _, p := range cnfRadices(n) {
			st := cnfFFTStage{p: p, span: m / p, tw: make([]complex128, (m/p)*(p-1))}
			for j := range st.span {
				for r := 1; r < p; r++ {
					st.tw[j*(p-1)+r-1] = cnfRoot(j*r, m)
				}
			}
			if p == 2 || p == 4 {
				st.twv = make([]float64, 4*len(st.tw))
				st.twvConj = make([]float64, 4*len(st.tw))
				for i, w := range st.tw {
					c, d := real(w), imag(w)
					copy(st.twv[4*i:], []float64{c, c, -d, d})
					copy(st.twvConj[4*i:], []float64{c, c, d, -d})
				}
			}
			if p > 5 {
				st.root = make([]complex128, p)
				for q := range p {
					st.root[q] = cnfRoot(q, p)
				}
			}
			ax.stages = append(ax.stages, st)
			m /= p
		}
		pl.axes = append(pl.axes, ax)
	}
	if na := len(pl.axes); na >= 2 {
		// The second-last axis has stride Q = the last axis' extent (any
		// extents 1 in between change nothing); after the transpose the last
		// axis runs over rows of P.
		p, q := pl.axes[na-2].n, pl.axes[na-1].n
		pl.tp, pl.tq = p, q
		pl.axes[na-1].inner, pl.axes[na-1].outer = p, v/(p*q)
	}
	pl.pos = pl.positions(lat)
	return pl
}

// cnfRadices factors n > 1 into at most one 2 (first, where its span is
// longest), 4s, then odd primes ascending.
func cnfRadices(n int) []int {
	var ps []int
	twos := 0
	for m := n; m%2 == 0; m /= 2 {
		twos++
	}
	if twos%2 == 1 {
		ps = append(ps, 2)
		n /= 2
	}
	for n%4 == 0 {
		ps = append(ps, 4)
		n /= 4
	}
	for p := 3; n > 1; p += 2 {
		for n%p == 0 {
			ps = append(ps, p)
			n /= p
		}
	}
	return ps
}

// cnfRoot returns e^{−2πi a/m}, the angle reduced to a mod m first.
func cnfRoot(a, m int) complex128 {
	s, c := math.Sincos(-2 * math.Pi * float64(a%m) / float64(m))
	return complex(c, s)
}

// positions finds where each mode lands: along one axis, the forward
// transform of the plane wave e^{+2πi k j/n} is n δ at the storage place of
// mode k. Axes are independent, so pos is the product of per-axis tables.
func (pl *cnfFFTPlan) positions(lat *lattice.Lattice) []int {
	shape := lat.Shape()
	perAxis := make([][]int, len(shape))
	ai := 0
	for mu, n := range shape {
		perAxis[mu] = []int{0}
		if n == 1 {
			continue
		}
		one := &cnfFFTPlan{vol: n, axes: []cnfFFTAxis{pl.axes[ai]}}
		one.axes[0].inner, one.axes[0].outer = 1, 1
		ai++
		tab := make([]int, n)
		line := make([]complex128, n)
		for k := range n {
			for j := range line {
				line[j] = complex(real(cnfRoot(j*k, n)), -imag(cnfRoot(j*k, n)))
			}
			one.forward(line)
			best := 0
			for j, z := range line {
				if math.Abs(real(z)) > math.Abs(real(line[best])) {
					best = j
				}
			}
			tab[k] = best
		}
		perAxis[mu] = tab
	}
	// The storage order of the axes, slowest first: the site order, with the
	// last two axes of extent > 1 swapped when the plan transposes them.
	order := make([]int, len(shape))
	var big []int
	for mu, n := range shape {
		order[mu] = mu
		if n > 1 {
			big = append(big, mu)
		}
	}
	if pl.tp > 0 {
		a, b := big[len(big)-2], big[len(big)-1]
		order[a], order[b] = b, a
	}
	pos := make([]int, lat.Volume())
	for k := range pos {
		n := lat.Coords(k)
		p := 0
		for _, mu := range order {
			p = p*shape[mu] + perAxis[mu][n[mu]]
		}
		pos[k] = p
	}
	return pos
}

// forward transforms c [V] in place: natural order in, permuted order out.
func (pl *cnfFFTPlan) forward(c []complex128) {
	for i := range pl.axes {
		if i == len(pl.axes)-1 && pl.tp > 0 {
			pl.transpose(c, pl.tp, pl.tq)
		}
		ax := &pl.axes[i]
		for s := range ax.stages {
			st := &ax.stages[s]
			for o := range ax.outer {
				line := c[o*ax.n*ax.inner : (o+1)*ax.n*ax.inner]
				switch {
				case st.p == 4 && ax.inner == 1:
					dif4Line(line, st.span, st.tw)
				case st.p == 4:
					dif4Rows(line, st.span, ax.inner, st.tw, st.twv)
				case st.p == 2 && ax.inner == 1:
					dif2Line(line, st.span, st.tw)
				case st.p == 2:
					dif2(line, st.span, ax.inner, st.tw, st.twv)
				case st.p == 3:
					dif3(line, st.span, ax.inner, st.tw, false)
				case st.p == 5:
					dif5(line, st.span, ax.inner, st.tw, false)
				default:
					difP(line, st, ax.inner, false)
				}
			}
		}
	}
}

// inverse transforms c [V] in place: permuted order in, natural order out
// (unnormalised: inverse(forward(c)) = V·c).
func (pl *cnfFFTPlan) inverse(c []complex128) {
	for i := len(pl.axes) - 1; i >= 0; i-- {
		ax := &pl.axes[i]
		for s := len(ax.stages) - 1; s >= 0; s-- {
			st := &ax.stages[s]
			for o := range ax.outer {
				line := c[o*ax.n*ax.inner : (o+1)*ax.n*ax.inner]
				switch {
				case st.p == 4 && ax.inner == 1:
					dit4Line(line, st.span, st.tw)
				case st.p == 4:
					dit4Rows(line, st.span, ax.inner, st.tw, st.twvConj)
				case st.p == 2 && ax.inner == 1:
					dit2Line(line, st.span, st.tw)
				case st.p == 2:
					dit2(line, st.span, ax.inner, st.tw, st.twvConj)
				case st.p == 3:
					dif3(line, st.span, ax.inner, st.tw, true)
				case st.p == 5:
					dif5(line, st.span, ax.inner, st.tw, true)
				default:
					difP(line, st, ax.inner, true)
				}
			}
		}
		if i == len(pl.axes)-1 && pl.tp > 0 {
			pl.transpose(c, pl.tq, pl.tp)
		}
	}
}

// transpose turns every [rows][cols] block of c into [cols][rows]: in place
// by swaps when square, through a pooled scratch block otherwise.
func (pl *cnfFFTPlan) transpose(c []complex128, rows, cols int) {
	bs := rows * cols
	if rows == cols {
		for b := 0; b+bs <= len(c); b += bs {
			blk := c[b : b+bs]
			for r := range rows {
				for k := r + 1; k < cols; k++ {
					blk[r*cols+k], blk[k*rows+r] = blk[k*rows+r], blk[r*cols+k]
				}
			}
		}
		return
	}
	sp, ok := pl.scratch.Get().(*[]complex128)
	if !ok {
		s := make([]complex128, bs)
		sp = &s
	}
	tmp := *sp
	for b := 0; b+bs <= len(c); b += bs {
		blk := c[b : b+bs]
		copy(tmp, blk)
		for r := range rows {
			for k := range cols {
				blk[k*rows+r] = tmp[r*cols+k]
			}
		}
	}
	pl.scratch.Put(sp)
}

// cmul returns a·b as Go's complex multiplication defines it, re = a_r b_r −
// a_i b_i, im = a_r b_i + a_i b_r, with every product rounded on its own
// (the explicit float64 conversions forbid the compiler to fuse a product
// and a sum into an FMA, which it may do for GOAMD64=v3 and above): the
// SIMD kernels compute exactly these roundings, so the Go code and the
// kernels agree bit for bit whatever the build settings.
func cmul(a, b complex128) complex128 {
	ar, ai, br, bi := real(a), imag(a), real(b), imag(b)
	return complex(float64(ar*br)-float64(ai*bi), float64(ar*bi)+float64(ai*br))
}

// mulNegI returns −i z.
func mulNegI(z complex128) complex128 { return complex(imag(z), -real(z)) }

// dif4Line is a radix-4 DIF stage on one contiguous line [n]: with
// t0 = x0 + x2, t1 = x0 − x2, t2 = x1 + x3, t3 = x1 − x3 (x_q = x[j + q s]),
// y0 = t0 + t2, y1 = W^j (t1 − i t3), y2 = W^{2j} (t0 − t2), y3 = W^{3j} (t1 + i t3).
func dif4Line(a []complex128, span int, tw []complex128) {
	if span == 1 { // the last stage: no twiddles
		for b := 0; b+4 <= len(a); b += 4 {
			x := a[b : b+4 : b+4]
			t0, t1, t2, t3 := x[0]+x[2], x[0]-x[2], x[1]+x[3], mulNegI(x[1]-x[3])
			x[0], x[1], x[2], x[3] = t0+t2, t1+t3, t0-t2, t1-t3
		}
		return
	}
	m := 4 * span
	tw = tw[:3*span]
	for b := 0; b+m <= len(a); b += m {
		blk := a[b : b+m]
		x0s, x1s, x2s, x3s := blk[:span], blk[span:2*span], blk[2*span:3*span], blk[3*span:m]
		for j := range x0s {
			x0, x1, x2, x3 := x0s[j], x1s[j], x2s[j], x3s[j]
			t0, t1, t2, t3 := x0+x2, x0-x2, x1+x3, mulNegI(x1-x3)
			x0s[j] = t0 + t2
			x1s[j] = cmul(t1+t3, tw[3*j])
			x2s[j] = cmul(t0-t2, tw[3*j+1])
			x3s[j] = cmul(t1-t3, tw[3*j+2])
		}
	}
}

// dit4Line is the adjoint of dif4Line: y_r ← conj(W^{rj}) y_r, then
// x0 = y0 + y1 + y2 + y3, x1 = y0 + i y1 − y2 − i y3, x2 = y0 − y1 + y2 − y3,
// x3 = y0 − i y1 − y2 + i y3.
func dit4Line(a []complex128, span int, tw []complex128) {
	if span == 1 { // the first stage: no twiddles
		for b := 0; b+4 <= len(a); b += 4 {
			y := a[b : b+4 : b+4]
			t0, t1, t2, t3 := y[0]+y[2], y[0]-y[2], y[1]+y[3], mulNegI(y[1]-y[3])
			y[0], y[1], y[2], y[3] = t0+t2, t1-t3, t0-t2, t1+t3
		}
		return
	}
	m := 4 * span
	tw = tw[:3*span]
	for b := 0; b+m <= len(a); b += m {
		blk := a[b : b+m]
		y0s, y1s, y2s, y3s := blk[:span], blk[span:2*span], blk[2*span:3*span], blk[3*span:m]
		for j := range y0s {
			y0 := y0s[j]
			y1 := cmul(y1s[j], cmplxConj(tw[3*j]))
			y2 := cmul(y2s[j], cmplxConj(tw[3*j+1]))
			y3 := cmul(y3s[j], cmplxConj(tw[3*j+2]))
			t0, t1, t2, t3 := y0+y2, y0-y2, y1+y3, mulNegI(y1-y3)
			y0s[j] = t0 + t2
			y1s[j] = t1 - t3
			y2s[j] = t0 - t2
			y3s[j] = t1 + t3
		}
	}
}

// dif4Rows is dif4Line on [n][inner]: every butterfly acts on rows of inner
// values with one twiddle per row (none for j = 0). The first fftVecLen(inner)
// values of each row go to the SIMD kernel (fftDIF4, the same operations on
// 2 or 4 values at a time), the rest to the Go loop below; twv is st.twv.
func dif4Rows(a []complex128, span, inner int, tw []complex128, twv []float64) {
	m := 4 * span
	rs := span * inner
	nv := fftVecLen(inner)
	for b := 0; b+m*inner <= len(a); b += m * inner {
		for j := range span {
			w1, w2, w3 := tw[3*j], tw[3*j+1], tw[3*j+2]
			o := b + j*inner
			if nv > 0 {
				var w *float64
				if j > 0 {
					w = &twv[12*j]
				}
				fftDIF4(&a[o], 16*rs, nv, w)
			}
			x0s := a[o+nv : o+inner]
			x1s := a[o+rs+nv : o+rs+inner]
			x2s := a[o+2*rs+nv : o+2*rs+inner]
			x3s := a[o+3*rs+nv : o+3*rs+inner]
			if j == 0 {
				for i, x0 := range x0s {
					x1, x2, x3 := x1s[i], x2s[i], x3s[i]
					t0, t1, t2, t3 := x0+x2, x0-x2, x1+x3, mulNegI(x1-x3)
					x0s[i], x1s[i], x2s[i], x3s[i] = t0+t2, t1+t3, t0-t2, t1-t3
				}
				continue
			}
			for i, x0 := range x0s {
				x1, x2, x3 := x1s[i], x2s[i], x3s[i]
				t0, t1, t2, t3 := x0+x2, x0-x2, x1+x3, mulNegI(x1-x3)
				x0s[i] = t0 + t2
				x1s[i] = cmul(t1+t3, w1)
				x2s[i] = cmul(t0-t2, w2)
				x3s[i] = cmul(t1-t3, w3)
			}
		}
	}
}

// dit4Rows is the adjoint of dif4Rows; twv is st.twvConj.
func dit4Rows(a []complex128, span, inner int, tw []complex128, twv []float64) {
	m := 4 * span
	rs := span * inner
	nv := fftVecLen(inner)
	for b := 0; b+m*inner <= len(a); b += m * inner {
		for j := range span {
			w1, w2, w3 := cmplxConj(tw[3*j]), cmplxConj(tw[3*j+1]), cmplxConj(tw[3*j+2])
			o := b + j*inner
			if nv > 0 {
				var w *float64
				if j > 0 {
					w = &twv[12*j]
				}
				fftDIT4(&a[o], 16*rs, nv, w)
			}
			y0s := a[o+nv : o+inner]
			y1s := a[o+rs+nv : o+rs+inner]
			y2s := a[o+2*rs+nv : o+2*rs+inner]
			y3s := a[o+3*rs+nv : o+3*rs+inner]
			if j == 0 {
				for i, y0 := range y0s {
					y1, y2, y3 := y1s[i], y2s[i], y3s[i]
					t0, t1, t2, t3 := y0+y2, y0-y2, y1+y3, mulNegI(y1-y3)
					y0s[i], y1s[i], y2s[i], y3s[i] = t0+t2, t1-t3, t0-t2, t1+t3
				}
				continue
			}
			for i, y0 := range y0s {
				y1, y2, y3 := cmul(y1s[i], w1), cmul(y2s[i], w2), cmul(y3s[i], w3)
				t0, t1, t2, t3 := y0+y2, y0-y2, y1+y3, mulNegI(y1-y3)
				y0s[i], y1s[i], y2s[i], y3s[i] = t0+t2, t1-t3, t0-t2, t1+t3
			}
		}
	}
}

// dif2 is a radix-2 DIF stage on [n][inner]: y0 = x0 + x1, y1 = W^j (x0 − x1)
// (multiplied also for j = 0, W^0 = 1); SIMD kernel fftDIF2 as in dif4Rows.
func dif2(a []complex128, span, inner int, tw []complex128, twv []float64) {
	m := 2 * span
	rs := span * inner
	nv := fftVecLen(inner)
	for b := 0; b+m*inner <= len(a); b += m * inner {
		for j := range span {
			w := tw[j]
			o := b + j*inner
			if nv > 0 {
				fftDIF2(&a[o], 16*rs, nv, &twv[4*j])
			}
			x0s, x1s := a[o+nv:o+inner], a[o+rs+nv:o+rs+inner]
			for i, x0 := range x0s {
				x1 := x1s[i]
				x0s[i], x1s[i] = x0+x1, cmul(x0-x1, w)
			}
		}
	}
}

// dif2Line is dif2 on one contiguous line [n].
func dif2Line(a []complex128, span int, tw []complex128) {
	m := 2 * span
	tw = tw[:span]
	for b := 0; b+m <= len(a); b += m {
		x0s, x1s := a[b:b+span], a[b+span:b+m]
		for j, x0 := range x0s {
			x1 := x1s[j]
			x0s[j], x1s[j] = x0+x1, cmul(x0-x1, tw[j])
		}
	}
}

// dit2Line is dit2 on one contiguous line [n].
func dit2Line(a []complex128, span int, tw []complex128) {
	m := 2 * span
	tw = tw[:span]
	for b := 0; b+m <= len(a); b += m {
		y0s, y1s := a[b:b+span], a[b+span:b+m]
		for j, y0 := range y0s {
			y1 := cmul(y1s[j], cmplxConj(tw[j]))
			y0s[j], y1s[j] = y0+y1, y0-y1
		}
	}
}

// dit2 is the adjoint of dif2: x0 = y0 + conj(W^j) y1, x1 = y0 − conj(W^j) y1;
// twv is st.twvConj.
func dit2(a []complex128, span, inner int, tw []complex128, twv []float64) {
	m := 2 * span
	rs := span * inner
	nv := fftVecLen(inner)
	for b := 0; b+m*inner <= len(a); b += m * inner {
		for j := range span {
			w := cmplxConj(tw[j])
			o := b + j*inner
			if nv > 0 {
				fftDIT2(&a[o], 16*rs, nv, &twv[4*j])
			}
			y0s, y1s := a[o+nv:o+inner], a[o+rs+nv:o+rs+inner]
			for i, y0 := range y0s {
				y1 := cmul(y1s[i], w)
				y0s[i], y1s[i] = y0+y1, y0-y1
			}
		}
	}
}

// mulI returns i z.
func mulI(z complex128) complex128 { return complex(-imag(z), real(z)) }

// Radix-3 and radix-5 constants: cos and sin of 2π/3, 2π/5 and 4π/5.
var (
	cnfSqrt3h = math.Sqrt(3) / 2
	cnfC51    = math.Cos(2 * math.Pi / 5)
	cnfC52    = math.Cos(4 * math.Pi / 5)
	cnfS51    = math.Sin(2 * math.Pi / 5)
	cnfS52    = math.Sin(4 * math.Pi / 5)
)

// dif3 is a radix-3 stage on [n][inner], or with adjoint its conjugate
// transpose. With W_3 = −½ − i√3/2, t1 = x1 + x2, t2 = x1 − x2:
// y0 = x0 + t1, y1,2 = x0 − t1/2 ∓ i(√3/2) t2 (then the twiddles); the
// adjoint undoes the twiddles first and flips the sign of i.
func dif3(a []complex128, span, inner int, tw []complex128, adjoint bool) {
	m := 3 * span
	rs := span * inner
	for b := 0; b+m*inner <= len(a); b += m * inner {
		for j := range span {
			w1, w2 := tw[2*j], tw[2*j+1]
			if adjoint {
				w1, w2 = cmplxConj(w1), cmplxConj(w2)
			}
			o := b + j*inner
			x0s, x1s, x2s := a[o:o+inner], a[o+rs:o+rs+inner], a[o+2*rs:o+2*rs+inner]
			for i, x0 := range x0s {
				x1, x2 := x1s[i], x2s[i]
				if adjoint {
					x1, x2 = cmul(x1, w1), cmul(x2, w2)
				}
				t1, t2 := x1+x2, x1-x2
				h := x0 - cmul(complex(0.5, 0), t1)
				u := cmul(complex(cnfSqrt3h, 0), mulNegI(t2)) // −i(√3/2) t2
				if adjoint {
					u = -u
				}
				x0s[i] = x0 + t1
				if adjoint {
					x1s[i], x2s[i] = h+u, h-u
				} else {
					x1s[i], x2s[i] = cmul(h+u, w1), cmul(h-u, w2)
				}
			}
		}
	}
}

// dif5 is a radix-5 stage on [n][inner], or with adjoint its conjugate
// transpose. With t1 = x1 + x4, t2 = x2 + x3, t3 = x1 − x4, t4 = x2 − x3 and
// c_k = cos(2πk/5), s_k = sin(2πk/5): y0 = x0 + t1 + t2,
// y1,4 = x0 + c1 t1 + c2 t2 ∓ i(s1 t3 + s2 t4),
// y2,3 = x0 + c2 t1 + c1 t2 ∓ i(s2 t3 − s1 t4) (then the twiddles); the
// adjoint undoes the twiddles first and flips the sign of i.
func dif5(a []complex128, span, inner int, tw []complex128, adjoint bool) {
	m := 5 * span
	rs := span * inner
	var w [4]complex128
	for b := 0; b+m*inner <= len(a); b += m * inner {
		for j := range span {
			copy(w[:], tw[4*j:4*j+4])
			if adjoint {
				for r := range w {
					w[r] = cmplxConj(w[r])
				}
			}
			o := b + j*inner
			x0s := a[o : o+inner]
			x1s := a[o+rs : o+rs+inner]
			x2s := a[o+2*rs : o+2*rs+inner]
			x3s := a[o+3*rs : o+3*rs+inner]
			x4s := a[o+4*rs : o+4*rs+inner]
			for i, x0 := range x0s {
				x1, x2, x3, x4 := x1s[i], x2s[i], x3s[i], x4s[i]
				if adjoint {
					x1, x2, x3, x4 = cmul(x1, w[0]), cmul(x2, w[1]), cmul(x3, w[2]), cmul(x4, w[3])
				}
				t1, t2, t3, t4 := x1+x4, x2+x3, x1-x4, x2-x3
				a1 := x0 + cmul(complex(cnfC51, 0), t1) + cmul(complex(cnfC52, 0), t2)
				a2 := x0 + cmul(complex(cnfC52, 0), t1) + cmul(complex(cnfC51, 0), t2)
				b1 := mulNegI(cmul(complex(cnfS51, 0), t3) + cmul(complex(cnfS52, 0), t4))
				b2 := mulNegI(cmul(complex(cnfS52, 0), t3) - cmul(complex(cnfS51, 0), t4))
				if adjoint {
					b1, b2 = -b1, -b2
				}
				x0s[i] = x0 + t1 + t2
				if adjoint {
					x1s[i], x2s[i], x3s[i], x4s[i] = a1+b1, a2+b2, a2-b2, a1-b1
				} else {
					x1s[i], x2s[i], x3s[i], x4s[i] = cmul(a1+b1, w[0]), cmul(a2+b2, w[1]), cmul(a2-b2, w[2]), cmul(a1-b1, w[3])
				}
			}
		}
	}
}

// difP is a generic radix-p stage on [n][inner], summed directly: the DIF
// stage, or with adjoint its conjugate transpose.
func difP(a []complex128, st *cnfFFTStage, inner int, adjoint bool) {
	p, span := st.p, st.span
	m := p * span
	rs := span * inner
	var small [16]complex128
	x := small[:0]
	if p <= len(small) {
		x = small[:p]
	} else {
		x = make([]complex128, p)
	}
	for b := 0; b+m*inner <= len(a); b += m * inner {
		for j := range span {
			tw := st.tw[j*(p-1) : (j+1)*(p-1)]
			for i := range inner {
				o := b + j*inner + i
				for q := range p {
					x[q] = a[o+q*rs]
				}
				if adjoint {
					for r := 1; r < p; r++ {
						x[r] = cmul(x[r], cmplxConj(tw[r-1]))
					}
				}
				for r := range p {
					var s complex128
					for q, xq := range x {
						w := st.root[q*r%p]
						if adjoint {
							w = cmplxConj(w)
						}
						s += cmul(xq, w)
					}
					if !adjoint && r > 0 {
						s = cmul(s, tw[r-1])
					}
					a[o+r*rs] = s
				}
			}
		}
	}
}

func cmplxConj(z complex128) complex128 { return complex(real(z), -imag(z)) }
