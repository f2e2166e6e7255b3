//go:build amd64 && !purego

package cpufeat

// cpuid executes CPUID with EAX = leaf and ECX = sub (cpu_amd64.s).
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads XCR0, the register states the OS saves (cpu_amd64.s).
func xgetbv() (eax, edx uint32)

// detect reads the feature bits: CPUID leaf 1 ECX for FMA, OSXSAVE and AVX
// (XGETBV may run only with OSXSAVE), XCR0 for the saved register states,
// and leaf 7 EBX for AVX2 and the AVX-512 subsets.
func detect() featureSet {
	var f featureSet
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return f
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(osxsave|avx) != osxsave|avx {
		return f
	}
	xcr0, _ := xgetbv()
	const sse, ymm, opmask, zmmHi256, hi16zmm = 1 << 1, 1 << 2, 1 << 5, 1 << 6, 1 << 7
	if xcr0&(sse|ymm) != sse|ymm {
		return f
	}
	f.fma = ecx1&fma != 0
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2, avx512f, avx512dq, avx512vl = 1 << 5, 1 << 16, 1 << 17, 1 << 31
	f.avx2 = ebx7&avx2 != 0
	f.avx512 = f.avx2 && ebx7&(avx512f|avx512vl) == avx512f|avx512vl &&
		xcr0&(opmask|zmmHi256|hi16zmm) == opmask|zmmHi256|hi16zmm
	f.avx512dq = f.avx512 && ebx7&avx512dq != 0
	return f
}
