package spline

import (
	"fmt"
	"testing"
)

func TestDebugSeeds(t *testing.T) {
	fs := map[string]func(*testing.T){"RT": TestRoundTrip, "Mono": TestMonotone, "FD": TestDerivativeFD, "Sym": TestSymmetry,
		"Fvjp": TestForwardVJP, "Ivjp": TestInverseVJP, "Kvjp": TestKnotVJP, "Pvjp": TestParamsVJP, "Ref": TestAgainstReference, "KI": TestKnotInterpolation, "Acc": TestVJPAccumulates}
	for shift := uint64(2000); shift < 2200; shift++ {
		seedShift = shift
		for name, f := range fs {
			t.Run(fmt.Sprint(name, shift), f)
		}
	}
}
