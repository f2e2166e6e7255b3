package config

import (
	"fmt"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/nn"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sungauge"
	"github.com/normflow/normflow-go/train"
)

// BuildModel makes the model a run describes, with freshly initialised
// (identity) flow parameters.
func (r *Run) BuildModel() (*model.Model, error) {
	act, err := r.BuildAction()
	if err != nil {
		return nil, err
	}
	lat := act.Lattice()
	pr, err := r.buildPrior(act)
	if err != nil {
		return nil, err
	}
	var layers []flow.Layer
	for i, l := range r.Flow.Layers {
		name := fmt.Sprintf("flow.%d", i)
		built, err := l.build(layerPlace{name, lat, uint64(r.Seed), uint64(i), colorN(act)})
		if err != nil {
			return nil, fmt.Errorf("flow.layers[%d]: %w", i, err)
		}
		if l.LR != nil || l.WeightDecay != nil {
			for _, b := range built {
				for _, p := range b.Params() {
					p.Group = name
				}
			}
		}
		layers = append(layers, built...)
	}
	return model.New(pr, flow.NewSequence(layers...), act)
}

func (a *Action) build(lat *lattice.Lattice) (action.Action, error) {
	if a.Kind == "u1" {
		return gauge.NewWilson(lat, *a.Beta)
	}
	if a.Kind == "matrix" {
		return a.buildMatrix(lat)
	}
	if a.Kind == "wilson" {
		return sungauge.NewWilson(lat, *a.N, *a.Beta)
	}
	switch a.Convention {
	case "seed":
		return action.NewPhi4(lat, *a.Kappa, *a.MSq, *a.Lambd, *a.A)
	case "albergo2019":
		return action.NewPhi4Albergo(lat, *a.MSq, *a.Lambd)
	case "hopping":
		return action.NewPhi4Hopping(lat, *a.Kappa, *a.Lambd)
	case "ising":
		return action.NewPhi4Ising(lat, *a.Beta, *a.Lambd)
	}
	return nil, fmt.Errorf("action.convention = %q: allowed: seed, albergo2019, hopping, ising", a.Convention)
}

func (p *Prior) build(lat *lattice.Lattice, n int) (prior.Prior, error) {
	switch p.Kind {
	case "normal":
		loc, scale := 0.0, 1.0
		if p.Loc != nil {
			loc = *p.Loc
		}
		if p.Scale != nil {
			scale = *p.Scale
		}
		return prior.NewNormal(loc, scale, n)
	case "uniform":
		return prior.NewUniform(*p.Low, *p.High, n)
	case "free_field":
		return prior.NewFreeField(lat, *p.Kappa, *p.MSq)
	case "haar":
		return gauge.NewHaar(n)
	}
	return nil, fmt.Errorf("prior.kind = %q: allowed: normal, uniform", p.Kind)
}

// domainInit keys the streams that seed the conditioner weights: layer k of
// table t draws from rng.New(seed, domainInit, t, k).
const domainInit = 0x1417

// layerPlace is where the layers of one [[flow.layers]] table go: their name
// (flow.T), the lattice, and the run's seed and the table's index T, which
// key the conditioner weights.
type layerPlace struct {
	name        string
	lat         *lattice.Lattice
	seed, table uint64
	colorN      int // N of an SU(N) field, 0 for a real one
}

// layerBuilders makes the layers of a table, per kind.
var layerBuilders = map[string]func(*Layer, layerPlace) ([]flow.Layer, error){
	"dist_convertor":  (*Layer).buildDistConvertor,
	"mean_field":      (*Layer).buildMeanField,
	"psd":             (*Layer).buildPSD,
	"fourier":         (*Layer).buildFourier,
	"pade":            (*Layer).buildPade,
	"shift_coupling":  (*Layer).buildShift,
	"affine_coupling": (*Layer).buildAffine,
	"spline_coupling": (*Layer).buildSpline,
	"gauge_coupling":  (*Layer).buildGauge,
	"staple_coupling": (*Layer).buildStaple,
	"cnf":             (*Layer).buildCNF,
	"spectral":        (*Layer).buildSpectral,
}

// build makes the layer(s) of one [[flow.layers]] table. Conditioner weights
// are initialised from the stream (seed, init, table, layer), so the model is
// a function of the run's seed.
func (l *Layer) build(at layerPlace) ([]flow.Layer, error) {
	b, ok := layerBuilders[l.Kind]
	if !ok {
		return nil, fmt.Errorf("kind = %q: unknown layer", l.Kind)
	}
	return b(l, at)
}

