// Package config reads a TOML run description (lattice, action, prior, flow,
// training) and builds the model and trainer settings from it. Unknown keys and
// out-of-range values are errors that name the key and what is allowed.
//
// Parse (or Load) reads a description, Run.BuildModel makes its model
// (package model) and Run.TrainOptions its train.Options; the example shows
// the whole path to a trained model. examples/seed_1site.toml lists every key
// of the seed example with its default; package examples embeds the
// documented run descriptions.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// MaxSites bounds the lattice volume (2^24 sites, e.g. 64^4): beyond it a
// batch of fields no longer fits a machine, and a typo must not allocate it.
const MaxSites = 1 << 24

// Limits on the size of a run, checked by Validate so that a typo (an extra
// zero) is an error naming the key rather than an out-of-memory crash:
// MaxLayerSetting bounds knots, ipsd_knots, repeat, kernel and every hidden
// channel count; MaxParams the (estimated) number of flow parameters;
// MaxBatchSites the batch size times the number of sites.
const (
	MaxLayerSetting = 4096
	MaxParams       = 1 << 26
	MaxBatchSites   = 1 << 28
)

// Run is a whole run description. Every field maps to one TOML key.
type Run struct {
	Seed    int64   `toml:"seed"` // ≥ 0; the random streams are keyed by it
	Lattice Lattice `toml:"lattice"`
	Action  Action  `toml:"action"`
	Prior   Prior   `toml:"prior"`
	Flow    Flow    `toml:"flow"`
	Train   Train   `toml:"train"`
}

// Lattice is the [lattice] table.
type Lattice struct {
	Shape []int `toml:"shape"` // extents, one per axis; [1] is one site
}

// Action is the [action] table. Which parameters are needed depends on the
// convention (docs/conventions.md §2):
//
//	seed:        kappa, m_sq, lambd, a (a defaults to 1)
//	albergo2019: m_sq, lambd
//	hopping:     kappa, lambd
//	ising:       beta, lambd
//
// Kind "u1" is U(1) lattice gauge theory in d = 2, 3, 4 with the Wilson
// action S = −β Σ_P cos θ_P (package gauge): it takes beta only, no
// convention; its flows (gauge_coupling) are 2-d only.
// Kind "wilson" is SU(N) lattice gauge theory in d = 2, 3, 4 with
// S = −(β/N) Σ_P Re Tr U_P (package sungauge): it takes n and beta.
type Action struct {
	Kind       string   `toml:"kind"`       // "phi4" (default) | "u1" | "matrix" | "wilson"
	Convention string   `toml:"convention"` // phi4: seed (default) | albergo2019 | hopping | ising
	Kappa      *float64 `toml:"kappa,omitempty"`
	MSq        *float64 `toml:"m_sq,omitempty"`
	Lambd      *float64 `toml:"lambd,omitempty"`
	A          *float64 `toml:"a,omitempty"`
	Beta       *float64 `toml:"beta,omitempty"`
	// Kind "matrix" (SU(N) one-matrix models, docs/sun.md §11): n (2 or 3),
	// beta, and coeffs c_1, c_2, … of S = −(β/N) Re Tr Σ_k c_k U^k
	// (absent: S = −(β/N) Re Tr U); lattice.shape [] is one matrix.
	// Kind "wilson" (SU(N) lattice gauge theory, docs/sun.md §10): n (2 or
	// 3) and beta on a lattice of d = 2, 3 or 4 axes.
	N      *int      `toml:"n,omitempty"`
	Coeffs []float64 `toml:"coeffs,omitempty"`
	// Kind "matrix" with a staple matrix G instead of coeffs:
	// S = −(β/N) Re Tr(U G), G given as its real and imaginary parts, n rows
	// of n numbers each (staple_im absent: G real).
	StapleRe [][]float64 `toml:"staple_re,omitempty"`
	StapleIm [][]float64 `toml:"staple_im,omitempty"`
}

