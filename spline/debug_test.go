package spline

import (
	"fmt"
	"math"
	"testing"
)

func TestDebugFD(t *testing.T) {
	for _, c := range allSetups(10) {
		if c.k != 10 || !c.sym || c.x1 > -0.15 || c.x1 < -0.16 {
			continue
		}
		s := c.build()
		y := -0.9407082691436347
		x, d := s.Inverse(y)
		y2, d2 := s.Forward(x)
		fmt.Printf("x=%.17g dxdy=%.17g y2-y=%.3g d*d2-1=%.3g\n", x, d, y2-y, d*d2-1)
		for _, gl := range []float64{0, 1} {
		gX, gY, gD := make([]float64, 10), make([]float64, 10), make([]float64, 10)
		s.InverseVJP(y, 0, gl, gX, gY, gD)
		fmt.Println(gX[3], gX[4], gD[3])
		for _, h := range []float64{1e-3, 1e-4, 1e-5, 1e-6, 1e-7} {
			old := s.X[3]
			f := func(e float64) float64 { s.X[3] = old + e; _, d := s.Inverse(y); s.X[3] = old; return gl * math.Log(d) }
			fmt.Println(h, (f(h)-f(-h))/(2*h), centralFD(f, h))
		}
		}
	}
}
