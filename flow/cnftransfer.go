package flow

import "fmt"

// TransferFrom sets the parameters of c from those of src, a CNF layer with
// the same settings trained on a lattice no larger along any axis (volume
// transfer, docs/conventions.md §6.10). The frequencies and the local term
// carry over as they are. The kernel weights are indexed by the orbits of
// the offsets, labelled by their folded components e_μ = min(d_μ, L_μ − d_μ)
// (§5.19); an orbit of src keeps its weight in the orbit of c with the same
// label, and orbits src does not have (some e_μ > L_μ/2, or beyond src's
// kernel) start at zero. An offset with e_μ = L_μ/2 on an even axis is one
// site of src but two (d_μ = ±L_μ/2) of c where L′_μ > L_μ: its weight is
// halved once per such axis, so that K(r) keeps its sum over the offsets
// (the zero-momentum K̂(0)) and the kernel at every offset src resolves.
// Either layer may use either kernel basis.
func (c *CNF) TransferFrom(src *CNF) error {
	if err := c.CanTransferFrom(src); err != nil {
		return err
	}
	from, to := src.lat.Shape(), c.lat.Shape()
	labels := func(l *CNF) [][]int {
		out := make([][]int, l.nOrb)
		shape := l.lat.Shape()
		for j, r := range l.offsets {
			if o := l.orbit[j]; out[o] == nil {
				out[o], _ = cnfOrbitLabel(shape, l.lat.Coords(r), 0)
			}
		}
		return out
	}
	srcOrbit := map[string]int{}
	for o, e := range labels(src) {
		srcOrbit[string(intsKey(e))] = o
	}
	// The carrying is done on the position-space weights K(r); a layer
	// with the momentum basis (§5.19, "Basis") is read and written
	// through its maps.
	w, sw := c.Weights.Value, src.Weights.Value
	if src.toPos != nil {
		sw = src.positionWeights(sw)
	}
	if c.toPos != nil {
		w = make([]float64, len(w))
	}
	for o, e := range labels(c) {
		so, ok := srcOrbit[string(intsKey(e))]
		f := 1.0
		for mu, l := range from {
			if l%2 == 0 && e[mu] == l/2 && to[mu] > l {
				f /= 2
			}
		}
		for ab := range c.nt * c.nf {
			w[ab*c.nOrb+o] = 0
			if ok {
				w[ab*c.nOrb+o] = f * sw[ab*src.nOrb+so]
			}
		}
	}
	if c.toPos != nil {
		n := c.nOrb
		for ab := range c.nt * c.nf {
			wr, out := w[ab*n:(ab+1)*n], c.Weights.Value[ab*n:(ab+1)*n]
			for q := range out {
				var sum float64
				for o, m := range c.toMom[q*n : (q+1)*n] {
					sum += m * wr[o]
				}
				out[q] = sum
			}
		}
	}
	copy(c.Freqs.Value, src.Freqs.Value)
	if c.nl > 0 {
		copy(c.LocalWeights.Value, src.LocalWeights.Value)
		copy(c.LocalFreqs.Value, src.LocalFreqs.Value)
	}
	return nil
}

// CanTransferFrom reports why src cannot be carried onto c by TransferFrom
// (nil if it can), without changing c.
func (c *CNF) CanTransferFrom(src *CNF) error {
	from, to := src.lat.Shape(), c.lat.Shape()
	switch {
	case len(from) != len(to):
		return fmt.Errorf("cnf: lattice %v there, %v here: volume transfer needs the same number of axes", from, to)
	case src.nt != c.nt || src.nf != c.nf || src.nl != c.nl:
		return fmt.Errorf("cnf: freqs, time_freqs or local differ (%d, %d, %d features there; %d, %d, %d here)", src.nf, src.nt, src.nl, c.nf, c.nt, c.nl)
	}
	for mu := range to {
		if to[mu] < from[mu] {
			return fmt.Errorf("cnf: lattice %v there, %v here: volume transfer needs an extent at least as large along every axis", from, to)
		}
		for nu := range to {
			if (from[mu] == from[nu]) != (to[mu] == to[nu]) {
				return fmt.Errorf("cnf: lattice %v there, %v here: the axes of equal length (the kernel's symmetries) differ", from, to)
			}
		}
	}
	return nil
}
