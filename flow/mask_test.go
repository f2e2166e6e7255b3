package flow

import (
	"testing"

	"github.com/normflow/normflow-go/lattice"
)

func count(m []bool) int {
	n := 0
	for _, a := range m {
		if a {
			n++
		}
	}
	return n
}

func TestCheckerboard(t *testing.T) {
	for _, shape := range [][]int{{4, 4}, {2, 2, 2}, {6}, {2, 4, 2, 2}} {
		lat := lattice.MustNew(shape...)
		v := lat.Volume()
		m0, m1 := Checkerboard(lat, 0), Checkerboard(lat, 1)
		if count(m0) != v/2 || count(m1) != v/2 {
			t.Errorf("%v: %d and %d active sites, want %d each", lat, count(m0), count(m1), v/2)
		}
		for i := range v {
			x := lat.Coords(i)
			s := 0
			for _, c := range x {
				s += c
			}
			if m0[i] != (s%2 == 0) || m1[i] == m0[i] {
				t.Errorf("%v: site %v: parity-0 mask %v, parity-1 mask %v", lat, x, m0[i], m1[i])
			}
			for mu := range shape {
				if j := lat.Fwd(mu, i); m0[j] == m0[i] {
					t.Errorf("%v: neighbours %v and %v have the same parity", lat, x, lat.Coords(j))
				}
			}
		}
		// Layer k may pass k: parity is taken mod 2.
		for _, k := range []int{2, 3, -1, -2} {
			want := m0
			if k%2 != 0 {
				want = m1
			}
			got := Checkerboard(lat, k)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%v: Checkerboard(%d) differs from parity %d", lat, k, mod2(k))
				}
			}
		}
	}
	// Odd extent: the counts are ⌈V/2⌉ and ⌊V/2⌋.
	lat := lattice.MustNew(5)
	if a, b := count(Checkerboard(lat, 0)), count(Checkerboard(lat, 1)); a != 3 || b != 2 {
		t.Errorf("lattice 5: %d and %d active sites, want 3 and 2", a, b)
	}
}

func TestAxisMask(t *testing.T) {
	for _, shape := range [][]int{{4, 4}, {2, 2, 2}, {6}, {4, 2, 6}} {
		lat := lattice.MustNew(shape...)
		v := lat.Volume()
		for axis := range shape {
			for _, parity := range []int{0, 1, 2, -1} {
				m, err := AxisMask(lat, axis, parity)
				if err != nil {
					t.Fatal(err)
				}
				if count(m) != v/2 {
					t.Errorf("%v axis %d parity %d: %d active sites, want %d", lat, axis, parity, count(m), v/2)
				}
				for i := range v {
					x := lat.Coords(i)
					if m[i] != (x[axis]%2 == mod2(parity)) {
						t.Errorf("%v axis %d parity %d: site %v active = %v", lat, axis, parity, x, m[i])
					}
				}
			}
		}
	}
	lat := lattice.MustNew(4, 4)
	for _, axis := range []int{-1, 2} {
		if _, err := AxisMask(lat, axis, 0); err == nil {
			t.Errorf("AxisMask(4x4, axis %d) accepted", axis)
		}
	}
}
