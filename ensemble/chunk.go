package ensemble

import (
	"fmt"
	"math"
	"slices"

	"github.com/normflow/normflow-go/gauge"
	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/observable"
	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/store"
)

// Ensembles are drawn, written and measured chunk by chunk (stream.go,
// output.go, shards.go, source.go): a chunk of configurations is in memory
// at a time, and what outlives it are a few numbers per configuration — the
// series the analysis needs (Drawn). docs/architecture.md §4.4 and §7.5.

// The samplers an ensemble comes from, as its manifest names them
// (shards.go).
const (
	SamplerRaw          = "raw"          // raw flow samples (reweighted with w = p/q)
	SamplerIndependence = "independence" // independence-Metropolis chain
	SamplerBlocked      = "blocked"      // blocked Metropolis chain
	SamplerHMC          = "hmc"          // hybrid Monte Carlo
)

// Chunk is a run of consecutive configurations of an ensemble.
type Chunk struct {
	Phi        []float64 // [k, values]: φ, or the link angles θ (not wrapped)
	LogQ, LogP []float64 // [k]; nil for HMC
	Accepted   []bool    // [k]; nil for raw flow samples
	// ProposalLogW is log p − log q of the flow samples drawn (for a
	// chain, of its proposals); nil for a blocked chain and HMC.
	ProposalLogW []float64
	DeltaH       []float64 // [k] HMC's energy change per trajectory; nil otherwise
}

// appendChunk appends the arrays of d to those of c (an array d lacks is
// left alone).
func (c *Chunk) appendChunk(d *Chunk) {
	c.Phi = append(c.Phi, d.Phi...)
	c.LogQ = appendSome(c.LogQ, d.LogQ)
	c.LogP = appendSome(c.LogP, d.LogP)
	c.Accepted = appendSome(c.Accepted, d.Accepted)
	c.ProposalLogW = appendSome(c.ProposalLogW, d.ProposalLogW)
	c.DeltaH = appendSome(c.DeltaH, d.DeltaH)
}

// appendSome appends b to a when b is not nil (so that an array no chunk
// has stays nil).
func appendSome[T any](a, b []T) []T {
	if b == nil {
		return a
	}
	return append(a, b...)
}

// grow makes room for n more configurations in the named arrays of c.
func (c *Chunk) grow(n int, names []string) {
	for _, name := range names {
		switch name {
		case "logq":
			c.LogQ = slices.Grow(c.LogQ, n)
		case "logp":
			c.LogP = slices.Grow(c.LogP, n)
		case "accepted":
			c.Accepted = slices.Grow(c.Accepted, n)
		case "deltaH":
			c.DeltaH = slices.Grow(c.DeltaH, n)
		}
	}
}

// reset empties c, keeping its memory.
func (c *Chunk) reset() {
	c.Phi, c.LogQ, c.LogP = c.Phi[:0], c.LogQ[:0], c.LogP[:0]
	c.Accepted, c.ProposalLogW, c.DeltaH = c.Accepted[:0], c.ProposalLogW[:0], c.DeltaH[:0]
}

// Arrays is what a configuration of an ensemble is stored as: the field
// kind, the lattice and the sampler, which decides the arrays besides the
// configurations (ScalarArrays).
type Arrays struct {
	Kind    FieldKind
	Lattice []int
	Sampler string
	// ColorN is N of the SU(N) kinds (0 for the others).
	ColorN int
}

// ScalarArrays are the per-configuration arrays an ensemble holds besides
// its configurations: logq, logp for raw flow samples, and accepted for a
// chain; accepted and deltaH for HMC.
func (a Arrays) ScalarArrays() []string {
	switch a.Sampler {
	case SamplerRaw:
		return []string{"logq", "logp"}
	case SamplerHMC:
		return []string{"accepted", "deltaH"}
	}
	return []string{"logq", "logp", "accepted"}
}

// Values is the number of float64 values in one configuration (for the
// SU(N) kinds, 2 per complex number).
func (a Arrays) Values() int { return a.Kind.ValuesN(a.Lattice, a.ColorN) }

