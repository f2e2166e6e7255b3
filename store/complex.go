package store

import "unsafe"

// Complex arrays (NumPy dtype '<c16') and the interleaved layout of SU(N)
// fields (docs/architecture.md §7.5): a complex128 is two float64s, the
// real part first, so a []complex128 of n elements and a []float64 of 2n
// (re, im) pairs are the same bytes. The two views below convert between
// them without copying; the result shares the memory of its argument.

// ComplexPairs views c as its 2·len(c) interleaved real and imaginary
// parts, sharing c's memory.
func ComplexPairs(c []complex128) []float64 {
	if len(c) == 0 {
		return []float64{}
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&c[0])), 2*len(c))
}

// Complex128s views pairs, interleaved (re, im) values of even length, as
// len(pairs)/2 complex numbers sharing its memory; it panics on an odd
// length.
func Complex128s(pairs []float64) []complex128 {
	if len(pairs)%2 != 0 {
		panic("store: Complex128s of an odd number of values")
	}
	if len(pairs) == 0 {
		return []complex128{}
	}
	return unsafe.Slice((*complex128)(unsafe.Pointer(&pairs[0])), len(pairs)/2)
}

// ComplexPairs returns the elements of a complex array as interleaved
// (re, im) float64 pairs, sharing its memory (not a copy); a real array is
// an error.
func (a Array) ComplexPairs() ([]float64, error) {
	c, ok := a.Data.([]complex128)
	if !ok {
		return nil, &dtypeError{a.Name, a.Data}
	}
	return ComplexPairs(c), nil
}

// IsComplex reports whether a holds complex numbers.
func (a Array) IsComplex() bool { _, ok := a.Data.([]complex128); return ok }

// dtypeError says that an array is real where complex data was wanted.
type dtypeError struct {
	name string
	data any
}

func (e *dtypeError) Error() string {
	return "store: array \"" + e.name + "\": want complex128 (<c16) data, not " + dtypeName(e.data)
}

// dtypeName is the NumPy dtype of array data.
func dtypeName(data any) string {
	switch data.(type) {
	case []float64:
		return "float64 (<f8)"
	case []float32:
		return "float32 (<f4)"
	case []int64, []int:
		return "int64 (<i8)"
	case []int32:
		return "int32 (<i4)"
	case []uint8:
		return "uint8 (|u1)"
	case []bool:
		return "bool (|b1)"
	case []complex128:
		return "complex128 (<c16)"
	}
	return "an unsupported type"
}
