package spline

import (
	"fmt"
	"math"
	"testing"
)

func TestDebug2(t *testing.T) {
	for seed := uint64(100); seed < 160; seed++ {
		for _, c := range allSetups(seed) {
			if c.k != 10 || !c.sym || math.Abs(c.x0+1.98) > 3e-3 || math.Abs(c.y0+3.08) > 1e-2 {
				continue
			}
			s := c.build()
			fmt.Println(seed, c, s.X, s.Y, s.D)
			y := 0.27788420738449376
			x, d := s.Inverse(y)
			fmt.Println("x", x, "dxdy", d)
			for _, gl := range []float64{0, 1} {
				gX, gY, gD := make([]float64, 10), make([]float64, 10), make([]float64, 10)
				s.InverseVJP(y, 1-gl, gl, gX, gY, gD)
				gw, gh, gv := make([]float64, 9), make([]float64, 9), make([]float64, 10)
				s.ParamsVJP(gX, gY, gD, gw, gh, gv)
				fmt.Println("gl", gl, "analytic", gh[8], gY)
				for _, h := range []float64{1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8} {
					f := func(e float64) float64 {
						cp := c.clone()
						cp.h[8] += e
						return lossI(cp.build(), y, 1-gl, gl)
					}
					fmt.Println(h, centralFD(f, h))
				}
			}
		}
	}
}
