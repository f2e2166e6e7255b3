// Package cpufeat reports which SIMD instruction sets the CPU and the
// operating system support, for the assembly kernels of packages nn and
// flow. The detection runs once, at package initialization, by CPUID and
// XGETBV on amd64; on other architectures, and with the purego build tag,
// every feature reads false and the callers run their portable Go code.
package cpufeat

// AVX2 reports AVX and AVX2 with the OS saving the ymm registers (XCR0 bits
// 1 and 2).
func AVX2() bool { return features.avx2 }

// FMA reports the FMA3 fused multiply-add instructions (usable when AVX2
// is).
func FMA() bool { return features.fma }

// AVX512 reports AVX-512 Foundation and Vector Length extensions with the OS
// saving the opmask and full zmm state (XCR0 bits 5–7), on a CPU that also
// runs AVX2.
func AVX512() bool { return features.avx512 }

// AVX512DQ reports the AVX-512 Doubleword and Quadword instructions, on a
// CPU for which AVX512 is true.
func AVX512DQ() bool { return features.avx512dq }

type featureSet struct {
	avx2, fma, avx512, avx512dq bool
}

var features = detect()

// Levels lists the kernel sets of this CPU for SIMD kernels that need
// AVX-512 F+VL ("avx512") or AVX2 ("avx2") and no FMA, best first, then
// "none", the portable Go code every CPU runs. The packages with such
// kernels (flow, action, mcmc) select the first and let their tests switch
// between all of them.
func Levels() []string {
	var l []string
	if AVX512() {
		l = append(l, "avx512")
	}
	if AVX2() {
		l = append(l, "avx2")
	}
	return append(l, "none")
}

// Runs reports whether level is one of Levels.
func Runs(level string) bool {
	for _, l := range Levels() {
		if l == level {
			return true
		}
	}
	return false
}
