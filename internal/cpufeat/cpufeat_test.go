package cpufeat

import "testing"

// The features nest as the kernels assume: AVX-512 implies AVX2, DQ implies
// F+VL.
func TestNesting(t *testing.T) {
	t.Logf("AVX2 %v, FMA %v, AVX512 (F+VL) %v, AVX512DQ %v", AVX2(), FMA(), AVX512(), AVX512DQ())
	if AVX512() && !AVX2() {
		t.Error("AVX512 without AVX2")
	}
	if AVX512DQ() && !AVX512() {
		t.Error("AVX512DQ without AVX512")
	}
}
