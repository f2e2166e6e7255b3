package config

import (
	"fmt"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/model"
	"github.com/normflow/normflow-go/prior"
	"github.com/normflow/normflow-go/train"
)

// BuildModel makes the model a run describes, with freshly initialised
// (identity) flow parameters.
func (r *Run) BuildModel() (*model.Model, error) {
	lat, err := lattice.New(r.Lattice.Shape...)
	if err != nil {
		return nil, err
	}
	act, err := r.Action.build(lat)
	if err != nil {
		return nil, err
	}
	pr, err := r.Prior.build(lat.Volume())
	if err != nil {
		return nil, err
	}
	layers := make([]flow.Layer, len(r.Flow.Layers))
	for i, l := range r.Flow.Layers {
		name := fmt.Sprintf("flow.%d", i)
		if layers[i], err = l.build(name); err != nil {
			return nil, fmt.Errorf("flow.layers[%d]: %w", i, err)
		}
		if l.LR != nil || l.WeightDecay != nil {
			for _, p := range layers[i].Params() {
				p.Group = name
			}
		}
	}
	return model.New(pr, flow.NewSequence(layers...), act)
}

func (a *Action) build(lat *lattice.Lattice) (action.Action, error) {
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

func (p *Prior) build(n int) (prior.Prior, error) {
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
	}
	return nil, fmt.Errorf("prior.kind = %q: allowed: normal, uniform", p.Kind)
}

func (l *Layer) build(name string) (flow.Layer, error) {
	switch l.Kind {
	case "dist_convertor":
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
		return flow.NewDistConvertor(name, knots, sym, scale)
	}
	return nil, fmt.Errorf("kind = %q: unknown layer", l.Kind)
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
