package rng

import (
	"fmt"
	"math"
	"testing"

	"github.com/normflow/normflow-go/internal/within"
)

func TestStreamsReproducibleAndDistinct(t *testing.T) {
	a, b := New(1, 2, 3), New(1, 2, 3)
	c := New(1, 2, 4)
	same := true
	for i := 0; i < 10; i++ {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatalf("same key gave different numbers at %d", i)
		}
		if x != z {
			same = false
		}
	}
	if same {
		t.Fatal("different keys gave the same stream")
	}
}

// Moments of the normal and uniform deviates within 5σ of their exact values.
func TestMoments(t *testing.T) {
	const n = 200000
	s := New(42)
	var m1, m2, m4, u1 float64
	for i := 0; i < n; i++ {
		x := s.Norm()
		m1 += x
		m2 += x * x
		m4 += x * x * x * x
		u1 += s.Float64()
	}
	m1, m2, m4, u1 = m1/n, m2/n, m4/n, u1/n
	check := func(name string, got, want, sigma float64) {
		within.Sigmas(t, name, got, want, sigma/math.Sqrt(n), 5)
	}
	check("<x>", m1, 0, 1)
	check("<x^2>", m2, 1, math.Sqrt(2))
	check("<x^4>", m4, 3, math.Sqrt(96))
	check("<u>", u1, 0.5, math.Sqrt(1.0/12))
}

func TestIntnUniform(t *testing.T) {
	s := New(7)
	const n, k = 70000, 7
	var counts [k]int
	for i := 0; i < n; i++ {
		counts[s.Intn(k)]++
	}
	for j, c := range counts {
		exp := float64(n) / k
		within.Sigmas(t, fmt.Sprintf("bin %d count", j), float64(c), exp, math.Sqrt(exp), 5)
	}
}

func TestDeriveExtendsNew(t *testing.T) {
	a := New(1, 2).Derive(3)
	b := New(1, 2, 3)
	if a.Uint64() != b.Uint64() {
		t.Fatal("New(1, 2).Derive(3) differs from New(1, 2, 3)")
	}
}