// or returns *p, or def when p is nil (a key the table does not give).
func or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// one wraps a single layer and its constructor's error.
func one[L flow.Layer](layer L, err error) ([]flow.Layer, error) {
	if err != nil {
		return nil, err
	}
	return []flow.Layer{layer}, nil
}

// convertor returns the settings of a distribution convertor (also the
// mean-field one of mean_field and psd): knots (default 10), symmetric
// (true), final_scale (false).
func (l *Layer) convertor() (knots int, symmetric, finalScale bool) {
	return or(l.Knots, 10), or(l.Symmetric, true), or(l.FinalScale, false)
}

func (l *Layer) buildDistConvertor(at layerPlace) ([]flow.Layer, error) {
	knots, sym, scale := l.convertor()
	return one(flow.NewDistConvertor(at.name, knots, sym, scale))
}

func (l *Layer) buildMeanField(at layerPlace) ([]flow.Layer, error) {
	knots, sym, scale := l.convertor()
	return one(flow.NewMeanField(at.name, knots, sym, scale))
}

func (l *Layer) buildPSD(at layerPlace) ([]flow.Layer, error) {
	knots, sym, scale := l.convertor()
	return one(flow.NewPSD(at.name, at.lat, knots, sym, scale, or(l.IPSDKnots, 8)))
}

func (l *Layer) buildFourier(at layerPlace) ([]flow.Layer, error) {
	return one(flow.NewFourier(at.name, at.lat, or(l.IPSDKnots, 8), or(l.ExcludeZeroMode, false)))
}

func (l *Layer) buildPade(at layerPlace) ([]flow.Layer, error) {
	return []flow.Layer{flow.NewPade(at.name)}, nil
}

// buildCNF makes a continuous flow with the defaults of
// flow.DefaultCNFOptions for the keys the table does not give.
func (l *Layer) buildCNF(at layerPlace) ([]flow.Layer, error) {
	def := flow.DefaultCNFOptions()
	return one(flow.NewCNF(at.name, at.lat, flow.CNFOptions{Steps: or(l.Steps, def.Steps), TrainSteps: or(l.TrainSteps, 0), Freqs: or(l.Freqs, def.Freqs),
		TimeFreqs: or(l.TimeFreqs, def.TimeFreqs), Kernel: or(l.Kernel, def.Kernel), Local: or(l.Local, def.Local),
		Basis: or(l.Basis, flow.CNFPosition)}))
}

// conditioner returns the conditioner network a coupling table describes:
// hidden, kernel (default 3), activation (tanh), final_activation (none),
// bias (default bias), dense, precision (float32), zero_init. The layer
// constructor sets its channel counts.
func (l *Layer) conditioner(bias bool) nn.NetSpec {
	spec := nn.NetSpec{Hidden: l.Hidden, Kernel: or(l.Kernel, 3), Activation: []string{or(l.Activation, "tanh")},
		FinalActivation: or(l.FinalActivation, ""), Bias: or(l.Bias, bias), Precision: or(l.Precision, "float32"),
		ZeroLast: or(l.ZeroInit, false)}
	if or(l.Dense, false) {
		spec.Dense, spec.Kernel = true, 0
	}
	return spec
}

// oddConditioner returns the conditioner of a shift or affine table; with z2
// it must be odd (no bias, odd activations), and bias defaults to false.
func (l *Layer) oddConditioner(z2 bool) (nn.NetSpec, error) {
	spec := l.conditioner(!z2)
	if !z2 {
		return spec, nil
	}
	if spec.Bias {
		return spec, fmt.Errorf("bias = true: a z2 %s needs an odd conditioner, without bias", l.Kind)
	}
	for _, a := range []string{spec.Activation[0], spec.FinalActivation} {
		if a != "tanh" && a != "none" && a != "" {
			return spec, fmt.Errorf("activation %q: a z2 %s needs odd activations (tanh or none)", a, l.Kind)
		}
	}
	return spec, nil
}

// repeated makes the repeat layers of a table (default 1): layer k named
// name.k (just name for one), its weights seeded from its own stream.
func (l *Layer) repeated(at layerPlace, layer func(k int, name string, init rng.Stream) (flow.Layer, error)) ([]flow.Layer, error) {
	repeat := or(l.Repeat, 1)
	out := make([]flow.Layer, 0, repeat)
	for k := range repeat {
		name := at.name
		if repeat > 1 {
			name = fmt.Sprintf("%s.%d", at.name, k)
		}
		built, err := layer(k, name, rng.New(at.seed, domainInit, at.table, uint64(k)))
		if err != nil {
			return nil, err
		}
		out = append(out, built)
	}
	return out, nil
}

