package flow

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDistConvertorIdentityAtInit(t *testing.T) {
	for _, sym := range []bool{false, true} {
		for _, scale := range []bool{false, true} {
			d, err := NewDistConvertor("dc", 10, sym, scale)
			if err != nil {
				t.Fatal(err)
			}
			x := []float64{-5, -1.3, -0.2, 0, 0.7, 2.5, 8}
			y, logJ := pass(d, false, nil, x, 1)
			for i := range x {
				if !(math.Abs(y[i]-x[i]) <= 1e-12*(1+math.Abs(x[i]))) {
					t.Errorf("sym=%v scale=%v: f(%g) = %.15g at initialisation", sym, scale, x[i], y[i])
				}
			}
			if !(math.Abs(logJ[0]) <= 1e-12) {
				t.Errorf("sym=%v scale=%v: logJ = %g at initialisation", sym, scale, logJ[0])
			}
		}
	}
}

func TestDistConvertorContract(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sym := range []bool{false, true} {
		for _, scale := range []bool{false, true} {
			d, _ := NewDistConvertor("dc", 6, sym, scale)
			randomize(d, r, 0.7)
			const batch = 3
			x := randn(r, batch*4, 1.5)
			checkInverse(t, d, x, batch, 1e-10)
			checkLogJ(t, d, x, batch, 1e-6)
			checkVJP(t, d, x, batch, r, 1e-5)
		}
	}
}

func TestDistConvertorSymmetricIsOdd(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	d, _ := NewDistConvertor("dc", 10, true, true)
	randomize(d, r, 1)
	x := randn(r, 50, 2)
	neg := make([]float64, len(x))
	for i := range x {
		neg[i] = -x[i]
	}
	y, lp := pass(d, false, nil, x, len(x))
	yn, ln := pass(d, false, nil, neg, len(x))
	for i := range x {
		if !(math.Abs(y[i]+yn[i]) <= 1e-12*(1+math.Abs(y[i]))) || !(math.Abs(lp[i]-ln[i]) <= 1e-11) {
			t.Fatalf("f(%g) = %g, f(%g) = %g; logJ %g vs %g", x[i], y[i], -x[i], yn[i], lp[i], ln[i])
		}
	}
}

func TestDistConvertorRejectsFewKnots(t *testing.T) {
	if _, err := NewDistConvertor("dc", 1, false, false); err == nil {
		t.Error("knots = 1 accepted")
	}
}

func TestSequenceContract(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	a, _ := NewDistConvertor("a", 5, true, false)
	b, _ := NewDistConvertor("b", 4, false, true)
	randomize(a, r, 0.6)
	randomize(b, r, 0.6)
	s := NewSequence(a, b)
	if len(s.Params()) != 7 {
		t.Fatalf("sequence has %d parameters, want 7", len(s.Params()))
	}
	x := randn(r, 2*3, 1.2)
	checkInverse(t, s, x, 2, 1e-10)
	checkLogJ(t, s, x, 2, 1e-6)
	checkVJP(t, s, x, 2, r, 1e-5)
}