// fieldShape is the shape of the configurations' array for n of them:
// [n, lattice…], or [n, d, lattice…] for links, and for SU(N) matrices
// (complex) [n, lattice…, N, N] or [n, d, lattice…, N, N].
func (a Arrays) fieldShape(n int) []int {
	shape := []int{n}
	if a.Kind == U1Links || a.Kind == SUNLinks {
		shape = append(shape, len(a.Lattice))
	}
	shape = append(shape, a.Lattice...)
	if a.Kind.IsSUN() {
		shape = append(shape, a.ColorN, a.ColorN)
	}
	return shape
}

// fieldArray is the configurations phi [n, Values()] as the array stored:
// float64, or for the SU(N) kinds complex128 viewing the (re, im) pairs
// of phi without copying them.
func (a Arrays) fieldArray(phi []float64, n int) store.Array {
	x := store.Array{Name: a.Kind.Array(), Shape: a.fieldShape(n), Data: a.fieldValues(phi)}
	if a.Kind.IsSUN() {
		x.Data = store.Complex128s(phi)
	}
	return x
}

// fieldValues are the values stored for configurations phi: phi itself,
// or for U(1) links (package gauge) a copy with every angle wrapped
// into (−π, π] (the flow's output is not wrapped; the physics is
// 2π-periodic).
func (a Arrays) fieldValues(phi []float64) []float64 {
	if a.Kind != U1Links {
		return phi
	}
	theta := append([]float64(nil), phi...)
	gauge.WrapAll(theta)
	return theta
}

// scalarArray is the array name of chunk c.
func scalarArray(name string, c *Chunk) store.Array {
	var data any
	n := 0
	switch name {
	case "logq":
		data, n = c.LogQ, len(c.LogQ)
	case "logp":
		data, n = c.LogP, len(c.LogP)
	case "accepted":
		data, n = c.Accepted, len(c.Accepted)
	case "deltaH":
		data, n = c.DeltaH, len(c.DeltaH)
	}
	return store.Array{Name: name, Shape: []int{n}, Data: data}
}

// storeArrays are the arrays of n configurations c as written to disk.
func (a Arrays) storeArrays(c *Chunk, n int) []store.Array {
	arrays := []store.Array{a.fieldArray(c.Phi, n)}
	for _, name := range a.ScalarArrays() {
		arrays = append(arrays, scalarArray(name, c))
	}
	return arrays
}

// BytesPerConfiguration is the size on disk of one configuration with its
// scalar arrays (8 bytes a number, 1 a boolean).
func (a Arrays) BytesPerConfiguration() int64 {
	b := int64(8 * a.Values())
	for _, name := range a.ScalarArrays() {
		if name == "accepted" {
			b++
		} else {
			b += 8
		}
	}
	return b
}

// OutputBytes is about the space n configurations take on disk, as one
// .npz (dir false) or as an ensemble directory of shards of chunk
// configurations: the arrays, and every file's headers (zip entries, .npy
// headers, the manifest), rounded up. math.MaxInt64 when it is more.
func (a Arrays) OutputBytes(n, chunk int, dir bool) int64 {
	files := int64(1)
	if dir {
		files = int64((n + chunk - 1) / max(chunk, 1))
	}
	const perArray, perFile, manifest = 512, 512, 4096
	overhead := files*(perFile+perArray*int64(1+len(a.ScalarArrays()))) + manifest + 16*files
	return addSat(mulSat(int64(n), a.BytesPerConfiguration()), overhead)
}

// MemoryBytes is about the memory a streaming run of n configurations in
// chunks of chunk needs besides the model: the chunk (drawn, gathered and
// copied for writing), and per configuration the numbers Drawn keeps
// (series, weights, accept history; the slice correlators with twoPoint)
// and the scalar arrays a single .npz output keeps (npz), twice (the
// garbage collector lets the heap grow to twice what is live), and the
// analysis's temporary copies at the end. Measured: a chain of a scalar
// field keeps 33 bytes per configuration, and its peak memory grows by
// about 110 bytes per configuration. math.MaxInt64 when it is more.
func (a Arrays) MemoryBytes(n, chunk int, twoPoint, npz bool) int64 {
	var kept int64
	switch {
	case a.Kind == U1Links && len(a.Lattice) > 2:
		kept = 8 * (2 + 3) // plaquette, |P| and about three Wilson loops
	case a.Kind == U1Links:
		kept = 2 * 8 // Q, plaquette
	case a.Kind == SUNMatrices:
		kept = 3 * 8 // (1/N) Re Tr U, (1/N) Re Tr U², |Tr U|²
	case a.Kind == SUNLinks:
		kept = 8 * (2 + 1 + 3) // plaquette, |P|, Q and about three Wilson loops
	case twoPoint:
		kept = int64(3+a.Lattice[0]) * 8 // φ², φ⁴, M, C(t)
	default:
		kept = 3 * 8
	}
	if a.Sampler != SamplerRaw {
		kept++ // accepted
	}
	if a.Sampler == SamplerRaw || a.Sampler == SamplerIndependence {
		kept += 8 // proposal log weights
	}
	if a.Sampler == SamplerRaw {
		kept += 8 // weights
	}
	if npz {
		kept += a.BytesPerConfiguration() - int64(8*a.Values())
	}
	const temporaries = 64 // the analysis's copies (Γ-method, jackknife, log Z)
	return addSat(mulSat(int64(n), 2*kept+temporaries), mulSat(3*int64(chunk), int64(8*a.Values())))
}

