package lattice

import "testing"

func TestNeighboursAndParity(t *testing.T) {
	for _, shape := range [][]int{{1}, {5}, {4, 3}, {2, 3, 4}, {2, 2, 3, 2}} {
		l := MustNew(shape...)
		v := 1
		for _, s := range shape {
			v *= s
		}
		if l.Volume() != v {
			t.Fatalf("%v: volume %d, want %d", shape, l.Volume(), v)
		}
		for i := 0; i < v; i++ {
			x := l.Coords(i)
			if l.Index(x) != i {
				t.Fatalf("%v: Index(Coords(%d)) = %d", shape, i, l.Index(x))
			}
			p := 0
			for _, c := range x {
				p += c
			}
			if l.Parity(i) != p%2 {
				t.Errorf("%v: parity of %v = %d", shape, x, l.Parity(i))
			}
			for mu := range shape {
				j := l.Fwd(mu, i)
				if l.Bwd(mu, j) != i {
					t.Errorf("%v: bwd(fwd(%d)) = %d", shape, i, l.Bwd(mu, j))
				}
				y := l.Coords(j)
				for nu := range shape {
					want := x[nu]
					if nu == mu {
						want = (x[nu] + 1) % shape[nu]
					}
					if y[nu] != want {
						t.Errorf("%v: fwd(%v, %d) = %v", shape, x, mu, y)
					}
				}
			}
		}
	}
}

func TestRejectsBadExtent(t *testing.T) {
	for _, shape := range [][]int{{0}, {4, -1}} {
		if _, err := New(shape...); err == nil {
			t.Errorf("New(%v) accepted a non-positive extent", shape)
		}
	}
	if l := MustNew(); l.Volume() != 1 {
		t.Errorf("0-d lattice volume %d, want 1", l.Volume())
	}
}
