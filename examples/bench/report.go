package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tunetorch/tunetorch/finetune"
)

// fieldOf returns f of each result of the side and What given, in order.
func fieldOf(all []result, side, what string, f func(result) float64) []float64 {
	var v []float64
	for _, r := range all {
		if r.Side == side && r.What == what {
			v = append(v, f(r))
		}
	}
	return v
}

// joinFormatted formats each of v with format and joins them with ", ".
func joinFormatted(v []float64, format string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(s, ", ")
}

// markdown renders the results as the README's performance table.
func markdown(c config, all []result) string {
	field := func(side, what string, f func(result) float64) []float64 { return fieldOf(all, side, what, f) }
	img := func(r result) float64 { return r.ImagesPerSec }
	eps := func(r result) float64 { return r.ExamplesPerSec }
	wall := func(r result) float64 { return r.WallSeconds }
	setup := func(r result) float64 { return r.SetupSeconds }
	rss := func(r result) float64 { return r.PeakRSSMiB }
	// How the runs were ordered, and so what a training run is divided by.
	each := "a Go backbone-only run, Go's training run and a second backbone-only run back to back, then PyTorch's two"
	levers := "a lever's training run between two backbone-only runs"
	around, leverAround := "the mean of the Go backbone-only runs just before and after it", "the mean of its backbone-only runs just before and after"
	if !c.bracket {
		each = "Go's backbone-only and training runs back to back, then PyTorch's"
		levers = "a lever's training run right after its backbone-only run"
		around, leverAround = "the Go backbone-only run just before it", "its backbone-only run just before"
	}
	for _, r := range all {
		if r.Side == "Go" && r.Rep > 0 && strings.HasPrefix(r.What, "train +") && !isChapterLength(r.What) {
			runs := "two"
			if c.bracket {
				runs = "three"
			}
			each += ", then Go's " + runs + " with dogbreed's default backbone"
			break
		}
	}
	timed := fmt.Sprintf("%d timed backbone-only batches", c.batches)
	if least := c.backboneMinSeconds(); least > 0 {
		timed = fmt.Sprintf("backbone-only runs timed over at least %d batches and %g s", c.batches, least)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s; models on %s. Data: %d generated breeds, ResNet-34 (TorchScript), batch %d, %d thread(s), %d epoch(s) per run, %s (the validation images, transformed once, the same on both sides) after 2 warm-up batches; the backbone-only and end-to-end rows are medians of %d repetitions (each: %s), the others single runs (%s).\n\n",
		machine(), where(c.device), c.classes, c.batchSize, c.threads, c.epochs, timed, c.reps, each, levers)
	b.WriteString("| measure | Go | PyTorch (chapter) | Go ÷ PyTorch |\n| --- | --- | --- | --- |\n")
	// A lever's row whose Go run was skipped or failed is all dashes (the
	// chapter's number would only repeat the row it is divided by).
	row := func(name string, g, p []float64, unit string) {
		gm, pm := median(g), median(p)
		if gm == 0 {
			pm = 0
		}
		ratio := "—"
		if gm > 0 && pm > 0 {
			ratio = fmt.Sprintf("%.2f×", gm/pm)
		}
		cell := func(v float64) string {
			if v == 0 {
				return "—"
			}
			if v < 1 { // a model's load in seconds
				return fmt.Sprintf("%.2f %s", v, unit)
			}
			return fmt.Sprintf("%.1f %s", v, unit)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, cell(gm), cell(pm), ratio)
	}
	// A lever's rows are divided by the chapter's float32 numbers.
	chapterBackbone, chapterTrain := field("PyTorch", "backbone", img), field("PyTorch", "train", eps)
	backboneLever := func(name, what string) {
		row("backbone only, "+name+" (÷ the chapter's float32)", field("Go", "backbone "+what, img), chapterBackbone, "img/s")
	}
	row("backbone only (ready tensors)", field("Go", "backbone", img), chapterBackbone, "img/s")
	backboneLever("frozen + optimize_for_inference", "+optimize-backbone")
	backboneLever("frozen + optimized, Winograd convolutions (CPUs with Winograd kernels: oneDNN's, AVX-512, or tunetorch's, AVX2)", "+optimize-backbone +winograd")
	backboneLever(defaultRow+" (dogbreed's default)", defaultWhat)
	backboneLever(defaultUnfusedRow, defaultUnfused)
	backboneLever(withinFusedRow, withinFused)
	backboneLever("frozen + optimized, ReLUs and sums fused (dogbreed's default on CPUs without Winograd kernels)", "+optimize-backbone "+fuseTag)
	backboneLever("bf16 autocast", "+bf16")
	backboneLever("channels-last", "+channels-last")
	backboneLever("bf16 autocast + channels-last", "+bf16 +channels-last")
	backboneLever("int8, frozen + optimized", "+optimize-backbone +int8")
	backboneLever(fmt.Sprintf("dogbreed's default on %d streams (CPUs)", benchStreams), defaultWhat+" "+streamsTag(benchStreams))
	backboneLever(fmt.Sprintf("int8, frozen + optimized, on %d streams", benchStreams), "+optimize-backbone +int8 "+streamsTag(benchStreams))
	backboneLever("libtorch's own CPU allocator (the caching one off)", "+no-cpu-cache")
	backboneLever(noHugePagesRow, defaultWhat+" +no-huge-pages")
	backboneLever(openBLASThreadedRow, "+openblas-threaded")
	row("loader only (decode + train augmentation)", field("Go", "loader", img), field("PyTorch", "loader", img), "img/s")
	row("loader only, the transforms' Go code without its AVX2 assembly (÷ the chapter's loader)", field("Go", "loader +no-simd", img),
		field("PyTorch", "loader", img), "img/s")
	row("loader only, decoded images cached (an epoch after the first; ÷ the chapter's loader)", field("Go", "loader +cache-images", img),
		field("PyTorch", "loader", img), "img/s")
	row("loader only, augmentation left to the device, decoded images cached (the loader's share: crops and draws; ÷ the chapter's loader)",
		field("Go", "loader +cache-images +augment-on-device", img), field("PyTorch", "loader", img), "img/s")
	row("end-to-end training (data loading + validation included; timed from the loaded model, as the chapter's code times it)",
		field("Go", "train", eps), chapterTrain, "examples/s")
	row("end-to-end wall time (the same span)", field("Go", "train", wall), field("PyTorch", "train", wall), "s")
	row("loading the model, before the timed run (Go: + a one-image forward for the feature width)", field("Go", "train", setup),
		field("PyTorch", "train", setup), "s")
	for _, v := range trainLevers {
		row("end-to-end, "+v.row+" ("+v.note+"÷ the chapter's float32)", field("Go", "train "+v.what, eps), chapterTrain, "examples/s")
	}
	row("peak RSS, end-to-end run", field("Go", "train", rss), field("PyTorch", "train", rss), "MiB")
	// A training run's rate is divided by the mean backbone-only rate of
	// the runs on either side of it (the same repetition, the same lever).
	perRun := func(what string, f func(t result, backbone float64) float64) []float64 {
		var v []float64
		for _, t := range all {
			if t.Side != "Go" || t.What != strings.TrimSpace("train "+what) {
				continue
			}
			sum, n := 0.0, 0
			for _, bb := range all {
				if bb.Side == "Go" && bb.What == strings.TrimSpace("backbone "+what) && bb.Rep == t.Rep && bb.ImagesPerSec > 0 {
					sum += bb.ImagesPerSec
					n++
				}
			}
			if n > 0 {
				if x := f(t, sum/float64(n)); x > 0 {
					v = append(v, x)
				}
			}
		}
		return v
	}
	efficiency := func(what string, f func(result) float64) []float64 {
		return perRun(what, func(t result, backbone float64) float64 { return f(t) / backbone })
	}
	list := func(v []float64) string { return joinFormatted(v, "%.2f") }
	b.WriteString(pairedSentence(all))
	if e := efficiency("", eps); len(e) > 0 {
		fmt.Fprintf(&b, "\nPipeline efficiency (Go end-to-end ÷ %s, in each repetition; median of %s): %.2f.",
			around, list(e), median(e))
		// Before stop 27 Go's timed run began before loading the model.
		loadCounted := func(r result) float64 {
			if r.WallSeconds <= 0 {
				return 0
			}
			return r.ExamplesPerSec * r.WallSeconds / (r.WallSeconds + r.SetupSeconds)
		}
		if e := efficiency("", loadCounted); len(e) > 0 {
			fmt.Fprintf(&b, " With the model's load counted in the run (as Go's runs were timed until stop 26): %.2f (%s).", median(e), list(e))
		}
		busy := func(r result) float64 {
			if r.BackboneImages == 0 || r.WallSeconds <= 0 {
				return 0
			}
			return float64(r.BackboneImages) / r.WallSeconds
		}
		if e := efficiency("", busy); len(e) > 0 {
			fmt.Fprintf(&b, " Counting every image through the backbone (the training images and the one validation pass): %.2f (%s).",
				median(e), list(e))
		}
		waited := func(r result) float64 {
			if r.WallSeconds <= 0 {
				return 0
			}
			return r.DataWaitSec / r.WallSeconds
		}
		if w := field("Go", "train", waited); len(w) > 0 {
			fmt.Fprintf(&b, " The training loop waited for batches %.1f%% of the run.", 100*median(w))
		}
		var leverRates []string
		for _, v := range trainLevers {
			if e := efficiency(v.what, eps); len(e) > 0 {
				leverRates = append(leverRates, fmt.Sprintf("%s %.2f", v.name, median(e)))
			}
		}
		if len(leverRates) > 0 {
			fmt.Fprintf(&b, " The same for a lever's backbone (its end-to-end ÷ %s): %s.", leverAround, strings.Join(leverRates, ", "))
		}
		if c.boundApplies() {
			b.WriteString(boundSentence(c, all, perRun))
		}
		var peaks []string
		for _, v := range trainLevers {
			if m := median(field("Go", "train "+v.what, rss)); m > 0 {
				peaks = append(peaks, fmt.Sprintf("%s %.0f MiB", v.name, m))
			}
		}
		if len(peaks) > 0 {
			fmt.Fprintf(&b, " Peak RSS of the levers' end-to-end runs: %s.", strings.Join(peaks, ", "))
		}
		b.WriteString("\n")
	}
	b.WriteString(chapterLengthSentence(c, all, perRun))
	// The training loss of each Go variant that ran: what a lever does to the numbers.
	loss := func(r result) float64 { return r.TrainLoss }
	var losses []string
	for _, v := range append([]lever{{name: "float32"}}, trainLevers...) {
		if l := median(field("Go", strings.TrimSpace("train "+v.what), loss)); l > 0 {
			losses = append(losses, fmt.Sprintf("%s %.3f", v.name, l))
		}
	}
	if len(losses) > 1 {
		fmt.Fprintf(&b, "\nTraining loss of the last epoch (the same images; augmentation draws differ between Go and PyTorch): "+
			"Go %s; PyTorch %.3f.\n", strings.Join(losses, ", "), median(field("PyTorch", "train", loss)))
	}
	return b.String()
}

