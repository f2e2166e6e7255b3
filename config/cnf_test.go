package config

import (
	"strings"
	"testing"

	"github.com/normflow/normflow-go/train"
)

// cnfText is a tiny free theory (λ = 0) on 4×4 with one cnf layer.
const cnfText = `seed = 2
[lattice]
shape = [4, 4]
[action]
convention = "seed"
kappa = 0.5
m_sq = 1.0
lambd = 0.0
[prior]
kind = "normal"
[[flow.layers]]
kind = "cnf"
steps = 6
freqs = 2
time_freqs = 1
local = true
[train]
epochs = 12
batch = 32
lr = 0.02
print_stride = 100
`

func TestCNFLayer(t *testing.T) {
	r, err := Parse([]byte(cnfText))
	if err != nil {
		t.Fatal(err)
	}
	// The encoded run (stored in checkpoints) keeps the cnf settings.
	enc, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := Parse([]byte(enc)); err != nil || *r2.Flow.Layers[0].Steps != 6 || *r2.Flow.Layers[0].TimeFreqs != 1 || !*r2.Flow.Layers[0].Local {
		t.Errorf("re-parsing the encoded run: %v\n%s", err, enc)
	}
	m, err := r.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params.Params {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "flow.0.weights flow.0.freqs flow.0.local.weights flow.0.local.freqs" {
		t.Errorf("parameters %s", got)
	}
	// The path gradient (the default) needs the inverse pass's VJP: a few
	// steps train without error and lower the loss from the prior's.
	opts, err := r.TrainOptions()
	if err != nil {
		t.Fatal(err)
	}
	opts.Threads = 1
	if opts.Gradient != train.Path {
		t.Fatalf("gradient %v, want the path gradient", opts.Gradient)
	}
	res, err := train.Fit(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.History[0], res.History[len(res.History)-1]
	t.Logf("loss %.4f at epoch 0, %.4f at epoch %d (ESS %.3f → %.3f)", first.Loss, last.Loss, last.Epoch, first.ESS, last.ESS)
	if res.Skipped != 0 || !(last.Loss < first.Loss-0.1) {
		t.Errorf("loss %.4f → %.4f with %d skipped steps: did not decrease", first.Loss, last.Loss, res.Skipped)
	}
}

func TestCNFBadInput(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"steps = 6", "steps = 0", "flow.layers[0].steps = 0: must be a positive integer"},
		{"steps = 6", "steps = -3", "flow.layers[0].steps = -3"},
		{"freqs = 2", "freqs = -1", "flow.layers[0].freqs = -1"},
		{"time_freqs = 1", "time_freqs = -2", "flow.layers[0].time_freqs = -2"},
		{"local = true", "kernel = 3", "flow.layers[0].kernel = 3: must lie in [0, 2]"},
		{"local = true", "kernel = -1", "flow.layers[0].kernel = -1"},
		{"steps = 6", "steps = 100000", "flow.layers[0].steps = 100000: at most 4096"},
		{"local = true", "knots = 4", "knots is not a setting of kind cnf"},
		{`kind = "cnf"`, "kind = \"pade\"", "is not a setting of kind pade"},
		{"local = true", "local = 1", "local"},
		{"freqs = 2", "freqs = 0", "flow.layers[0].local = true needs freqs >= 1"},
		{"steps = 6", "steps = 6\ntrain_steps = 0", "flow.layers[0].train_steps = 0: must be a positive integer"},
		{"local = true", `basis = "fourier"`, `flow.layers[0].basis = "fourier": allowed: position, momentum`},
		{"local = true", "basis = \"momentum\"\nkernel = 1", `flow.layers[0].basis = "momentum" needs kernel = 0`},
	} {
		text := strings.Replace(cnfText, c.from, c.to, 1)
		if text == cnfText {
			t.Fatalf("case %q did not change the text", c.from)
		}
		_, err := Parse([]byte(text))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q → %q: error %v, want one line naming %q", c.from, c.to, err, c.want)
		}
	}
	// Kernel 2 is the whole 4×4 lattice; kernel 1 a 3×3 support.
	for _, k := range []string{"kernel = 0", "kernel = 1", "kernel = 2", `basis = "momentum"`, `basis = "position"`, "train_steps = 2"} {
		r, err := Parse([]byte(strings.Replace(cnfText, "local = true", k, 1)))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if _, err := r.BuildModel(); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}
