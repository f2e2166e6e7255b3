package nn

// Float is the element type of the numeric kernels: networks compute in
// float32 by default, and tests instantiate float64 to check every VJP by
// finite differences (docs/architecture.md §1.2).
type Float interface{ ~float32 | ~float64 }

// Convert copies src into dst with a conversion of each element
// (len(dst) ≥ len(src)). It is how values cross the float64 boundary of a
// network.
func Convert[D, S Float](dst []D, src []S) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = D(v)
	}
}

// addTo adds src into the float64 accumulator dst (len(dst) ≥ len(src)).
func addTo[S Float](dst []float64, src []S) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += float64(v)
	}
}

// transpose writes the transpose of the row-major [rows, cols] matrix a into
// at [cols, rows].
func transpose[T Float](rows, cols int, a, at []T) {
	for r := 0; r < rows; r++ {
		ar := a[r*cols : (r+1)*cols]
		for c, v := range ar {
			at[c*rows+r] = v
		}
	}
}
