//go:build !amd64 || purego

package cpufeat

// detect reports no SIMD features: there are no kernels to run.
func detect() featureSet { return featureSet{} }