// lever is a Go worker's variant: what its results' What adds ("+int8"),
// its short name, and its end-to-end row's name and note on when it runs.
type lever struct{ what, name, row, note string }

// fuseTag is what a run's What says of --fuse-convolutions.
const fuseTag = "+fuse-convolutions"

// defaultWhat is the What of dogbreed's default backbone where oneDNN has
// Winograd kernels (since stop 42): every 3×3 stride-1 convolution
// Winograd, fused, its direct weights let go once planned.
const defaultWhat = "+optimize-backbone +winograd " + fuseTag + " +release-direct-weights"

// defaultRow names dogbreed's default backbone's rows.
const defaultRow = "frozen + optimized, every convolution Winograd, ReLUs and sums fused into the convolutions, their direct weights let go once planned"

// defaultUnfused is the What of dogbreed's default backbone unfused: what
// the fusion saves.
const defaultUnfused = "+optimize-backbone +winograd +release-direct-weights"

// defaultUnfusedRow names its rows.
const defaultUnfusedRow = "frozen + optimized, every convolution Winograd, their direct weights let go, unfused"

// withinFused is the What of dogbreed's default backbone of stops 36-41:
// Winograd within its bound, fused, the direct weights kept.
var withinFused = "+optimize-backbone +winograd " + winogradBytesTag(finetune.DefaultWinogradBytes) + " " + fuseTag

