package flow

import (
	"slices"

	"github.com/normflow/normflow-go/lattice"
)

// The kernel of the CNF layer (docs/conventions.md §5.19): its support, the
// orbits of its offsets under the lattice's reflections and axis
// permutations, and the two ways of applying it, by FFT and directly.

// cnfOrbits lists the offsets r of a kernel of the given extent (0: the whole
// lattice) on lat and the orbit of each. An offset is the site index of its
// coordinates (d_0, …, d_{n−1}), 0 ≤ d_μ < L_μ. A reflection of axis μ maps
// d_μ to L_μ − d_μ (mod L_μ), so the folded value e_μ = min(d_μ, L_μ − d_μ) is
// invariant (d_μ = L_μ/2 on an even axis is its own mirror image); an axis
// permutation is a symmetry only between axes of equal length, and it
// permutes their folded values. The orbit of r is therefore labelled by its
// folded values with those of each set of equal-length axes sorted. The
// support (all e_μ ≤ extent) is a union of orbits. Orbit 0 is the offset 0
// alone; orbits are numbered in order of their first offset.
func cnfOrbits(lat *lattice.Lattice, extent int) (offsets, orbit []int, nOrb int) {
	shape := lat.Shape()
	ids := map[string]int{}
	for r := range lat.Volume() {
		key, in := cnfOrbitLabel(shape, lat.Coords(r), extent)
		if !in {
			continue
		}
		k := string(intsKey(key))
		id, ok := ids[k]
		if !ok {
			id = len(ids)
			ids[k] = id
		}
		offsets = append(offsets, r)
		orbit = append(orbit, id)
	}
	return offsets, orbit, len(ids)
}

// cnfOrbitLabel returns the label of the orbit of the offset with
// coordinates d (modified): its folded values e_μ = min(d_μ, L_μ − d_μ), those
// of each class of equal-length axes sorted (axis μ gets the j-th smallest
// value of its class if it is the j-th axis of the class), and whether the
// offset lies in the support of a kernel of the given extent (0: all).
func cnfOrbitLabel(shape, d []int, extent int) ([]int, bool) {
	in := true
	for mu, l := range shape {
		d[mu] = min(d[mu], l-d[mu])
		if extent > 0 && d[mu] > extent {
			in = false
		}
	}
	key := make([]int, len(shape))
	for mu, l := range shape {
		var class []int
		for nu, m := range shape {
			if m == l {
				class = append(class, d[nu])
			}
		}
		slices.Sort(class)
		j := 0
		for nu := range mu {
			if shape[nu] == l {
				j++
			}
		}
		key[mu] = class[j]
	}
	return key, in
}

// intsKey encodes small non-negative integers as a map key.
func intsKey(xs []int) []byte {
	b := make([]byte, 0, 4*len(xs))
	for _, x := range xs {
		b = append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
	}
	return b
}

// cnfConv applies the translation-invariant kernel of one stage, given in its
// own representation kt[b] (length m() each), to the F feature channels of one
// sample. The kernel is even, K(−r) = K(r), since r and −r share an orbit.
type cnfConv interface {
	// m is the length of one channel of a kernel representation.
	m() int
	// kernel writes the representation of the real-space kernel k (on the
	// support offsets, length len(offsets)) into out (length m()).
	kernel(k []float64, out []float64)
	// apply writes out_x = Σ_b Σ_y K_b(x−y) f_b(y).
	apply(kt, feats [][]float64, out []float64, w *cnfWork)
	// backward writes conv_b(y) = Σ_x K_b(x−y) u_x for every b and, when
	// r is not nil, adds to r_b the cotangent of K_b's representation for
	// the cotangent u of out, i.e. the correlation Σ_x u_x f_b(x − r).
	backward(kt [][]float64, u []float64, feats, conv, r [][]float64, w *cnfWork)
	// project adds to g (one value per support offset) the cotangents of the
	// real-space kernel for the cotangent a of its representation.
	project(a, g []float64)
}

// cnfDirect sums over the support offsets: out_x = Σ_j K_b(r_j) f_b(x − r_j).
// Its representation is the kernel on the support offsets itself.
type cnfDirect struct {
	vol   int
	shift [][]int32 // shift[j][x]: the site x − r_j
}

