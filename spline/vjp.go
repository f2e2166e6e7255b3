package spline

import "fmt"

// ForwardVJP is the vector-Jacobian product of Forward. For the scalar
//
//	L = gy · y + gl · log(dy/dx),   (y, dy/dx) = Forward(x),
//
// it returns ∂L/∂x and ADDS ∂L/∂X_k, ∂L/∂Y_k, ∂L/∂D_k into gX, gY, gD
// (length K each). Any of gX, gY, gD may be nil to skip it.
//
// The knot cotangents are partial derivatives with the box [x0,x1]×[y0,y1]
// (and in symmetric mode the centre) held fixed; ParamsVJP maps them to the
// unconstrained parameters.
//
// In symmetric mode, for x < c_x the map is y = 2c_y − f₊(u) with
// u = 2c_x − x and log(dy/dx) = log f₊′(u); the cotangents are therefore
// obtained from the plain spline at u with (gy, gl) → (−gy, gl), and
// ∂L/∂x = −∂L/∂u.
func (s *Spline) ForwardVJP(x, gy, gl float64, gX, gY, gD []float64) (gx float64) {
	if s.Symmetric && x < s.Cx {
		return -s.fwdVJP(2*s.Cx-x, -gy, gl, gX, gY, gD)
	}
	return s.fwdVJP(x, gy, gl, gX, gY, gD)
}

// InverseVJP is the vector-Jacobian product of Inverse. For the scalar
//
//	L = gx · x + gl · log(dx/dy),   (x, dx/dy) = Inverse(y),
//
// it returns ∂L/∂y and ADDS the knot cotangents into gX, gY, gD (any may be
// nil), like ForwardVJP.
//
// By the implicit-function theorem, with f the forward map, x = f⁻¹(y) and
// l(x) = log f′(x) (so log dx/dy = −l):
//
//	∂L/∂y = u ≡ (gx − gl ∂l/∂x) / f′(x),
//	∂L/∂θ = −u ∂f/∂θ − gl ∂l/∂θ    (θ = knots, at fixed x),
//
// i.e. the parameter part is ForwardVJP at x with (gy, gl) → (−u, −gl).
// In symmetric mode, for y < c_y, x = 2c_x − f₊⁻¹(2c_y − y) and the
// reflection is handled as in ForwardVJP.
func (s *Spline) InverseVJP(y, gx, gl float64, gX, gY, gD []float64) (gy float64) {
	if s.Symmetric && y < s.Cy {
		return -s.invVJP(2*s.Cy-y, -gx, gl, gX, gY, gD)
	}
	return s.invVJP(y, gx, gl, gX, gY, gD)
}

// fwdVJP is ForwardVJP for the plain (non-reflected) spline.
func (s *Spline) fwdVJP(x, gy, gl float64, gX, gY, gD []float64) float64 {
	X := s.X
	n := len(X) - 1
	if x < X[0] {
		return s.tailVJP(0, x, gy, gl, gX, gY, gD)
	}
	if x > X[n] {
		return s.tailVJP(n, x, gy, gl, gX, gY, gD)
	}
	return s.binVJP(bin(X, x), x, gy, gl, gX, gY, gD)
}

// invVJP is InverseVJP for the plain (non-reflected) spline.
func (s *Spline) invVJP(y, gx, gl float64, gX, gY, gD []float64) float64 {
	X, Y, D := s.X, s.Y, s.D
	n := len(Y) - 1
	if n >= len(X) || n >= len(D) {
		panic("spline: knot arrays of unequal length")
	}
	params := gX != nil || gY != nil || gD != nil
	var j int
	switch {
	case y < Y[0]:
		j = 0
	case y > Y[n]:
		j = n
	default:
		k := bin(Y, y)
		xa, xb, ya, yb, da, db := X[k], X[k+1], Y[k], Y[k+1], D[k], D[k+1]
		x, dxdy := rqInverse(y, xa, xb, ya, yb, da, db)
		u := (gx - gl*rqDlogDx(x, xa, xb, ya, yb, da, db)) * dxdy
		if params {
			s.binVJP(k, x, -u, -gl, gX, gY, gD)
		}
		return u
	}
	// Linear tail: x = X_j + (y − Y_j)/D_j, ∂l/∂x = 0.
	x := X[j] + (y-Y[j])/D[j]
	u := gx / D[j]
	if params {
		s.tailVJP(j, x, -u, -gl, gX, gY, gD)
	}
	return u
}

