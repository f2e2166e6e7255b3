package train

import (
	"math"

	"github.com/normflow/normflow-go/nn"
)

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter,
// arXiv:1711.05101), acting on the flat parameter vector of a ParamSet:
//
//	m ← β1 m + (1−β1) g,   v ← β2 v + (1−β2) g²,
//	θ ← θ − lr [ m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + wd θ ].
type AdamW struct {
	LR, WeightDecay, Beta1, Beta2, Eps float64
	// M and V are the first and second moments; T counts the steps taken.
	M, V []float64
	T    int
	set  *nn.ParamSet
	flat []float64
}

// NewAdamW returns an optimiser for the parameters of set with the usual
// defaults β1 = 0.9, β2 = 0.999, ε = 1e-8.
func NewAdamW(set *nn.ParamSet, lr, weightDecay float64) *AdamW {
	n := set.Size()
	return &AdamW{LR: lr, WeightDecay: weightDecay, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		M: make([]float64, n), V: make([]float64, n), set: set, flat: make([]float64, n)}
}

// Step applies one update with gradient g (flat, in the set's order) at
// learning rate lr (the schedule's value for this step).
func (o *AdamW) Step(g []float64, lr float64) {
	o.T++
	b1t := 1 - math.Pow(o.Beta1, float64(o.T))
	b2t := 1 - math.Pow(o.Beta2, float64(o.T))
	o.set.Flatten(o.flat)
	for i, gi := range g {
		o.M[i] = o.Beta1*o.M[i] + (1-o.Beta1)*gi
		o.V[i] = o.Beta2*o.V[i] + (1-o.Beta2)*gi*gi
		mh := o.M[i] / b1t
		vh := o.V[i] / b2t
		o.flat[i] -= lr * (mh/(math.Sqrt(vh)+o.Eps) + o.WeightDecay*o.flat[i])
	}
	o.set.Unflatten(o.flat)
}
