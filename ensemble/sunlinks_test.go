package ensemble

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/normflow/normflow-go/lattice"
	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/sungauge"
)

// HMC of SU(2) links on 4×3 into shards and into one .npz: U read back
// equals the configurations of the same chain run by hand, bit for bit;
// the manifest records sun_links, color_n and the HMC settings; the
// analysis is the same from both and its plaquette is the mean of
// sungauge's MeanPlaquette over the chain.
func TestStreamHMCSUNLinks(t *testing.T) {
	lat := lattice.MustNew(4, 3)
	w, err := sungauge.NewWilson(lat, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	const therm, n = 5, 23
	settings := HMCSettings{Step: 0.2, Steps: 4, Therm: therm, Integrator: "omelyan"}
	newHMC := func() *mcmc.HMC {
		h, err := mcmc.NewHMC(w, 0.2, 4, 7)
		if err != nil {
			t.Fatal(err)
		}
		h.Integrator = mcmc.Omelyan2MN
		return h
	}
	draw := func(out Output) *Drawn {
		d, err := StreamHMC(newHMC(), SUNLinks, lat.Shape(), therm, n, settings, StreamOptions{Chunk: 10, Out: out})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tmp := t.TempDir()
	sh, _ := NewShards(filepath.Join(tmp, "links"))
	dShards := draw(sh)
	dNPZ := draw(NewNPZOutput(filepath.Join(tmp, "links.npz")))
	h := newHMC()
	h.Thermalise(therm)
	want, _, _ := h.Sample(n)
	_, a := readSource(t, filepath.Join(tmp, "links"), 4)
	src, b := readSource(t, filepath.Join(tmp, "links.npz"), 100)
	if src.Kind != SUNLinks || src.ColorN != 2 || !src.Chain || !sameBits(a, want) || !sameBits(b, want) {
		t.Fatalf("links: kind %v, N %d, chain %v, shards = chain %v, npz = chain %v", src.Kind, src.ColorN, src.Chain, sameBits(a, want), sameBits(b, want))
	}
	f, err := ReadFile(filepath.Join(tmp, "links.npz"))
	if err != nil {
		t.Fatal(err)
	}
	if u := f.Arrays["U"]; !u.IsComplex() || !slices.Equal(u.Shape, []int{n, 2, 4, 3, 2, 2}) {
		t.Errorf("U: complex %v, shape %v", u.IsComplex(), u.Shape)
	}
	r1, _ := json.Marshal(dShards.Links.Measure(nil, 0))
	r2, _ := json.Marshal(dNPZ.Links.Measure(nil, 0))
	if string(r1) != string(r2) {
		t.Errorf("link reports differ:\n%s\n%s", r1, r2)
	}
	var sum float64
	size := w.FieldSize()
	for c := range n {
		sum += w.MeanPlaquette(want[c*size : (c+1)*size])
	}
	if got := dNPZ.Analyse().Observables["plaquette"].Mean; got != sum/n {
		t.Errorf("plaquette %v, want the chain's mean %v", got, sum/n)
	}
	if dNPZ.Links.MaxLoop() != 2 {
		t.Errorf("default loops %d on 4×3, want 2", dNPZ.Links.MaxLoop())
	}
	man, _ := ReadManifest(filepath.Join(tmp, "links"))
	if man.Sampler != SamplerHMC || man.HMC == nil || *man.HMC != settings || man.Array != "U" || man.FieldKind != "sun_links" ||
		man.ColorN != 2 || man.Shards != 3 || !slices.Equal(man.Arrays, []string{"U", "accepted", "deltaH"}) {
		t.Errorf("manifest %+v", man)
	}
}
