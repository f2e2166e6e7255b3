// Package plots draws the figures of `normflow plot`: the training history of
// a run directory, the magnetisation histogram of an ensemble and the
// autocorrelation function of a Monte Carlo series. Every figure is rendered
// to memory first and then written as a PNG with [store.AtomicWriteFile], so
// a failed call never leaves a partial file behind. The inputs are a run
// directory's history.csv and field configurations [n, V] such as those of
// an mcmc.Chain; start with package model.
package plots

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/normflow/normflow-go/stats"
	"github.com/normflow/normflow-go/store"
)

// Figure sizes.
const (
	width        = 16 * vg.Centimeter
	height       = 10 * vg.Centimeter
	historyPanel = 9 * vg.Centimeter
)

var (
	blue = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	red  = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	grey = color.RGBA{R: 128, G: 128, B: 128, A: 255}
)

// HistoryData is the content of a run directory's history.csv. Non-finite
// values (skipped steps) are kept as read; plots leave them out.
type HistoryData struct {
	Epoch []float64
	Loss  []float64
	ESS   []float64
}

// ReadHistory reads a history.csv (header epoch,loss,ess,…; the columns are
// found by name, extra columns are ignored). It fails on a missing file, a
// missing column, a malformed number or a file without data rows.
func ReadHistory(path string) (*HistoryData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file, want a header epoch,loss,ess,…", path)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, name := range []string{"epoch", "loss", "ess"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s: no column %q in the header %q", path, name, strings.Join(header, ","))
		}
	}
	h := &HistoryData{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var v [3]float64
		for k, name := range []string{"epoch", "loss", "ess"} {
			x, err := strconv.ParseFloat(strings.TrimSpace(rec[col[name]]), 64)
			if err != nil {
				return nil, fmt.Errorf("%s: line %d: %s = %q is not a number", path, line, name, rec[col[name]])
			}
			v[k] = x
		}
		h.Epoch = append(h.Epoch, v[0])
		h.Loss = append(h.Loss, v[1])
		h.ESS = append(h.ESS, v[2])
	}
	if len(h.Epoch) == 0 {
		return nil, fmt.Errorf("%s: no data rows", path)
	}
	return h, nil
}

// History draws the loss and the effective sample size (in [0, 1]) against
// the epoch, as two stacked panels, from historyCSV (a run directory's
// history.csv) into the PNG outPNG.
func History(historyCSV, outPNG string) error {
	h, err := ReadHistory(historyCSV)
	if err != nil {
		return err
	}
	return WriteHistory(h, outPNG)
}

// WriteHistory draws h as History does.
func WriteHistory(h *HistoryData, outPNG string) error {
	// Non-finite values (skipped steps) are left out; a panel without any
	// finite value stays empty.
	loss, ess := finitePoints(h.Epoch, h.Loss), finitePoints(h.Epoch, h.ESS)
	top := plot.New()
	top.Title.Text = "Training history"
	top.Y.Label.Text = "loss (reverse KL)"
	if err := addLine(top, loss, blue); err != nil {
		return err
	}
	if lo, hi, clipped := lossRange(loss); clipped {
		// The first epochs' loss (often 10–100× the final one) would flatten
		// the rest of the curve into a line: leave them off scale.
		top.Y.Min, top.Y.Max = lo, hi
		top.Y.Label.Text = "loss (reverse KL; first epochs off scale)"
	}
	bottom := plot.New()
	bottom.X.Label.Text = "epoch"
	bottom.Y.Label.Text = "ESS / N"
	bottom.Y.Min, bottom.Y.Max = 0, 1
	if err := addLine(bottom, ess, red); err != nil {
		return err
	}
	for _, p := range []*plot.Plot{top, bottom} {
		p.Add(plotter.NewGrid())
		if len(h.Epoch) > 0 {
			p.X.Min, p.X.Max = minMax(h.Epoch)
		}
	}
	img := vgimg.New(width, 2*historyPanel)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Millimeter, PadBottom: vg.Millimeter,
		PadLeft: vg.Millimeter, PadRight: 3 * vg.Millimeter, PadY: 2 * vg.Millimeter}
	cs := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(cs[0][0])
	bottom.Draw(cs[1][0])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("history: render: %w", err)
	}
	return writeFile(outPNG, buf.Bytes())
}

// lossRange is the y range of the loss panel: the range of the loss after
// the first 5% of the epochs with a 10% margin, when the early values would
// otherwise stretch the axis more than threefold (clipped = true).
func lossRange(loss plotter.XYs) (lo, hi float64, clipped bool) {
	n := len(loss)
	if n < 20 {
		return 0, 0, false
	}
	late := make([]float64, 0, n)
	for _, p := range loss[n/20:] {
		late = append(late, p.Y)
	}
	lo, hi = minMax(late)
	all := make([]float64, n)
	for i, p := range loss {
		all[i] = p.Y
	}
	allLo, allHi := minMax(all)
	span := hi - lo
	if !(span > 0) || (allHi-allLo) <= 3*span {
		return 0, 0, false
	}
	return lo - 0.1*span, hi + 0.1*span, true
}

