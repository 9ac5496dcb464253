package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // png
	_ "gonum.org/v1/plot/vg/vgsvg" // svg
)

// bars is one panel of grouped bars: one group per label, one bar per series.
type bars struct {
	title, ylabel string
	labels        []string
	series        []string
	values        [][]float64 // [series][label]
	unit          bool        // values lie in [0, 1]: fix the axis, with room for the legend
}

func (b bars) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = b.title
	p.Y.Label.Text = b.ylabel
	p.Y.Min = 0
	if b.unit {
		p.Y.Max = max(1.3, 1+0.065*float64(len(b.series))) // the legend sits above 1
		p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25}, {Value: 0.5, Label: "0.5"},
			{Value: 0.75}, {Value: 1, Label: "1"}})
	}
	p.Legend.Top = true
	p.Legend.Left = false
	w := vg.Points(min(18, 60/float64(max(len(b.series), 1))))
	for i, s := range b.series {
		bc, err := plotter.NewBarChart(plotter.Values(b.values[i]), w)
		if err != nil {
			return nil, err
		}
		bc.LineStyle.Width = vg.Length(0)
		bc.Color = plotutil.Color(i)
		bc.Offset = w * vg.Length(float64(i)-float64(len(b.series)-1)/2)
		p.Add(bc)
		p.Legend.Add(s, bc)
	}
	p.NominalX(b.labels...)
	return p, nil
}

// savePanels draws the plots one above the other into path, as SVG or PNG by its extension.
func savePanels(path string, plots []*plot.Plot, width, height vg.Length) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "svg" && format != "png" {
		return fmt.Errorf("bench: plot %s: want a .svg or .png file", path)
	}
	c, err := draw.NewFormattedCanvas(width, height, format)
	if err != nil {
		return err
	}
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(rows, tiles, draw.New(c))
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = c.WriteTo(f)
	return errors.Join(err, f.Close())
}