// couplings makes the repeat coupling layers of a table, layer k on the mask
// (checkerboard, or stripes across axis) of parity parity+k (mod 2).
func (l *Layer) couplings(at layerPlace, coupling func(name string, mask []bool, init rng.Stream) (flow.Layer, error)) ([]flow.Layer, error) {
	parity := or(l.Parity, 0)
	return l.repeated(at, func(k int, name string, init rng.Stream) (flow.Layer, error) {
		p := (parity + k) % 2
		mask := flow.Checkerboard(at.lat, p)
		if or(l.Mask, "checkerboard") == "axis" {
			var err error
			if mask, err = flow.AxisMask(at.lat, or(l.Axis, 0), p); err != nil {
				return nil, err
			}
		}
		return coupling(name, mask, init)
	})
}

func (l *Layer) buildShift(at layerPlace) ([]flow.Layer, error) {
	z2 := or(l.Z2, false)
	net, err := l.oddConditioner(z2)
	if err != nil {
		return nil, err
	}
	return l.couplings(at, func(name string, mask []bool, init rng.Stream) (flow.Layer, error) {
		return flow.NewShift(name, at.lat, mask, net, init, flow.ShiftOptions{Z2: z2})
	})
}

func (l *Layer) buildAffine(at layerPlace) ([]flow.Layer, error) {
	z2 := or(l.Z2, false)
	net, err := l.oddConditioner(z2)
	if err != nil {
		return nil, err
	}
	opts := flow.AffineOptions{Scale: flow.ScaleMode(or(l.Scale, string(flow.ScaleTanh))), Z2: z2}
	if z2 && opts.Scale != flow.ScaleSeed {
		// flow.NewAffine builds t's net without biases; bias (default
		// true) is that of the log-scale net, which is fed |c| (even).
		net.Bias = or(l.Bias, true)
	}
	return l.couplings(at, func(name string, mask []bool, init rng.Stream) (flow.Layer, error) {
		return flow.NewAffine(name, at.lat, mask, net, init, opts)
	})
}

func (l *Layer) buildSpline(at layerPlace) ([]flow.Layer, error) {
	// With z2 the net is fed |c|: the spline parameters are even whatever
	// the net, so bias defaults to true either way.
	net := l.conditioner(true)
	opts := flow.RQSOptions{Knots: or(l.Knots, 8), Bound: or(l.Bound, float64(flow.DefaultRQSBound)), Z2: or(l.Z2, false)}
	return l.couplings(at, func(name string, mask []bool, init rng.Stream) (flow.Layer, error) {
		return flow.NewRQS(name, at.lat, mask, net, init, opts)
	})
}

// TrainOptions converts the [train] table (seed from the top level):
// weight_decay absent is train.DefaultOptions' 0.01 (0 is no decay),
// max_bad_steps 0 or absent is train.DefaultMaxBadSteps.
func (r *Run) TrainOptions() (train.Options, error) {
	g, err := train.ParseGradient(r.Train.Gradient)
	if err != nil {
		return train.Options{}, fmt.Errorf("train.%w", err)
	}
	def := train.DefaultOptions()
	wd := or(r.Train.WeightDecay, def.WeightDecay)
	sched := train.Constant
	if r.Train.LRSchedule != "" {
		if sched, err = train.ParseSchedule(r.Train.LRSchedule); err != nil {
			return train.Options{}, fmt.Errorf("train.%w", err)
		}
	}
	maxBad := r.Train.MaxBadSteps
	if maxBad == 0 {
		maxBad = def.MaxBadSteps
	}
	groups := map[string]train.Group{}
	for i, l := range r.Flow.Layers {
		if l.LR == nil && l.WeightDecay == nil {
			continue
		}
		groups[fmt.Sprintf("flow.%d", i)] = train.Group{LR: or(l.LR, r.Train.LR), WeightDecay: or(l.WeightDecay, wd)}
	}
	return train.Options{
		Epochs: r.Train.Epochs, Batch: r.Train.Batch, LR: r.Train.LR, WeightDecay: wd,
		Gradient: g, PrintStride: r.Train.PrintStride, Seed: uint64(r.Seed), MicroBatch: r.Train.MicroBatch,
		Schedule: sched, LRMinFactor: r.Train.LRMinFactor, AnnealEpochs: r.Train.AnnealEpochs, Groups: groups,
		MaxBadSteps: maxBad,
	}, nil
}
