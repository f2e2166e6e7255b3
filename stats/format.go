package stats

import (
	"math"
	"strconv"
	"strings"
)

// FormatValueError formats value ± err in the compact "value(error)"
// notation, e.g. 2.0810(51) for 2.08098 ± 0.00513.
//
// Rule: the error is rounded to errDigits significant digits (errDigits < 1
// is treated as 1; rounding is correct decimal rounding of the binary value,
// as by strconv). If that rounding carries into a new digit (0.0996 → 0.10)
// the error keeps the coarser decimal place, so it may show one digit fewer
// ((1.23456, 0.0996, 2) → "1.23(10)"). Let 10^d be the place of the last
// shown error digit. The value is rounded to the same place 10^d
// (round-half-even on its exact binary value, as strconv does):
//
//   - d < 0: the value is printed with −d decimals and the error digits are
//     given in units of the last decimal: (0.4, 1.1, 2) → "0.4(11)",
//     (0.52, 0.57, 2) → "0.52(57)".
//   - d ≥ 0: both are printed as integers in full, the error including its
//     trailing zeros: (1234.5, 23.4, 2) → "1234(23)",
//     (12345, 1234, 2) → "12300(1200)".
//
// A value that rounds to zero is printed without a minus sign ("0.00", not
// "-0.00"); negative values otherwise keep their sign: (−1.5, 0.25, 2) →
// "-1.50(25)". A negative err is taken by its absolute value.
//
// Special cases (never panics): err = 0 gives strconv 'g' formatting of the
// value followed by "(0)", e.g. "1.5(0)"; if value or err is NaN or ±Inf
// both are printed with 'g' formatting, e.g. "NaN(0.1)", "1.5(NaN)",
// "+Inf(NaN)".
func FormatValueError(value, err float64, errDigits int) string {
	if errDigits < 1 {
		errDigits = 1
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	if math.IsNaN(value) || math.IsInf(value, 0) || math.IsNaN(err) || math.IsInf(err, 0) {
		return g(value) + "(" + g(err) + ")"
	}
	err = math.Abs(err)
	if err == 0 {
		return g(value) + "(0)"
	}
	// Error rounded to errDigits significant digits: "D.DDDe±XX".
	es := strconv.FormatFloat(err, 'e', errDigits-1, 64)
	mant, expStr, _ := strings.Cut(es, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	d := exp - (errDigits - 1) // place of the last error digit is 10^d

	var vs, errStr string
	if d < 0 {
		vs = strconv.FormatFloat(value, 'f', -d, 64)
		errStr = digits
	} else {
		q := strconv.FormatFloat(value/math.Pow10(d), 'f', 0, 64)
		if strings.TrimLeft(q, "-0") == "" {
			vs = "0"
		} else {
			vs = q + strings.Repeat("0", d)
		}
		errStr = digits + strings.Repeat("0", d)
	}
	if strings.HasPrefix(vs, "-") && strings.Trim(vs, "-0.") == "" {
		vs = vs[1:]
	}
	return vs + "(" + errStr + ")"
}
