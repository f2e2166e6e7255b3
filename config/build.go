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
	pr, err := r.Prior.build(lat, model.FieldSize(act))
	if err != nil {
		return nil, err
	}
	var layers []flow.Layer
	for i, l := range r.Flow.Layers {
		name := fmt.Sprintf("flow.%d", i)
		built, err := l.build(name, lat, uint64(r.Seed), uint64(i))
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

// build makes the layer(s) of one [[flow.layers]] table: Repeat layers
// named name.0, name.1, … (just name for one), their mask parities
// alternating. Conditioner weights are initialised from the stream
// (seed, init, table, layer), so the model is a function of the run's seed.
func (l *Layer) build(name string, lat *lattice.Lattice, seed, table uint64) ([]flow.Layer, error) {
	ipsdKnots := 8
	if l.IPSDKnots != nil {
		ipsdKnots = *l.IPSDKnots
	}
	switch l.Kind {
	case "fourier":
		f, err := flow.NewFourier(name, lat, ipsdKnots, l.ExcludeZeroMode != nil && *l.ExcludeZeroMode)
		if err != nil {
			return nil, err
		}
		return []flow.Layer{f}, nil
	case "pade":
		return []flow.Layer{flow.NewPade(name)}, nil
	case "mean_field", "psd":
		knots, sym, scale := 10, true, false
		if l.Knots != nil {
			knots = *l.Knots
		}
		if l.Symmetric != nil {
			sym = *l.Symmetric
		}
		if l.FinalScale != nil {
			scale = *l.FinalScale
		}
		if l.Kind == "psd" {
			s, err := flow.NewPSD(name, lat, knots, sym, scale, ipsdKnots)
			if err != nil {
				return nil, err
			}
			return []flow.Layer{s}, nil
		}
		m, err := flow.NewMeanField(name, knots, sym, scale)
		if err != nil {
			return nil, err
		}
		return []flow.Layer{m}, nil
	}
	if l.Kind == "gauge_coupling" {
		return l.buildGauge(name, lat, seed, table)
	}
	if l.Kind == "dist_convertor" {
		knots, sym, scale := 10, true, false
		if l.Knots != nil {
			knots = *l.Knots
		}
		if l.Symmetric != nil {
			sym = *l.Symmetric
		}
		if l.FinalScale != nil {
			scale = *l.FinalScale
		}
		d, err := flow.NewDistConvertor(name, knots, sym, scale)
		if err != nil {
			return nil, err
		}
		return []flow.Layer{d}, nil
	}
	repeat, parity := 1, 0
	if l.Repeat != nil {
		repeat = *l.Repeat
	}
	if l.Parity != nil {
		parity = *l.Parity
	}
	z2 := l.Z2 != nil && *l.Z2
	spec := nn.NetSpec{In: 1, Hidden: l.Hidden, Kernel: 3, Activation: []string{"tanh"}, Bias: !z2, Precision: "float32"}
	if l.Kernel != nil {
		spec.Kernel = *l.Kernel
	}
	if l.Activation != nil {
		spec.Activation = []string{*l.Activation}
	}
	if l.Bias != nil {
		spec.Bias = *l.Bias
	}
	if l.FinalActivation != nil {
		spec.FinalActivation = *l.FinalActivation
	}
	if l.Dense != nil && *l.Dense {
		spec.Dense, spec.Kernel = true, 0
	}
	if l.Precision != nil {
		spec.Precision = *l.Precision
	}
	spec.ZeroLast = l.ZeroInit != nil && *l.ZeroInit
	scale := flow.ScaleTanh
	if l.Scale != nil {
		scale = flow.ScaleMode(*l.Scale)
	}
	knots, bound := 8, float64(flow.DefaultRQSBound)
	if l.Knots != nil {
		knots = *l.Knots
	}
	if l.Bound != nil {
		bound = *l.Bound
	}
	// The Z2 shift and the t (and, in seed mode, s) of the Z2 affine layer
	// need an odd conditioner: no bias, odd activation.
	oddNet := z2 && (l.Kind == "shift_coupling" || l.Kind == "affine_coupling")
	if oddNet {
		if spec.Bias {
			return nil, fmt.Errorf("bias = true: a z2 %s needs an odd conditioner, without bias", l.Kind)
		}
		for _, a := range []string{spec.Activation[0], spec.FinalActivation} {
			if a != "tanh" && a != "none" && a != "" {
				return nil, fmt.Errorf("activation %q: a z2 %s needs odd activations (tanh or none)", a, l.Kind)
			}
		}
	}
	var out []flow.Layer
	for k := 0; k < repeat; k++ {
		lname := name
		if repeat > 1 {
			lname = fmt.Sprintf("%s.%d", name, k)
		}
		p := (parity + k) % 2
		var mask []bool
		if l.Mask != nil && *l.Mask == "axis" {
			axis := 0
			if l.Axis != nil {
				axis = *l.Axis
			}
			var err error
			if mask, err = flow.AxisMask(lat, axis, p); err != nil {
				return nil, err
			}
		} else {
			mask = flow.Checkerboard(lat, p)
		}
		init := rng.New(seed, 0x1417, table, uint64(k))
		netSeed := init.Uint64()
		var layer flow.Layer
		var err error
		switch l.Kind {
		case "shift_coupling":
			spec.Out = 1
			var net *nn.Net
			if net, err = nn.NewNet(lname+".net", lat, spec, netSeed); err == nil {
				layer, err = flow.NewShiftCoupling(lname, lat, mask, net, flow.ShiftOptions{Z2: z2})
			}
		case "affine_coupling":
			opts := flow.AffineOptions{Scale: scale, Z2: z2}
			spec.Out = 2
			if z2 && scale != flow.ScaleSeed {
				// t from an odd net; the log-scale from a net fed |c| (even).
				spec.Out = 1
				sspec := spec
				sspec.Bias = l.Bias == nil || *l.Bias
				var snet *nn.Net
				if snet, err = nn.NewNet(lname+".snet", lat, sspec, init.Uint64()); err != nil {
					return nil, err
				}
				opts.ScaleNet = snet
			}
			var net *nn.Net
			if net, err = nn.NewNet(lname+".net", lat, spec, netSeed); err == nil {
				layer, err = flow.NewAffineCoupling(lname, lat, mask, net, opts)
			}
		case "spline_coupling":
			spec.Out = 3*knots - 2
			if z2 && l.Bias == nil {
				spec.Bias = true // fed |c|: the parameters are even whatever the net
			}
			var net *nn.Net
			if net, err = nn.NewNet(lname+".net", lat, spec, netSeed); err == nil {
				layer, err = flow.NewRQSCoupling(lname, lat, mask, net, flow.RQSOptions{Knots: knots, Bound: bound, Z2: z2})
			}
		default:
			return nil, fmt.Errorf("kind = %q: unknown layer", l.Kind)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, layer)
	}
	return out, nil
}

// TrainOptions converts the [train] table (seed from the top level).
func (r *Run) TrainOptions() (train.Options, error) {
	g, err := train.ParseGradient(r.Train.Gradient)
	if err != nil {
		return train.Options{}, fmt.Errorf("train.%w", err)
	}
	wd := 0.01
	if r.Train.WeightDecay != nil {
		wd = *r.Train.WeightDecay
	}
	if wd == 0 {
		wd = train.NoWeightDecay
	}
	sched := train.Constant
	if r.Train.LRSchedule != "" {
		if sched, err = train.ParseSchedule(r.Train.LRSchedule); err != nil {
			return train.Options{}, fmt.Errorf("train.%w", err)
		}
	}
	groups := map[string]train.Group{}
	for i, l := range r.Flow.Layers {
		if l.LR == nil && l.WeightDecay == nil {
			continue
		}
		g := train.Group{LR: r.Train.LR, WeightDecay: 0.01}
		if r.Train.WeightDecay != nil {
			g.WeightDecay = *r.Train.WeightDecay
		}
		if l.LR != nil {
			g.LR = *l.LR
		}
		if l.WeightDecay != nil {
			g.WeightDecay = *l.WeightDecay
		}
		groups[fmt.Sprintf("flow.%d", i)] = g
	}
	return train.Options{
		Epochs: r.Train.Epochs, Batch: r.Train.Batch, LR: r.Train.LR, WeightDecay: wd,
		Gradient: g, PrintStride: r.Train.PrintStride, Seed: uint64(r.Seed), MicroBatch: r.Train.MicroBatch,
		Schedule: sched, LRMinFactor: r.Train.LRMinFactor, AnnealEpochs: r.Train.AnnealEpochs, Groups: groups,
	}, nil
}
