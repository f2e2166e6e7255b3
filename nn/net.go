package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/normflow/normflow-go/lattice"
)

// NetSpec describes a conditioner network (docs/conventions.md §5.9): a stack of
// circular convolutions (or, with Dense, fully connected layers) with an
// activation after every hidden layer.
type NetSpec struct {
	// In and Out are the channel counts of the input and output fields.
	In, Out int
	// Hidden lists the hidden layers: their channel counts in a convolutional
	// net, their widths (features) in a dense net. Empty: one layer In → Out.
	Hidden []int
	// Kernel is the odd kernel size k of every convolution, the same along
	// every lattice axis (k = 1 is a per-site linear map). A dense net has no
	// kernel: leave it 0.
	Kernel int
	// Activation follows each hidden layer: one name for all hidden layers or
	// one per hidden layer, from "tanh", "relu", "leaky_relu", "softplus",
	// "none".
	Activation []string
	// FinalActivation follows the last layer; "" means "none".
	FinalActivation string
	// Bias gives every layer a bias.
	Bias bool
	// ZeroLast zeroes the last layer's weights and bias, so that the net's
	// output is 0 and a fresh coupling is the identity.
	ZeroLast bool
	// Precision is the arithmetic of the net, "float32" (default when empty)
	// or "float64". Parameters are float64 either way.
	Precision string
	// Dense makes a fully connected net over the flattened channels·sites
	// features instead of a convolutional one.
	Dense bool
}

var _ Conditioner = (*Net)(nil)

// Net is a conditioner network: it implements Conditioner. Its master
// parameters are float64; it computes in the precision of its spec, with the
// weights converted once per distinct parameter values, not once per call.
type Net struct {
	name    string
	spec    NetSpec
	lat     *lattice.Lattice
	stencil *Stencil // nil for a dense net
	layers  []netLayer
	params  []*Param
	f64     bool

	// w32 or w64 (by precision) caches the weights of the parameter values
	// they were built from; Forward is called concurrently by several workers.
	w32 atomic.Pointer[netWeights[float32]]
	w64 atomic.Pointer[netWeights[float64]]
}

// netLayer is one convolution or dense layer followed by an activation.
type netLayer struct {
	in, out         int // channels (conv) or features (dense)
	inSize, outSize int // scalars per sample of the layer's input and output
	act             Activation
	w, b            *Param // b is nil without bias
}

// netWeights holds the weights of one set of parameter values in the
// compute precision T. It is immutable once built and shared by concurrent
// passes and the VJPs they return.
type netWeights[T Float] struct {
	src [][]float64 // the parameter values it was built from (in Net.params order)
	// w per layer: conv: the kernel in convNN's tap-major form [out, taps·in];
	// dense: the weights as stored, [out, in].
	w [][]T
	b [][]T // per layer: bias (zeros without)
	// wt per layer: conv: the flipped, transposed kernel of the input VJP
	// [in, taps·out]; dense: Wᵀ [in, out] of the forward product.
	wt [][]T
}

// NewNet builds the network of spec on lat, with parameters named
// name+".0.weight", name+".0.bias", name+".1.weight", … of shapes
// [out, in, k, …, k] (d kernel axes) and [out] for a convolutional net,
// [out, in] and [out] for a dense one. Weights and biases are drawn like
// PyTorch's defaults, uniform in ±1/√fan_in with fan_in = in·k^d (dense: in
// features), from a PCG generator seeded by seed; ZeroLast then zeroes the
// last layer. Every field of spec is validated; errors name the field.
func NewNet(name string, lat *lattice.Lattice, spec NetSpec, seed uint64) (*Net, error) {
	fail := func(err error) (*Net, error) {
		return nil, fmt.Errorf("nn: net %q: %v", name, err)
	}
	if err := checkShape(lat, spec); err != nil {
		return fail(err)
	}
	acts, err := layerActivations(spec)
	if err != nil {
		return fail(err)
	}
	if spec.Precision, err = checkPrecision(spec.Precision); err != nil {
		return fail(err)
	}
	spec.Hidden = slices.Clone(spec.Hidden)
	spec.Activation = slices.Clone(spec.Activation)
	n := &Net{name: name, spec: spec, lat: lat, f64: spec.Precision == "float64"}
	if !spec.Dense {
		if n.stencil, err = NewStencil(lat, spec.Kernel); err != nil {
			return fail(err)
		}
	}
	n.initLayers(acts, seed)
	return n, nil
}

