package config

import (
	"testing"
)

// small reports whether a validated run builds a model cheap enough for the
// fuzzer (the run limits allow models far larger than a fuzz iteration may
// allocate).
func small(r *Run) bool {
	sites := 1
	for _, l := range r.Lattice.Shape {
		sites *= l
	}
	if sites > 256 || len(r.Flow.Layers) > 8 {
		return false
	}
	for _, l := range r.Flow.Layers {
		for _, p := range []*int{l.Knots, l.IPSDKnots, l.Repeat, l.Kernel} {
			if p != nil && *p > 16 {
				return false
			}
		}
		if len(l.Hidden) > 4 {
			return false
		}
		for _, h := range l.Hidden {
			if h > 16 {
				return false
			}
		}
	}
	return true
}

// FuzzParse: no run description makes Parse, Validate, BuildModel or
// TrainOptions panic, and an accepted one survives Encode and Parse again.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("Parse accepted a run that Validate rejects: %v", err)
		}
		text, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		back, err := Parse([]byte(text))
		if err != nil {
			t.Fatalf("the encoded run does not parse: %v\n%s", err, text)
		}
		again, err := back.Encode()
		if err != nil || again != text {
			t.Fatalf("Encode∘Parse is not the identity:\n%s\n---\n%s", text, again)
		}
		if _, err := r.TrainOptions(); err != nil {
			return
		}
		if small(r) {
			if m, err := r.BuildModel(); err == nil && m.Size() < 1 {
				t.Fatalf("model of size %d", m.Size())
			}
		}
	})
}
