package config

import (
	"strings"
	"testing"

	"github.com/normflow/normflow-go/examples"
	"github.com/normflow/normflow-go/train"
)

func defaultText(t *testing.T) string {
	t.Helper()
	b, err := examples.FS.ReadFile(examples.Default)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEveryExampleBuilds(t *testing.T) {
	entries, err := examples.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := examples.FS.ReadFile(e.Name())
		if theoryOnly(t, e.Name(), b) {
			continue
		}
		r, err := Parse(b)
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		m, err := r.BuildModel()
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if _, err := r.TrainOptions(); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
		if m.Size() < 1 {
			t.Errorf("%s: model of size %d", e.Name(), m.Size())
		}
	}
}

func TestDefaultIsTheSeedExample(t *testing.T) {
	r, err := Parse([]byte(defaultText(t)))
	if err != nil {
		t.Fatal(err)
	}
	a := r.Action
	if len(r.Lattice.Shape) != 1 || r.Lattice.Shape[0] != 1 || *a.Kappa != 0 || *a.MSq != -2 || *a.Lambd != 0.2 ||
		r.Flow.Layers[0].Kind != "dist_convertor" || *r.Flow.Layers[0].Knots != 10 || !*r.Flow.Layers[0].Symmetric ||
		r.Train.Epochs != 1000 || r.Train.Batch != 1024 || r.Train.PrintStride != 100 || r.Train.Gradient != "path" {
		t.Errorf("default run is not the seed example: %+v", r)
	}
}

// The encoded run (stored in checkpoints) parses back to the same run.
func TestEncodeRoundTrip(t *testing.T) {
	r, _ := Parse([]byte(defaultText(t)))
	s, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("re-parsing the encoded run: %v\n%s", err, s)
	}
	s2, _ := r2.Encode()
	if s != s2 {
		t.Errorf("encode is not stable:\n%s\n---\n%s", s, s2)
	}
}

func TestBadInputNamesTheKey(t *testing.T) {
	base := defaultText(t)
	cases := []struct{ from, to, want string }{
		{"lambd = 0.2", "lamda = 0.2", "action.lamda"},
		{"[train]\n", "[train]\nepohcs = 3\n", "train.epohcs"},
		{"epochs = 1000", "epochs = 0", "train.epochs = 0"},
		{"epochs = 1000", "epochs = -5", "train.epochs = -5"},
		{"batch = 1024", "batch = -1", "train.batch = -1"},
		{"shape = [1]", "shape = [8, 0]", "lattice.shape[1] = 0"},
		{"knots = 10", "knots = 1", "flow.layers[0].knots = 1"},
		{`convention = "seed"`, `convention = "sead"`, `action.convention = "sead"`},
		{`kind = "dist_convertor"`, `kind = "dist_converter"`, `flow.layers[0].kind = "dist_converter"`},
		{`gradient = "path"`, `gradient = "score"`, `train.gradient = "score"`},
		{"lr = 1e-3", "lr = -1e-3", "train.lr"},
		{"m_sq = -2.0", "", "action.m_sq is missing"},
		{`convention = "seed"`, `convention = "ising"`, "action.beta is missing"},
		{"scale = 1.0", "scale = 0.0", "prior.scale = 0"},
		{"epochs = 1000", `epochs = "many"`, "line"},
		{"seed = 1", "seed = -1", "seed = -1"},
	}
	for _, c := range cases {
		text := strings.Replace(base, c.from, c.to, 1)
		if text == base {
			t.Fatalf("case %q did not change the text", c.from)
		}
		_, err := Parse([]byte(text))
		if err == nil {
			t.Errorf("%q → %q accepted", c.from, c.to)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q → %q: error %q does not name %q on one line", c.from, c.to, err, c.want)
		}
	}
}

