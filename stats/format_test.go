package stats

import (
	"math"
	"testing"
)

func TestFormatValueError(t *testing.T) {
	tests := []struct {
		v, e   float64
		digits int
		want   string
	}{
		// Required cases.
		{0.52, 0.57, 2, "0.52(57)"},
		{0.4, 1.1, 2, "0.4(11)"},
		{2.08098, 0.00513, 2, "2.0810(51)"},
		// Error ≥ 10: integers in full, error with trailing zeros.
		{1234.5, 23.4, 2, "1234(23)"}, // value tie → round half to even
		{1235.5, 23.4, 2, "1236(23)"},
		{12345, 1234, 2, "12300(1200)"},
		{12345, 1234, 1, "12000(1000)"},
		{12345, 1234, 3, "12340(1230)"}, // 1234.5 → 1234 (half even)
		{3, 1234, 2, "0(1200)"},
		{-3, 1234, 2, "0(1200)"},
		{987654, 15, 2, "987654(15)"},
		{1e30, 2.5e28, 2, "1000000000000000000000000000000(25000000000000000000000000000)"},
		// Carry when rounding the error.
		{1.23456, 0.0996, 2, "1.23(10)"},
		{1.23456, 0.0994, 2, "1.235(99)"},
		{999.7, 0.96, 1, "1000(1)"},
		{5.55, 9.96, 2, "6(10)"},
		// One and three digits, small numbers.
		{0.52, 0.57, 1, "0.5(6)"},
		{2.08098, 0.00513, 3, "2.08098(513)"},
		{0.000123, 1.2e-6, 2, "0.0001230(12)"},
		{6.02214076e-23, 1.5e-30, 2, "0.0000000000000000000000602214076(15)"},
		// Negative values, negative zero after rounding, negative error.
		{-1.5, 0.25, 2, "-1.50(25)"},
		{-0.001, 0.05, 2, "-0.001(50)"},
		{-0.0001, 0.05, 2, "0.000(50)"},
		{-2.5, 123, 2, "0(120)"},
		{0.52, -0.57, 2, "0.52(57)"},
		// errDigits < 1 behaves like 1.
		{0.52, 0.57, 0, "0.5(6)"},
		// Zero error.
		{1.5, 0, 2, "1.5(0)"},
		{-1234567, 0, 2, "-1.234567e+06(0)"},
		// Non-finite input.
		{nan, 0.1, 2, "NaN(0.1)"},
		{1.5, nan, 2, "1.5(NaN)"},
		{nan, nan, 2, "NaN(NaN)"},
		{inf, 1, 2, "+Inf(1)"},
		{1, math.Inf(-1), 2, "1(-Inf)"},
	}
	for _, tc := range tests {
		if got := FormatValueError(tc.v, tc.e, tc.digits); got != tc.want {
			t.Errorf("FormatValueError(%v, %v, %d) = %q, want %q", tc.v, tc.e, tc.digits, got, tc.want)
		}
	}
}
