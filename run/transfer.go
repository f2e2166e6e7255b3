package run

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/normflow/normflow-go/flow"
	"github.com/normflow/normflow-go/model"
)

// InitFrom sets the parameters of m to the trained weights of the run in dir
// (its model.safetensors, verified as by Load): volume transfer, a flow
// trained on a small lattice as the start of one on a larger lattice
// (docs/conventions.md §6.10). The two flows must have the same parameters,
// name by name and shape by shape; that holds for every layer whose
// parameters do not depend on the lattice size: convolutional conditioners
// (their kernels act on neighbourhoods, not on the whole lattice), the
// spline of a Fourier/PSD block (a function of the normalised momentum
// k̂²/k̂²_max, so the spectrum learned on L is read at the momenta of L′),
// distribution convertors, mean-field blocks and Padé layers. The kernel
// weights of a CNF layer, one per orbit of offsets, are carried by orbit
// (flow.CNF.TransferFrom). Dense conditioners (weights per pair of sites)
// differ with the volume and are refused. A mismatch is an error that lists
// every differing parameter.
func InitFrom(m *model.Model, dir string) error {
	_, from, err := Load(dir)
	if err != nil {
		return fmt.Errorf("init_from %s: %w", dir, err)
	}
	have := map[string][]int{}
	values := map[string][]float64{}
	for _, p := range from.Params.Params {
		have[p.Name], values[p.Name] = p.Shape, p.Value
	}
	cnfHere, cnfThere := cnfLayers(m.Flow), cnfLayers(from.Flow)
	var carry [][2]*flow.CNF // CNF layers whose kernels are carried by orbit
	var diffs []string       // "name: how", in parameter order
	for _, p := range m.Params.Params {
		s, ok := have[p.Name]
		here, there := cnfHere[p.Name], cnfThere[p.Name]
		switch {
		case !ok:
			diffs = append(diffs, p.Name+" is not in "+dir)
		case here != nil && there != nil:
			if err := here.CanTransferFrom(there); err != nil {
				diffs = append(diffs, fmt.Sprintf("%s has shape %v there, %v here: %v", p.Name, s, p.Shape, err))
			} else {
				carry = append(carry, [2]*flow.CNF{here, there})
			}
		case !slices.Equal(s, p.Shape):
			diffs = append(diffs, fmt.Sprintf("%s has shape %v there, %v here", p.Name, s, p.Shape))
		}
		delete(have, p.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(have)) {
		diffs = append(diffs, name+" is only in "+dir)
	}
	if len(diffs) > 0 {
		var layers []string
		for _, d := range diffs {
			if l := layerOf(d); len(layers) == 0 || layers[len(layers)-1] != l {
				layers = append(layers, l)
			}
		}
		noun := "layer"
		if len(layers) > 1 {
			noun = "layers"
		}
		return fmt.Errorf("init_from %s: the flows differ in %s %s (first difference: %s); volume transfer needs the same layers with the same settings, and no dense conditioners",
			dir, noun, strings.Join(layers, ", "), diffs[0])
	}
	for _, p := range m.Params.Params {
		copy(p.Value, values[p.Name])
	}
	for _, c := range carry {
		if err := c[0].TransferFrom(c[1]); err != nil {
			return err // checked above
		}
	}
	return nil
}

// cnfLayers maps the name of the kernel weights of every CNF layer of f to
// the layer.
func cnfLayers(f flow.Layer) map[string]*flow.CNF {
	out := map[string]*flow.CNF{}
	var walk func(flow.Layer)
	walk = func(l flow.Layer) {
		switch l := l.(type) {
		case *flow.Sequence:
			for _, k := range l.Layers {
				walk(k)
			}
		case *flow.CNF:
			out[l.Weights.Name] = l
		}
	}
	walk(f)
	return out
}

// layerOf returns the layer of the parameter a difference (as listed by
// InitFrom: "name has …") is about: "flow.N" for the parameters of
// [[flow.layers]] table N, "flow.N.k" for those of its k-th repetition
// (names like flow.1.3.net.0.weight, flow.0.widths).
func layerOf(diff string) string {
	name, _, _ := strings.Cut(diff, " ")
	parts := strings.SplitN(name, ".", 4)
	n := 2
	if len(parts) > 3 {
		if _, err := strconv.Atoi(parts[2]); err == nil {
			n = 3
		}
	}
	return strings.Join(parts[:min(n, len(parts))], ".")
}
