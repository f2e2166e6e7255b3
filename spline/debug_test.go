package spline

import (
	"testing"
)

func TestDebugSeeds(t *testing.T) {
	for seed := uint64(100); seed < 160; seed++ {
		r := newRNG(seed)
		for _, c := range allSetups(seed) {
			s := c.build()
			tp := tailPoints(r, c.x0, c.x1)
			xs := append(interiorPoints(r, s, s.X, s.Cx), tp[0], tp[1], tp[3], tp[4])
			for _, x := range xs {
				checkVJP(t, c, false, x, r.NormFloat64(), r.NormFloat64())
			}
			tp = tailPoints(r, c.y0, c.y1)
			ys := append(interiorPoints(r, s, s.Y, s.Cy), tp[0], tp[1], tp[3], tp[4])
			for _, y := range ys {
				checkVJP(t, c, true, y, r.NormFloat64(), r.NormFloat64())
			}
		}
	}
}