// checkShape validates the sizes of spec (channels, hidden widths, kernel)
// and that lat suits it.
func checkShape(lat *lattice.Lattice, spec NetSpec) error {
	if lat == nil {
		return errors.New("nil lattice")
	}
	if spec.In < 1 {
		return fmt.Errorf("in = %d: must be a positive integer", spec.In)
	}
	if spec.Out < 1 {
		return fmt.Errorf("out = %d: must be a positive integer", spec.Out)
	}
	for i, h := range spec.Hidden {
		if h < 1 {
			return fmt.Errorf("hidden[%d] = %d: must be a positive integer", i, h)
		}
	}
	if spec.Dense {
		if spec.Kernel != 0 {
			return fmt.Errorf("kernel = %d: a dense net has no kernel; leave it 0", spec.Kernel)
		}
		return nil
	}
	if spec.Kernel < 1 || spec.Kernel%2 == 0 {
		return fmt.Errorf("kernel = %d: must be an odd positive integer", spec.Kernel)
	}
	if d := lat.Dim(); d < 1 || d > 4 {
		return fmt.Errorf("a convolutional net needs a lattice of 1 to 4 axes, not %d (lattice %s); a dense net takes any", d, lat)
	}
	return nil
}

// layerActivations parses the activations of spec into one per layer: those
// of the hidden layers (spec.Activation, one name for all or one each), then
// the final one (Identity for "").
func layerActivations(spec NetSpec) ([]Activation, error) {
	nh := len(spec.Hidden)
	acts := make([]Activation, nh+1)
	switch {
	case len(spec.Activation) == 0 && nh > 0:
		return nil, fmt.Errorf("activation: missing: give one name for all hidden layers or one per hidden layer (%s)",
			strings.Join(ActivationNames(), ", "))
	case len(spec.Activation) > 1 && len(spec.Activation) != nh:
		return nil, fmt.Errorf("activation: %d names for %d hidden layers: give one name for all hidden layers or one per hidden layer",
			len(spec.Activation), nh)
	}
	for i, s := range spec.Activation {
		a, err := ParseActivation(s)
		if err != nil {
			if len(spec.Activation) == 1 {
				return nil, fmt.Errorf("activation: %v", err)
			}
			return nil, fmt.Errorf("activation[%d]: %v", i, err)
		}
		if len(spec.Activation) == 1 {
			for j := range nh {
				acts[j] = a
			}
		} else {
			acts[i] = a
		}
	}
	acts[nh] = Identity
	if spec.FinalActivation != "" {
		a, err := ParseActivation(spec.FinalActivation)
		if err != nil {
			return nil, fmt.Errorf("final_activation: %v", err)
		}
		acts[nh] = a
	}
	return acts, nil
}

// checkPrecision returns the compute precision named by p ("" means float32).
func checkPrecision(p string) (string, error) {
	switch p {
	case "":
		return "float32", nil
	case "float32", "float64":
		return p, nil
	}
	return "", fmt.Errorf("precision = %q: allowed are float32, float64", p)
}

// initLayers makes the layers, one per pair of adjacent widths In,
// Hidden…, Out, the one of index l followed by acts[l], and draws their
// parameters (see NewNet); ZeroLast then zeroes the last layer's.
func (n *Net) initLayers(acts []Activation, seed uint64) {
	widths := slices.Concat([]int{n.spec.In}, n.spec.Hidden, []int{n.spec.Out})
	r := rand.New(rand.NewPCG(seed, 0x6e6e2e696e6974)) // "nn.init"
	for l := 0; l+1 < len(widths); l++ {
		ly, fanIn := n.newLayer(l, widths[l], widths[l+1], l+2 == len(widths), acts[l])
		bound := 1 / math.Sqrt(float64(fanIn))
		uniform(r, bound, ly.w.Value)
		n.params = append(n.params, ly.w)
		if ly.b != nil {
			uniform(r, bound, ly.b.Value)
			n.params = append(n.params, ly.b)
		}
		n.layers = append(n.layers, ly)
	}
	if n.spec.ZeroLast {
		last := n.layers[len(n.layers)-1]
		clear(last.w.Value)
		if last.b != nil {
			clear(last.b.Value)
		}
	}
}

