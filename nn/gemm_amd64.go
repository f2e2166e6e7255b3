//go:build amd64 && !purego

package nn

import "unsafe"

//go:generate go run gen_kernels.go

// cpuid executes CPUID with EAX = leaf and ECX = sub (cpu_amd64.s).
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads XCR0, the register states the OS saves (cpu_amd64.s).
func xgetbv() (eax, edx uint32)

// cpuSIMD reports which kernels the CPU and the OS support: AVX2 with FMA
// (and the OS saving ymm state), and AVX-512 F+VL (and zmm, opmask state).
func cpuSIMD() (avx2, avx512 bool) {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false, false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false, false
	}
	xcr0, _ := xgetbv()
	const sse, ymm, opmask, zmmHi256, hi16zmm = 1 << 1, 1 << 2, 1 << 5, 1 << 6, 1 << 7
	if xcr0&(sse|ymm) != sse|ymm {
		return false, false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2bit, avx512f, avx512vl = 1 << 5, 1 << 16, 1 << 31
	avx2 = ebx7&avx2bit != 0
	avx512 = avx2 && ebx7&(avx512f|avx512vl) == avx512f|avx512vl &&
		xcr0&(opmask|zmmHi256|hi16zmm) == opmask|zmmHi256|hi16zmm
	return avx2, avx512
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
