package flow

import (
	"math"
	"math/big"
	"sync"
)

// The CNF's single-site features sin(ω φ) and cos(ω φ) (docs/conventions.md
// §5.19, "Features"): math.Sincos branches on the octant of its argument,
// which a field of random signs mispredicts half of the time, and evaluates
// polynomials of degree 13–14. sincosScaled reduces without branches to
// within π/N of a multiple of 2π/N (N = cnfTabN), takes sin and cos of that
// multiple from a table and corrects them by angle addition with short
// series in the small remainder:
//
//	y = w x,   k = round(y · N/2π),   r = y − k·2π/N   (|r| ≤ π/N + ε),
//	sin y = S + (S·(cos r − 1) + C·sin r),   cos y = C + (C·(cos r − 1) − S·sin r),
//
// with (S, C) = (sin, cos)(2π (k mod N)/N). The reduction is Cody & Waite's:
// 2π/N = (π/2)·(4/N) with π/2 = piA + piB + piC, where piA and piB hold 33
// significant bits each (scaling by 4/N, a power of 2, is exact), so k·piA and
// k·piB are exact for |k| < 2^20, y − k·piA is exact (Sterbenz), and piC is
// the rest rounded to float64. On |r| ≤ π/N ≈ 0.0031 the series
//
//	sin r = r + r³ (−1/6 + r²/120),   cos r − 1 = r² (−1/2 + r²/24 − r⁴/720),
//
// are truncated below 2·10⁻¹⁹ relative to sin r (r⁷/5040) and 10⁻¹⁸ absolute
// (r⁸/8!). The table index k mod N is the low bits of k, read off the bit
// pattern of the rounding sum (two's complement). The table is built so that
// entry N − j is (−S_j, C_j) exactly, and the rounding of k is symmetric, so
// the result is exactly odd (sin) and even (cos) in y. Beyond |y| =
// cnfSincosMax (or for ±Inf, NaN) it falls back to math.Sincos.
const (
	cnfPiA       = 0x1.921fb544p+0       // π/2 truncated to 33 bits
	cnfPiB       = 0x1.0b4611a6p-34      // the next 33 bits
	cnfPiC       = 0x1.3198a2e037073p-69 // the rest, rounded
	cnfRnd       = 0x1.8p52              // adding it rounds |t| < 2^51 to an integer
	cnfTabN      = 1024                  // table entries per period 2π
	cnfTabScale  = cnfTabN / (2 * math.Pi)
	cnfTabA      = cnfPiA * 4 / cnfTabN // 2π/N = cnfTabA + cnfTabB + cnfTabC
	cnfTabB      = cnfPiB * 4 / cnfTabN
	cnfTabC      = cnfPiC * 4 / cnfTabN
	cnfSincosMax = 0x1p12 // |k| ≤ 2^12·N/2π + 1 < 2^20
)

// Series coefficients: sin r = r + r³ (s3 + r² s5), cos r − 1 = r² (−1/2 + r² (c4 + r² c6)).
const (
	cnfS3 = -1.0 / 6
	cnfS5 = 1.0 / 120
	cnfC4 = 1.0 / 24
	cnfC6 = -1.0 / 720
)

// cnfSinCosTab returns the table: entry j = (sin, cos)(2πj/N), each
// correctly rounded (from a 128-bit series at an argument of at most π/4, by
// octant symmetry; a float64 argument's own rounding would cost an ulp), and
// entry N − j the mirror image of entry j. It is built on first use.
var cnfSinCosTab = sync.OnceValue(func() *[cnfTabN][2]float64 {
	const q = cnfTabN / 4
	const prec = 128
	pi, _, err := big.ParseFloat("3.14159265358979323846264338327950288419716939937510582097494459", 10, prec, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	// sin and cos of m·(π/2)/q, 0 ≤ m ≤ q/2, by their Taylor series (40 terms:
	// (π/4)^80/80! is far below 2^-128).
	sincos := func(m int) (float64, float64) {
		x := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).Mul(pi, big.NewFloat(float64(m))), big.NewFloat(2*q))
		x2 := new(big.Float).SetPrec(prec).Mul(x, x)
		s, c := new(big.Float).SetPrec(prec).Set(x), new(big.Float).SetPrec(prec).SetInt64(1)
		ts, tc := new(big.Float).SetPrec(prec).Set(x), new(big.Float).SetPrec(prec).SetInt64(1)
		for n := int64(1); n <= 40; n++ {
			ts.Mul(ts, x2).Quo(ts, new(big.Float).SetInt64(-(2*n)*(2*n+1)))
			tc.Mul(tc, x2).Quo(tc, new(big.Float).SetInt64(-(2*n-1)*(2*n)))
			s.Add(s, ts)
			c.Add(c, tc)
		}
		sf, _ := s.Float64()
		cf, _ := c.Float64()
		return sf, cf
	}
	var tab [cnfTabN][2]float64
	for j := 0; j <= cnfTabN/2; j++ {
		quad, m := j/q, j%q
		var s0, c0 float64
		if 2*m <= q {
			s0, c0 = sincos(m)
		} else {
			c0, s0 = sincos(q - m)
		}
		switch quad {
		case 0:
			tab[j] = [2]float64{s0, c0}
		case 1:
			tab[j] = [2]float64{c0, -s0}
		default: // j = N/2
			tab[j] = [2]float64{0, -1}
		}
		if j > 0 && j < cnfTabN/2 {
			tab[cnfTabN-j] = [2]float64{-tab[j][0], tab[j][1]}
		}
	}
	return &tab
})

