package main

import (
	"fmt"
	"strings"
)

// markdown renders the results as the README's performance table.
func markdown(c config, all []result) string {
	field := func(side, what string, f func(result) float64) []float64 {
		var v []float64
		for _, r := range all {
			if r.Side == side && r.What == what {
				v = append(v, f(r))
			}
		}
		return v
	}
	img := func(r result) float64 { return r.ImagesPerSec }
	eps := func(r result) float64 { return r.ExamplesPerSec }
	wall := func(r result) float64 { return r.WallSeconds }
	rss := func(r result) float64 { return r.PeakRSSMiB }
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s; models on %s. Data: %d generated breeds, ResNet-34 (TorchScript), batch %d, %d thread(s), %d epoch(s) per run, %d timed backbone-only batches after 2 warm-up ones; the backbone-only and end-to-end rows are medians of %d alternating Go/PyTorch runs, the others single runs.\n\n",
		machine(), where(c.device), c.classes, c.batchSize, c.threads, c.epochs, c.batches, c.reps)
	b.WriteString("| measure | Go | PyTorch (chapter) | Go ÷ PyTorch |\n| --- | --- | --- | --- |\n")
	row := func(name string, g, p []float64, unit string) {
		gm, pm := median(g), median(p)
		ratio := "—"
		if gm > 0 && pm > 0 {
			ratio = fmt.Sprintf("%.2f×", gm/pm)
		}
		cell := func(v float64) string {
			if v == 0 {
				return "—"
			}
			return fmt.Sprintf("%.1f %s", v, unit)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, cell(gm), cell(pm), ratio)
	}
	row("backbone only (ready tensors)", field("Go", "backbone", img), field("PyTorch", "backbone", img), "img/s")
	row("backbone only, frozen + optimize_for_inference (÷ the chapter's float32)", field("Go", "backbone +optimize-backbone", img),
		field("PyTorch", "backbone", img), "img/s")
	row("backbone only, bf16 autocast", field("Go", "backbone +bf16", img), nil, "img/s")
	row("backbone only, int8, frozen + optimized (÷ the chapter's float32)", field("Go", "backbone +optimize-backbone +int8", img),
		field("PyTorch", "backbone", img), "img/s")
	row("loader only (decode + train augmentation)", field("Go", "loader", img), field("PyTorch", "loader", img), "img/s")
	row("end-to-end training (loading + validation included)", field("Go", "train", eps), field("PyTorch", "train", eps), "examples/s")
	row("end-to-end wall time", field("Go", "train", wall), field("PyTorch", "train", wall), "s")
	row("end-to-end, frozen + optimized backbone (÷ the chapter's float32)", field("Go", "train +optimize-backbone", eps),
		field("PyTorch", "train", eps), "examples/s")
	row("end-to-end, int8 backbone, frozen + optimized (÷ the chapter's float32)", field("Go", "train +optimize-backbone +int8", eps),
		field("PyTorch", "train", eps), "examples/s")
	row("end-to-end, bf16 backbone (run only where bf16 is faster)", field("Go", "train +bf16", eps), nil, "examples/s")
	row("peak RSS, end-to-end run", field("Go", "train", rss), field("PyTorch", "train", rss), "MiB")
	gb, ge := median(field("Go", "backbone", img)), median(field("Go", "train", eps))
	if gb > 0 {
		fmt.Fprintf(&b, "\nPipeline efficiency (Go end-to-end ÷ Go backbone-only): %.2f.", ge/gb)
		busy := func(r result) float64 {
			if r.BackboneImages == 0 || r.WallSeconds <= r.SetupSeconds {
				return 0
			}
			return float64(r.BackboneImages) / (r.WallSeconds - r.SetupSeconds)
		}
		if gi := median(field("Go", "train", busy)); gi > 0 {
			fmt.Fprintf(&b, " Counting every image through the backbone (the training images and the one validation pass) "+
				"over the run after the model is loaded: %.2f.", gi/gb)
		}
		b.WriteString("\n")
	}
	loss := func(r result) float64 { return r.TrainLoss }
	if q := median(field("Go", "train +optimize-backbone +int8", loss)); q > 0 {
		fmt.Fprintf(&b, "\nTraining loss of the epoch (the same images; augmentation draws differ between Go and PyTorch): "+
			"Go float32 %.3f, frozen + optimized %.3f, int8 %.3f; PyTorch %.3f.\n",
			median(field("Go", "train", loss)), median(field("Go", "train +optimize-backbone", loss)), q,
			median(field("PyTorch", "train", loss)))
	}
	return b.String()
}