// newLayer makes layer l (the last one when last) from in to out channels
// with activation act and zero parameters, and returns it with its fan-in:
// in·k^d for a convolution (weight [out, in, k, …, k]); a dense layer
// (weight [out, in]) has in features, times the sites for the first layer,
// which sees channels·sites features, as the last one gives out·sites.
func (n *Net) newLayer(l, in, out int, last bool, act Activation) (ly netLayer, fanIn int) {
	prefix := n.name
	if prefix != "" {
		prefix += "."
	}
	v := n.lat.Volume()
	ly = netLayer{in: in, out: out, act: act}
	if n.stencil == nil {
		if l == 0 {
			ly.in *= v
		}
		if last {
			ly.out *= v
		}
		ly.inSize, ly.outSize = ly.in, ly.out
		ly.w = NewParam(fmt.Sprintf("%s%d.weight", prefix, l), ly.out, ly.in)
		fanIn = ly.in
	} else {
		kshape := slices.Repeat([]int{n.spec.Kernel}, n.lat.Dim())
		ly.inSize, ly.outSize = in*v, out*v
		ly.w = NewParam(fmt.Sprintf("%s%d.weight", prefix, l), slices.Concat([]int{out, in}, kshape)...)
		fanIn = in * n.stencil.Taps()
	}
	if n.spec.Bias {
		ly.b = NewParam(fmt.Sprintf("%s%d.bias", prefix, l), ly.out)
	}
	return ly, fanIn
}

// uniform fills v with deviates uniform in [−bound, bound).
func uniform(r *rand.Rand, bound float64, v []float64) {
	for i := range v {
		v[i] = bound * (2*r.Float64() - 1)
	}
}

// Name is the prefix of the parameter names.
func (n *Net) Name() string { return n.name }

// Spec returns the spec the net was built from (Precision filled in).
func (n *Net) Spec() NetSpec {
	s := n.spec
	s.Hidden = slices.Clone(s.Hidden)
	s.Activation = slices.Clone(s.Activation)
	return s
}

// Lattice is the lattice the net works on.
func (n *Net) Lattice() *lattice.Lattice { return n.lat }

// Params lists the parameters: each layer's weight, then its bias.
func (n *Net) Params() []*Param { return slices.Clone(n.params) }

// InChannels is the channel count of the input field.
func (n *Net) InChannels() int { return n.spec.In }

// OutChannels is the channel count of the output field.
func (n *Net) OutChannels() int { return n.spec.Out }

// Forward maps x [batch, In, sites] to y [batch, Out, sites]; see Conditioner.
// It is safe for concurrent use as long as the parameter values do not change
// during the call.
func (n *Net) Forward(x, y []float64, batch int, keep bool) NetBackward {
	v := n.lat.Volume()
	if len(x) != batch*n.spec.In*v || len(y) != batch*n.spec.Out*v {
		panic(fmt.Sprintf("nn: net %q: batch %d of %d→%d channels on %d sites: len(x) = %d, len(y) = %d",
			n.name, batch, n.spec.In, n.spec.Out, v, len(x), len(y)))
	}
	if n.f64 {
		return netForward(n, loadWeights(n, &n.w64), x, y, batch, keep)
	}
	return netForward(n, loadWeights(n, &n.w32), x, y, batch, keep)
}

// loadWeights returns the cached weights if they were built from the current
// parameter values, and otherwise builds and caches new ones.
func loadWeights[T Float](n *Net, slot *atomic.Pointer[netWeights[T]]) *netWeights[T] {
	if c := slot.Load(); c != nil && c.current(n.params) {
		return c
	}
	c := buildWeights[T](n)
	slot.Store(c)
	return c
}

// current reports whether c was built from the present values of ps.
func (c *netWeights[T]) current(ps []*Param) bool {
	for i, p := range ps {
		if !slices.Equal(c.src[i], p.Value) {
			return false
		}
	}
	return true
}

func buildWeights[T Float](n *Net) *netWeights[T] {
	c := &netWeights[T]{src: make([][]float64, len(n.params))}
	for i, p := range n.params {
		c.src[i] = slices.Clone(p.Value)
	}
	for _, ly := range n.layers {
		w := make([]T, ly.w.Size())
		Convert(w, ly.w.Value)
		wt := make([]T, len(w))
		if n.stencil != nil {
			wk := make([]T, len(w))
			convKernel(ly.out, ly.in, n.stencil.taps, w, wk)
			convKernelVJP(ly.out, ly.in, n.stencil.taps, w, wt)
			w = wk
		} else {
			transpose(ly.out, ly.in, w, wt)
		}
		b := make([]T, ly.out)
		if ly.b != nil {
			Convert(b, ly.b.Value)
		}
		c.w, c.wt, c.b = append(c.w, w), append(c.wt, wt), append(c.b, b)
	}
	return c
}

