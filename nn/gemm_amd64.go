//go:build amd64 && !purego

package nn

import (
	"unsafe"

	"github.com/normflow/normflow-go/internal/cpufeat"
)

//go:generate go run gen_kernels.go

// cpuSIMD reports which kernels the CPU and the OS support: AVX2 with FMA
// (and the OS saving ymm state), and AVX-512 F+VL (and zmm, opmask state) on
// top of those (package cpufeat reads CPUID and XGETBV).
func cpuSIMD() (avx2, avx512 bool) {
	avx2 = cpufeat.AVX2() && cpufeat.FMA()
	return avx2, avx2 && cpufeat.AVX512()
}

// kernelSets are the float32 and float64 kernels of each instruction set
// (kinds as in callNN).
var kernelSets = map[string][2]simdKernels{
	"avx2":   {{name: "avx2", kind: 0, lanes: 8, nvMax: 3, nrMax: 2}, {name: "avx2", kind: 1, lanes: 4, nvMax: 3, nrMax: 2}},
	"avx512": {{name: "avx512", kind: 2, lanes: 16, nvMax: 4, nrMax: 6}, {name: "avx512", kind: 3, lanes: 8, nvMax: 4, nrMax: 6}},
}

// simdLevels lists the instruction sets this CPU runs, best first, then
// "none" (the portable Go code).
func simdLevels() []string {
	avx2, avx512 := cpuSIMD()
	var l []string
	if avx512 {
		l = append(l, "avx512")
	}
	if avx2 {
		l = append(l, "avx2")
	}
	return append(l, "none")
}

// setSIMD switches the kernels to an instruction set of simdLevels (tests
// and benchmarks compare them); it reports whether the CPU runs it. It must
// not run concurrently with the kernels.
func setSIMD(level string) bool {
	ok := false
	for _, l := range simdLevels() {
		ok = ok || l == level
	}
	if !ok {
		return false
	}
	simd32, simd64 = nil, nil
	if ks, ok := kernelSets[level]; ok {
		simd32, simd64 = &ks[0], &ks[1]
	}
	return true
}

func init() { setSIMD(simdLevels()[0]) }

// vecTanh32 runs the float32 tanh kernel of simd32 on n elements (a multiple
// of simd32.lanes).
func vecTanh32(dst, src unsafe.Pointer, n int) {
	if simd32.kind == 2 {
		tanhSZ(dst, src, n)
	} else {
		tanhSY(dst, src, n)
	}
}

// vecTanhVJP runs the tanh VJP kernel for elements of sz bytes on n of them
// (a multiple of 128 bytes).
func vecTanhVJP(sz int, dx, dy, y unsafe.Pointer, n int) {
	if sz == 4 {
		tanhVJPSY(dx, dy, y, n)
	} else {
		tanhVJPDY(dx, dy, y, n)
	}
}

// vecSum returns the float64 sum of n elements of sz bytes (n a multiple of
// 16).
func vecSum(sz int, p unsafe.Pointer, n int) float64 {
	if sz == 4 {
		return sumSY(p, n)
	}
	return sumDY(p, n)
}