// Prior is the [prior] table.
type Prior struct {
	// Kind: normal (default for phi4) | uniform | free_field | haar (the
	// uniform Haar measure of U(1) links, default and only choice for u1;
	// for matrix and wilson the Haar measure of SU(N) on every matrix).
	Kind  string   `toml:"kind"`
	Loc   *float64 `toml:"loc,omitempty"`
	Scale *float64 `toml:"scale,omitempty"`
	Low   *float64 `toml:"low,omitempty"`
	High  *float64 `toml:"high,omitempty"`
	// free_field: Gaussian with covariance (κ(−Δ) + m²)⁻¹ (docs/conventions.md §4.3).
	Kappa *float64 `toml:"kappa,omitempty"`
	MSq   *float64 `toml:"m_sq,omitempty"`
}

// Flow is the [flow] table: a list of layers applied in order.
type Flow struct {
	Layers []Layer `toml:"layers"`
}

// Layer is one [[flow.layers]] table. Kind selects the layer; each kind reads
// only its own settings (see layerKeys), and a setting of another kind is an
// error.
type Layer struct {
	Kind       string `toml:"kind"`
	Knots      *int   `toml:"knots,omitempty"`
	Symmetric  *bool  `toml:"symmetric,omitempty"`
	FinalScale *bool  `toml:"final_scale,omitempty"`
	// LR and WeightDecay, on any layer, put its parameters in a group of
	// their own with these AdamW settings (the [train] values otherwise).
	LR          *float64 `toml:"lr,omitempty"`
	WeightDecay *float64 `toml:"weight_decay,omitempty"`

	// Coupling layers (shift_coupling, affine_coupling, spline_coupling).
	// Repeat makes that many layers of this table, the mask parity
	// alternating from Parity: 0, 1, 0, … (default 1 layer, parity 0).
	Repeat *int    `toml:"repeat,omitempty"`
	Mask   *string `toml:"mask,omitempty"`   // checkerboard (default) | axis
	Axis   *int    `toml:"axis,omitempty"`   // the axis of mask = "axis"
	Parity *int    `toml:"parity,omitempty"` // 0 or 1: which sites the first layer updates
	// The conditioner: conv net with these hidden channels (or a dense net).
	Hidden []int `toml:"hidden,omitempty"`
	// Kernel: of a conditioner, odd, default 3; of cnf, the largest offset
	// per axis the kernel reaches, at most half the largest lattice extent
	// (0 or absent: the whole lattice).
	Kernel     *int    `toml:"kernel,omitempty"`
	Activation *string `toml:"activation,omitempty"` // tanh (default) | relu | leaky_relu | softplus | none
	// FinalActivation follows the conditioner's last layer (default none);
	// "tanh" bounds every output, as in Albergo et al.'s tutorial.
	FinalActivation *string  `toml:"final_activation,omitempty"`
	Bias            *bool    `toml:"bias,omitempty"`      // default true (false with z2)
	Dense           *bool    `toml:"dense,omitempty"`     // fully connected conditioner
	Precision       *string  `toml:"precision,omitempty"` // float32 (default) | float64
	ZeroInit        *bool    `toml:"zero_init,omitempty"` // zero the last layer: a fresh coupling is the identity
	Scale           *string  `toml:"scale,omitempty"`     // affine: tanh (default) | seed | none
	Z2              *bool    `toml:"z2,omitempty"`        // Z2-symmetric layer: f(−z) = −f(z)
	Bound           *float64 `toml:"bound,omitempty"`     // spline: interval [−bound, bound], default 5
	// fourier / psd: knots of the inverse-power-spectrum spline (default 8);
	// fourier: leave the zero mode untouched (default false).
	IPSDKnots       *int  `toml:"ipsd_knots,omitempty"`
	ExcludeZeroMode *bool `toml:"exclude_zero_mode,omitempty"`
	// cnf (continuous flow, docs/conventions.md §5.19): steps RK4 steps
	// (default 90), freqs features sin(ω_b φ) besides φ (default 3),
	// time_freqs time frequencies, giving 1 + 2·time_freqs time features
	// (default 2), kernel (above), local = true adds a local term
	// Σ_c U_c(t) sin(ν_c φ_x) (default false).
	Steps *int `toml:"steps,omitempty"`
	// TrainSteps: the RK4 steps of a cnf layer's training passes (default:
	// steps); sampling uses steps (docs/conventions.md §5.19).
	TrainSteps *int  `toml:"train_steps,omitempty"`
	Freqs      *int  `toml:"freqs,omitempty"`
	TimeFreqs  *int  `toml:"time_freqs,omitempty"`
	Local      *bool `toml:"local,omitempty"`
	// Basis of a cnf kernel's weights: "position" (default; one per orbit
	// of offsets) or "momentum" (one per orbit of momenta, the modes'
	// gains K̂(k); needs kernel = 0); docs/conventions.md §5.19.
	Basis *string `toml:"basis,omitempty"`
	// gauge_coupling on SU(N) links (action kind wilson, docs/sun.md
	// §10.5): the period of the mask stripes, 2 or 4 (default 4 where every
	// extent is a multiple of 4, else 2); freqs (above) are then SU(3)'s
	// terms of the second spline (default 2; SU(2): 0).
	Period *int `toml:"period,omitempty"`
}