// denseGradChunk is the number of samples whose weight cotangents a dense
// layer sums in the compute precision before adding them to the float64
// gradient.
const denseGradChunk = 64

// netForward runs the layers in precision T. With keep it returns the VJP,
// which holds the input x (converted) and every layer's output.
func netForward[T Float](n *Net, wts *netWeights[T], x, y []float64, batch int, keep bool) NetBackward {
	if n.stencil != nil {
		return netForwardConv(n, wts, x, y, batch, keep)
	}
	nl := len(n.layers)
	maxSize := n.layers[0].inSize
	for _, ly := range n.layers {
		maxSize = max(maxSize, ly.outSize)
	}
	var kept [][]T // kept[l] is the input of layer l, kept[nl] the output
	var ping [2][]T
	if keep {
		kept = make([][]T, nl+1)
	} else {
		ping[0], ping[1] = make([]T, batch*maxSize), make([]T, batch*maxSize)
	}
	buffer := func(l, size int) []T { // the output buffer of layer l−1
		if keep {
			kept[l] = make([]T, batch*size)
			return kept[l]
		}
		return ping[l%2][:batch*size]
	}
	h := buffer(0, n.layers[0].inSize)
	Convert(h, x)
	for l, ly := range n.layers {
		out := buffer(l+1, ly.outSize)
		denseForward(ly.in, ly.out, batch, h, wts.wt[l], wts.b[l], out)
		Activate(ly.act, out, out)
		h = out
	}
	Convert(y, h)
	if !keep {
		return nil
	}
	return func(dy, dx []float64, grads *Grads) {
		n.checkVJP(dy, dx, len(y), len(x))
		// cotangents of the layer outputs, in two buffers used in turn
		bufs := [2][]T{make([]T, batch*maxSize), make([]T, batch*maxSize)}
		cur := 0
		g := bufs[cur][:len(dy)]
		Convert(g, dy)
		for l := nl - 1; l >= 0; l-- {
			ly := n.layers[l]
			in := kept[l]
			ActivationVJP(ly.act, kept[l+1], g, g)
			if gw := grads.Of(ly.w); gw != nil {
				tw := make([]T, len(gw))
				gt := make([]T, min(batch, denseGradChunk)*ly.out)
				for b0 := 0; b0 < batch; b0 += denseGradChunk {
					nb := min(denseGradChunk, batch-b0)
					transpose(nb, ly.out, g[b0*ly.out:(b0+nb)*ly.out], gt)
					clear(tw)
					gemm(ly.out, ly.in, nb, gt, nb, in[b0*ly.in:], ly.in, tw, ly.in)
					addTo(gw, tw)
				}
			}
			if ly.b != nil {
				if gb := grads.Of(ly.b); gb != nil {
					for b := 0; b < batch; b++ {
						for o, v := range g[b*ly.out : (b+1)*ly.out] {
							gb[o] += float64(v)
						}
					}
				}
			}
			if l == 0 && dx == nil {
				return
			}
			cur = 1 - cur
			gin := bufs[cur][:batch*ly.inSize]
			clear(gin)
			gemm(batch, ly.in, ly.out, g, ly.out, wts.w[l], ly.in, gin, ly.in)
			g = gin
		}
		Convert(dx, g)
	}
}

// checkVJP panics unless the cotangents of a VJP have the lengths of the
// output (ny) and input (nx) of its forward pass.
func (n *Net) checkVJP(dy, dx []float64, ny, nx int) {
	if len(dy) != ny || (dx != nil && len(dx) != nx) {
		panic(fmt.Sprintf("nn: net %q VJP: len(dy) = %d, len(dx) = %d; want %d and %d",
			n.name, len(dy), len(dx), ny, nx))
	}
}