// barPanels turns panels into plots.
func barPanels(panels []bars) ([]*plot.Plot, error) {
	out := make([]*plot.Plot, len(panels))
	for i, b := range panels {
		p, err := b.plot()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

func modeNames(ms []Mode) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}

// WritePlot draws the modes side by side: categories 1–4 at every cut-off, R@10 per category,
// and wrong-speaker@1.
func (r *LocomoResult) WritePlot(path string) error {
	overall := bars{title: "LoCoMo, categories 1-4", ylabel: "mean", series: modeNames(r.ModeOrder), unit: true,
		labels: []string{"R@1", "R@5", "R@10", "R@25", "hit@10", "session_R@10"}}
	byCat := bars{title: "LoCoMo R@10 by category", ylabel: "R@10", series: overall.series, unit: true}
	speaker := bars{title: "LoCoMo category 5: wrong-speaker@1 (lower is better)", ylabel: "share", series: overall.series,
		labels: []string{"wrong_speaker@1"}, unit: true}
	if len(r.ModeOrder) > 0 {
		for _, c := range sortedKeys(r.Modes[r.ModeOrder[0]].Categories) {
			byCat.labels = append(byCat.labels, c+" "+r.Modes[r.ModeOrder[0]].Categories[c].Name)
		}
	}
	for _, m := range r.ModeOrder {
		lm := r.Modes[m]
		var o, c []float64
		for _, k := range overall.labels {
			o = append(o, lm.Overall.Metrics[k])
		}
		for _, k := range sortedKeys(lm.Categories) {
			c = append(c, lm.Categories[k].Metrics["R@10"])
		}
		overall.values = append(overall.values, o)
		byCat.values = append(byCat.values, c)
		speaker.values = append(speaker.values, []float64{lm.WrongSpeaker})
	}
	plots, err := barPanels([]bars{overall, byCat, speaker})
	if err != nil {
		return err
	}
	return savePanels(path, plots, 9*vg.Inch, 12*vg.Inch)
}

// WritePlot draws the modes side by side per variant: current@1, stale@5 and MRR, and the
// multi-hop figures.
func (r *StaleResult) WritePlot(path string) error {
	series := modeNames(r.ModeOrder)
	var panels []bars
	for _, metric := range []string{"current@1", "stale@5", "MRR"} {
		b := bars{title: "Stale facts: " + metric, ylabel: metric, series: series, labels: r.VariantOrder, unit: true}
		for _, m := range r.ModeOrder {
			var vs []float64
			for _, v := range r.VariantOrder {
				vs = append(vs, r.Modes[m].Variants[v].Metrics[metric])
			}
			b.values = append(b.values, vs)
		}
		panels = append(panels, b)
	}
	var multi []string
	for _, v := range r.VariantOrder {
		if strings.HasPrefix(v, "multihop") {
			multi = append(multi, v)
		}
	}
	if len(multi) > 0 {
		b := bars{title: "Stale facts, multi-hop", ylabel: "share", series: series, unit: true}
		keys := []string{"hop1_current@1", "hop2_current@1", "joint@1", "chained_both@10"}
		for _, v := range multi {
			for _, k := range keys {
				b.labels = append(b.labels, k+"\n"+strings.TrimPrefix(v, "multihop-"))
			}
		}
		for _, m := range r.ModeOrder {
			var vs []float64
			for _, v := range multi {
				for _, k := range keys {
					vs = append(vs, r.Modes[m].Variants[v].Metrics[k])
				}
			}
			b.values = append(b.values, vs)
		}
		panels = append(panels, b)
	}
	plots, err := barPanels(panels)
	if err != nil {
		return err
	}
	return savePanels(path, plots, 11*vg.Inch, 14*vg.Inch)
}

// WritePlot draws the endpoints' percentiles and archival search latency against corpus size.
func (r *LoadResult) WritePlot(path string) error {
	eps := bars{title: fmt.Sprintf("HTTP latency, %d agents", r.Agents), ylabel: "ms", labels: r.EndpointOrder,
		series: []string{"p50", "p95", "p99"}}
	for _, pick := range []func(*EndpointStats) float64{
		func(s *EndpointStats) float64 { return s.P50 },
		func(s *EndpointStats) float64 { return s.P95 },
		func(s *EndpointStats) float64 { return s.P99 },
	} {
		var vs []float64
		for _, ep := range r.EndpointOrder {
			vs = append(vs, pick(r.Endpoints[ep]))
		}
		eps.values = append(eps.values, vs)
	}
	plots, err := barPanels([]bars{eps})
	if err != nil {
		return err
	}
	if len(r.Ladder) > 0 {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("Archival search latency against corpus size (%d agent(s), k=10)", r.Ladder[0].Agents)
		p.X.Label.Text = "passages per agent"
		p.Y.Label.Text = "ms"
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		p.Legend.Top, p.Legend.Left = true, true
		if n := float64(r.Ladder[0].Passages); len(r.Ladder) == 1 {
			p.X.Min, p.X.Max = n/2, n*2 // a log axis needs a range
		}
		line := func(f func(LadderStep) float64) plotter.XYs {
			xy := make(plotter.XYs, len(r.Ladder))
			for i, s := range r.Ladder {
				xy[i].X, xy[i].Y = float64(s.Passages), f(s)
			}
			return xy
		}
		if err := plotutil.AddLinePoints(p,
			"full p50", line(func(s LadderStep) float64 { return s.P50 }),
			"full p95", line(func(s LadderStep) float64 { return s.P95 }),
			"full p99", line(func(s LadderStep) float64 { return s.P99 }),
			"bm25 p50", line(func(s LadderStep) float64 { return s.Modes["bm25"].P50 }),
			"relevance p50", line(func(s LadderStep) float64 { return s.Modes["relevance"].P50 }),
		); err != nil {
			return err
		}
		plots = append(plots, p)
	}
	return savePanels(path, plots, 9*vg.Inch, 9*vg.Inch)
}