// layerKeys lists, per layer kind, the settings it accepts (besides lr and
// weight_decay, which every kind accepts).
var layerKeys = map[string][]string{
	"dist_convertor":  {"knots", "symmetric", "final_scale"},
	"shift_coupling":  append([]string{}, couplingKeys...),
	"affine_coupling": append([]string{"scale"}, couplingKeys...),
	"spline_coupling": append([]string{"knots", "bound"}, couplingKeys...),
	"fourier":         {"ipsd_knots", "exclude_zero_mode"},
	"mean_field":      {"knots", "symmetric", "final_scale"},
	"psd":             {"knots", "symmetric", "final_scale", "ipsd_knots"},
	"pade":            {},
	"cnf":             {"steps", "train_steps", "freqs", "time_freqs", "kernel", "local", "basis"},
	// Gauge-equivariant coupling of U(1) links (action kind u1, d = 2, 3,
	// 4): repeat = n layers cycling the link direction μ = k mod d and the
	// stripe offset ⌊k/d⌋ mod 4; a circular spline with knots knots. On
	// SU(N) links (kind wilson, docs/sun.md §10.5) μ = k mod d, ν = μ+1
	// mod d, offset ⌊k/d⌋ mod period, and also freqs and period.
	"gauge_coupling": {"knots", "repeat", "hidden", "kernel", "activation", "final_activation", "bias", "precision", "zero_init", "freqs", "period"},
	// Stapled-link coupling of SU(N) links (action kind wilson, docs/sun.md
	// §10.7): repeat = n layers, layer k on the links of direction
	// μ = k mod d at the sites of parity ⌊k/d⌋ mod 2; kernel default 1.
	"staple_coupling": {"knots", "repeat", "hidden", "kernel", "activation", "final_activation", "bias", "precision", "zero_init", "freqs"},
	// Spectral map of SU(N) matrices (action kind matrix, docs/sun.md §13):
	// knots per spline (default 8), freqs terms of h_2 (SU(3), default 2).
	"spectral": {"knots", "freqs", "repeat"},
}

var couplingKeys = []string{"repeat", "mask", "axis", "parity", "hidden", "kernel", "activation", "final_activation", "bias", "dense", "precision", "zero_init", "z2"}

// Train is the [train] table.
type Train struct {
	Epochs      int      `toml:"epochs"`
	Batch       int      `toml:"batch"`
	LR          float64  `toml:"lr"`
	WeightDecay *float64 `toml:"weight_decay,omitempty"`
	Gradient    string   `toml:"gradient"`
	PrintStride int      `toml:"print_stride"`
	MicroBatch  int      `toml:"micro_batch,omitempty"`
	// LRSchedule is "constant" (default) or "cosine"; with cosine the
	// learning rates fall to LRMinFactor times their start value (default 0).
	LRSchedule  string  `toml:"lr_schedule,omitempty"`
	LRMinFactor float64 `toml:"lr_min_factor,omitempty"`
	// AnnealEpochs ramps the target log p → α log p, α from 1/n to 1 over
	// the first n epochs (default 0: no annealing).
	AnnealEpochs int `toml:"anneal_epochs,omitempty"`
	// MaxBadSteps stops the run after that many consecutive steps with a
	// non-finite loss or gradient (default 0: train.DefaultMaxBadSteps).
	MaxBadSteps int `toml:"max_bad_steps,omitempty"`
	// InitFrom is a run directory whose trained weights start this run
	// instead of the identity initialisation (volume transfer: the same
	// layers trained on another lattice size; run.InitFrom). A relative path
	// is relative to the working directory. Default "": none.
	InitFrom string `toml:"init_from,omitempty"`
}

