// Command bench measures the Go pipeline against the chapter's PyTorch code
// (scripts/bench/chapter_reference.py) on the same machine, data, TorchScript
// ResNet-34, threads, epochs and batch size, and prints a markdown table (and
// writes JSON):
//
//  1. backbone-only ceiling: images/s of the backbone on ready tensors (the
//     validation images, transformed once)
//  2. loader-only throughput: images/s of decoding + augmentation
//  3. end-to-end training: examples/s including loading and validation, and
//     wall time, run alternately (Go, PyTorch, Go, PyTorch, ...) with medians
//  4. peak RSS of each run's process
//
// Each lever (an optimised frozen backbone, Winograd convolutions, int8, bf16 autocast,
// channels-last, the decoded-image cache) is measured on its own row. On a
// CPU the pipeline efficiency of dogbreed's default backbone and the int8
// one is then measured over the chapter's 10 epochs too (--chapter-epochs).
// `make bench` runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/internal/atomicfile"
	"github.com/tunetorch/tunetorch/internal/demodata"
	"github.com/tunetorch/tunetorch/internal/memtune"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

type config struct {
	data, model, int8Model, python, reference, jsonOut string
	device                                             string
	epochs, batchSize, threads, reps, batches          int
	workers                                            int
	classes                                            int
	scale                                              float64
	worker                                             string
	optimize, bf16, int8, channelsLast, cacheImages    bool
	winograd, fuse, releaseDirect                      bool
	pixelBatches                                       bool
	augmentOnDevice                                    bool
	prefetchInputs, deviceImages                       bool
	noCPUCache, noHugePages                            bool
	openBLASThreaded                                   bool
	noSIMD                                             bool
	bracket                                            bool
	winogradBytes                                      int64
	streams                                            int
	chapterEpochs, chapterReps                         int
	backboneSeconds                                    float64
	cores                                              int // the machine's, for the efficiency bound
}

