package nn

import (
	"fmt"
	"math"
	"strings"
)

// Activation is an elementwise nonlinearity of a network layer. The zero
// value is the identity ("none").
type Activation uint8

const (
	Identity  Activation = iota // "none": f(x) = x
	Tanh                        // "tanh"
	ReLU                        // "relu": max(x, 0), f'(0) = 0
	LeakyReLU                   // "leaky_relu": x for x > 0, LeakySlope·x otherwise
	Softplus                    // "softplus": log(1 + eˣ)
)

// LeakySlope is the negative-side slope of LeakyReLU (PyTorch's default).
const LeakySlope = 0.01

var activationNames = [...]string{Identity: "none", Tanh: "tanh", ReLU: "relu", LeakyReLU: "leaky_relu", Softplus: "softplus"}

// ActivationNames lists the names ParseActivation accepts.
func ActivationNames() []string {
	return []string{"tanh", "relu", "leaky_relu", "softplus", "none"}
}

// ParseActivation returns the activation of a name: "tanh", "relu",
// "leaky_relu", "softplus" or "none".
func ParseActivation(name string) (Activation, error) {
	for a, n := range activationNames {
		if n == name {
			return Activation(a), nil
		}
	}
	return 0, fmt.Errorf("unknown activation %q: allowed are %s", name, strings.Join(ActivationNames(), ", "))
}

// String is the name of a.
func (a Activation) String() string {
	if int(a) < len(activationNames) {
		return activationNames[a]
	}
	return fmt.Sprintf("Activation(%d)", a)
}

// Eval is f(x) in float64 (the reference the kernels follow).
func (a Activation) Eval(x float64) float64 {
	switch a {
	case Tanh:
		return math.Tanh(x)
	case ReLU:
		return max(x, 0)
	case LeakyReLU:
		if x > 0 {
			return x
		}
		return LeakySlope * x
	case Softplus:
		return softplus(x)
	}
	return x
}

// Deriv is f'(x) in float64.
func (a Activation) Deriv(x float64) float64 {
	switch a {
	case Tanh:
		t := math.Tanh(x)
		return 1 - t*t
	case ReLU:
		if x > 0 {
			return 1
		}
		return 0
	case LeakyReLU:
		if x > 0 {
			return 1
		}
		return LeakySlope
	case Softplus:
		return 1 / (1 + math.Exp(-x))
	}
	return 1
}

// softplus is log(1 + eˣ) without overflow or loss of precision.
func softplus(x float64) float64 {
	return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// Activate writes y = f(x) elementwise (y may be x). In float64 it is Eval;
// float32 tanh is tanh32's algorithm (tanh.go), within 2 ulps of the
// correctly rounded value.
func Activate[T Float](a Activation, x, y []T) {
	y = y[:len(x)]
	switch a {
	case Identity:
		copy(y, x)
	case Tanh:
		if x32, ok := asFloat32(x); ok {
			y32, _ := asFloat32(y)
			tanhSlice32(x32, y32) // the float32 tanh of tanh.go
			break
		}
		for i, v := range x {
			y[i] = T(math.Tanh(float64(v)))
		}
	case ReLU:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case LeakyReLU:
		for i, v := range x {
			if v <= 0 {
				v *= LeakySlope
			}
			y[i] = v
		}
	case Softplus:
		for i, v := range x {
			y[i] = T(softplus(float64(v)))
		}
	default:
		panic(fmt.Sprintf("nn: unknown activation %d", a))
	}
}

// ActivationVJP writes dx = dy · f'(x) elementwise, computing f'(x) from the
// output y = f(x), so that a layer keeps only its output for the VJP (dx may
// be dy). Every activation here is monotone, so y determines f'(x): tanh'
// = 1 − y², relu' and leaky_relu' follow the sign of y, and softplus' =
// expit(x) = 1 − e^{−y}.
func ActivationVJP[T Float](a Activation, y, dy, dx []T) {
	dy = dy[:len(y)]
	dx = dx[:len(y)]
	switch a {
	case Identity:
		copy(dx, dy)
	case Tanh:
		tanhVJP(y, dy, dx)
	case ReLU:
		for i, v := range y {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = 0
			}
		}
	case LeakyReLU:
		for i, v := range y {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = dy[i] * LeakySlope
			}
		}
	case Softplus:
		for i, v := range y {
			dx[i] = dy[i] * T(-math.Expm1(-float64(v)))
		}
	default:
		panic(fmt.Sprintf("nn: unknown activation %d", a))
	}
}
