// Command dogbreed runs the d2l.ai chapter "Kaggle dog breed identification
// (ImageNet Dogs)" in Go: it reorganises the Kaggle data into train/valid
// folders, fine-tunes a classifier head on a frozen pretrained backbone with
// validation, retrains on train+valid, predicts the test set and writes
// submission.csv.
//
//	dogbreed --demo                      # generate a small demo dataset and run on it
//	dogbreed --data-dir ~/data/dog-breed-identification --model resnet34.pt
//
// The backbone is a TorchScript file (scripts/export_backbone.py exports
// torchvision's ResNet-34 with ImageNet weights). Ctrl-C stops at the next
// batch and saves a checkpoint when --checkpoint is set; --resume continues.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/torch"
)

// options are the command-line flags, named after the chapter's variables.
type options struct {
	dataDir, model, device, out, plot, checkpoint, saveHead, distBackend string
	cacheImages, deviceImages                                            string
	demo, resume, skipFinal, inMemory, optimizeBackbone, bf16, fp16      bool
	winograd, fuseConvolutions, releaseDirectWeights                     bool
	skipBad, channelsLast, pixelBatches, prefetchInputs, augmentOnDevice bool
	epochs, batchSize, lrPeriod, workers, threads, inputSize             int
	prefetchThreads, streams                                             int
	prefetch                                                             int   // batches the loader prepares ahead; 0: finetune.LoaderPrefetch
	deviceImageBytes                                                     int64 // --device-images, parsed
	winogradMemory, winogradKernelName                                   string
	winogradBytes                                                        int64                // --winograd-memory, parsed (0: all; autoWinogradMemory)
	winogradKernel                                                       torch.WinogradKernel // --winograd-kernel, parsed
	lr, wd, lrDecay, validRatio                                          float64
	seed                                                                 uint64
	demoScale                                                            float64
	given                                                                map[string]bool // the flags on the command line
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("dogbreed", flag.ContinueOnError)
	fs.StringVar(&o.dataDir, "data-dir", "data/dog-breed-identification", "the Kaggle data: labels.csv, train/, test/")
	fs.BoolVar(&o.demo, "demo", false, "generate a small synthetic dataset in --data-dir if it has no labels.csv (and use batch size 32)")
	fs.Float64Var(&o.demoScale, "demo-scale", 0.04, "with --demo: fraction of the real class sizes (66-126 images per breed)")
	fs.StringVar(&o.model, "model", "build/cache/resnet34.pt", "the TorchScript backbone (scripts/export_backbone.py)")
	fs.IntVar(&o.epochs, "epochs", 10, "training epochs")
	fs.IntVar(&o.batchSize, "batch-size", 128, "batch size (32 with --demo unless given)")
	fs.Float64Var(&o.lr, "lr", 1e-4, "learning rate")
	fs.Float64Var(&o.wd, "wd", 1e-4, "weight decay")
	fs.IntVar(&o.lrPeriod, "lr-period", 2, "StepLR: decay the learning rate every this many epochs")
	fs.Float64Var(&o.lrDecay, "lr-decay", 0.9, "StepLR: multiply the learning rate by this")
	fs.Float64Var(&o.validRatio, "valid-ratio", 0.1, "fraction of the rarest breed's images used for validation")
	fs.StringVar(&o.device, "device", "cpu", "cpu, cuda, cuda:N, all (every GPU, else the CPU), or a list such as cuda:0,cuda:1 (the backbone replicated on each, each running a share of every batch)")
	fs.StringVar(&o.distBackend, "dist-backend", "auto", "under torchrun: the c10d backend, gloo or nccl (GPU tensors through NCCL, the rest through Gloo); auto: nccl on a GPU when the shim has it, else gloo")
	fs.IntVar(&o.workers, "workers", 0, "goroutines decoding and augmenting images (default: the cores --threads leaves free, at least 1)")
	fs.IntVar(&o.prefetch, "prefetch", 0, "batches the loader prepares ahead of the model (default: 1 with the model on the CPU, where the loader shares its cores and is several times faster than the backbone, so a second only takes memory; 2 on a GPU)")
	fs.IntVar(&o.threads, "threads", 0, "libtorch intra-op threads (default: every core the process may use, a container's CPU limit included, with the model on the CPU; 2 with it on a GPU)")
	fs.IntVar(&o.inputSize, "input-size", 224, "side of the square crop fed to the backbone")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for the split-independent randomness: head init, shuffling, augmentation")
	fs.StringVar(&o.out, "out", "submission.csv", "the submission file")
	fs.StringVar(&o.plot, "plot", "loss.png", "PNG of the loss curves (empty: none)")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint file, written after each epoch and on Ctrl-C (the final retraining uses <name>-final.pt)")
	fs.BoolVar(&o.resume, "resume", false, "continue from --checkpoint")
	fs.BoolVar(&o.skipFinal, "skip-final", false, "stop after training with validation: no retraining on train+valid, no prediction")
	fs.BoolVar(&o.inMemory, "in-memory", false, "split in memory instead of writing train_valid_test/ (the chapter's layout)")
	fs.BoolVar(&o.optimizeBackbone, "optimize-backbone", torch.OptimizeForInferenceVerified(), "freeze and optimise the TorchScript backbone for inference (torch.jit.freeze + optimize_for_inference: faster, same outputs up to float rounding); =false runs it as exported. Default: on where verified (libtorch 1.x and 2.11 on), off with 2.0-2.10 (Debian's 2.6 crashes running it)")
	fs.BoolVar(&o.winograd, "winograd", false, "run the optimised backbone's 3×3 stride-1 convolutions with the Winograd F(4×4,3×3) algorithm (4× fewer multiplications; outputs within float32 rounding, 1e-6 of the largest logit for ResNet-34), on oneDNN's kernels or tunetorch's (--winograd-kernel). Default: on where it applies (the model on a CPU that oneDNN has Winograd kernels for, i.e. AVX-512, or one with AVX2 and FMA for tunetorch's; float32; --optimize-backbone), off elsewhere")
	fs.BoolVar(&o.releaseDirectWeights, "release-direct-weights", false, "with --winograd, have the Winograd convolutions make their Winograd weights for the run's batch size (--batch-size, or the largest set's size if smaller) at the model's load and let go of their direct ones, which they then replace in memory (78 MB for all of ResNet-34's); a smaller batch runs on primitives of its own where oneDNN reads those weights for it, else padded to it. With --winograd-memory auto, every convolution then runs Winograd: on a 2-core AMD EPYC (Zen 5), training 1.10x as fast at the median of six alternating pairs (0.91-1.17x) as within 192MiB with the direct weights kept, for a peak 0.03 GB higher, under the chapter's. Default: on with --winograd, for batches of at least 4 images")
	fs.BoolVar(&o.fuseConvolutions, "fuse-convolutions", false, "fold the ReLU or residual sum after each of the optimised backbone's convolutions into it (oneDNN post-ops: ResNet-34's 33 ReLUs and 16 sums no longer pass over their activations on their own; outputs within float32 rounding). Default: on where it applies (the model on a CPU, float32, --optimize-backbone, a libtunetorch built with oneDNN's headers), off elsewhere")
	fs.StringVar(&o.winogradKernelName, "winograd-kernel", "auto", "with --winograd, whose kernels run the Winograd convolutions: onednn (oneDNN's, for AVX-512 CPUs), tunetorch (tunetorch's own, for x86-64 CPUs with AVX2 and FMA: design note 22), or auto: oneDNN's where it has them, else tunetorch's")
	fs.StringVar(&o.winogradMemory, "winograd-memory", "auto", "with --winograd, the most memory the Winograd weights may take (4× the direct ones): the convolutions with the fewest channels are swapped up to that size, or all of them with \"all\" (313 MB for ResNet-34); auto: all where their direct weights go (--release-direct-weights), else "+defaultWinogradMemory+" (ResNet-34's 26 convolutions with the fewest channels, 2-6% slower than all 29 on a 2-core Xeon without AMX, for about 0.11 GB less peak memory)")
	fs.BoolVar(&o.bf16, "bf16", false, "run the backbone under bfloat16 autocast (features in bf16, head in float32)")
	fs.BoolVar(&o.fp16, "fp16", false, "run the backbone under float16 autocast (GPUs; libtorch's CPU autocast has bfloat16 only)")
	fs.BoolVar(&o.channelsLast, "channels-last", false, "lay the backbone and its batches out NHWC (torch.channels_last), what GPUs' fast convolutions read; same outputs up to float rounding. Default: on with the backbone on a GPU, off on the CPU (no faster there)")
	fs.StringVar(&o.saveHead, "save-head", "head.pt", "file for the final head and class names, for examples/predict (empty: none)")
	fs.BoolVar(&o.pixelBatches, "pixel-batches", false, "hand the images to libtorch as bytes and convert them (ToTensor, Normalize) on the model's device: a quarter of the host-to-device copy, same values. Default: on with the model on a GPU, off on the CPU (no faster there)")
	fs.BoolVar(&o.prefetchInputs, "prefetch-inputs", false, "make each training batch's input on the model's device (the copy there, and the conversion or augmentation that --pixel-batches or --augment-on-device leave to it) on a thread of its own, a batch ahead of the training step: the host's share overlaps the GPU's. Default: on with the model on a GPU, off on the CPU (no faster there, more memory)")
	fs.IntVar(&o.streams, "streams", 1, "with the model on the CPU, run the backbone on this many batches at once, each on an OS thread of its own with its share of --threads: threads that share every operation wait for each other at its end, so a core the loader takes stalls them all, while streams lose only the time taken; same features, a batch's activations more memory per stream. Measured on a 2-core Xeon (AVX-512, AMX), alternating 3-epoch runs: an int8 backbone 8-20% more examples/s, bf16 + channels-last 3-12%, float32 (optimised, Winograd) 1-3% fewer, plain about 5% fewer; on a 2-core AMD EPYC (Zen 4) int8 and float32 as on one stream; on a 2-core Xeon without AMX mixed (single runs 0.76-1.20x); so 1 by default")
	fs.IntVar(&o.prefetchThreads, "prefetch-threads", 1, "with --prefetch-inputs, how many threads make the inputs ahead, each taking the next batch when free: more where one thread's share (the copy into page-locked memory, queuing the device's work) is slower than the GPU's step")
	fs.BoolVar(&o.augmentOnDevice, "augment-on-device", false, "leave the training augmentation (crop, resize, flip, colour jitter) to the model's device: the loader only decodes (or takes from --cache-images) and crops each image and draws its parameters; same images to the bit. Default: on with the model on a GPU (the loader is the limit there), off on the CPU (libtorch augments far slower than the Go pipeline)")
	fs.StringVar(&o.deviceImages, "device-images", "off", "keep the decoded training images on the model's device as well, up to a size such as 8GiB (per device), with --augment-on-device and --cache-images: each image crosses once, and the later epochs send only each crop's draws; same images to the bit. off by default: not yet measured on a GPU")
	fs.StringVar(&o.cacheImages, "cache-images", "auto", "keep decoded training images in memory for the epochs after the first, which then skip reading and decoding them (same batches): auto (with the model on a GPU, where the loader is the limit: up to a quarter of the available memory; off on the CPU), off, or a size such as 6GiB")
	fs.BoolVar(&o.skipBad, "skip-bad-images", false, "skip images that cannot be read or decoded (a warning names each) instead of stopping")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: dogbreed [flags]\n\nThe d2l.ai dog-breed chapter in Go. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	o.given = given
	if o.demo && !given["batch-size"] {
		o.batchSize = 32
	}
	switch {
	case o.epochs < 0:
		return nil, fmt.Errorf("--epochs %d must not be negative", o.epochs)
	case o.batchSize <= 0:
		return nil, fmt.Errorf("--batch-size %d must be positive", o.batchSize)
	case o.lr <= 0:
		return nil, fmt.Errorf("--lr %g must be positive", o.lr)
	case o.wd < 0:
		return nil, fmt.Errorf("--wd %g must not be negative", o.wd)
	case o.workers < 0 || o.threads < 0 || (given["workers"] && o.workers == 0) || (given["threads"] && o.threads == 0):
		return nil, fmt.Errorf("--workers and --threads must be positive")
	case o.prefetch < 0 || (given["prefetch"] && o.prefetch == 0):
		return nil, fmt.Errorf("--prefetch %d must be positive", o.prefetch)
	case o.streams < 1:
		return nil, fmt.Errorf("--streams %d must be at least 1", o.streams)
	case o.prefetchThreads < 1:
		return nil, fmt.Errorf("--prefetch-threads %d must be at least 1", o.prefetchThreads)
	case o.inputSize < 32:
		return nil, fmt.Errorf("--input-size %d is too small", o.inputSize)
	case o.resume && o.checkpoint == "":
		return nil, errors.New("--resume needs --checkpoint")
	case o.bf16 && o.fp16:
		return nil, errors.New("--bf16 and --fp16 exclude each other")
	}
	if o.cacheImages != "auto" {
		if _, err := parseByteSize("--cache-images", o.cacheImages); err != nil {
			return nil, err
		}
	}
	var err error
	if o.deviceImageBytes, err = parseByteSize("--device-images", o.deviceImages); err != nil {
		return nil, err
	}
	if o.winogradBytes, err = parseWinogradMemory(o.winogradMemory); err != nil {
		return nil, err
	}
	if o.winogradKernel, err = torch.ParseWinogradKernel(o.winogradKernelName); err != nil {
		return nil, fmt.Errorf("--winograd-kernel: %w", err)
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dogbreed:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dogbreed:", err)
		if errors.Is(err, finetune.ErrInterrupted) {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

// defaultWinogradMemory is finetune.DefaultWinogradBytes as
// --winograd-memory takes it.
var defaultWinogradMemory = fmt.Sprintf("%dMiB", finetune.DefaultWinogradBytes>>20)

// parseWinogradMemory reads --winograd-memory: "all" (0: no bound), "auto"
// (autoWinogradMemory) or a positive size.
func parseWinogradMemory(s string) (int64, error) {
	switch s {
	case "all":
		return 0, nil
	case "auto":
		return autoWinogradMemory, nil
	}
	v, err := parseByteSize("--winograd-memory", s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("--winograd-memory %q: want auto, all, or a size such as 128MiB", s)
	}
	return v, nil
}
