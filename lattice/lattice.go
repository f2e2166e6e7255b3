// Package lattice describes a periodic hypercubic lattice of any number of axes:
// its shape, volume, neighbour tables and checkerboard parity. Actions,
// priors, flow layers and observables all take a *Lattice; New (or MustNew)
// makes one, e.g. New(8, 8). Start with package model.
//
// Sites are numbered in lexicographic (row-major) order of the shape: the last
// axis runs fastest, so site index i = ((x0·L1 + x1)·L2 + x2)… (docs/architecture.md §1.3).
package lattice

import (
	"fmt"
	"strings"
)

// Lattice is a periodic lattice. It is immutable after New and safe to share.
type Lattice struct {
	shape  []int
	volume int
	// fwd[mu*V+i] is the site x+μ̂ of site i; bwd[mu*V+i] is x−μ̂.
	fwd, bwd []int
	parity   []int8 // Σ_μ x_μ mod 2
}

// New builds a lattice with the given extents. Every extent must be positive; an
// empty shape is a zero-dimensional lattice of one site.
func New(shape ...int) (*Lattice, error) {
	v := 1
	for mu, l := range shape {
		if l <= 0 {
			return nil, fmt.Errorf("lattice extent %d along axis %d: must be a positive integer", l, mu)
		}
		v *= l
	}
	lat := &Lattice{shape: append([]int(nil), shape...), volume: v}
	d := len(shape)
	lat.fwd = make([]int, d*v)
	lat.bwd = make([]int, d*v)
	lat.parity = make([]int8, v)
	x := make([]int, d)
	for i := 0; i < v; i++ {
		lat.coords(i, x)
		s := 0
		for mu := 0; mu < d; mu++ {
			s += x[mu]
			c := x[mu]
			x[mu] = (c + 1) % shape[mu]
			lat.fwd[mu*v+i] = lat.Index(x)
			x[mu] = (c - 1 + shape[mu]) % shape[mu]
			lat.bwd[mu*v+i] = lat.Index(x)
			x[mu] = c
		}
		lat.parity[i] = int8(s % 2)
	}
	return lat, nil
}

// MustNew is New that panics on error, for shapes known to be valid.
func MustNew(shape ...int) *Lattice {
	l, err := New(shape...)
	if err != nil {
		panic(err)
	}
	return l
}

// Shape returns a copy of the extents.
func (l *Lattice) Shape() []int { return append([]int(nil), l.shape...) }

// Dim is the number of lattice axes d.
func (l *Lattice) Dim() int { return len(l.shape) }

// Volume is the number of sites V.
func (l *Lattice) Volume() int { return l.volume }

// Fwd returns the index of site i + μ̂ (periodic).
func (l *Lattice) Fwd(mu, i int) int { return l.fwd[mu*l.volume+i] }

// Bwd returns the index of site i − μ̂ (periodic).
func (l *Lattice) Bwd(mu, i int) int { return l.bwd[mu*l.volume+i] }

// FwdTable returns the neighbour table x → x+μ̂ for axis mu (shared; do not modify).
func (l *Lattice) FwdTable(mu int) []int { return l.fwd[mu*l.volume : (mu+1)*l.volume] }

// BwdTable returns the neighbour table x → x−μ̂ for axis mu (shared; do not modify).
func (l *Lattice) BwdTable(mu int) []int { return l.bwd[mu*l.volume : (mu+1)*l.volume] }

// Parity returns Σ_μ x_μ mod 2 of site i.
func (l *Lattice) Parity(i int) int { return int(l.parity[i]) }

// Index returns the site index of coordinates x (each 0 ≤ x_μ < L_μ).
func (l *Lattice) Index(x []int) int {
	i := 0
	for mu, l := range l.shape {
		i = i*l + x[mu]
	}
	return i
}

// Coords returns the coordinates of site i.
func (l *Lattice) Coords(i int) []int {
	x := make([]int, len(l.shape))
	l.coords(i, x)
	return x
}

func (l *Lattice) coords(i int, x []int) {
	for mu := len(l.shape) - 1; mu >= 0; mu-- {
		x[mu] = i % l.shape[mu]
		i /= l.shape[mu]
	}
}

// String formats the shape as "8x8" (or "1" for a single site, "()" for 0-d).
func (l *Lattice) String() string {
	if len(l.shape) == 0 {
		return "()"
	}
	s := make([]string, len(l.shape))
	for i, v := range l.shape {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, "x")
}