// Parse decodes a run description, rejecting unknown keys, and validates it.
func Parse(data []byte) (*Run, error) {
	r, err := decode(data)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// decode reads TOML into a Run, rejecting unknown keys, and fills in the
// documented defaults.
func decode(data []byte) (*Run, error) {
	var r Run
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&r)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("line %d: %s", perr.Position.Line, perr.Message)
		}
		return nil, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("unknown key %s (misspelled? see examples/seed_1site.toml for the known keys)", strings.Join(keys, ", "))
	}
	r.fillDefaults(md)
	return &r, nil
}

// Load reads and parses a run description file; errors name the file.
func Load(path string) (*Run, error) {
	return load(path, Parse)
}

func load(path string, parse func([]byte) (*Run, error)) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Encode writes the run description as TOML (the form stored in checkpoints).
func (r *Run) Encode() (string, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(r); err != nil {
		return "", err
	}
	return b.String(), nil
}

// fillDefaults sets the documented defaults of keys the file does not give
// (a key given as 0 stays 0 and is rejected by Validate where 0 is not allowed).
func (r *Run) fillDefaults(md toml.MetaData) {
	unset := func(key ...string) bool { return !md.IsDefined(key...) }
	if r.Action.Kind == "" {
		r.Action.Kind = "phi4"
	}
	if r.Action.Kind == "phi4" && r.Action.Convention == "" {
		r.Action.Convention = "seed"
	}
	if r.Action.Kind == "phi4" && r.Action.Convention == "seed" && r.Action.A == nil {
		one := 1.0
		r.Action.A = &one
	}
	if r.Prior.Kind == "" {
		r.Prior.Kind = "normal"
		if r.Action.Kind == "u1" || r.Action.Kind == "matrix" || r.Action.Kind == "wilson" {
			r.Prior.Kind = "haar"
		}
	}
	t := &r.Train
	if unset("train", "epochs") {
		t.Epochs = 1000
	}
	if unset("train", "batch") {
		t.Batch = 1024
	}
	if unset("train", "lr") {
		t.LR = 1e-3
	}
	if t.WeightDecay == nil {
		wd := 0.01
		t.WeightDecay = &wd
	}
	if unset("train", "gradient") {
		t.Gradient = "path"
	}
	if unset("train", "print_stride") {
		t.PrintStride = 100
	}
}

// Validate checks every value and names the first offending key.
func (r *Run) Validate() error {
	if err := r.ValidateTheory(); err != nil {
		return err
	}
	if err := r.Prior.validate(); err != nil {
		return err
	}
	if err := r.validateMatrix(); err != nil {
		return err
	}
	if err := r.validateGauge(); err != nil {
		return err
	}
	if err := r.validateWilsonFlow(); err != nil {
		return err
	}
	if len(r.Flow.Layers) == 0 {
		return fmt.Errorf("flow.layers is empty: give at least one [[flow.layers]] table")
	}
	for i, l := range r.Flow.Layers {
		if err := l.validate(fmt.Sprintf("flow.layers[%d]", i)); err != nil {
			return err
		}
		if err := l.validateCNF(fmt.Sprintf("flow.layers[%d]", i), r.Lattice.Shape); err != nil {
			return err
		}
	}
	if err := r.Train.Validate(); err != nil {
		return err
	}
	return r.validateSize(r.sites())
}

