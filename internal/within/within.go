// Package within holds the one statistical assertion of the physics tests:
// "this estimate agrees with that value within k standard errors". A plain
// `math.Abs(got-want) > k*err` is false when either side is NaN, so a test
// written that way passes on NaN results; the functions here fail on NaN or
// infinite values and on errors that are zero, negative or NaN, which no
// statistical estimate can have.
package within

import (
	"fmt"
	"math"
	"testing"
)

// Sigmas reports, through t.Errorf, whether got agrees with want within k
// standard errors err: it fails when |got − want| > k·err, and also when got,
// want or err is not finite, when err ≤ 0, or when k ≤ 0. name says what was
// measured; it returns whether the check passed.
func Sigmas(t testing.TB, name string, got, want, err, k float64) bool {
	t.Helper()
	if msg := check(got, want, err, k); msg != "" {
		t.Errorf("%s = %v ± %v, want %v: %s", name, got, err, want, msg)
		return false
	}
	return true
}

// Agree is Sigmas for two independent estimates a ± aErr and b ± bErr (for
// example a flow chain against HMC): they must differ by at most k combined
// standard errors √(aErr² + bErr²), and both errors must be positive.
func Agree(t testing.TB, name string, a, aErr, b, bErr, k float64) bool {
	t.Helper()
	msg := ""
	switch {
	case !(aErr > 0) || math.IsInf(aErr, 0):
		msg = fmt.Sprintf("the first error %v is not a positive finite number", aErr)
	case !(bErr > 0) || math.IsInf(bErr, 0):
		msg = fmt.Sprintf("the second error %v is not a positive finite number", bErr)
	default:
		msg = check(a, b, math.Hypot(aErr, bErr), k)
	}
	if msg != "" {
		t.Errorf("%s: %v ± %v against %v ± %v: %s", name, a, aErr, b, bErr, msg)
		return false
	}
	return true
}

// check returns "" when |got − want| ≤ k·err with every number finite and
// err, k > 0, or else why not.
func check(got, want, err, k float64) string {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !finite(got):
		return "the estimate is not finite"
	case !finite(want):
		return "the reference value is not finite"
	case !finite(err) || !(err > 0):
		return fmt.Sprintf("the error %v is not a positive finite number", err)
	case !(k > 0) || !finite(k):
		return fmt.Sprintf("the tolerance k = %v is not a positive finite number", k)
	}
	if d := math.Abs(got - want); d > k*err {
		return fmt.Sprintf("%.1fσ apart, more than %gσ", d/err, k)
	}
	return ""
}
