package flow

import (
	"fmt"

	"github.com/normflow/normflow-go/lattice"
)

// A mask selects the sites a coupling layer transforms. It is a []bool over
// the lattice sites in the package's site order (lexicographic, last axis
// fastest): mask[i] is true when site i is active (transformed) and false when
// it is frozen (passed through and seen by the conditioner).
//
// Both constructors take the parity modulo 2 (negative values too), so layer k
// of a flow can pass k directly to alternate the two halves.

// Checkerboard returns the mask whose active sites are those with
// Σ_μ x_μ mod 2 = parity mod 2. On a lattice with all extents even, neighbours
// have opposite parity and each parity holds V/2 sites. (With an odd extent,
// the periodic wrap joins two sites of equal parity along that axis.)
func Checkerboard(lat *lattice.Lattice, parity int) []bool {
	p := mod2(parity)
	m := make([]bool, lat.Volume())
	for i := range m {
		m[i] = lat.Parity(i) == p
	}
	return m
}

// AxisMask returns the mask whose active sites are those with
// x_axis mod 2 = parity mod 2 (stripes across axis). axis must be a lattice
// axis, 0 ≤ axis < lat.Dim().
func AxisMask(lat *lattice.Lattice, axis, parity int) ([]bool, error) {
	if axis < 0 || axis >= lat.Dim() {
		return nil, fmt.Errorf("mask axis = %d: lattice %v has axes 0 … %d", axis, lat, lat.Dim()-1)
	}
	p := mod2(parity)
	// The stride of axis in the site numbering and its extent.
	shape := lat.Shape()
	stride := 1
	for mu := len(shape) - 1; mu > axis; mu-- {
		stride *= shape[mu]
	}
	m := make([]bool, lat.Volume())
	for i := range m {
		m[i] = (i/stride%shape[axis])%2 == p
	}
	return m, nil
}

func mod2(p int) int { return ((p % 2) + 2) % 2 }
