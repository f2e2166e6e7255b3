package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/normflow/normflow-go/action"
	"github.com/normflow/normflow-go/rng"
	"github.com/normflow/normflow-go/sun"
)

// The eigen-angle figure of an ensemble of SU(N) matrices (docs/sun.md §7,
// docs/architecture.md §7.10): the histogram of the eigen-angles of every
// matrix, each wrapped into (−π, π], against the exact density of one
// eigen-angle,
//
//	ρ(φ) = 1/(Z N! (2π)^{N−1}) ∫ Δ(θ) w(θ) dθ₂ … dθ_{N−1},   θ₁ = φ, θ_N = −Σ_{k<N} θ_k,
//
// the marginal of the Weyl integration formula (Δ = Π_{i<j}|e^{iθ_i} − e^{iθ_j}|²,
// w = e^{−s} the Boltzmann weight of one matrix, Z = ∫dU w). The angles of
// a matrix are unlabelled and the Weyl density is symmetric in them, so
// every angle has this marginal. SU(2): ρ = sin²φ w/(πZ). Haar: w = 1, Z = 1.

// EigenAngles appends to dst the N eigen-angles, wrapped into (−π, π], of
// every N×N matrix of u, interleaved (re, im) pairs [k, N, N, 2] (sun.Eigen:
// N = 2 or 3). A matrix with a non-finite entry is an error naming it.
func EigenAngles(dst, u []float64, n int) ([]float64, error) {
	if n != 2 && n != 3 {
		return dst, fmt.Errorf("eigen-angles of SU(%d): N = 2 or 3", n)
	}
	nn := n * n
	if len(u)%(2*nn) != 0 {
		return dst, fmt.Errorf("%d values are not a whole number of %d×%d complex matrices", len(u), n, n)
	}
	m, v, theta := make([]complex128, nn), make([]complex128, nn), make([]float64, n)
	for k := range len(u) / (2 * nn) {
		for i := range m {
			re, im := u[2*(k*nn+i)], u[2*(k*nn+i)+1]
			if !isFinite(re) || !isFinite(im) {
				return dst, fmt.Errorf("matrix %d: entry (%d, %d) = (%g, %g) is not finite", k, i/n, i%n, re, im)
			}
			m[i] = complex(re, im)
		}
		sun.Eigen(v, theta, m)
		for _, t := range theta {
			dst = append(dst, wrapAngle(t))
		}
	}
	return dst, nil
}

// wrapAngle is t mod 2π in (−π, π].
func wrapAngle(t float64) float64 {
	t = math.Remainder(t, 2*math.Pi)
	if t <= -math.Pi {
		t += 2 * math.Pi
	}
	return t
}

// EigenAngleDensity returns the exact density ρ(φ) of one eigen-angle of
// SU(n) matrices with density ∝ exp(logWeight(θ)) with respect to Haar
// measure (logWeight nil: Haar), logWeight a class function of the n
// eigen-angles θ (Σθ = 0). The integrals over the other angles and Z use
// the periodic trapezoid rule on m points per angle (spectrally accurate,
// docs/sun.md §7); m^{n−1} evaluations of logWeight.
func EigenAngleDensity(n, m int, logWeight func(theta []float64) float64) (func(phi float64) float64, error) {
	if n < 2 || m < 2 {
		return nil, fmt.Errorf("eigen-angle density of SU(%d) on %d points: want N ≥ 2 and at least 2 points", n, m)
	}
	if logWeight == nil {
		logWeight = func([]float64) float64 { return 0 }
	}
	h := 2 * math.Pi / float64(m)
	norm := 1.0 // N! (2π)^{N−1}
	for k := 2; k <= n; k++ {
		norm *= float64(k) * 2 * math.Pi
	}
	norm /= 2 * math.Pi
	// The log weights on the grid of Z, and their maximum, subtracted from
	// every log weight so that exp cannot overflow (it cancels in ρ).
	theta := make([]float64, n)
	var logs, facs []float64
	grid(n-1, m, func(g []int) {
		setAngles(theta, g, h, 0, false)
		logs = append(logs, logWeight(theta))
		facs = append(facs, sun.WeylFactor(theta))
	})
	shift := math.Inf(-1)
	for _, l := range logs {
		if math.IsNaN(l) {
			return nil, fmt.Errorf("eigen-angle density: the log weight is NaN")
		}
		shift = max(shift, l)
	}
	var z float64
	for i, l := range logs {
		z += facs[i] * math.Exp(l-shift)
	}
	z *= math.Pow(h, float64(n-1)) / norm
	if !(z > 0) || math.IsInf(z, 0) {
		return nil, fmt.Errorf("eigen-angle density: normalisation Z = %g", z)
	}
	inner := math.Pow(h, float64(n-2)) / (norm * z)
	return func(phi float64) float64 {
		th := make([]float64, n)
		var sum float64
		grid(n-2, m, func(g []int) {
			setAngles(th, g, h, phi, true)
			sum += sun.WeylFactor(th) * math.Exp(logWeight(th)-shift)
		})
		return sum * inner
	}, nil
}

// grid calls f with every point of the odometer {0 … m−1}^k (once, with an
// empty point, for k = 0).
func grid(k, m int, f func(g []int)) {
	g := make([]int, k)
	for {
		f(g)
		i := 0
		for ; i < k; i++ {
			if g[i]++; g[i] < m {
				break
			}
			g[i] = 0
		}
		if i == k {
			return
		}
	}
}