// tailVJP handles the linear tail through knot j:
// y = Y_j + D_j (x − X_j), l = log D_j.
func (s *Spline) tailVJP(j int, x, gy, gl float64, gX, gY, gD []float64) float64 {
	dj := s.D[j]
	if gX != nil {
		gX[j] -= gy * dj
	}
	if gY != nil {
		gY[j] += gy
	}
	if gD != nil {
		gD[j] += gy*(x-s.X[j]) + gl/dj
	}
	return gy * dj
}

// binVJP handles bin k (X_k ≤ x ≤ X_{k+1}).
func (s *Spline) binVJP(k int, x, gy, gl float64, gX, gY, gD []float64) float64 {
	X, Y, D := s.X, s.Y, s.D
	gx, gxa, gxb, gya, gyb, gda, gdb := rqVJP(x, X[k], X[k+1], Y[k], Y[k+1], D[k], D[k+1], gy, gl)
	if gX != nil {
		gX[k] += gxa
		gX[k+1] += gxb
	}
	if gY != nil {
		gY[k] += gya
		gY[k+1] += gyb
	}
	if gD != nil {
		gD[k] += gda
		gD[k+1] += gdb
	}
	return gx
}

// ParamsVJP maps knot cotangents gX, gY, gD (length K) to cotangents of the
// unconstrained parameters given to the last SetParams call, ADDING them to
// gw, gh (length K−1) and gv (length K). It is the exact adjoint of the map
// (w, h, v) → (X, Y, D):
//
//	X_k = X_0 + L Σ_{i<k} p_i,  p = softmax(w),  L = X_{K−1} − X_0,
//	∂L/∂p_i = L Σ_{k=i+1}^{K−2} gX_k ≡ q_i,
//	∂L/∂w_j = p_j (q_j − Σ_i p_i q_i),
//
// likewise for h; and ∂L/∂v_k = gD_k · sigmoid(β v_k). The end knots X_0,
// X_{K−1}, Y_0, Y_{K−1} do not depend on the parameters, so gX, gY at the
// ends are ignored. A nil pair (gX or gw nil, etc.) is skipped.
func (s *Spline) ParamsVJP(gX, gY, gD []float64, gw, gh, gv []float64) {
	k := len(s.X)
	check := func(name string, g []float64, n int) {
		if g != nil && len(g) != n {
			panic(fmt.Sprintf("spline: ParamsVJP: len(%s)=%d, want %d", name, len(g), n))
		}
	}
	check("gX", gX, k)
	check("gY", gY, k)
	check("gD", gD, k)
	check("gw", gw, k-1)
	check("gh", gh, k-1)
	check("gv", gv, k)
	if gX != nil && gw != nil {
		softmaxCumVJP(gX, s.pw, s.lx, gw)
	}
	if gY != nil && gh != nil {
		softmaxCumVJP(gY, s.ph, s.ly, gh)
	}
	if gD != nil && gv != nil {
		for i, sv := range s.sv {
			gv[i] += gD[i] * sv
		}
	}
}

// softmaxCumVJP adds to gw the cotangent of w for X_k = X_0 + l Σ_{i<k} p_i,
// k = 1 … K−2, p = softmax(w), given the knot cotangent g (length K).
// q_i = l Σ_{k=i+1}^{K−2} g_k is accumulated as a suffix sum, twice, to avoid
// scratch space.
func softmaxCumVJP(g, p []float64, l float64, gw []float64) {
	n := len(p) // K−1; interior knots are g[1 … n−1]
	var dot, q float64
	for i := n - 1; i >= 0; i-- {
		// here q = Σ_{k=i+1}^{n−1} g_k
		dot += p[i] * q
		q += g[i]
	}
	q = 0
	for i := n - 1; i >= 0; i-- {
		gw[i] += l * p[i] * (q - dot)
		q += g[i]
	}
}

// InverseVJPAt is InverseVJP for a caller that already knows x = f⁻¹(y)
// (kept from the inverse pass): it returns ∂L/∂y and adds the knot
// cotangents exactly as InverseVJP(y, …) does, but needs no second solution
// of the quadratic. By the implicit-function theorem (see InverseVJP),
//
//	∂L/∂y = u = (gx − gl ∂l/∂x) / f′(x),   knot part = ForwardVJP(x, −u, −gl),
//
// with ∂l/∂x = ForwardVJP(x, 0, 1) (no knot cotangents) and l = log f′.
func (s *Spline) InverseVJPAt(x, gx, gl float64, gX, gY, gD []float64) (gy float64) {
	_, fp := s.Forward(x)
	dl := s.ForwardVJP(x, 0, 1, nil, nil, nil)
	u := (gx - gl*dl) / fp
	if gX != nil || gY != nil || gD != nil {
		s.ForwardVJP(x, -u, -gl, gX, gY, gD)
	}
	return u
}