// mulSat and addSat are a·b and a+b for non-negative numbers, at most
// math.MaxInt64.
func mulSat(a, b int64) int64 {
	if b != 0 && a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Drawn is an ensemble that was drawn chunk by chunk (and written, or not):
// not its configurations but what its analysis needs, a few numbers per
// configuration — the observables' series, the proposals' log weights, the
// accept/reject history.
type Drawn struct {
	Kind   FieldKind
	Shape  []int // lattice shape
	ColorN int   // N of the SU(N) kinds
	N      int
	// Chain is the kind of Metropolis chain ("independence", "blocked";
	// empty for raw flow samples and HMC) and ChainSteps its total number
	// of steps so far.
	Chain      string
	ChainSteps uint64
	// ProposalLogW is log p − log q of the flow samples drawn (nil for a
	// blocked chain and HMC); Accepted the accept/reject history of a chain
	// or HMC; LogW log p − log q of raw flow samples, their weights.
	ProposalLogW []float64
	Accepted     []bool
	LogW         []float64
	// The series of the observables: Scalar for a scalar field (with the
	// slice correlators when asked for), Gauge for U(1) links, SUN for
	// SU(N) matrices, Links for SU(N) links.
	Scalar *observable.ScalarSeries
	Gauge  *observable.GaugeSeries
	SUN    *observable.SUNSeries
	Links  *observable.LinkSeries
}

// newDrawn starts the analysis of an ensemble of arrays a; twoPoint keeps
// the slice correlators for G(t); loops is the largest Wilson loop of SU(N)
// links (≤ 0: DefaultLoops).
func newDrawn(a Arrays, twoPoint bool, loops int) (*Drawn, error) {
	d := &Drawn{Kind: a.Kind, Shape: a.Lattice, ColorN: a.ColorN}
	lat, err := lattice.New(a.Lattice...)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Kind == U1Links:
		d.Gauge, err = observable.NewGaugeSeries(lat)
		return d, err
	case a.Kind == SUNLinks:
		d.Links, err = observable.NewLinkSeries(lat, a.ColorN, Loops(lat, loops))
		return d, err
	case a.Kind.IsSUN():
		d.SUN, err = observable.NewSUNSeries(lat, a.ColorN, false)
		return d, err
	}
	d.Scalar = observable.NewScalarSeries(lat, twoPoint)
	return d, nil
}

// grow makes room for n more configurations of a sampler, so that the
// series take exactly the memory they need.
func (d *Drawn) grow(n int, sampler string) {
	switch {
	case d.Gauge != nil:
		d.Gauge.Grow(n)
	case d.SUN != nil:
		d.SUN.Grow(n)
	case d.Links != nil:
		d.Links.Grow(n)
	default:
		d.Scalar.Grow(n)
	}
	if sampler == SamplerRaw || sampler == SamplerIndependence {
		d.ProposalLogW = slices.Grow(d.ProposalLogW, n)
	}
	if sampler == SamplerRaw {
		d.LogW = slices.Grow(d.LogW, n)
	} else {
		d.Accepted = slices.Grow(d.Accepted, n)
	}
}