func newCNFDirect(lat *lattice.Lattice, offsets []int) *cnfDirect {
	v := lat.Volume()
	shape := lat.Shape()
	c := &cnfDirect{vol: v, shift: make([][]int32, len(offsets))}
	y := make([]int, len(shape))
	for j, r := range offsets {
		d := lat.Coords(r)
		s := make([]int32, v)
		for x := range v {
			xc := lat.Coords(x)
			for mu, l := range shape {
				y[mu] = (xc[mu] - d[mu] + l) % l
			}
			s[x] = int32(lat.Index(y))
		}
		c.shift[j] = s
	}
	return c
}

func (c *cnfDirect) m() int                            { return len(c.shift) }
func (c *cnfDirect) kernel(k []float64, out []float64) { copy(out, k) }
func (c *cnfDirect) project(a, g []float64) {
	for j, v := range a {
		g[j] += v
	}
}

func (c *cnfDirect) apply(kt, feats [][]float64, out []float64, _ *cnfWork) {
	clear(out)
	for j, idx := range c.shift {
		for b, f := range feats {
			k := kt[b][j]
			if k == 0 {
				continue
			}
			for x, i := range idx {
				out[x] += k * f[i]
			}
		}
	}
}

// backward: with K even, Σ_x K(x−y) u_x = Σ_j K(r_j) u(y − r_j).
func (c *cnfDirect) backward(kt [][]float64, u []float64, feats, conv, r [][]float64, _ *cnfWork) {
	for _, cb := range conv {
		clear(cb)
	}
	for j, idx := range c.shift {
		for b, cb := range conv {
			if k := kt[b][j]; k != 0 {
				for y, i := range idx {
					cb[y] += k * u[i]
				}
			}
			if r != nil {
				f := feats[b]
				var s float64
				for x, i := range idx {
					s += u[x] * f[i]
				}
				r[b][j] += s
			}
		}
	}
}

// cnfFFT convolves in momentum space: out = IFFT(Σ_b K̂_b · FFT f_b), with K̂_b
// real (K is real and even). Two real channels share one complex transform:
// for z = f_a + i f_b, Re IFFT((K̂_a − i K̂_b)·FFT z) = K_a∗f_a + K_b∗f_b, and for
// u real, IFFT((K̂_a + i K̂_b)·FFT u) = K_a∗u + i K_b∗u. The transforms are those
// of cnfFFTPlan, unnormalised and with the spectrum in the plan's permuted
// order; the representation is K̂(k)/V in that order, so no pass reorders or
// normalises.
type cnfFFT struct {
	plan    *cnfFFTPlan
	vol     int
	offsets []int // the support offsets
	neg     []int // neg[i]: where the mode −k is stored, for the mode k stored at i
}

func newCNFFFT(lat *lattice.Lattice, offsets []int) *cnfFFT {
	v := lat.Volume()
	shape := lat.Shape()
	c := &cnfFFT{plan: newCNFFFTPlan(lat), vol: v, offsets: offsets, neg: make([]int, v)}
	y := make([]int, len(shape))
	for k := range v {
		n := lat.Coords(k)
		for mu, l := range shape {
			y[mu] = (l - n[mu]) % l
		}
		c.neg[c.plan.pos[k]] = c.plan.pos[lat.Index(y)]
	}
	return c
}

func (c *cnfFFT) m() int { return c.vol }

func (c *cnfFFT) kernel(k []float64, out []float64) {
	z := make([]complex128, c.vol)
	inv := 1 / float64(c.vol)
	for j, r := range c.offsets {
		z[r] = complex(k[j]*inv, 0)
	}
	c.plan.forward(z)
	for i, v := range z {
		out[i] = real(v)
	}
}

