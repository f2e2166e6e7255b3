package flow

import "math"

// The CNF's single-site features sin(ω φ) and cos(ω φ) (docs/conventions.md
// §5.19, "Speed"): math.Sincos branches on the octant of its argument, which
// a field of random signs mispredicts half of the time. sincosScaled reduces
// by multiples of π/2 without branches instead:
//
//	y = w x,   k = round(y · 2/π),   r = y − k π/2   (|r| ≤ π/4 + ε),
//
// with π/2 = piA + piB + piC (Cody & Waite): piA and piB hold 33 significant
// bits each, so k·piA and k·piB are exact for |k| < 2^20, y − k·piA is exact
// (Sterbenz: the two are within a factor 2 of each other), and piC is the
// rest rounded to float64. On |r| ≤ π/4 the Taylor series
//
//	sin r = r + r³ Σ_{n≥1} (−1)^n r^{2n−2}/(2n+1)!   (to r¹⁷),
//	cos r = 1 − r²/2 + r⁴ Σ_{n≥2} (−1)^n r^{2n−4}/(2n)!   (to r¹⁶),
//
// are truncated below 10⁻¹⁷ (the next terms are (π/4)¹⁹/19! ≈ 8·10⁻²⁰ and
// (π/4)¹⁸/18! ≈ 2·10⁻¹⁸). The quadrant k mod 4 selects and negates:
// sin y = (s, c, −s, −c), cos y = (c, −s, −c, s) for k mod 4 = 0, 1, 2, 3, done
// on the bit patterns. Beyond |y| = cnfSincosMax (or for ±Inf, NaN) it falls
// back to math.Sincos.
const (
	cnfPiA       = 0x1.921fb544p+0       // π/2 truncated to 33 bits
	cnfPiB       = 0x1.0b4611a6p-34      // the next 33 bits
	cnfPiC       = 0x1.3198a2e037073p-69 // the rest, rounded
	cnfRnd       = 0x1.8p52              // adding it rounds |t| < 2^51 to an integer
	cnf2Pi       = 2 / math.Pi           // 2/π
	cnfSincosMax = 0x1p19                // |k| < 2^19 + 1 < 2^20
)

// Taylor coefficients: sin r = r + r³ (s3 + r² (s5 + …)), cos r = 1 − r²/2 + r⁴ (c4 + r² (c6 + …)).
const (
	cnfS3  = -1.0 / 6
	cnfS5  = 1.0 / 120
	cnfS7  = -1.0 / 5040
	cnfS9  = 1.0 / 362880
	cnfS11 = -1.0 / 39916800
	cnfS13 = 1.0 / 6227020800
	cnfS15 = -1.0 / 1307674368000
	cnfS17 = 1.0 / 355687428096000
	cnfC4  = 1.0 / 24
	cnfC6  = -1.0 / 720
	cnfC8  = 1.0 / 40320
	cnfC10 = -1.0 / 3628800
	cnfC12 = 1.0 / 479001600
	cnfC14 = -1.0 / 87178291200
	cnfC16 = 1.0 / 20922789888000
)

// sincosScaled writes sn[i] = sin(w·x[i]) and cs[i] = cos(w·x[i]).
func sincosScaled(w float64, x, sn, cs []float64) {
	sn, cs = sn[:len(x)], cs[:len(x)]
	for i, xi := range x {
		y := w * xi
		if !(math.Abs(y) <= cnfSincosMax) {
			sn[i], cs[i] = math.Sincos(y)
			continue
		}
		t := y*cnf2Pi + cnfRnd
		k := t - cnfRnd
		q := math.Float64bits(t) // its low bits are those of k (two's complement)
		r := ((y - k*cnfPiA) - k*cnfPiB) - k*cnfPiC
		z := r * r
		z2 := z * z
		z4 := z2 * z2
		// Estrin's scheme: shorter chains of dependent operations than Horner's.
		ps := (cnfS3 + z*cnfS5) + z2*(cnfS7+z*cnfS9) + z4*((cnfS11+z*cnfS13)+z2*(cnfS15+z*cnfS17))
		pc := (cnfC4 + z*cnfC6) + z2*(cnfC8+z*cnfC10) + z4*((cnfC12+z*cnfC14)+z2*cnfC16)
		s := r + r*z*ps
		c := 1 - 0.5*z + z2*pc
		swap := -(q & 1) // all ones for odd k
		sb, cb := math.Float64bits(s), math.Float64bits(c)
		sinb := sb&^swap | cb&swap
		cosb := cb&^swap | sb&swap
		sn[i] = math.Float64frombits(sinb ^ (q&2)<<62)
		cs[i] = math.Float64frombits(cosb ^ ((q+1)&2)<<62)
	}
}

// cnfSincos returns sin y and cos y, as sincosScaled does.
func cnfSincos(y float64) (float64, float64) {
	var s, c [1]float64
	sincosScaled(1, []float64{y}, s[:], c[:])
	return s[0], c[0]
}
