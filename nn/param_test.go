package nn

import "testing"

func TestParamSetLayout(t *testing.T) {
	a, b := NewParam("a", 2, 3), NewParam("b", 4)
	s, err := NewParamSet([]*Param{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if s.Size() != 10 || s.Offset(a) != 0 || s.Offset(b) != 6 || s.Offset(NewParam("c", 1)) != -1 {
		t.Fatalf("size %d, offsets %d %d", s.Size(), s.Offset(a), s.Offset(b))
	}
	flat := make([]float64, 10)
	for i := range flat {
		flat[i] = float64(i)
	}
	s.Unflatten(flat)
	if a.Value[5] != 5 || b.Value[0] != 6 {
		t.Errorf("unflatten: a %v b %v", a.Value, b.Value)
	}
	out := make([]float64, 10)
	s.Flatten(out)
	for i := range out {
		if out[i] != flat[i] {
			t.Fatalf("flatten[%d] = %g", i, out[i])
		}
	}
	g := NewGrads(s)
	g.Of(b)[1] = 7
	if g.Data[7] != 7 {
		t.Errorf("Grads.Of(b) is not b's slice of the buffer")
	}
	var none *Grads
	if none.Of(a) != nil {
		t.Error("nil Grads returned a slice")
	}
}

func TestParamSetRejectsDuplicates(t *testing.T) {
	a := NewParam("a", 1)
	if _, err := NewParamSet([]*Param{a, NewParam("a", 2)}); err == nil {
		t.Error("duplicate name accepted")
	}
	if _, err := NewParamSet([]*Param{a, a}); err == nil {
		t.Error("the same parameter twice accepted")
	}
}