// project: the representation is K̂(k)/V, so the cotangent of K(r) is
// (1/V) Σ_k a(k) e^{−ik·r}; with a(k) even in k (it is the real part of
// F̂_b·conj Û summed over samples) that is (1/V) Re Σ_k a(k) e^{+ik·r}, the
// unnormalised inverse, up to a part odd in r, which cancels in the orbit sums.
func (c *cnfFFT) project(a, g []float64) {
	z := make([]complex128, c.vol)
	for i, v := range a {
		z[i] = complex(v, 0)
	}
	c.plan.inverse(z)
	inv := 1 / float64(c.vol)
	for j, r := range c.offsets {
		g[j] += real(z[r]) * inv
	}
}

func (c *cnfFFT) apply(kt, feats [][]float64, out []float64, w *cnfWork) {
	acc, z := w.acc, w.z
	clear(acc)
	for b := 0; b < len(feats); b += 2 {
		fa, ka := feats[b], kt[b]
		if b+1 == len(feats) {
			for x, v := range fa {
				z[x] = complex(v, 0)
			}
			c.plan.forward(z)
			for k, v := range z {
				acc[k] += complex(ka[k]*real(v), ka[k]*imag(v))
			}
			continue
		}
		fb, kb := feats[b+1], kt[b+1]
		for x, v := range fa {
			z[x] = complex(v, fb[x])
		}
		c.plan.forward(z)
		cnfMulAcc(acc, ka, kb, z)
	}
	c.plan.inverse(acc)
	for x, v := range acc {
		out[x] = real(v)
	}
}

func (c *cnfFFT) backward(kt [][]float64, u []float64, feats, conv, r [][]float64, w *cnfWork) {
	U, z := w.acc, w.z
	for x, v := range u {
		U[x] = complex(v, 0)
	}
	c.plan.forward(U)
	for b := 0; b < len(conv); b += 2 {
		ka := kt[b]
		pair := b+1 < len(conv)
		for k, v := range U {
			if pair {
				z[k] = cmul(complex(ka[k], kt[b+1][k]), v)
			} else {
				z[k] = complex(ka[k]*real(v), ka[k]*imag(v))
			}
		}
		c.plan.inverse(z)
		for y, v := range z {
			conv[b][y] = real(v)
		}
		if pair {
			for y, v := range z {
				conv[b+1][y] = imag(v)
			}
		}
		if r == nil {
			continue
		}
		// Re(F̂_b conj Û) per mode; a pair's spectra are separated by
		// F̂_a = (Z(k) + conj Z(−k))/2, F̂_b = (Z(k) − conj Z(−k))/(2i).
		fa := feats[b]
		if !pair {
			for x, v := range fa {
				z[x] = complex(v, 0)
			}
			c.plan.forward(z)
			ra := r[b]
			for k, v := range z {
				ra[k] += real(v)*real(U[k]) + imag(v)*imag(U[k])
			}
			continue
		}
		fb := feats[b+1]
		for x, v := range fa {
			z[x] = complex(v, fb[x])
		}
		c.plan.forward(z)
		ra, rb := r[b], r[b+1]
		for k, v := range z {
			m := z[c.neg[k]]
			ur, ui := real(U[k]), imag(U[k])
			// F̂_a = ((re+re'), (im−im'))/2, F̂_b = ((im+im'), −(re−re'))/2
			// with Z(k) = re + i im and Z(−k) = re' + i im'.
			ar, ai := real(v)+real(m), imag(v)-imag(m)
			br, bi := imag(v)+imag(m), real(m)-real(v)
			ra[k] += 0.5 * (ar*ur + ai*ui)
			rb[k] += 0.5 * (br*ur + bi*ui)
		}
	}
}

// cnfMulAcc is acc[k] += complex(ka[k], −kb[k])·z[k], the leading values by
// the SIMD kernel fftMulAcc (bit-identical), the rest by the Go loop.
func cnfMulAcc(acc []complex128, ka, kb []float64, z []complex128) {
	n := len(z)
	acc, ka, kb = acc[:n], ka[:n], kb[:n]
	nv := fftVecLen(n)
	if nv > 0 {
		fftMulAcc(&acc[0], &ka[0], &kb[0], &z[0], nv)
	}
	for k := nv; k < n; k++ {
		acc[k] += cmul(complex(ka[k], -kb[k]), z[k])
	}
}
