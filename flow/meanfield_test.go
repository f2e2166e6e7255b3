package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

func TestMeanFieldContract(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, shape := range fourierShapes {
		lat := lattice.MustNew(shape...)
		for _, sym := range []bool{false, true} {
			for _, scale := range []bool{false, true} {
				mf, err := NewMeanField("mf", 6, sym, scale)
				if err != nil {
					t.Fatal(err)
				}
				randomize(mf, r, 0.7)
				const batch = 3
				x := randn(r, batch*lat.Volume(), 1.5)
				checkInverse(t, mf, x, batch, 1e-10)
				checkLogJ(t, mf, x, batch, 1e-6)
				checkVJP(t, mf, x, batch, r, 1e-5)
			}
		}
	}
}

// The contract with the zero mode in the convertor's tails (m = Σx/√V near
// 30, −40, 80, −200), where the convertor used to lose its digits or break.
func TestMeanFieldContractTails(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	lat := lattice.MustNew(2, 2)
	v := lat.Volume()
	for _, sym := range []bool{false, true} {
		mf, err := NewMeanField("mf", 6, sym, true)
		if err != nil {
			t.Fatal(err)
		}
		randomize(mf, r, 0.7)
		const batch = 4
		x := randn(r, batch*v, 1)
		for b, mean := range []float64{15, -20, 40, -100} {
			for i := b * v; i < (b+1)*v; i++ {
				x[i] += mean
			}
		}
		checkInverse(t, mf, x, batch, 1e-12)
		checkLogJ(t, mf, x, batch, 1e-6)
		checkVJP(t, mf, x, batch, r, 1e-5)
	}
}

// Only the zero mode changes, and it changes as the convertor says.
func TestMeanFieldZeroModeOnly(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	lat := lattice.MustNew(4, 4)
	v := lat.Volume()
	mf, _ := NewMeanField("mf", 6, true, true)
	randomize(mf, r, 0.8)
	const batch = 2
	x := randn(r, batch*v, 1)
	y, logJ := pass(mf, false, nil, x, batch)
	sq := math.Sqrt(float64(v))
	for b := range batch {
		var mx, my float64
		for i := b * v; i < (b+1)*v; i++ {
			mx += x[i] / float64(v)
			my += y[i] / float64(v)
		}
		for i := b * v; i < (b+1)*v; i++ {
			if !(math.Abs((y[i]-my)-(x[i]-mx)) <= 1e-12) {
				t.Fatalf("non-zero mode changed at %d", i)
			}
		}
		fm, lj := pass(mf.Conv, false, nil, []float64{mx * sq}, 1)
		if !(math.Abs(my*sq-fm[0]) <= 1e-12) || !(math.Abs(logJ[b]-lj[0]) <= 1e-12) {
			t.Errorf("sample %d: m' = %g, logJ = %g; convertor gives %g, %g", b, my*sq, logJ[b], fm[0], lj[0])
		}
	}
	// Identity at initialisation.
	mf0, _ := NewMeanField("mf", 6, false, true)
	y0, lj0 := pass(mf0, false, nil, x, batch)
	for i := range x {
		if !(math.Abs(y0[i]-x[i]) <= 1e-12) {
			t.Fatalf("mean field at init: y[%d] = %g, x = %g", i, y0[i], x[i])
		}
	}
	if !(math.Abs(lj0[0]) <= 1e-12) {
		t.Errorf("mean field at init: logJ = %g", lj0[0])
	}
}

func TestPSDContract(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, shape := range fourierShapes {
		lat := lattice.MustNew(shape...)
		psd, err := NewPSD("psd", lat, 6, true, true, 5)
		if err != nil {
			t.Fatal(err)
		}
		randomize(psd, r, 0.7)
		const batch = 3
		x := randn(r, batch*lat.Volume(), 1.5)
		checkInverse(t, psd, x, batch, 1e-10)
		checkLogJ(t, psd, x, batch, 1e-6)
		checkVJP(t, psd, x, batch, r, 1e-5)
	}
}
