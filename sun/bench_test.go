package sun

import (
	"testing"

	"github.com/normflow/normflow-go/rng"
)

// Benchmarks on a pool of matrices, so that branch prediction does not
// learn one input. Run: go test -run '^$' -bench . ./sun
const benchPool = 64

func benchSU(n int) [][]complex128 {
	s := rng.New(99, uint64(n))
	p := make([][]complex128, benchPool)
	for i := range p {
		p[i] = make([]complex128, n*n)
		Haar(p[i], &s)
	}
	return p
}

func benchAlgebra(n int) [][]complex128 {
	s := rng.New(98, uint64(n))
	p := make([][]complex128, benchPool)
	w := make([]float64, n*n-1)
	for i := range p {
		for a := range w {
			w[a] = s.Norm()
		}
		p[i] = make([]complex128, n*n)
		AlgebraElement(p[i], w)
	}
	return p
}

func benchMul(b *testing.B, n int, f func(dst, a, b []complex128)) {
	p := benchSU(n)
	dst := make([]complex128, n*n)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f(dst, p[i%benchPool], p[(i+1)%benchPool])
		i++
	}
}

func BenchmarkMulSU3(b *testing.B)    { benchMul(b, 3, Mul) }
func BenchmarkMulAdjSU3(b *testing.B) { benchMul(b, 3, MulAdj) }
func BenchmarkAdjMulSU3(b *testing.B) { benchMul(b, 3, AdjMul) }
func BenchmarkMulSU2(b *testing.B)    { benchMul(b, 2, Mul) }

func benchExp(b *testing.B, n int) {
	p := benchAlgebra(n)
	dst := make([]complex128, n*n)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Exp(dst, p[i%benchPool])
		i++
	}
}

func BenchmarkExpSU3(b *testing.B) { benchExp(b, 3) }
func BenchmarkExpSU2(b *testing.B) { benchExp(b, 2) }

func benchEigen(b *testing.B, n int) {
	p := benchSU(n)
	v, th := make([]complex128, n*n), make([]float64, n)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Eigen(v, th, p[i%benchPool])
		i++
	}
}

func BenchmarkEigenSU3(b *testing.B) { benchEigen(b, 3) }
func BenchmarkEigenSU2(b *testing.B) { benchEigen(b, 2) }

func BenchmarkHaarSU3(b *testing.B) {
	s := rng.New(97)
	u := make([]complex128, 9)
	b.ReportAllocs()
	for b.Loop() {
		Haar(u, &s)
	}
}

func BenchmarkReunitariseSU3(b *testing.B) {
	p := benchSU(3)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Reunitarise(p[i%benchPool])
		i++
	}
}