// withinFusedRow names its rows.
var withinFusedRow = fmt.Sprintf("frozen + optimized, Winograd convolutions within %d MiB of weights, fused, their direct weights kept (dogbreed's default until stop 42)",
	finetune.DefaultWinogradBytes>>20)

// winogradBytesTag is what a run's What says of --winograd-bytes n.
func winogradBytesTag(n int64) string { return fmt.Sprintf("+winograd-bytes=%d", n) }

// streamsTag is what a run's What says of --streams n.
func streamsTag(n int) string { return fmt.Sprintf("+streams=%d", n) }

// benchStreams is how many backbone streams the streams rows run.
const benchStreams = 2

// noHugePagesRow names the --no-huge-pages lever's rows: dogbreed's default
// backbone with huge pages off.
const noHugePagesRow = "dogbreed's default, the shim's large mappings and the batch buffers in small pages (huge pages off; on since stop 40, for the batch buffers since stop 42)"

// openBLASThreadedRow names the --openblas-threaded lever's rows.
const openBLASThreadedRow = "OpenBLAS on as many threads as libtorch (its own default; one since stop 24)"

// trainLevers are the training variants, in the table's order: each has an
// end-to-end row and its training loss, and where a backbone-only row was
// measured with the same flags, its efficiency.
var trainLevers = []lever{
	{"+optimize-backbone", "frozen + optimized", "frozen + optimized backbone", ""},
	{"+optimize-backbone +winograd", "Winograd", "Winograd convolutions, frozen + optimized backbone", "CPUs with Winograd kernels only; "},
	{defaultWhat, "dogbreed's default", defaultRow + " (dogbreed's default)", "CPUs with Winograd kernels only; "},
	{defaultUnfused, "dogbreed's default unfused", defaultUnfusedRow, "CPUs with Winograd kernels only; "},
	{withinFused, fmt.Sprintf("Winograd within %d MiB, fused", finetune.DefaultWinogradBytes>>20), withinFusedRow,
		"CPUs with Winograd kernels only; "},
	{"+optimize-backbone " + fuseTag, "frozen + optimized, fused", "frozen + optimized backbone, ReLUs and sums fused (dogbreed's default on CPUs without Winograd kernels)",
		"CPUs only; "},
	{"+optimize-backbone +int8", "int8", "int8 backbone, frozen + optimized", ""},
	{defaultWhat + " " + streamsTag(benchStreams), fmt.Sprintf("dogbreed's default, %d streams", benchStreams),
		fmt.Sprintf("dogbreed's default backbone on %d streams (finetune.NetConfig.Streams)", benchStreams), "CPUs only; "},
	{"+optimize-backbone +int8 " + streamsTag(benchStreams), fmt.Sprintf("int8, %d streams", benchStreams),
		fmt.Sprintf("int8 backbone, frozen + optimized, on %d streams", benchStreams), "CPUs only; "},
	{"+bf16", "bf16", "bf16 backbone", "run only where its backbone is faster; "},
	{"+channels-last", "channels-last", "channels-last backbone", "run only where faster; "},
	{"+bf16 +channels-last", "bf16 + channels-last", "bf16 + channels-last backbone", "run only where faster; "},
	{"+no-cpu-cache", "libtorch's allocator", "libtorch's own CPU allocator (the caching one off)", ""},
	{defaultWhat + " +no-huge-pages", "dogbreed's default in small pages", noHugePagesRow, "CPUs with Winograd kernels only; "},
	{"+openblas-threaded", "OpenBLAS threaded", openBLASThreadedRow, "where libtorch calls OpenBLAS; "},
	{"+no-simd", "without the AVX2 assembly", "the transforms' Go code without its AVX2 assembly", "amd64 CPUs with AVX2 only; "},
	{"+cache-images", "decoded images cached", "decoded images cached", ""},
	{"+pixel-batches", "batches as bytes", "batches as bytes, converted on the device", "GPUs only; "},
	{"+cache-images +augment-on-device", "augmentation on the device", "augmentation on the device, decoded images cached", "GPUs only; "},
	{"+pixel-batches +prefetch-inputs", "bytes, inputs made ahead", "batches as bytes, each input made on the device a batch ahead", "GPUs only; "},
	{"+cache-images +augment-on-device +prefetch-inputs", "augmentation on the device, inputs made ahead", "augmentation on the device, decoded images cached, each input made a batch ahead", "GPUs only; "},
	{"+cache-images +augment-on-device +prefetch-inputs +device-images", "images kept on the device", "augmentation on the device from decoded images kept there, each input made a batch ahead", "GPUs only; "},
}