// Magnetisations returns M = (1/V) Σ_x φ(x) for each configuration of phi,
// which holds len(phi)/volume configurations of volume sites each.
func Magnetisations(phi []float64, volume int) ([]float64, error) {
	if volume <= 0 {
		return nil, fmt.Errorf("volume %d: must be > 0", volume)
	}
	if len(phi) == 0 || len(phi)%volume != 0 {
		return nil, fmt.Errorf("%d field values do not make whole configurations of volume %d", len(phi), volume)
	}
	m := make([]float64, len(phi)/volume)
	for i := range m {
		s := 0.0
		for _, v := range phi[i*volume : (i+1)*volume] {
			s += v
		}
		m[i] = s / float64(volume)
		if math.IsNaN(m[i]) || math.IsInf(m[i], 0) {
			return nil, fmt.Errorf("configuration %d: non-finite field values", i)
		}
	}
	return m, nil
}

// MagnetisationHistogram draws the normalised histogram of the magnetisation
// M = (1/V) Σ_x φ(x) of the configurations in phi (len(phi)/volume
// configurations of volume sites each) into the PNG outPNG.
func MagnetisationHistogram(phi []float64, volume int, outPNG string) error {
	m, err := Magnetisations(phi, volume)
	if err != nil {
		return fmt.Errorf("magnetisation histogram: %w", err)
	}
	return MagnetisationHistogramOf(m, outPNG)
}

// MagnetisationHistogramOf draws the normalised histogram of the
// magnetisations m (one per configuration, e.g. from Magnetisations of
// each piece of an ensemble) into the PNG outPNG.
func MagnetisationHistogramOf(m []float64, outPNG string) error {
	bins := int(math.Round(math.Sqrt(float64(len(m)))))
	bins = max(10, min(bins, 80))
	hist, err := plotter.NewHist(plotter.Values(m), bins)
	if err != nil {
		return fmt.Errorf("magnetisation histogram: %w", err)
	}
	hist.Normalize(1)
	hist.FillColor = color.NRGBA{R: 31, G: 119, B: 180, A: 140}
	hist.LineStyle.Color = blue
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Magnetisation, %d configurations", len(m))
	p.X.Label.Text = "M = Σₓ φ(x) / V"
	p.Y.Label.Text = "probability density"
	p.Add(plotter.NewGrid(), hist)
	return writePlot(p, outPNG)
}

// Autocorrelation draws the normalised autocorrelation function ρ(t) of
// series from [stats.GammaMethod] (automatic window, S = 1.5), with a vertical
// line at the chosen window W and τ_int ± error in the title, into the PNG
// outPNG. name labels the observable.
func Autocorrelation(series []float64, name string, outPNG string) error {
	if len(series) < 2 {
		return fmt.Errorf("autocorrelation of %s: %d values, want at least 2", name, len(series))
	}
	g := stats.GammaMethod(series, 0)
	if len(g.Rho) == 0 {
		return fmt.Errorf("autocorrelation of %s: non-finite values in the series", name)
	}
	pts := make(plotter.XYs, len(g.Rho))
	lo, hi := 0.0, 1.0
	for t, r := range g.Rho {
		pts[t] = plotter.XY{X: float64(t), Y: r}
		lo, hi = min(lo, r), max(hi, r)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: τ_int = %s ± %s (W = %d, N = %d)",
		name, fmtG(g.TauInt), fmtG(g.TauIntErr), g.Window, len(series))
	p.X.Label.Text = "t"
	p.Y.Label.Text = "ρ(t)"
	p.Add(plotter.NewGrid())
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: math.Max(1, float64(len(g.Rho)-1)), Y: 0}})
	if err != nil {
		return err
	}
	zero.LineStyle.Color = grey
	p.Add(zero)
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return fmt.Errorf("autocorrelation of %s: %w", name, err)
	}
	line.LineStyle.Color = blue
	points.Color = blue
	points.Shape = draw.CircleGlyph{}
	points.Radius = vg.Points(1.5)
	p.Add(line, points)
	window, err := plotter.NewLine(plotter.XYs{{X: float64(g.Window), Y: lo}, {X: float64(g.Window), Y: hi}})
	if err != nil {
		return err
	}
	window.LineStyle.Color = red
	window.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(window)
	p.Legend.Add(fmt.Sprintf("window W = %d", g.Window), window)
	p.Legend.Top = true
	return writePlot(p, outPNG)
}

func fmtG(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }

func finitePoints(x, y []float64) plotter.XYs {
	var pts plotter.XYs
	for i := range min(len(x), len(y)) {
		if isFinite(x[i]) && isFinite(y[i]) {
			pts = append(pts, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	return pts
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func minMax(a []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range a {
		if isFinite(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return 0, 1
	}
	if lo == hi {
		return lo - 0.5, hi + 0.5
	}
	return lo, hi
}

func addLine(p *plot.Plot, pts plotter.XYs, c color.Color) error {
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.LineStyle.Color = c
	l.LineStyle.Width = vg.Points(1)
	p.Add(l)
	return nil
}

func writePlot(p *plot.Plot, outPNG string) error {
	wt, err := p.WriterTo(width, height, "png")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("render %s: %w", outPNG, err)
	}
	return writeFile(outPNG, buf.Bytes())
}

func writeFile(path string, b []byte) error {
	return store.AtomicWriteFile(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