func TestLayerGroupsAndSchedule(t *testing.T) {
	text := strings.Replace(defaultText(t), "final_scale = false", "final_scale = false\nlr = 0.05\nweight_decay = 0.0", 1)
	text = strings.Replace(text, `gradient = "path"`, "gradient = \"path\"\nlr_schedule = \"cosine\"\nanneal_epochs = 10", 1)
	r, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params.Params {
		if p.Group != "flow.0" {
			t.Errorf("parameter %s in group %q, want flow.0", p.Name, p.Group)
		}
	}
	o, err := r.TrainOptions()
	if err != nil {
		t.Fatal(err)
	}
	if g := o.Groups["flow.0"]; g.LR != 0.05 || g.WeightDecay != 0 {
		t.Errorf("group flow.0 = %+v", g)
	}
	if o.Schedule.String() != "cosine" || o.AnnealEpochs != 10 {
		t.Errorf("schedule %v, anneal %d", o.Schedule, o.AnnealEpochs)
	}
	for _, bad := range []string{`lr_schedule = "cosin"`, "lr_min_factor = 2.0", "anneal_epochs = -1"} {
		txt := strings.Replace(defaultText(t), `gradient = "path"`, "gradient = \"path\"\n"+bad, 1)
		if _, err := Parse([]byte(txt)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// The [train] table maps to train.Options with the documented TOML
// defaults: weight_decay absent is 0.01, 0 is no decay; max_bad_steps absent
// is train.DefaultMaxBadSteps.
func TestTrainOptionsWeightDecay(t *testing.T) {
	for _, c := range []struct {
		from, to string
		wd       float64
		maxBad   int
	}{
		{"weight_decay = 0.01", "", 0.01, train.DefaultMaxBadSteps},
		{"weight_decay = 0.01", "weight_decay = 0.0", 0, train.DefaultMaxBadSteps},
		{"weight_decay = 0.01", "weight_decay = 0.2\nmax_bad_steps = 3", 0.2, 3},
	} {
		r, err := Parse([]byte(strings.Replace(defaultText(t), c.from, c.to, 1)))
		if err != nil {
			t.Fatal(err)
		}
		o, err := r.TrainOptions()
		if err != nil {
			t.Fatal(err)
		}
		if o.WeightDecay != c.wd || o.MaxBadSteps != c.maxBad || o.LR != 1e-3 || o.Epochs != 1000 {
			t.Errorf("%q: weight decay %g, max bad steps %d, lr %g, epochs %d; want %g, %d, 0.001, 1000", c.to, o.WeightDecay, o.MaxBadSteps, o.LR, o.Epochs, c.wd, c.maxBad)
		}
	}
}

func TestPhysicsLayersAndFreeFieldPrior(t *testing.T) {
	text := strings.Replace(defaultText(t), "shape = [1]", "shape = [4, 4]", 1)
	text = strings.Replace(text, "\n[[flow.layers]]\n", "\n[[flow.layers]]\nkind = \"psd\"\nipsd_knots = 5\n\n[[flow.layers]]\nkind = \"fourier\"\nexclude_zero_mode = true\n\n[[flow.layers]]\nkind = \"pade\"\n\n[[flow.layers]]\nkind = \"mean_field\"\n\n[[flow.layers]]\n", 1)
	text = strings.Replace(text, "kind = \"normal\"           # normal | uniform\nloc = 0.0\nscale = 1.0", "kind = \"free_field\"\nkappa = 0.5\nm_sq = 1.5", 1)
	r, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	if m.Size() != 16 || len(m.Params.Params) == 0 {
		t.Errorf("model of size %d with %d parameters", m.Size(), len(m.Params.Params))
	}
	for _, bad := range []struct{ from, to, want string }{
		{"kappa = 0.5", "kappa = -0.5", "prior.kappa"},
		{"m_sq = 1.5\n", "", "prior.m_sq"},
		{"ipsd_knots = 5", "ipsd_knots = 1", "ipsd_knots = 1"},
		{"kind = \"pade\"", "kind = \"pade\"\nknots = 3", "knots is not a setting of kind pade"},
	} {
		_, err := Parse([]byte(strings.Replace(text, bad.from, bad.to, 1)))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q → %q: error %v, want it to name %q", bad.from, bad.to, err, bad.want)
		}
	}
}