func main() {
	c := config{}
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.StringVar(&c.data, "data", "build/bench/data", "the generated dataset (made when missing)")
	fs.StringVar(&c.model, "model", "build/cache/resnet34.pt", "the TorchScript backbone both sides use")
	fs.StringVar(&c.int8Model, "int8-model", "", "the same backbone quantized to int8 (scripts/export_backbone.py --quantize int8); empty: no int8 runs")
	fs.StringVar(&c.python, "python", "/usr/bin/python3", "the Python with PyTorch and torchvision")
	fs.StringVar(&c.reference, "reference", "scripts/bench/chapter_reference.py", "the chapter's code")
	fs.StringVar(&c.jsonOut, "json", "build/bench/results.json", "where the JSON results go")
	fs.StringVar(&c.device, "device", "cpu", "where both sides run the model: cpu, cuda or cuda:N")
	// Three epochs: the chapter trains for ten, and what a run pays once
	// (loading the model, Go's one validation pass whose features it then
	// reuses) would otherwise weigh as if training were one epoch long.
	fs.IntVar(&c.epochs, "epochs", 3, "epochs per training run")
	fs.IntVar(&c.batchSize, "batch-size", 32, "batch size")
	// Twelve: on a shared machine a few batches catch its fast moments, and
	// the backbone-only rate is what the end-to-end one is divided by.
	fs.IntVar(&c.batches, "batches", 12, "timed batches of the backbone-only runs, both sides (after 2 warm-up batches)")
	// At least ten seconds: a fast backbone's 12 batches (int8's: under 3
	// s) caught the VM's moments, 104-143 img/s over ten runs in two
	// minutes, where the training runs they divide last a minute.
	fs.Float64Var(&c.backboneSeconds, "backbone-seconds", -1, "the backbone-only runs time batches past --batches until this many seconds have passed, both sides (default: 10 on a CPU, 0 on a GPU)")
	fs.IntVar(&c.threads, "threads", runtime.GOMAXPROCS(0), "libtorch threads, both sides (default: the CPUs this process may use)")
	// Three: a 2-core VM's speed moves by several percent between minutes,
	// and the pipeline efficiency is a ratio of two runs.
	fs.IntVar(&c.reps, "reps", 3, "repetitions of the Go and PyTorch backbone-only + training runs (the training runs alternate)")
	// The chapter's length, after the rest: the 3-epoch runs weigh what a
	// run pays once three times as much.
	fs.IntVar(&c.chapterEpochs, "chapter-epochs", -1, "after the table's runs, the efficiency of dogbreed's default and the int8 backbone over this many epochs (default: the chapter's 10 on a CPU, none on a GPU; 0: none)")
	fs.IntVar(&c.chapterReps, "chapter-reps", 3, "repetitions of the --chapter-epochs runs (each a training run between two backbone-only runs)")
	// Both sides of a training run: the VM's speed also drifts within the
	// minute one takes.
	fs.BoolVar(&c.bracket, "bracket", true, "each Go training run between two backbone-only runs, its efficiency divided by their mean (false: one before it, as until stop 27; shorter)")
	fs.IntVar(&c.workers, "workers", 0, "Go loader goroutines (default: the cores libtorch's threads leave, at least 1)")
	fs.IntVar(&c.classes, "classes", 12, "breeds in the generated dataset")
	fs.Float64Var(&c.scale, "scale", 0.52, "fraction of the real class sizes (0.52 × 12 breeds ≈ 600 images)")
	fs.StringVar(&c.worker, "worker", "", "internal: run one Go measurement (backbone, loader, train) and print JSON")
	fs.BoolVar(&c.optimize, "optimize-backbone", false, "internal: with --worker")
	fs.BoolVar(&c.winograd, "winograd", false, "internal: with --worker and --optimize-backbone, the 3×3 stride-1 convolutions on Winograd kernels, oneDNN's where it has them, else tunetorch's (finetune.NetConfig.Winograd)")
	fs.BoolVar(&c.fuse, "fuse-convolutions", false, "internal: with --worker and --optimize-backbone, the ReLU or residual sum after each convolution folded into it (finetune.NetConfig.FuseConvolutions)")
	fs.Int64Var(&c.winogradBytes, "winograd-bytes", 0, "internal: with --winograd, the most bytes of Winograd weights (finetune.NetConfig.WinogradBytes; 0: every convolution)")
	fs.BoolVar(&c.bf16, "bf16", false, "internal: with --worker")
	fs.BoolVar(&c.int8, "int8", false, "internal: with --worker, --model is the int8 backbone")
	fs.BoolVar(&c.channelsLast, "channels-last", false, "internal: with --worker")
	fs.BoolVar(&c.augmentOnDevice, "augment-on-device", false, "internal: with --worker loader or train, the training augmentation left to the model's device (dataset.LoaderConfig.AugmentOnDevice; the loader alone only plans it)")
	fs.BoolVar(&c.prefetchInputs, "prefetch-inputs", false, "internal: with --worker train, each batch's input made on the model's device a batch ahead, on a thread of its own (finetune.TrainConfig.PrefetchInputs)")
	fs.BoolVar(&c.pixelBatches, "pixel-batches", false, "internal: with --worker loader or train, batches of bytes converted on the model's device (dataset.LoaderConfig.PixelBatches)")
	fs.BoolVar(&c.deviceImages, "device-images", false, "internal: with --worker train, --cache-images and --augment-on-device, the decoded images kept on the model's device, the crops read there (finetune.NetConfig.DeviceImageBytes)")
	fs.BoolVar(&c.noCPUCache, "no-cpu-cache", false, "internal: with --worker, libtorch's own CPU allocator instead of the caching one (torch.SetCPUCaching(false))")
	fs.BoolVar(&c.releaseDirect, "release-direct-weights", false, "internal: with --worker and --winograd, the Winograd convolutions' direct weights let go once planned (finetune.NetConfig.ReleaseDirectWeights)")
	fs.BoolVar(&c.noHugePages, "no-huge-pages", false, "internal: with --worker, the shim's large mappings and the loaders' batch buffers in small pages (torch.SetHugePages(false), dataset.SetHugePages(false))")
	fs.BoolVar(&c.openBLASThreaded, "openblas-threaded", false, "internal: with --worker, OpenBLAS on as many threads as libtorch (torch.SetBLASThreads(--threads)) instead of the torch package's one")
	fs.BoolVar(&c.noSIMD, "no-simd", false, "internal: with --worker, the transforms' Go code without its AVX2 assembly (transforms.UseSIMD(false))")
	fs.IntVar(&c.streams, "streams", 0, "internal: with --worker backbone or train on a CPU, the backbone on that many batches at once, each on its share of the threads (finetune.NetConfig.Streams)")
	fs.BoolVar(&c.cacheImages, "cache-images", false, "internal: with --worker loader, decoded images cached (dataset.ImageCache) and an epoch after the first timed")
	printBLASCore := fs.Bool("blas-core", false, "print the OpenBLAS kernel set libtorch's matrix products run on here (torch.BLASCore; empty where libtorch's BLAS is not OpenBLAS) and exit: make bench gives it to its Python scripts as OPENBLAS_CORETYPE")
	fs.Parse(os.Args[1:])
	c.cores = runtime.NumCPU()
	if *printBLASCore {
		core, _ := torch.BLASCore()
		fmt.Println(core)
		return
	}
	memtune.Apply(strings.HasPrefix(c.device, "cuda")) // as dogbreed does
	var err error
	if c.worker != "" {
		err = runWorker(c)
	} else {
		err = orchestrate(c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// result is one measurement, from either side.
type result struct {
	Side           string  `json:"side"`
	What           string  `json:"what"`
	ImagesPerSec   float64 `json:"images_per_sec,omitempty"`
	ExamplesPerSec float64 `json:"examples_per_sec,omitempty"`
	WallSeconds    float64 `json:"wall_seconds,omitempty"`
	TrainLoss      float64 `json:"train_loss,omitempty"`
	ValidLoss      float64 `json:"valid_loss,omitempty"`
	ChapterRate    float64 `json:"chapter_examples_per_sec,omitempty"`
	SetupSeconds   float64 `json:"setup_seconds,omitempty"`     // loading (and optimising) the model, before the timed run (not in WallSeconds)
	BackboneImages int     `json:"backbone_images,omitempty"`   // images through the backbone: training and validation
	DataWaitSec    float64 `json:"data_wait_seconds,omitempty"` // of the training epochs, waiting for batches (finetune's DataWaitSeconds)
	// CPUSecondsPerImage is a loader run's CPU time (all threads) per image.
	CPUSecondsPerImage float64 `json:"cpu_seconds_per_image,omitempty"`
	PeakRSSMiB         float64 `json:"peak_rss_mib"`
	Rep                int     `json:"rep,omitempty"` // the repetition (1, 2, ...) of a run repeated
}

// run starts one measurement in its own process and reads its JSON line and
// its peak RSS.
func run(name string, args ...string) (result, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	var r result
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return result{}, fmt.Errorf("%s: output %q: %w", name, lines[len(lines)-1], err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakRSSMiB = float64(ru.Maxrss) / 1024
	}
	return r, nil
}

func orchestrate(c config) error {
	if err := prepareData(c); err != nil {
		return err
	}
	shareBLASCore()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	common := []string{"--data", c.data, "--model", c.model, "--epochs", fmt.Sprint(c.epochs),
		"--batch-size", fmt.Sprint(c.batchSize), "--threads", fmt.Sprint(c.threads), "--device", c.device,
		"--batches", fmt.Sprint(c.batches), "--backbone-seconds", fmt.Sprint(c.backboneMinSeconds())}
	goArgs := []string{"--workers", fmt.Sprint(c.workers)}
	goRun := func(worker string, extra ...string) (result, error) {
		r, err := run(self, append(append(append([]string{"--worker", worker}, common...), goArgs...), extra...)...)
		r.Side = "Go"
		return r, err
	}
	pyRun := func(mode string) (result, error) {
		r, err := run(c.python, append([]string{c.reference, "--mode", mode}, common...)...)
		r.Side, r.What = "PyTorch", mode
		return r, err
	}
	var all []result
	add := func(r result, err error) error {
		if err == nil {
			all = append(all, r)
			fmt.Fprintf(os.Stderr, "bench: %-7s %-22s %s\n", r.Side, r.What, summary(r))
		}
		return err
	}
	// optional adds a lever's row; one that fails (a libtorch whose
	// optimisation crashes, say) is reported and left out of the table.
	optional := func(r result, err error) error {
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: left out of the table: %v\n", err)
			return nil
		}
		return add(r, nil)
	}
	// fasterThanPlain reports whether the Go backbone-only row what (say
	// "backbone +bf16") was measured faster than the plain one; it says so
	// when not.
	fasterThanPlain := func(what string) bool {
		plain, lever := median(pick(all, "Go", "backbone")), median(pick(all, "Go", what))
		if lever <= plain {
			fmt.Fprintf(os.Stderr, "bench: skipping the runs that need %q faster than the plain backbone: %.1f vs %.1f img/s\n",
				what, lever, plain)
			return false
		}
		return true
	}
	// trainIfFaster runs the training with the levers (worker flags without
	// their dashes) where the backbone with them was faster.
	trainIfFaster := func(levers ...string) error {
		what, flags := "backbone", []string{}
		for _, l := range levers {
			what += " +" + l
			flags = append(flags, "--"+l)
		}
		if !fasterThanPlain(what) {
			return nil
		}
		if err := optional(goRun("train", flags...)); err != nil || !c.bracket {
			return err
		}
		return optional(goRun("backbone", flags...)) // the efficiency's second backbone-only run
	}
	// trainOnGPU runs the training with the worker flags given where the
	// model is on a GPU: levers for the host-to-device path, which a CPU
	// run does not have.
	trainOnGPU := func(flags ...string) func() error {
		return func() error {
			if c.device == "cpu" {
				return nil
			}
			return optional(goRun("train", flags...))
		}
	}
	optimized, winograd, fused, skipped := backboneSupport(c.device)
	for _, why := range skipped {
		fmt.Fprintln(os.Stderr, "bench: "+why)
	}
	int8Model := c.int8Model
	if c.device != "cpu" {
		int8Model = ""
	}
	// pair makes a training run with the worker flags given and the
	// backbone-only run before it (and with c.bracket the one after it).
	pair := func(on bool, flags ...string) []func() (result, error) {
		if !on {
			return nil
		}
		backbone := func() (result, error) { return goRun("backbone", flags...) }
		runs := []func() (result, error){backbone, func() (result, error) { return goRun("train", flags...) }}
		if c.bracket {
			runs = append(runs, backbone)
		}
		return runs
	}
	defaultFlags := defaultBackboneFlags(c.device, optimized, winograd, fused)
	// Each repetition runs a Go backbone-only run, the Go training run and
	// a second backbone-only run back to back, then the chapter's two (the
	// training runs alternate Go, PyTorch, Go, ...), then on a CPU the
	// same three runs with dogbreed's default backbone: the pipeline
	// efficiency divides the training run's rate by the mean of the
	// backbone-only runs on either side of it, and each repetition's Go
	// training runs are divided by the chapter's of the same repetition,
	// since a shared machine's speed drifts over minutes.
	var steps []func() error
	for rep := range c.reps {
		inRep := func(r result, err error) (result, error) { r.Rep = rep + 1; return r, err }
		steps = append(steps,
			func() error { return add(inRep(goRun("backbone"))) },
			func() error { return add(inRep(goRun("train"))) })
		if c.bracket {
			steps = append(steps, func() error { return add(inRep(goRun("backbone"))) })
		}
		steps = append(steps,
			func() error { return add(inRep(pyRun("backbone"))) },
			func() error { return add(inRep(pyRun("train"))) })
		for _, run := range pair(defaultFlags != nil, defaultFlags...) {
			steps = append(steps, func() error { return optional(inRep(run())) })
		}
	}
	steps = append(steps,
		func() error { return add(goRun("loader")) },
		func() error { return add(pyRun("loader")) },
		func() error { return optional(goRun("loader", "--cache-images")) },
		// The loader's own share when the augmentation is left to the
		// device (decode or cache, crop, draws): what bounds a GPU's input
		// with --augment-on-device, the device's work not counted.
		func() error { return optional(goRun("loader", "--cache-images", "--augment-on-device")) },
	)
	// Each lever's training run between two backbone-only runs, for the
	// same reason.
	leverPair := func(on bool, flags ...string) []func() error {
		var steps []func() error
		for _, run := range pair(on, flags...) {
			steps = append(steps, func() error { return optional(run()) })
		}
		return steps
	}
	// The levers; dogbreed's default (defaultFlags) ran in the repetitions.
	// Where it fuses the convolutions, the same backbone unfused (what the
	// fusion saves); the other float32 rows are unfused, but for the
	// previous default.
	steps = append(steps, leverPair(optimized && !slices.Equal(defaultFlags, []string{"--optimize-backbone"}), "--optimize-backbone")...)
	steps = append(steps, leverPair(winograd && fused, "--optimize-backbone", "--winograd", "--release-direct-weights")...)
	steps = append(steps, leverPair(winograd, "--optimize-backbone", "--winograd")...)
	// dogbreed's default of stops 36-41, the Winograd weights within its
	// bound beside the direct ones: what letting those go gives.
	steps = append(steps, leverPair(winograd && fused, "--optimize-backbone", "--winograd", "--winograd-bytes",
		fmt.Sprint(finetune.DefaultWinogradBytes), "--fuse-convolutions")...)
	steps = append(steps, leverPair(int8Model != "" && optimized, "--optimize-backbone", "--int8", "--model", int8Model)...)
	// Two backbone streams on a CPU (finetune.NetConfig.Streams), each on
	// one thread of two, against the rows above: dogbreed's default
	// backbone and int8.
	if streams := benchStreams; c.device == "cpu" && c.threads >= streams {
		steps = append(steps, leverPair(winograd, append(slices.Clone(defaultFlags), "--streams", fmt.Sprint(streams))...)...)
		steps = append(steps, leverPair(int8Model != "" && optimized, "--optimize-backbone", "--int8", "--model", int8Model,
			"--streams", fmt.Sprint(streams))...)
	}
	// libtorch's own CPU allocator, which faults a pass's activations in
	// afresh each batch: what the caching one saves.
	steps = append(steps, leverPair(true, "--no-cpu-cache")...)
	// dogbreed's default backbone with the shim's mappings (the caching
	// allocator's segments, the Winograd weights) in small pages, each
	// faulted in apart at the load and the first batch: what the huge
	// pages save.
	steps = append(steps, leverPair(winograd && fused, append(slices.Clone(defaultFlags), "--no-huge-pages")...)...)
	// OpenBLAS (the head's and the fc layer's matrix products) on a thread
	// per libtorch thread, its own default, whose idle threads poll between
	// products: what running it on one saves. Only where libtorch calls OpenBLAS.
	steps = append(steps, leverPair(c.device == "cpu" && torch.BLASThreads() > 0, "--openblas-threaded")...)
	// The loader, and training, with the transforms' Go code alone (as on
	// CPUs without AVX2): what their assembly saves. Only where it runs.
	if transforms.SIMD() {
		steps = append(steps, func() error { return optional(goRun("loader", "--no-simd")) })
		steps = append(steps, leverPair(true, "--no-simd")...)
	}
	steps = append(steps,
		// The decoded-image cache on its own: the epochs after the first only
		// transform, which leaves libtorch more of a CPU's cores and feeds a GPU faster.
		func() error { return optional(goRun("train", "--cache-images")) },
		// The bf16 and channels-last training runs happen only where their
		// backbone beat the plain one: bf16 pays off only where the hardware
		// computes it natively (GPUs, AVX-512 BF16, AMX), elsewhere a training
		// run would take many times longer; channels-last is for GPUs.
		func() error {
			if c.device == "cpu" { // without bf16 hardware ~10× slower: 4 batches tell
				return optional(goRun("backbone", "--bf16", "--batches", fmt.Sprint(min(c.batches, 4))))
			}
			return optional(goRun("backbone", "--bf16"))
		},
		func() error { return trainIfFaster("bf16") },
		func() error { return optional(goRun("backbone", "--channels-last")) },
		func() error { return trainIfFaster("channels-last") },
		func() error {
			if !fasterThanPlain("backbone +bf16") { // minutes on a CPU without bf16 hardware
				return nil
			}
			return optional(goRun("backbone", "--bf16", "--channels-last"))
		},
		func() error { return trainIfFaster("bf16", "channels-last") },
		// Byte batches converted on the device: a quarter of the host copy,
		// which counts where the model is on a GPU (dogbreed's default
		// there); on a CPU they measured the same as float32 batches.
		trainOnGPU("--pixel-batches"),
		// The training augmentation carried out on the device from the
		// loader's plans, the decoded images cached: the loader then only
		// crops and draws. For GPUs, where the loader is the limit.
		trainOnGPU("--cache-images", "--augment-on-device"),
		// Each of the two with the batch's input made on the device a batch
		// ahead, on a thread of its own (dogbreed's default on GPUs): the
		// host's copy and queuing overlap the GPU's work.
		trainOnGPU("--pixel-batches", "--prefetch-inputs"),
		trainOnGPU("--cache-images", "--augment-on-device", "--prefetch-inputs"),
		// And with the decoded images kept on the GPU: after the first
		// epoch only each crop's taps and draws cross.
		trainOnGPU("--cache-images", "--augment-on-device", "--prefetch-inputs", "--device-images"))
	// Over the chapter's length: dogbreed's default backbone and int8, each
	// training run between two backbone-only runs, their What tagged with
	// the epochs.
	if epochs := c.chapterLengthEpochs(); epochs > 0 {
		variants := [][]string{defaultFlags}
		if int8Model != "" && optimized {
			variants = append(variants, []string{"--optimize-backbone", "--int8", "--model", int8Model})
		}
		for rep := range c.chapterReps {
			for _, flags := range variants {
				for _, run := range pair(true, slices.Concat(flags, []string{"--epochs", fmt.Sprint(epochs)})...) {
					steps = append(steps, func() error {
						r, err := run()
						r.What, r.Rep = r.What+" "+epochsTag(epochs), rep+1
						return optional(r, err)
					})
				}
			}
		}
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	data, _ := json.MarshalIndent(all, "", "  ")
	if err := os.MkdirAll(filepath.Dir(c.jsonOut), 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(c.jsonOut, 0o644, data); err != nil {
		return err
	}
	fmt.Print(markdown(c, all))
	return nil
}

func summary(r result) string {
	if r.ImagesPerSec > 0 {
		return fmt.Sprintf("%.1f img/s, peak RSS %.0f MiB", r.ImagesPerSec, r.PeakRSSMiB)
	}
	return fmt.Sprintf("%.1f examples/s, %.1f s, train loss %.3f, peak RSS %.0f MiB", r.ExamplesPerSec, r.WallSeconds, r.TrainLoss, r.PeakRSSMiB)
}

// prepareData generates and reorganises the dataset when it is missing.
func prepareData(c config) error {
	if _, err := os.Stat(filepath.Join(c.data, "labels.csv")); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "bench: generating %d breeds in %s\n", c.classes, c.data)
		if err := demodata.Generate(demodata.Config{Dir: c.data, Classes: demodata.Breeds()[:c.classes], Scale: c.scale, Seed: 1}); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(c.data, "train_valid_test", "valid")); err == nil {
		return nil
	}
	_, err := dataset.ReorgKaggle(context.Background(), dataset.DogBreedLayout(c.data), 0.1)
	return err
}

// backboneSupport says which optimised backbones run here: the frozen +
// optimised ones need a libtorch where optimize_for_inference is verified
// (Debian's 2.6 crashes running its output); Winograd float32 CPU
// convolutions where oneDNN has the kernels (AVX-512); fused convolutions
// (float32, CPU) where the shim has oneDNN's convolution. skipped says why
// a kind is left out.
func backboneSupport(device string) (optimized, winograd, fused bool, skipped []string) {
	optimized = torch.OptimizeForInferenceVerified()
	if !optimized {
		skipped = append(skipped, fmt.Sprintf("skipping the frozen + optimized rows: optimize_for_inference is not verified on libtorch %s", torch.Version()))
	}
	winograd = optimized && device == "cpu"
	if winograd {
		if err := torch.WinogradAvailable(); err != nil {
			skipped = append(skipped, fmt.Sprintf("skipping the Winograd rows: %v", err))
			winograd = false
		}
	}
	fused = optimized && device == "cpu"
	if fused {
		if err := torch.FusionAvailable(); err != nil {
			skipped = append(skipped, fmt.Sprintf("dogbreed's default without fused convolutions: %v", err))
			fused = false
		}
	}
	return optimized, winograd, fused, skipped
}

// backboneMinSeconds is the least a backbone-only run times: the
// --backbone-seconds given, else 10 on a CPU and none on a GPU (whose
// batches take milliseconds, its minutes counted).
func (c config) backboneMinSeconds() float64 { return onCPUByDefault(c, c.backboneSeconds, 10) }

// onCPUByDefault is a flag's value where one was given (given >= 0), else
// onCPU for a run on a CPU and 0 (off) for one on a GPU: the flags whose
// -1 means that default.
func onCPUByDefault[T int | float64](c config, given, onCPU T) T {
	switch {
	case given >= 0:
		return given
	case c.device == "cpu":
		return onCPU
	}
	return 0
}

// boundApplies reports whether the efficiency bound holds for the runs: on
// a CPU whose cores the backbone's threads all take, where loading takes
// them from the backbone.
func (c config) boundApplies() bool { return c.device == "cpu" && c.threads >= c.cores }

// defaultBackboneFlags are the worker flags of dogbreed's default backbone
// on a CPU, which the 2× goal is measured with: every convolution Winograd
// with its direct weights let go where oneDNN has the kernels, else frozen
// + optimised, either with its convolutions fused where the shim has
// oneDNN's convolution; nil (the plain backbone) elsewhere.
func defaultBackboneFlags(device string, optimized, winograd, fused bool) []string {
	var flags []string
	switch {
	case winograd:
		flags = []string{"--optimize-backbone", "--winograd", "--release-direct-weights"}
	case optimized && device == "cpu":
		flags = []string{"--optimize-backbone"}
	default:
		return nil
	}
	if fused {
		flags = append(flags, "--fuse-convolutions")
	}
	return flags
}

// pick returns the images/s (or examples/s) of the matching results.
func pick(all []result, side, what string) []float64 {
	return fieldOf(all, side, what, func(r result) float64 { return max(r.ImagesPerSec, r.ExamplesPerSec) })
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// shareBLASCore gives the chapter's side (every process the bench starts)
// the OpenBLAS kernels this process runs on, where the torch package
// replaced OpenBLAS's Prescott fallback (torch.BLASCore): both sides then
// run their matrix products on the same kernels.
func shareBLASCore() {
	core, replaced := torch.BLASCore()
	if replaced == "" {
		return
	}
	os.Setenv("OPENBLAS_CORETYPE", core)
	fmt.Fprintf(os.Stderr, "bench: OpenBLAS picked its %s kernels on this CPU; both sides run on %s (OPENBLAS_CORETYPE)\n", replaced, core)
}

// machine describes where the numbers were taken.
func machine() string {
	info := cpuInfo()
	name := info["model name"]
	if name == "" {
		name = "unknown CPU"
	}
	if info["cpu family"] != "" && info["model"] != "" {
		name += fmt.Sprintf(" (family %s, model %s", info["cpu family"], info["model"])
		if info["stepping"] != "" {
			name += ", stepping " + info["stepping"]
		}
		name += ")"
	}
	s := fmt.Sprintf("%s, %d cores", name, runtime.NumCPU())
	if caches := cacheSizes("/sys"); caches != "" {
		s += " (" + caches + ")"
	}
	s += ", libtorch " + torch.Version()
	if torch.WinogradAvailable() == nil {
		s += ", Winograd on " + map[torch.WinogradKernel]string{torch.WinogradOneDNN: "oneDNN's kernels",
			torch.WinogradTunetorch: "tunetorch's kernels (AVX2)"}[torch.WinogradAuto.Resolved()]
	}
	if core, replaced := torch.BLASCore(); core != "" {
		s += ", OpenBLAS kernels " + core
		if replaced != "" {
			s += fmt.Sprintf(" on both sides (OpenBLAS picked its %s fallback)", replaced)
		}
	}
	return s
}

// cpuInfo reads the first processor's fields of /proc/cpuinfo (none where
// it cannot be read).
func cpuInfo() map[string]string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return map[string]string{}
	}
	return parseCPUInfo(string(b))
}

// parseCPUInfo reads the "key : value" lines of the first processor's block
// of a /proc/cpuinfo text.
func parseCPUInfo(text string) map[string]string {
	info := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == "" {
			break // the end of the first processor's block
		}
		if k, v, ok := strings.Cut(l, ":"); ok {
			info[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return info
}

// where names the device the models ran on, for the report.
func where(device string) string {
	if device == "cpu" {
		return "the CPU"
	}
	return fmt.Sprintf("%s (of %d GPU(s) libtorch sees)", device, torch.CUDADeviceCount())
}