func (a *Action) validate() error {
	if a.Kind == "matrix" {
		return a.validateMatrixKind()
	}
	if err := a.rejectMatrixKeys(); err != nil {
		return err
	}
	if a.Kind == "u1" {
		return a.validateU1()
	}
	if a.Kind == "wilson" {
		return a.validateWilson()
	}
	if a.Kind != "phi4" {
		return fmt.Errorf("action.kind = %q: allowed: \"phi4\", \"u1\", \"matrix\", \"wilson\"", a.Kind)
	}
	need := map[string][]string{
		"seed":        {"kappa", "m_sq", "lambd", "a"},
		"albergo2019": {"m_sq", "lambd"},
		"hopping":     {"kappa", "lambd"},
		"ising":       {"beta", "lambd"},
	}
	keys, ok := need[a.Convention]
	if !ok {
		return fmt.Errorf("action.convention = %q: allowed: seed, albergo2019, hopping, ising", a.Convention)
	}
	set := map[string]*float64{"kappa": a.Kappa, "m_sq": a.MSq, "lambd": a.Lambd, "a": a.A, "beta": a.Beta}
	for _, k := range keys {
		v := set[k]
		if v == nil {
			return fmt.Errorf("action.%s is missing: convention %s needs %s", k, a.Convention, strings.Join(keys, ", "))
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			return fmt.Errorf("action.%s = %g: must be a finite number", k, *v)
		}
		delete(set, k)
	}
	for _, k := range []string{"kappa", "m_sq", "lambd", "a", "beta"} {
		if set[k] != nil {
			return fmt.Errorf("action.%s is not a parameter of convention %s (it takes %s)", k, a.Convention, strings.Join(keys, ", "))
		}
	}
	if a.A != nil && *a.A <= 0 {
		return fmt.Errorf("action.a = %g: the lattice spacing must be positive", *a.A)
	}
	return nil
}

func (p *Prior) validate() error {
	switch p.Kind {
	case "normal":
		if p.Low != nil || p.High != nil {
			return fmt.Errorf("prior.low/prior.high are settings of kind \"uniform\", not \"normal\" (it takes loc, scale)")
		}
		if p.Scale != nil && !(*p.Scale > 0 && !math.IsInf(*p.Scale, 0)) {
			return fmt.Errorf("prior.scale = %g: must be a positive finite number", *p.Scale)
		}
		if p.Loc != nil && (math.IsNaN(*p.Loc) || math.IsInf(*p.Loc, 0)) {
			return fmt.Errorf("prior.loc = %g: must be a finite number", *p.Loc)
		}
	case "uniform":
		if p.Loc != nil || p.Scale != nil {
			return fmt.Errorf("prior.loc/prior.scale are settings of kind \"normal\", not \"uniform\" (it takes low, high)")
		}
		if p.Low == nil || p.High == nil {
			return fmt.Errorf("prior kind \"uniform\" needs prior.low and prior.high")
		}
		if !(*p.High > *p.Low) || math.IsInf(*p.Low, 0) || math.IsInf(*p.High, 0) {
			return fmt.Errorf("prior.low = %g, prior.high = %g: need finite low < high", *p.Low, *p.High)
		}
	case "haar":
		if p.Loc != nil || p.Scale != nil || p.Low != nil || p.High != nil || p.Kappa != nil || p.MSq != nil {
			return fmt.Errorf("prior kind \"haar\" takes no settings (link angles uniform on (−π, π])")
		}
	case "free_field":
		if p.Loc != nil || p.Scale != nil || p.Low != nil || p.High != nil {
			return fmt.Errorf("prior kind \"free_field\" takes kappa and m_sq only")
		}
		if p.Kappa == nil || p.MSq == nil {
			return fmt.Errorf("prior kind \"free_field\" needs prior.kappa and prior.m_sq")
		}
		if !(*p.Kappa > 0 && !math.IsInf(*p.Kappa, 0)) || !(*p.MSq > 0 && !math.IsInf(*p.MSq, 0)) {
			return fmt.Errorf("prior.kappa = %g, prior.m_sq = %g: both must be positive and finite", *p.Kappa, *p.MSq)
		}
	default:
		return fmt.Errorf("prior.kind = %q: allowed: normal, uniform, free_field, haar", p.Kind)
	}
	if p.Kind != "free_field" && (p.Kappa != nil || p.MSq != nil) {
		return fmt.Errorf("prior.kappa/prior.m_sq are settings of kind \"free_field\", not %q", p.Kind)
	}
	return nil
}

