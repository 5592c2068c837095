package finetune

import (
	"bytes"
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/tunetorch/tunetorch/internal/atomicfile"
)

// WritePlot draws the loss curves of h as a PNG like d2l's Animator: train
// loss five times per epoch, valid loss once per epoch, x in epochs. The file
// is written atomically.
func WritePlot(path string, h *History) error {
	p := plot.New()
	p.Title.Text = "fine-tuning"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss"
	p.Add(plotter.NewGrid())
	if err := addLine(p, "train loss", h.TrainCurve, 0); err != nil {
		return err
	}
	if err := addLine(p, "valid loss", h.ValidCurve, 1); err != nil {
		return err
	}
	p.Legend.Top = true
	p.Y.Tick.Marker = preciseTicks{}
	wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("finetune: plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("finetune: plot: %w", err)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

func addLine(p *plot.Plot, name string, pts []Point, style int) error {
	if len(pts) == 0 {
		return nil
	}
	xys := make(plotter.XYs, len(pts))
	for i, pt := range pts {
		xys[i].X, xys[i].Y = pt.X, pt.Y
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("finetune: plot %s: %w", name, err)
	}
	line.Color = plotColors[style]
	points.Color = plotColors[style]
	if style == 1 {
		line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(line, points)
	p.Legend.Add(name, line)
	return nil
}

var plotColors = []color.Color{color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 214, G: 39, B: 40, A: 255}}

// preciseTicks are gonum's default tick positions labelled with enough
// digits to tell close losses apart.
type preciseTicks struct{}

// Ticks returns the default ticks for [lo, hi], relabelled with 4 significant digits.
func (preciseTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmt.Sprintf("%.4g", ts[i].Value)
		}
	}
	return ts
}
