package nn

import (
	"sync"
	"unsafe"
)

// Convolutions compute on blocks of samples in the [channels, sites, samples]
// layout ("CSB"): element (c, x, j) of a block of nb samples is at
// c·cs + x·nb + j, with a channel stride cs of V·nb and one cache line
// (csbStride). A tap of the stencil then moves whole rows of nb samples,
// so the convolution of a block is one GEMM whose B rows are shifted rows of
// the block (convNN, gemm.go), with no patch matrix, and the samples of a
// block fill the vector registers. Conv* convert from and to the batch layout
// [batch, channels, sites] at their boundary; a Net keeps its activations in
// blocks from the input conversion to the output one.

// blockSamples is the most samples a block holds (a multiple of every
// vector length); batches of more are split into blocks of this size and a
// last, smaller one.
const blockSamples = 64

// sampleBlock returns the block size for a batch: all of it up to
// blockSamples, padded to the vector length.
func sampleBlock[T Float](batch int) int {
	return padSamples[T](min(batch, blockSamples))
}

// padSamples is the width of a block of cnt samples: cnt rounded up to the
// vector length of T's kernels (the padding samples are zero on input).
func padSamples[T Float](cnt int) int {
	ks := kernelsFor[T]()
	if ks == nil {
		return cnt
	}
	return (cnt + ks.lanes - 1) / ks.lanes * ks.lanes
}

// csbStride is the channel stride of a block of nb samples on v sites: v·nb
// elements and one cache line more, so that the rows of the channels, which
// the kernels stream together, do not share cache sets (v·nb·size is often a
// power of two).
func csbStride[T Float](v, nb int) int {
	var z T
	return v*nb + 64/int(unsafe.Sizeof(z))
}

// csbSize is the length of a block of c channels.
func csbSize[T Float](c, v, nb int) int { return c * csbStride[T](v, nb) }

// toCSB writes cnt samples of src [cnt, c, v] into the block dst of c
// channels and nb samples with a conversion of each element, and zeroes the
// nb−cnt padding samples.
func toCSB[D, S Float](dst []D, src []S, cnt, nb, c, v int) {
	cs := csbStride[D](v, nb)
	cv := c * v
	dst = dst[:c*cs]
	src = src[:cnt*cv]
	if cnt < nb {
		for ch := 0; ch < c; ch++ {
			for x := 0; x < v; x++ {
				clear(dst[ch*cs+x*nb+cnt : ch*cs+(x+1)*nb])
			}
		}
	}
	// four samples at a time: four source rows in, runs of four out
	j := 0
	for ; j+4 <= cnt; j += 4 {
		s0, s1, s2, s3 := src[j*cv:(j+1)*cv], src[(j+1)*cv:(j+2)*cv], src[(j+2)*cv:(j+3)*cv], src[(j+3)*cv:(j+4)*cv]
		for ch := 0; ch < c; ch++ {
			r0 := s0[ch*v : (ch+1)*v]
			r1, r2, r3 := s1[ch*v : (ch+1)*v][:len(r0)], s2[ch*v : (ch+1)*v][:len(r0)], s3[ch*v : (ch+1)*v][:len(r0)]
			row := dst[ch*cs : ch*cs+v*nb]
			for x, a := range r0 {
				d := row[x*nb+j : x*nb+j+4]
				d[0], d[1], d[2], d[3] = D(a), D(r1[x]), D(r2[x]), D(r3[x])
			}
		}
	}
	for ; j < cnt; j++ {
		for ch := 0; ch < c; ch++ {
			row := dst[ch*cs : ch*cs+v*nb]
			for x, a := range src[j*cv+ch*v : j*cv+(ch+1)*v] {
				row[x*nb+j] = D(a)
			}
		}
	}
}

// fromCSB writes the first cnt samples of the block src of c channels and nb
// samples into dst [cnt, c, v] with a conversion of each element.
func fromCSB[D, S Float](dst []D, src []S, cnt, nb, c, v int) {
	cs := csbStride[S](v, nb)
	cv := c * v
	dst = dst[:cnt*cv]
	src = src[:c*cs]
	j := 0
	for ; j+4 <= cnt; j += 4 {
		d0, d1, d2, d3 := dst[j*cv:(j+1)*cv], dst[(j+1)*cv:(j+2)*cv], dst[(j+2)*cv:(j+3)*cv], dst[(j+3)*cv:(j+4)*cv]
		for ch := 0; ch < c; ch++ {
			r0 := d0[ch*v : (ch+1)*v]
			r1, r2, r3 := d1[ch*v : (ch+1)*v][:len(r0)], d2[ch*v : (ch+1)*v][:len(r0)], d3[ch*v : (ch+1)*v][:len(r0)]
			row := src[ch*cs : ch*cs+v*nb]
			for x := range r0 {
				s := row[x*nb+j : x*nb+j+4]
				r0[x], r1[x], r2[x], r3[x] = D(s[0]), D(s[1]), D(s[2]), D(s[3])
			}
		}
	}
	for ; j < cnt; j++ {
		for ch := 0; ch < c; ch++ {
			row := src[ch*cs : ch*cs+v*nb]
			d := dst[j*cv+ch*v : j*cv+(ch+1)*v]
			for x := range d {
				d[x] = D(row[x*nb+j])
			}
		}
	}
}

// convKernel writes the weights w [cout, cin, taps] in the tap-major form
// convNN takes for the forward: wk[o, t·cin + i] = w[o, i, t].
func convKernel[T Float](cout, cin, taps int, w, wk []T) {
	for o := 0; o < cout; o++ {
		for i := 0; i < cin; i++ {
			for t, v := range w[(o*cin+i)*taps : (o*cin+i+1)*taps] {
				wk[(o*taps+t)*cin+i] = v
			}
		}
	}
}

// convKernelVJP writes the kernel of the input VJP in convNN's form: the
// flipped, transposed kernel wt[i, t·cout + o] = w[o, i, taps−1−t] (tap
// taps−1−t has offset −δ_t), so that dx = wt ⋆ dy is a convolution like the
// forward one.
func convKernelVJP[T Float](cout, cin, taps int, w, wt []T) {
	for o := 0; o < cout; o++ {
		for i := 0; i < cin; i++ {
			for t, v := range w[(o*cin+i)*taps : (o*cin+i+1)*taps] {
				wt[(i*taps+taps-1-t)*cout+o] = v
			}
		}
	}
}

// scratchPools hold scratch slices of 4- and 8-byte elements for reuse
// across calls (getScratch, putScratch).
var scratchPools [2]sync.Pool

// getScratch returns a slice of length n from the pool (contents arbitrary).
func getScratch[T Float](n int) *[]T {
	var z T
	pool := &scratchPools[unsafe.Sizeof(z)/8]
	if s, ok := pool.Get().(*[]T); ok && cap(*s) >= n {
		*s = (*s)[:n]
		return s
	}
	s := make([]T, n)
	return &s
}

// putScratch returns a slice of getScratch to the pool.
func putScratch[T Float](s *[]T) {
	var z T
	scratchPools[unsafe.Sizeof(z)/8].Put(s)
}

// sumFloat64 returns Σ s[i] summed in float64 (in a fixed order): the bias
// cotangent of a channel of a block.
func sumFloat64[T Float](s []T) float64 {
	var z T
	n := 0
	var sum float64
	if kernelsFor[T]() != nil {
		n = len(s) / 16 * 16
		if n > 0 {
			sum = vecSum(int(unsafe.Sizeof(z)), unsafe.Pointer(&s[0]), n)
		}
	}
	for _, v := range s[n:] {
		sum += float64(v)
	}
	return sum
}
