package train

import (
	"fmt"
	"math"

	"github.com/normflow/normflow-go/nn"
)

// Group holds the optimiser hyper-parameters of one parameter group.
type Group struct {
	LR          float64 // learning rate at the start of the schedule
	WeightDecay float64 // decoupled weight decay
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter,
// arXiv:1711.05101), acting on the flat parameter vector of a ParamSet:
//
//	m ← β1 m + (1−β1) g,   v ← β2 v + (1−β2) g²,
//	θ ← θ − η [ m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + wd θ ],
//
// where η = f·lr is the group's learning rate times the schedule factor f of
// the step. Each parameter belongs to a group (nn.Param.Group; "" is the
// default group) with its own lr and wd.
type AdamW struct {
	Beta1, Beta2, Eps float64
	// M and V are the first and second moments; T counts the steps taken.
	M, V []float64
	T    int
	// lr and wd per flat index, from the parameter groups.
	lr, wd []float64
	set    *nn.ParamSet
	flat   []float64
}

// NewAdamW returns an optimiser for the parameters of set with the usual
// defaults β1 = 0.9, β2 = 0.999, ε = 1e-8. Parameters whose Group is in groups
// use that group's settings, all others use def.
func NewAdamW(set *nn.ParamSet, def Group, groups map[string]Group) *AdamW {
	n := set.Size()
	o := &AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		M: make([]float64, n), V: make([]float64, n), lr: make([]float64, n), wd: make([]float64, n),
		set: set, flat: make([]float64, n)}
	for _, p := range set.Params {
		g, ok := groups[p.Group]
		if !ok {
			g = def
		}
		off := set.Offset(p)
		for i := off; i < off+p.Size(); i++ {
			o.lr[i], o.wd[i] = g.LR, g.WeightDecay
		}
	}
	return o
}

// Step applies one update with gradient g (flat, in the set's order), every
// group's learning rate multiplied by the schedule factor f.
func (o *AdamW) Step(g []float64, f float64) {
	o.T++
	b1t := 1 - math.Pow(o.Beta1, float64(o.T))
	b2t := 1 - math.Pow(o.Beta2, float64(o.T))
	o.set.Flatten(o.flat)
	for i, gi := range g {
		o.M[i] = o.Beta1*o.M[i] + (1-o.Beta1)*gi
		o.V[i] = o.Beta2*o.V[i] + (1-o.Beta2)*gi*gi
		mh := o.M[i] / b1t
		vh := o.V[i] / b2t
		o.flat[i] -= f * o.lr[i] * (mh/(math.Sqrt(vh)+o.Eps) + o.wd[i]*o.flat[i])
	}
	o.set.Unflatten(o.flat)
}

// SetState restores the moments and the step count of an earlier run (a
// checkpoint): m and v must have one value per parameter, t ≥ 0. The values
// are copied.
func (o *AdamW) SetState(m, v []float64, t int) error {
	if len(m) != len(o.M) || len(v) != len(o.V) {
		return fmt.Errorf("adamw: moments of %d and %d values for %d parameters", len(m), len(v), len(o.M))
	}
	if t < 0 {
		return fmt.Errorf("adamw: step count %d: must be >= 0", t)
	}
	copy(o.M, m)
	copy(o.V, v)
	o.T = t
	return nil
}
