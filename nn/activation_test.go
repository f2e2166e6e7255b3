package nn

import (
	"math"
	"strings"
	"testing"
)

var allActivations = []Activation{Identity, Tanh, ReLU, LeakyReLU, Softplus}

func TestParseActivation(t *testing.T) {
	for _, a := range allActivations {
		got, err := ParseActivation(a.String())
		if err != nil || got != a {
			t.Errorf("ParseActivation(%q) = %v, %v", a.String(), got, err)
		}
	}
	want := map[string]Activation{"tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "softplus": Softplus, "none": Identity}
	for name, a := range want {
		if got, err := ParseActivation(name); err != nil || got != a {
			t.Errorf("ParseActivation(%q) = %v, %v; want %v", name, got, err, a)
		}
	}
	if len(ActivationNames()) != len(want) {
		t.Errorf("ActivationNames() = %v", ActivationNames())
	}
	for _, bad := range []string{"", "Tanh", "sigmoid", "leaky-relu"} {
		_, err := ParseActivation(bad)
		if err == nil {
			t.Errorf("ParseActivation(%q) accepted", bad)
			continue
		}
		for name := range want {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not list %q", err, name)
			}
		}
	}
}

func TestActivationValues(t *testing.T) {
	cases := []struct {
		a       Activation
		x, y, d float64
	}{
		{Identity, -2, -2, 1},
		{Tanh, 0.5, math.Tanh(0.5), 1 - math.Tanh(0.5)*math.Tanh(0.5)},
		{ReLU, -0.3, 0, 0}, {ReLU, 0.3, 0.3, 1}, {ReLU, 0, 0, 0},
		{LeakyReLU, -2, -0.02, 0.01}, {LeakyReLU, 2, 2, 1},
		{Softplus, 0, math.Ln2, 0.5}, {Softplus, 50, 50, 1},
		{Softplus, -50, math.Exp(-50), math.Exp(-50)},
		{Softplus, 1, math.Log(1 + math.E), math.E / (1 + math.E)},
	}
	for _, c := range cases {
		if y := c.a.Eval(c.x); !(math.Abs(y-c.y) <= 1e-14*math.Abs(c.y)) {
			t.Errorf("%v(%g) = %.17g, want %.17g", c.a, c.x, y, c.y)
		}
		if d := c.a.Deriv(c.x); !(math.Abs(d-c.d) <= 1e-14*math.Abs(c.d)) {
			t.Errorf("%v'(%g) = %.17g, want %.17g", c.a, c.x, d, c.d)
		}
	}
}

// TestActivationKernels: Activate follows Eval in both precisions and
// ActivationVJP (from the output) equals dy·f'(x) and finite differences.
func TestActivationKernels(t *testing.T) {
	r := newRand(7)
	x := randn(r, 200, 3)
	x = append(x, -40, -15, 15, 40)
	for i := range x {
		if math.Abs(x[i]) < 1e-3 { // keep finite differences off the kinks
			x[i] = 0.5
		}
	}
	dy := randn(r, len(x), 1)
	for _, a := range allActivations {
		y := make([]float64, len(x))
		Activate(a, x, y)
		for i := range x {
			if want := a.Eval(x[i]); y[i] != want {
				t.Fatalf("%v: Activate(%g) = %.17g, Eval %.17g", a, x[i], y[i], want)
			}
		}
		dx := make([]float64, len(x))
		ActivationVJP(a, y, dy, dx)
		for i := range x {
			want := dy[i] * a.Deriv(x[i])
			if !(math.Abs(dx[i]-want) <= 1e-9*math.Abs(dy[i])+1e-300) {
				t.Fatalf("%v: VJP at x = %g: %.15g, dy·f'(x) = %.15g", a, x[i], dx[i], want)
			}
		}
		loss := func() float64 {
			Activate(a, x, y)
			return dot(dy, y)
		}
		Activate(a, x, y)
		ActivationVJP(a, y, dy, dx)
		checkFD(t, a.String()+" dx", x, dx, loss, 1e-6, 1e-7)
		// in place, and float32
		y32 := to32(x)
		Activate(a, y32, y32)
		Activate(a, x, y)
		for i := range x {
			if !(math.Abs(float64(y32[i])-y[i]) <= 2e-7*(1+math.Abs(y[i]))) {
				t.Fatalf("%v: float32 f(%g) = %g, float64 %g", a, x[i], y32[i], y[i])
			}
		}
		g32 := to32(dy)
		ActivationVJP(a, y32, g32, g32)
		ActivationVJP(a, y, dy, dx)
		for i := range x {
			if !(math.Abs(float64(g32[i])-dx[i]) <= 1e-5*(1+math.Abs(dx[i]))) {
				t.Fatalf("%v: float32 VJP at x = %g: %g, float64 %g", a, x[i], g32[i], dx[i])
			}
		}
	}
}