func (l *Layer) validate(where string) error {
	allowed, ok := layerKeys[l.Kind]
	if !ok {
		kinds := make([]string, 0, len(layerKeys))
		for k := range layerKeys {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		if l.Kind == "" {
			return fmt.Errorf("%s.kind is missing: allowed: %s", where, strings.Join(kinds, ", "))
		}
		return fmt.Errorf("%s.kind = %q: allowed: %s", where, l.Kind, strings.Join(kinds, ", "))
	}
	set := map[string]bool{"knots": l.Knots != nil, "symmetric": l.Symmetric != nil, "final_scale": l.FinalScale != nil,
		"repeat": l.Repeat != nil, "mask": l.Mask != nil, "axis": l.Axis != nil, "parity": l.Parity != nil,
		"hidden": l.Hidden != nil, "kernel": l.Kernel != nil, "activation": l.Activation != nil, "bias": l.Bias != nil,
		"final_activation": l.FinalActivation != nil,
		"dense":            l.Dense != nil, "precision": l.Precision != nil, "zero_init": l.ZeroInit != nil,
		"scale": l.Scale != nil, "z2": l.Z2 != nil, "bound": l.Bound != nil,
		"ipsd_knots": l.IPSDKnots != nil, "exclude_zero_mode": l.ExcludeZeroMode != nil,
		"steps": l.Steps != nil, "train_steps": l.TrainSteps != nil, "freqs": l.Freqs != nil, "time_freqs": l.TimeFreqs != nil, "local": l.Local != nil,
		"basis": l.Basis != nil, "period": l.Period != nil}
	for _, k := range allowed {
		delete(set, k)
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if set[k] {
			return fmt.Errorf("%s.%s is not a setting of kind %s (it takes %s)", where, k, l.Kind, strings.Join(allowed, ", "))
		}
	}
	if l.Knots != nil && *l.Knots < 2 {
		return fmt.Errorf("%s.knots = %d: must be an integer >= 2", where, *l.Knots)
	}
	if l.IPSDKnots != nil && *l.IPSDKnots < 2 {
		return fmt.Errorf("%s.ipsd_knots = %d: must be an integer >= 2", where, *l.IPSDKnots)
	}
	if l.Repeat != nil && *l.Repeat < 1 {
		return fmt.Errorf("%s.repeat = %d: must be a positive integer", where, *l.Repeat)
	}
	if l.Mask != nil && *l.Mask != "checkerboard" && *l.Mask != "axis" {
		return fmt.Errorf("%s.mask = %q: allowed: checkerboard, axis", where, *l.Mask)
	}
	if l.Axis != nil && (l.Mask == nil || *l.Mask != "axis") {
		return fmt.Errorf("%s.axis is a setting of mask = \"axis\"", where)
	}
	if l.Parity != nil && *l.Parity != 0 && *l.Parity != 1 {
		return fmt.Errorf("%s.parity = %d: must be 0 or 1", where, *l.Parity)
	}
	for j, h := range l.Hidden {
		if h <= 0 {
			return fmt.Errorf("%s.hidden[%d] = %d: channel counts must be positive integers", where, j, h)
		}
	}
	if l.Kernel != nil && l.Kind != "cnf" && (*l.Kernel < 1 || *l.Kernel%2 == 0) {
		return fmt.Errorf("%s.kernel = %d: must be an odd positive integer", where, *l.Kernel)
	}
	if l.Steps != nil && *l.Steps < 1 {
		return fmt.Errorf("%s.steps = %d: must be a positive integer", where, *l.Steps)
	}
	if l.TrainSteps != nil && *l.TrainSteps < 1 {
		return fmt.Errorf("%s.train_steps = %d: must be a positive integer", where, *l.TrainSteps)
	}
	for key, p := range map[string]*int{"freqs": l.Freqs, "time_freqs": l.TimeFreqs} {
		if p != nil && *p < 0 {
			return fmt.Errorf("%s.%s = %d: must be an integer >= 0", where, key, *p)
		}
	}
	if l.Local != nil && *l.Local && l.Freqs != nil && *l.Freqs == 0 {
		return fmt.Errorf("%s.local = true needs freqs >= 1 (the local term has freqs frequencies)", where)
	}
	if l.Basis != nil && *l.Basis != "position" && *l.Basis != "momentum" {
		return fmt.Errorf("%s.basis = %q: allowed: position, momentum", where, *l.Basis)
	}
	if l.Basis != nil && *l.Basis == "momentum" && l.Kernel != nil && *l.Kernel != 0 {
		return fmt.Errorf("%s.basis = \"momentum\" needs kernel = 0 (the whole lattice), not %d", where, *l.Kernel)
	}
	if l.Scale != nil && *l.Scale != "tanh" && *l.Scale != "seed" && *l.Scale != "none" {
		return fmt.Errorf("%s.scale = %q: allowed: tanh, seed, none", where, *l.Scale)
	}
	if l.Precision != nil && *l.Precision != "float32" && *l.Precision != "float64" {
		return fmt.Errorf("%s.precision = %q: allowed: float32, float64", where, *l.Precision)
	}
	if l.Bound != nil && !(*l.Bound > 0 && !math.IsInf(*l.Bound, 0)) {
		return fmt.Errorf("%s.bound = %g: must be a positive finite number", where, *l.Bound)
	}
	if l.LR != nil && !(*l.LR > 0 && !math.IsInf(*l.LR, 0)) {
		return fmt.Errorf("%s.lr = %g: must be a positive finite number", where, *l.LR)
	}
	if l.WeightDecay != nil && !(*l.WeightDecay >= 0 && !math.IsInf(*l.WeightDecay, 0)) {
		return fmt.Errorf("%s.weight_decay = %g: must be a finite number >= 0", where, *l.WeightDecay)
	}
	return nil
}

// Validate checks the [train] table.
func (t *Train) Validate() error {
	switch {
	case t.Epochs <= 0:
		return fmt.Errorf("train.epochs = %d: must be a positive integer", t.Epochs)
	case t.Batch <= 0:
		return fmt.Errorf("train.batch = %d: must be a positive integer", t.Batch)
	case !(t.LR > 0) || math.IsInf(t.LR, 0):
		return fmt.Errorf("train.lr = %g: must be a positive finite number", t.LR)
	case t.WeightDecay != nil && !(*t.WeightDecay >= 0 && !math.IsInf(*t.WeightDecay, 0)):
		return fmt.Errorf("train.weight_decay = %g: must be a finite number >= 0", *t.WeightDecay)
	case t.Gradient != "path" && t.Gradient != "plain":
		return fmt.Errorf("train.gradient = %q: allowed: path, plain", t.Gradient)
	case t.PrintStride <= 0:
		return fmt.Errorf("train.print_stride = %d: must be a positive integer", t.PrintStride)
	case t.MicroBatch < 0:
		return fmt.Errorf("train.micro_batch = %d: must be a positive integer (0: default ⌈batch/8⌉)", t.MicroBatch)
	case t.LRSchedule != "" && t.LRSchedule != "constant" && t.LRSchedule != "cosine":
		return fmt.Errorf("train.lr_schedule = %q: allowed: constant, cosine", t.LRSchedule)
	case !(t.LRMinFactor >= 0 && t.LRMinFactor <= 1):
		return fmt.Errorf("train.lr_min_factor = %g: must lie in [0, 1]", t.LRMinFactor)
	case t.AnnealEpochs < 0:
		return fmt.Errorf("train.anneal_epochs = %d: must be >= 0", t.AnnealEpochs)
	case t.MaxBadSteps < 0:
		return fmt.Errorf("train.max_bad_steps = %d: must be a positive integer (0: default 100)", t.MaxBadSteps)
	}
	return nil
}

// validateSize checks the limits on the size of a run (see MaxParams).
func (r *Run) validateSize(sites int) error {
	if r.Train.Batch > MaxBatchSites/sites {
		return fmt.Errorf("train.batch = %d: with %d sites a batch holds more than %d values (the limit, MaxBatchSites)", r.Train.Batch, sites, MaxBatchSites)
	}
	total := 0.0
	for i, l := range r.Flow.Layers {
		where := fmt.Sprintf("flow.layers[%d]", i)
		for key, p := range map[string]*int{"knots": l.Knots, "ipsd_knots": l.IPSDKnots, "repeat": l.Repeat, "kernel": l.Kernel,
			"steps": l.Steps, "train_steps": l.TrainSteps, "freqs": l.Freqs, "time_freqs": l.TimeFreqs} {
			if p != nil && *p > MaxLayerSetting {
				return fmt.Errorf("%s.%s = %d: at most %d", where, key, *p, MaxLayerSetting)
			}
		}
		for j, h := range l.Hidden {
			if h > MaxLayerSetting {
				return fmt.Errorf("%s.hidden[%d] = %d: at most %d channels", where, j, h, MaxLayerSetting)
			}
		}
		if l.Kind == "cnf" {
			// At most one weight per site for each time feature and feature.
			total += float64(1+2*or(l.TimeFreqs, 2)) * float64(2+or(l.Freqs, 3)) * float64(sites)
			if total > MaxParams {
				return fmt.Errorf("%s: the flow would have about %.3g parameters, more than %d (the limit, MaxParams): fewer freqs or time_freqs, or a smaller kernel", where, total, MaxParams)
			}
			continue
		}
		// A conditioner maps its input channels through the hidden ones to
		// its outputs with kernel^d (conv) or sites² (dense) weights each.
		reps, kernel := 1.0, 3.0
		if l.Kind == "staple_coupling" {
			kernel = 1 // per-site conditioners by default
		}
		if l.Repeat != nil {
			reps = float64(*l.Repeat)
		}
		if l.Kernel != nil {
			kernel = float64(*l.Kernel)
		}
		per := math.Pow(kernel, float64(len(r.Lattice.Shape)))
		if l.Dense != nil && *l.Dense {
			per = float64(sites) * float64(sites)
		}
		in, out := r.conditionerChannels(l)
		chans := append(append([]float64{in}, floats(l.Hidden)...), out)
		for j := 1; j < len(chans); j++ {
			total += reps * per * chans[j-1] * chans[j]
		}
		if l.IPSDKnots != nil {
			total += 3 * float64(*l.IPSDKnots)
		}
		if total > MaxParams {
			return fmt.Errorf("%s: the flow would have about %.3g parameters, more than %d (the limit, MaxParams): fewer hidden channels, layers or knots", where, total, MaxParams)
		}
	}
	return nil
}

// conditionerChannels bounds the input and output channels of the
// conditioners of layer l: on SU(N) links (action kind wilson) the features
// of a gauge coupling (Re, Im Tr of the frozen plaquettes of d(d−1)/2 planes)
// or of a stapled-link coupling (at most 4 invariants of the staple sum), and
// the spectral parameters (freqs+1)(3·knots−2) (docs/sun.md §9, §10.5,
// §10.7); otherwise a few channels in and at most 3·knots+2 out.
func (r *Run) conditionerChannels(l Layer) (in, out float64) {
	knots := float64(or(l.Knots, 10))
	if r.Action.Kind == "wilson" && (l.Kind == "gauge_coupling" || l.Kind == "staple_coupling") {
		knots = float64(or(l.Knots, 8))
		out = float64(or(l.Freqs, 2)+1) * (3*knots - 2)
		if l.Kind == "staple_coupling" {
			return 4, out
		}
		d := float64(len(r.Lattice.Shape))
		return d * (d - 1), out
	}
	return 4, 3*knots + 2
}

func floats(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// validateCNF checks the lattice-dependent settings of a cnf table: a
// lattice with at least one axis, and a kernel reaching at most half the
// largest extent (flow.NewCNF).
func (l *Layer) validateCNF(where string, shape []int) error {
	if l.Kind != "cnf" {
		return nil
	}
	half := 0
	for _, e := range shape {
		half = max(half, e/2)
	}
	if l.Kernel != nil && (*l.Kernel < 0 || *l.Kernel > half) {
		return fmt.Errorf("%s.kernel = %d: must lie in [0, %d] on lattice %v (half its largest extent; 0 is the whole lattice)", where, *l.Kernel, half, shape)
	}
	return nil
}