// pairedSentence divides each repetition's Go training runs (the plain
// backbone's and any lever's run in the repetitions) by the chapter's of the
// same repetition, minutes apart, where the medians of the table's rows may
// come from minutes of different speed: a paragraph, or "" with no
// repetitions.
func pairedSentence(all []result) string {
	var parts []string
	for _, v := range append([]lever{{name: "plain"}}, trainLevers...) {
		var ratios []float64
		for _, g := range all {
			if g.Side != "Go" || g.What != strings.TrimSpace("train "+v.what) || g.ExamplesPerSec <= 0 {
				continue
			}
			for _, p := range all {
				if p.Side == "PyTorch" && p.What == "train" && p.Rep == g.Rep && p.ExamplesPerSec > 0 {
					ratios = append(ratios, g.ExamplesPerSec/p.ExamplesPerSec)
				}
			}
		}
		if len(ratios) > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f× (%s)", v.name, median(ratios), joinFormatted(ratios, "%.2f×")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("\nEach repetition's Go training run ÷ the chapter's of the same repetition (median, then each repetition's): %s.%s\n",
		strings.Join(parts, "; "), spreadSentence(all))
}

// spreadSentence gives the lowest and highest rate of the repetitions'
// backbone-only runs, Go's of each backbone repeated and the chapter's: on
// a machine whose speed moves, how far apart runs of the same work came
// out, which a repetition's ratios move with. "" without two repetitions.
func spreadSentence(all []result) string {
	span := func(side, what string) string {
		var v []float64
		reps := map[int]bool{}
		for _, r := range all {
			if r.Side == side && r.What == what && r.Rep > 0 && r.ImagesPerSec > 0 {
				v = append(v, r.ImagesPerSec)
				reps[r.Rep] = true
			}
		}
		if len(reps) < 2 {
			return ""
		}
		return fmt.Sprintf("%.1f–%.1f", slices.Min(v), slices.Max(v))
	}
	var parts []string
	for _, v := range append([]lever{{name: "plain"}}, trainLevers...) {
		if sp := span("Go", strings.TrimSpace("backbone "+v.what)); sp != "" {
			parts = append(parts, fmt.Sprintf("Go %s %s", v.name, sp))
		}
	}
	if sp := span("PyTorch", "backbone"); sp != "" {
		parts = append(parts, "the chapter's "+sp)
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf(" The repetitions' backbone-only runs, lowest to highest (img/s; the same work each time): %s.", strings.Join(parts, ", "))
}
