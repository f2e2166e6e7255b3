package store

import (
	"math"
	"strings"
	"testing"
)

// The checksum ignores tensor order but sees every name, dimension, value bit
// and metadata entry, and field boundaries.
func TestChecksum(t *testing.T) {
	ts := []Tensor{{Name: "a", Shape: []int{2}, Data: []float64{1, 2}}, {Name: "b", Shape: []int{}, Data: []float64{3}}}
	meta := map[string]string{"k": "v", "run": "x = 1"}
	ref := Checksum(ts, meta)
	if len(ref) != 64 {
		t.Fatalf("checksum %q: want 64 hex digits", ref)
	}
	if got := Checksum([]Tensor{ts[1], ts[0]}, meta); got != ref {
		t.Errorf("tensor order changed the checksum")
	}
	variants := map[string]func() ([]Tensor, map[string]string){
		"name": func() ([]Tensor, map[string]string) { return []Tensor{{"c", []int{2}, []float64{1, 2}}, ts[1]}, meta },
		"shape": func() ([]Tensor, map[string]string) {
			return []Tensor{{"a", []int{2, 1}, []float64{1, 2}}, ts[1]}, meta
		},
		"value": func() ([]Tensor, map[string]string) {
			return []Tensor{{"a", []int{2}, []float64{1, 2.0000000000000004}}, ts[1]}, meta
		},
		"negative 0": func() ([]Tensor, map[string]string) {
			return []Tensor{ts[0], {"b", []int{}, []float64{math.Copysign(0, -1)}}}, meta
		},
		"meta value":  func() ([]Tensor, map[string]string) { return ts, map[string]string{"k": "w", "run": "x = 1"} },
		"meta key":    func() ([]Tensor, map[string]string) { return ts, map[string]string{"K": "v", "run": "x = 1"} },
		"meta split":  func() ([]Tensor, map[string]string) { return ts, map[string]string{"k": "vrun", "": "x = 1"} },
		"no metadata": func() ([]Tensor, map[string]string) { return ts, nil },
		"one tensor":  func() ([]Tensor, map[string]string) { return ts[:1], meta },
	}
	seen := map[string]string{ref: "reference"}
	for name, f := range variants {
		c := Checksum(f())
		if other, dup := seen[c]; dup {
			t.Errorf("%s: same checksum as %s", name, other)
		}
		seen[c] = name
	}
}

// The two digests of a checksum mismatch are printed so that they differ,
// also when they agree in their first 12 characters (a damaged byte inside
// the stored digest).
func TestChecksumMismatchShowsTheDifference(t *testing.T) {
	const a = "dff60d3541b0c0ffee00112233445566"
	for _, c := range []struct{ stored, computed, want string }{
		{a, "0" + a[1:], "stored dff60d3541b0…, contents give 0ff60d3541b0…"},
		{a, a[:20] + "x" + a[21:], "stored dff60d3541b0c0ffee001122…, contents give dff60d3541b0c0ffee00x122…"},
		{a[:12] + "\x01" + a[13:], a, `stored "dff60d3541b0\x01`},
		{"", a, `stored "", contents give dff60d3541b0…`},
	} {
		got := ChecksumMismatch(c.stored, c.computed).Error()
		if !strings.Contains(got, c.want) {
			t.Errorf("ChecksumMismatch(%q, %q) = %q, want it to contain %q", c.stored, c.computed, got, c.want)
		}
	}
}