// netForwardConv is netForward for a convolutional net. It runs the batch
// in blocks of samples (csb.go), each block through all layers; with keep,
// every layer's input and output stay in block layout for the VJP, which
// also runs block by block. Weight cotangents are summed over a block in T
// and over blocks in float64.
func netForwardConv[T Float](n *Net, wts *netWeights[T], x, y []float64, batch int, keep bool) NetBackward {
	p := newConvPass(n, wts, batch, len(x), len(y))
	if !keep {
		scratch := getScratch[T](2 * p.maxC * p.csMax)
		defer putScratch(scratch)
		ping := [2][]T{(*scratch)[:p.maxC*p.csMax], (*scratch)[p.maxC*p.csMax:]}
		for _, b := range p.blocks {
			p.forwardBlock(b, x, y, func(l, ch int) []T { return ping[l%2][:ch*b.cs] })
		}
		return nil
	}
	p.keepActivations()
	for bi, b := range p.blocks {
		p.forwardBlock(b, x, y, func(l, ch int) []T { return p.keptBlock(l, ch, bi, b) })
	}
	return p.backward
}

// convBlock is one block of a conv-net pass: cnt samples from sample s0,
// padded to nb, with channel stride cs.
type convBlock struct{ s0, cnt, nb, cs int }

// convPass is one pass of a conv net over a batch: its blocks and, with
// keep, the activations its VJP needs.
type convPass[T Float] struct {
	n   *Net
	wts *netWeights[T]
	// blocks of nbMax samples and a last one of nb ≤ nbMax (padded); block bi
	// of a layer of ch channels starts at bi·ch·csMax
	blocks []convBlock
	csMax  int
	sumCS  int // Σ of the blocks' cs
	maxC   int // the most channels of any layer's input or output
	nx, ny int // lengths of the pass's input and output
	// kept[l] is the input of layer l, kept[nl] the output, in blocks, in one
	// slab from the pool that the VJP gives back when it is done. (A forward
	// pass whose VJP never runs leaves its slab to the garbage collector.)
	kept [][]T
	slab *[]T
}

// newConvPass splits batch into blocks for n's layers.
func newConvPass[T Float](n *Net, wts *netWeights[T], batch, nx, ny int) *convPass[T] {
	v := n.stencil.sites
	nbMax := sampleBlock[T](batch)
	p := &convPass[T]{n: n, wts: wts, csMax: csbStride[T](v, nbMax), maxC: n.spec.In, nx: nx, ny: ny}
	for s0 := 0; s0 < batch; s0 += nbMax {
		cnt := min(nbMax, batch-s0)
		nb := padSamples[T](cnt)
		p.blocks = append(p.blocks, convBlock{s0, cnt, nb, csbStride[T](v, nb)})
	}
	for _, b := range p.blocks {
		p.sumCS += b.cs
	}
	for _, ly := range n.layers {
		p.maxC = max(p.maxC, ly.out)
	}
	return p
}

// keepActivations takes the slab for every layer's input and output.
func (p *convPass[T]) keepActivations() {
	chans := p.n.spec.In
	for _, ly := range p.n.layers {
		chans += ly.out
	}
	p.slab = getScratch[T](chans * p.sumCS) // one slab for all layers
	all := *p.slab
	kept := make([][]T, len(p.n.layers)+1)
	kept[0], all = all[:p.n.spec.In*p.sumCS], all[p.n.spec.In*p.sumCS:]
	for l, ly := range p.n.layers {
		kept[l+1], all = all[:ly.out*p.sumCS], all[ly.out*p.sumCS:]
	}
	p.kept = kept
}

// keptBlock is block bi of kept[l] (ch channels).
func (p *convPass[T]) keptBlock(l, ch, bi int, b convBlock) []T {
	return p.kept[l][bi*ch*p.csMax : bi*ch*p.csMax+ch*b.cs]
}

// forwardBlock runs block b of x through every layer into y; buf(l, ch) is
// the buffer of layer l's input (of ch channels), buf(nl, Out) the output's.
func (p *convPass[T]) forwardBlock(b convBlock, x, y []float64, buf func(l, ch int) []T) {
	n, s, v := p.n, p.n.stencil, p.n.stencil.sites
	in0, out0 := n.spec.In, n.spec.Out
	h := buf(0, in0)
	toCSB(h, x[b.s0*in0*v:(b.s0+b.cnt)*in0*v], b.cnt, b.nb, in0, v)
	for l, ly := range n.layers {
		out := buf(l+1, ly.out)
		convNN(s, ly.in, ly.out, b.nb, h, p.wts.w[l], p.wts.b[l], out)
		Activate(ly.act, out, out)
		h = out
	}
	fromCSB(y[b.s0*out0*v:(b.s0+b.cnt)*out0*v], h, b.cnt, b.nb, out0, v)
}