// setAngles sets theta to the grid point g (spacing h), after θ₁ = first
// when withFirst, and θ_N = −Σ of the others.
func setAngles(theta []float64, g []int, h, first float64, withFirst bool) {
	k, last := 0, 0.0
	if withFirst {
		theta[0], last, k = first, -first, 1
	}
	for _, gi := range g {
		theta[k] = h * float64(gi)
		last -= theta[k]
		k++
	}
	theta[len(theta)-1] = last
}

// MatrixLogWeight is the log Boltzmann weight −s(θ) of one matrix with
// eigen-angles θ for an action of independent SU(N) matrices (N = 2, 3)
// whose S is Σ_x s(U_x) with the same class function s at every site
// (e.g. S = −(β/N) Re Tr Σ_k c_k U^k): s(θ) = S(every matrix diag(e^{iθ}))/V.
// That the action is of this form is checked on three configurations of
// Haar matrices (fixed seed), with S compared to Σ_x s(θ(U_x)) to 1e-9
// relative; an action that is not (links, a staple matrix G ≠ 1, sites that
// differ) is an error saying so.
func MatrixLogWeight(a action.Action) (func(theta []float64) float64, error) {
	mf, ok := a.(action.MatrixField)
	if !ok {
		return nil, fmt.Errorf("the action is not one of SU(N) matrices")
	}
	n, vol := mf.ColorN(), a.Lattice().Volume()
	if mf.LinksPerSite() != 0 {
		return nil, fmt.Errorf("the action is one of SU(%d) links, not of independent matrices", n)
	}
	if n != 2 && n != 3 {
		return nil, fmt.Errorf("eigen-angles of SU(%d): N = 2 or 3", n)
	}
	nn := n * n
	s := func(theta []float64) float64 {
		conf := make([]float64, 2*nn*vol)
		for x := range vol {
			for i, t := range theta {
				conf[2*(x*nn+i*n+i)], conf[2*(x*nn+i*n+i)+1] = math.Cos(t), math.Sin(t)
			}
		}
		out := []float64{0}
		a.Eval(conf, out)
		return out[0] / float64(vol)
	}
	u, v, theta := make([]complex128, nn*vol), make([]complex128, nn), make([]float64, n)
	conf, out := make([]float64, 2*nn*vol), []float64{0}
	for c := range 3 {
		st := rng.New(0x5eed, uint64(c))
		sun.HaarField(u, n, &st)
		var sum, scale float64
		for x := range vol {
			sun.Eigen(v, theta, u[x*nn:(x+1)*nn])
			sx := s(theta)
			sum += sx
			scale += math.Abs(sx)
		}
		for i, z := range u {
			conf[2*i], conf[2*i+1] = real(z), imag(z)
		}
		a.Eval(conf, out)
		if d := math.Abs(out[0] - sum); !(d <= 1e-9*(1+scale)) {
			return nil, fmt.Errorf("the action is not a sum of one class function per matrix (S = %.6g on Haar matrices, Σ_x s(θ_x) = %.6g)", out[0], sum)
		}
	}
	return func(theta []float64) float64 { return -s(theta) }, nil
}

// EigenAngleHistogram draws the normalised histogram of angles (in
// (−π, π], e.g. from EigenAngles) of matrices of SU(n), in bins of equal
// width, against the density rho (EigenAngleDensity), whose legend entry
// is label, into the PNG outPNG.
func EigenAngleHistogram(angles []float64, n int, rho func(float64) float64, label, outPNG string) error {
	if len(angles) == 0 {
		return fmt.Errorf("eigen-angle histogram: no angles")
	}
	bins := max(12, min(int(math.Round(math.Sqrt(float64(len(angles))))), 72))
	width := 2 * math.Pi / float64(bins)
	counts := make([]float64, bins)
	for _, t := range angles {
		if !isFinite(t) || t < -math.Pi || t > math.Pi {
			return fmt.Errorf("eigen-angle histogram: angle %g outside (−π, π]", t)
		}
		counts[min(int((t+math.Pi)/width), bins-1)]++
	}
	h := &plotter.Histogram{Width: width, FillColor: color.NRGBA{R: 31, G: 119, B: 180, A: 140}, LineStyle: plotter.DefaultLineStyle}
	h.LineStyle.Color = blue
	for i, c := range counts {
		lo := -math.Pi + float64(i)*width
		h.Bins = append(h.Bins, plotter.HistogramBin{Min: lo, Max: lo + width, Weight: c / (float64(len(angles)) * width)})
	}
	const samples = 361
	pts := make(plotter.XYs, samples)
	for i := range pts {
		x := -math.Pi + 2*math.Pi*float64(i)/(samples-1)
		pts[i] = plotter.XY{X: x, Y: rho(x)}
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("eigen-angle histogram: the density: %w", err)
	}
	line.LineStyle.Color = red
	line.LineStyle.Width = vg.Points(1.5)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Eigen-angles of %d SU(%d) matrices", len(angles)/n, n)
	p.X.Label.Text = "eigen-angle θ (each of the N of a matrix, in (−π, π])"
	p.Y.Label.Text = "probability density"
	p.X.Min, p.X.Max = -math.Pi, math.Pi
	p.Add(plotter.NewGrid(), h, line)
	p.Legend.Add("sample", h)
	p.Legend.Add(label, line)
	p.Legend.Top = true
	return writePlot(p, outPNG)
}