// add appends the configurations of c to the analysis; SU(N) matrices
// that are not finite or not in SU(N) are an error (observable.SUNSeries,
// LinkSeries).
func (d *Drawn) add(c *Chunk) error {
	switch {
	case d.Gauge != nil:
		d.Gauge.Add(c.Phi)
	case d.SUN != nil:
		if err := d.SUN.Add(c.Phi); err != nil {
			return err
		}
	case d.Links != nil:
		if err := d.Links.Add(c.Phi); err != nil {
			return err
		}
	default:
		d.Scalar.Add(c.Phi)
	}
	d.N += len(c.Phi) / max(d.Kind.ValuesN(d.Shape, d.ColorN), 1)
	d.ProposalLogW = appendSome(d.ProposalLogW, c.ProposalLogW)
	d.Accepted = appendSome(d.Accepted, c.Accepted)
	if c.Accepted == nil && c.LogQ != nil { // raw flow samples: their weights
		for i, q := range c.LogQ {
			d.LogW = append(d.LogW, c.LogP[i]-q)
		}
	}
	return nil
}

// Analyse computes ESS and log Z of the flow samples drawn, the acceptance
// rate (a chain) and the observables: reweighted with w = p/q for raw flow
// samples (binned-jackknife errors), averaged plainly for a chain (errors
// from the Γ-method, as normflow measure gives them: docs/conventions.md §7.5).
func (d *Drawn) Analyse() *Report {
	r := &Report{N: d.N, MCMC: d.Accepted != nil, Chain: d.Chain, ChainSteps: d.ChainSteps}
	if d.ProposalLogW != nil {
		ess := stats.ESS(d.ProposalLogW)
		lz, lzErr := stats.LogZ(d.ProposalLogW)
		r.ESS, r.LogZ = &ess, &observable.Estimate{Mean: lz, Err: lzErr}
	}
	if d.Accepted != nil {
		rate, err := stats.AcceptanceRate(d.Accepted)
		r.AcceptRate, r.AcceptErr = &rate, &err
	} else {
		r.Reweighted = true
	}
	switch {
	case d.Gauge != nil:
		r.Observables = d.Gauge.Measure(d.LogW, 0).Observables
	case d.SUN != nil:
		r.Observables = d.SUN.Measure(d.LogW, 0).Observables
	case d.Links != nil:
		r.Observables = d.Links.Measure(d.LogW, 0).Observables
	case d.LogW == nil: // a chain: the Γ-method, as normflow measure reports it
		all := d.Scalar.Measure(nil, 0).Observables
		r.Observables = make(map[string]observable.Estimate, len(observable.ScalarNames))
		for _, name := range observable.ScalarNames {
			r.Observables[name] = all[name]
		}
	default:
		r.Observables = d.Scalar.Scalar(d.LogW, 0)
	}
	return r
}

// Loops is the largest Wilson loop size measured on SU(N) links of lat
// when loops is asked for: loops itself when positive, else
// observable.DefaultLoops, but at most observable.LoopsAllowed(lat) (the
// default shrinks on small lattices; an explicit size is checked by
// observable.NewLinkSeries).
func Loops(lat *lattice.Lattice, loops int) int {
	if loops > 0 {
		return loops
	}
	return max(0, min(observable.DefaultLoops, observable.LoopsAllowed(lat)))
}

// fieldFloats is the configurations' array x as float64 values: a real
// array for the real kinds, a complex128 one (its (re, im) pairs, not
// copied) for the SU(N) kinds; the other is an error naming the dtype.
func (a Arrays) fieldFloats(x store.Array) ([]float64, error) {
	if a.Kind.IsSUN() != x.IsComplex() {
		return nil, dtypeError(a.Kind, x.Name, x.IsComplex())
	}
	if a.Kind.IsSUN() {
		return x.ComplexPairs()
	}
	return x.Float64s()
}

// dtypeError says that the configurations' array name of kind is complex
// (complex true) where real numbers are wanted, or the other way round.
func dtypeError(kind FieldKind, name string, complex bool) error {
	if kind.IsSUN() {
		return fmt.Errorf("%s is a real array: SU(N) matrices (%s) must be complex128 (<c16)", name, kind)
	}
	return fmt.Errorf("%s is a complex array: a %s field must be real (float64)", name, kind)
}

// describe names the field in messages: "sun_matrices (SU(3))".
func (a Arrays) describe() string {
	if a.Kind.IsSUN() {
		return fmt.Sprintf("%s (SU(%d))", a.Kind, a.ColorN)
	}
	return a.Kind.String()
}