// backward is the VJP of the pass (a NetBackward); it runs once.
func (p *convPass[T]) backward(dy, dx []float64, grads *Grads) {
	if p.kept == nil {
		panic("nn: the VJP of a conv net pass ran twice (its activations went back to the pool)")
	}
	// The slab goes back to the pool as soon as the VJP is done: returning
	// it only once p is garbage (runtime.AddCleanup) kept every slab of a
	// GC cycle alive until the next one and doubled the heap each cycle.
	defer func() {
		p.kept = nil
		putScratch(p.slab)
	}()
	p.n.checkVJP(dy, dx, p.ny, p.nx)
	scratch, bufs := p.vjpBuffers()
	defer putScratch(scratch)
	for bi, b := range p.blocks {
		p.backwardBlock(bi, b, dy, dx, grads, &bufs)
	}
}

// convVJPBuffers is the scratch of a conv-net VJP: two buffers for the
// cotangents of the layer outputs, used in turn, each layer's weight
// cotangents of one block, and zeros (the bias of the input VJP).
type convVJPBuffers[T Float] struct {
	g    [2][]T
	tw   [][]T
	zero []T
}

// vjpBuffers carves the VJP's buffers out of one scratch slice from the pool,
// which the caller gives back.
func (p *convPass[T]) vjpBuffers() (*[]T, convVJPBuffers[T]) {
	nw := 0
	for _, ly := range p.n.layers {
		nw += ly.w.Size()
	}
	scratch := getScratch[T](2*p.maxC*p.csMax + nw + p.maxC)
	sc := *scratch
	var bufs convVJPBuffers[T]
	bufs.g = [2][]T{sc[:p.maxC*p.csMax], sc[p.maxC*p.csMax : 2*p.maxC*p.csMax]}
	sc = sc[2*p.maxC*p.csMax:]
	bufs.tw = make([][]T, len(p.n.layers))
	for l, ly := range p.n.layers {
		bufs.tw[l], sc = sc[:ly.w.Size()], sc[ly.w.Size():]
	}
	bufs.zero = sc[:p.maxC]
	clear(bufs.zero)
	return scratch, bufs
}

// backwardBlock runs the VJP of block bi from the output cotangent dy back
// through every layer, adding the weight and bias cotangents into grads
// (summed over the block in T first) and writing the block's input
// cotangent into dx (nil: skip it).
func (p *convPass[T]) backwardBlock(bi int, b convBlock, dy, dx []float64, grads *Grads, bufs *convVJPBuffers[T]) {
	n, s, v := p.n, p.n.stencil, p.n.stencil.sites
	in0, out0 := n.spec.In, n.spec.Out
	cur := 0
	g := bufs.g[cur][:out0*b.cs]
	toCSB(g, dy[b.s0*out0*v:(b.s0+b.cnt)*out0*v], b.cnt, b.nb, out0, v)
	for l := len(n.layers) - 1; l >= 0; l-- {
		ly := n.layers[l]
		in := p.keptBlock(l, ly.in, bi, b)
		ActivationVJP(ly.act, p.keptBlock(l+1, ly.out, bi, b), g, g)
		if gw := grads.Of(ly.w); gw != nil {
			clear(bufs.tw[l])
			convNT(s, ly.in, ly.out, b.nb, g, in, bufs.tw[l])
			addTo(gw, bufs.tw[l])
		}
		if ly.b != nil {
			if gb := grads.Of(ly.b); gb != nil {
				for o := range ly.out {
					gb[o] += sumFloat64(g[o*b.cs : o*b.cs+v*b.nb])
				}
			}
		}
		if l == 0 && dx == nil {
			return
		}
		cur = 1 - cur
		gin := bufs.g[cur][:ly.in*b.cs]
		convNN(s, ly.out, ly.in, b.nb, g, p.wts.wt[l], bufs.zero[:ly.in], gin)
		g = gin
	}
	fromCSB(dx[b.s0*in0*v:(b.s0+b.cnt)*in0*v], g, b.cnt, b.nb, in0, v)
}