// sincosScaled writes sn[i] = sin(w·x[i]) and cs[i] = cos(w·x[i]). On amd64
// whole blocks of 8 elements run through the SIMD kernels of sincos_amd64.s
// where the CPU has them (sincosBlocks), which compute every element with
// the same operations as sincosGo and so give bit-identical results; a block
// with an element beyond cnfSincosMax (or ±Inf, NaN), and the last len(x)
// mod 8 elements, run through sincosGo.
func sincosScaled(w float64, x, sn, cs []float64) {
	sn, cs = sn[:len(x)], cs[:len(x)]
	tab := cnfSinCosTab()
	i, n8 := 0, len(x)&^7
	for sincosSIMD() && i < n8 {
		i += sincosBlocks(tab, w, x[i:n8], sn[i:n8], cs[i:n8])
		if i < n8 { // the kernel stopped at a block with a lane out of range
			sincosGo(tab, w, x[i:i+8], sn[i:i+8], cs[i:i+8])
			i += 8
		}
	}
	sincosGo(tab, w, x[i:], sn[i:], cs[i:])
}

// sincosInRange returns sin y and cos y for one |y| ≤ cnfSincosMax: the
// reduction, table lookup, series and angle addition described at the top
// of this file. Every product that is added to or subtracted from is
// converted to float64 explicitly, so that no compiler may fuse it into a
// multiply-add (the Go spec allows fusion otherwise, and does it on
// GOAMD64=v3): each operation rounds once, as the kernels' separate VMULPD,
// VADDPD and VSUBPD do.
func sincosInRange(tab *[cnfTabN][2]float64, y float64) (sin, cos float64) {
	t := float64(y*cnfTabScale) + cnfRnd
	k := t - cnfRnd
	e := &tab[math.Float64bits(t)&(cnfTabN-1)] // k mod N
	r := ((y - float64(k*cnfTabA)) - float64(k*cnfTabB)) - float64(k*cnfTabC)
	z := r * r
	s := r + float64(float64(r*z)*(cnfS3+float64(z*cnfS5)))
	cm1 := z * (-0.5 + float64(z*(cnfC4+float64(z*cnfC6))))
	S, C := e[0], e[1]
	return S + (float64(S*cm1) + float64(C*s)), C + (float64(C*cm1) - float64(S*s))
}

// sincosGo is the portable sincosScaled, element by element (sincosInRange,
// or math.Sincos beyond cnfSincosMax).
func sincosGo(tab *[cnfTabN][2]float64, w float64, x, sn, cs []float64) {
	sn, cs = sn[:len(x)], cs[:len(x)]
	for i, xi := range x {
		y := w * xi
		if !(math.Abs(y) <= cnfSincosMax) {
			sn[i], cs[i] = math.Sincos(y)
			continue
		}
		sn[i], cs[i] = sincosInRange(tab, y)
	}
}

// cnfSincos returns sin y and cos y, as sincosScaled does.
func cnfSincos(y float64) (float64, float64) {
	var s, c [1]float64
	sincosScaled(1, []float64{y}, s[:], c[:])
	return s[0], c[0]
}

// sincosSumCos writes sn[i] = sin(w·x[i]), as sincosScaled does, and returns
// Σ_i cos(w·x[i]) (the divergence needs only that sum, docs/conventions.md
// §5.19). The sum is taken in 8 partial sums, as 8 SIMD lanes take it:
// element i is added to partial p[i mod 8] (each partial in index order,
// starting from +0), and the partials are combined as
//
//	((p0 + p4) + (p1 + p5)) + ((p2 + p6) + (p3 + p7)),
//
// on every path (sincosSumCosRef in the tests spells it out). The AVX-512
// kernel keeps p0…p7 in the 8 lanes of one zmm register, the AVX2 kernel in
// two ymm registers (lanes 0–3 and 4–7); blocks they stop at and the tail run
// through sincosSumGo into the same partials.
func sincosSumCos(w float64, x, sn []float64) float64 {
	sn = sn[:len(x)]
	tab := cnfSinCosTab()
	var p [8]float64
	i, n8 := 0, len(x)&^7
	for sincosSIMD() && i < n8 {
		i += sincosSumBlocks(tab, w, x[i:n8], sn[i:n8], &p)
		if i < n8 { // the kernel stopped at a block with a lane out of range
			sincosSumGo(tab, w, x, sn, i, i+8, &p)
			i += 8
		}
	}
	sincosSumGo(tab, w, x, sn, i, len(x), &p)
	return ((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7]))
}

// sincosSumGo is the portable sincosSumCos on the elements lo ≤ i < hi: it
// writes sn[i] and adds cos(w·x[i]) to p[i mod 8], with the operations of
// sincosGo (sincosInRange).
func sincosSumGo(tab *[cnfTabN][2]float64, w float64, x, sn []float64, lo, hi int, p *[8]float64) {
	x, sn = x[:hi], sn[:hi]
	q := *p // a local copy, which the stores to sn cannot alias
	for i := lo; i < hi; i++ {
		y := w * x[i]
		if !(math.Abs(y) <= cnfSincosMax) {
			s, c := math.Sincos(y)
			sn[i] = s
			q[i&7] += c
			continue
		}
		s, c := sincosInRange(tab, y)
		sn[i] = s
		q[i&7] += c
	}
	*p = q
}
