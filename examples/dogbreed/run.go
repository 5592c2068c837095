package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/internal/demodata"
	"github.com/tunetorch/tunetorch/internal/memtune"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
	"golang.org/x/sys/cpu"
)

// run is the chapter, step by step.
func run(ctx context.Context, o *options, out io.Writer) error {
	// Every libtorch call of the run from one OS thread, as in finetune.Train:
	// glibc gives each allocating thread its own malloc arena, and memory
	// freed in one is not reused by allocations landing in another.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// torchrun's (or a PyTorchJob's) environment: WorldSize stays 0 for a single process.
	dist, _, err := torch.DistributedFromEnv()
	if err != nil {
		return err
	}
	dev, backboneDevs, devices, err := pickDevice(rankDevice(o.device, dist))
	if err != nil {
		return err
	}
	o.threads, o.workers = cpuShares(o.threads, o.workers, dev.IsCUDA())
	memtune.Apply(dev.IsCUDA()) // the Go collector's target: RSS on a CPU, the loader's speed on a GPU
	backend, err := distBackend(o.distBackend, dev)
	if err != nil {
		return err
	}
	var group *torch.ProcessGroup
	if dist.WorldSize > 1 {
		dist.Backend = backend
		if group, err = torch.NewProcessGroup(dist); err != nil {
			return err
		}
		defer group.Close()
	}
	rank0 := group == nil || group.Rank() == 0
	if !rank0 {
		out = io.Discard // rank 0 reports and writes the outputs
	} else if group != nil {
		fmt.Fprintf(out, "distributed: %d processes (c10d, %s)\n", group.Size(), backend)
	}
	if err := torch.SetNumThreads(o.threads); err != nil {
		return err
	}
	if _, err := os.Stat(o.model); err != nil {
		return fmt.Errorf("backbone %s: %w (export one with: /usr/bin/python3 scripts/export_backbone.py --weights imagenet --out %s)", o.model, err, o.model)
	}
	if o.demo && (group == nil || dist.LocalRank == 0) {
		if err := ensureDemoData(o, out); err != nil {
			return err
		}
	}
	if group != nil {
		if err := group.Barrier(); err != nil { // the data is ready everywhere
			return err
		}
		o.inMemory = true // ranks must not rewrite the same tree at once
	}

	// Reorganise: the chapter's train_valid_test layout (or the same split in memory).
	layout := dataset.DogBreedLayout(o.dataDir)
	split, err := splitData(ctx, layout, o)
	if err != nil {
		return err
	}
	if split.Test.Len() == 0 && !o.skipFinal {
		return fmt.Errorf("%s: no test image to predict", filepath.Join(o.dataDir, layout.Test))
	}
	fmt.Fprintf(out, "data: %d training, %d validation (%d per breed), %d test images, %d breeds\n",
		split.Train.Len(), split.Valid.Len(), split.NValidPerLabel, split.Test.Len(), len(split.Train.Classes))

	trainT, testT := chapterTransforms(o.inputSize)
	if o.wantAugmentOnDevice(dev) && !dev.IsCUDA() {
		fmt.Fprintf(out, "note: --augment-on-device with the model on the %s: libtorch's tensor operations augment far slower there than the Go pipeline (it is meant for GPUs, where the loader is the limit)\n", dev)
	}
	if note := bf16Note(o.bf16, dev, cpuHasBF16()); note != "" {
		fmt.Fprintln(out, note)
	}
	reread := o.epochs > 1 || !o.skipFinal // the training images are read more than once
	cache, err := newImageCache(o.cacheImages, dev.IsCUDA(), reread, localProcesses(dist.WorldSize), out)
	if err != nil {
		return err
	}
	deviceImages := o.deviceImageBytes
	if deviceImages > 0 && (cache == nil || !o.wantAugmentOnDevice(dev)) {
		fmt.Fprintf(out, "note: --device-images %s does nothing without --augment-on-device and --cache-images\n", o.deviceImages)
		deviceImages = 0
	}
	if deviceImages > 0 && !dev.IsCUDA() {
		fmt.Fprintf(out, "note: --device-images with the model on the %s keeps a second copy of the decoded images in host memory (it is meant for GPUs)\n", dev)
	}
	skips := &skipLog{w: out}
	defer skips.summary()
	prefetch := o.prefetch
	if prefetch == 0 {
		prefetch = finetune.LoaderPrefetch(dev)
	}
	load := func(ds *dataset.Dataset, tr transforms.Transform, shuffle, dropLast bool) (*dataset.Loader, error) {
		bs := o.batchSize
		if bs > ds.Len() {
			fmt.Fprintf(out, "note: batch size %d is larger than the %d images of a set: using %d\n", bs, ds.Len(), ds.Len())
			bs = ds.Len()
		}
		cfg := dataset.LoaderConfig{BatchSize: bs, Shuffle: shuffle, DropLast: dropLast,
			Workers: o.workers, Prefetch: prefetch, Seed: o.seed, Transform: tr, SkipBadImages: o.skipBad, OnSkip: skips.add,
			PixelBatches: o.wantPixelBatches(dev), AugmentOnDevice: shuffle && o.wantAugmentOnDevice(dev)}
		if group != nil && ds != split.Test {
			cfg.Rank, cfg.WorldSize, cfg.EvenShards = group.Rank(), group.Size(), shuffle
		}
		if shuffle && cache != nil { // the training sets, read every epoch
			cfg.Cache, cfg.RegionPlans = cache, deviceImages > 0
		}
		return dataset.NewLoader(ds, cfg)
	}
	cfg := finetune.TrainConfig{Epochs: o.epochs, LR: o.lr, WeightDecay: o.wd, Momentum: 0.9, LRPeriod: o.lrPeriod,
		LRDecay: o.lrDecay, Log: out, Checkpoint: o.checkpoint, Resume: o.resume, CacheValidFeatures: true, Devices: devices,
		Group: group, PrefetchThreads: o.prefetchThreads,
		PrefetchInputs: o.wantPrefetchInputs(dev) && len(backboneDevs) <= 1} // one replica only (finetune ignores it otherwise)
	netCfg := finetune.NetConfig{Classes: len(split.Train.Classes), InputSize: o.inputSize, Device: dev, Seed: o.seed,
		OptimizeBackbone: o.optimizeBackbone, BackboneDevices: backboneDevs,
		ChannelsLast: o.wantChannelsLast(dev), DeviceImageBytes: deviceImages, Streams: o.streams}
	netCfg.BackboneDtype = o.backboneDtype()
	netCfg.WinogradKernel = o.winogradKernel
	netCfg.Winograd = o.flagOr("winograd", o.winograd, finetune.WinogradPays(netCfg))
	if o.given["winograd-kernel"] && !netCfg.Winograd {
		return fmt.Errorf("--winograd-kernel %s: the Winograd convolutions are off here (%v)", o.winogradKernel,
			o.winogradOffReason(netCfg))
	}
	if err := o.setReleaseDirectWeights(&netCfg, largestBatch(o.batchSize, split)); err != nil {
		return err
	}
	netCfg.FuseConvolutions = o.flagOr("fuse-convolutions", o.fuseConvolutions, finetune.FusionPays(netCfg))

	// Train with validation.
	trainIter, err := load(split.Train, trainT, true, true)
	if err != nil {
		return err
	}
	validIter, err := load(split.Valid, testT, false, false)
	if err != nil {
		return err
	}
	net, err := loadNet(o.model, netCfg, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "backbone %s%s: %d features -> head %d-256-%d on %s (libtorch %s)\n", o.model, backboneLayout(net),
		net.FeatureDim, net.FeatureDim, net.Classes, devices, torch.Version())
	if note := blasNote(torch.BLASCore()); note != "" {
		fmt.Fprintln(out, note)
	}
	training := feed{workers: o.workers, prefetch: prefetch, caching: cache != nil, gpu: dev.IsCUDA(), augmentOnDevice: o.wantAugmentOnDevice(dev)}
	if cfg.PrefetchInputs {
		training.prefetchThreads = cfg.PrefetchThreads
	}
	fmt.Fprintf(out, "training input: %s\n", training)
	defer net.Close()
	hist, err := finetune.Train(ctx, net, trainIter, validIter, cfg)
	if err != nil {
		return err
	}
	reportCache(out, cache, net)
	reportDataWait(out, hist, training)
	if o.plot != "" && rank0 {
		if err := finetune.WritePlot(o.plot, hist); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s\n", o.plot)
	}
	if o.skipFinal {
		return nil
	}

	// Retrain on train+valid with a fresh head on the same frozen backbone,
	// then predict the test set.
	fmt.Fprintln(out, "retraining on train+valid")
	tvIter, err := load(split.TrainValid, trainT, true, true)
	if err != nil {
		return err
	}
	testIter, err := load(split.Test, testT, false, false)
	if err != nil {
		return err
	}
	if err := net.ResetHead(o.seed); err != nil {
		return err
	}
	if cfg.Checkpoint != "" {
		cfg.Checkpoint = strings.TrimSuffix(o.checkpoint, filepath.Ext(o.checkpoint)) + "-final.pt"
	}
	if _, err := finetune.Train(ctx, net, tvIter, nil, cfg); err != nil {
		return err
	}
	reportCache(out, cache, net)
	if !rank0 {
		return nil // rank 0 predicts and writes the submission
	}
	preds, err := finetune.Predict(ctx, net, testIter)
	if err != nil {
		return err
	}
	if err := finetune.WriteSubmission(o.out, split.TrainValid.Classes, preds); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: %d rows, %d breeds\n", o.out, len(preds.IDs), len(split.TrainValid.Classes))
	if o.saveHead != "" {
		if err := finetune.SaveHead(o.saveHead, net, split.TrainValid.Classes); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s (the head, for examples/predict)\n", o.saveHead)
	}
	return nil
}

// distBackend resolves --dist-backend: auto is NCCL when training on a GPU
// with a shim built with NCCL, else Gloo.
func distBackend(flag string, dev torch.Device) (string, error) {
	switch flag {
	case "gloo", "nccl":
		return flag, nil
	case "auto":
		if dev.IsCUDA() && torch.NCCLAvailable() {
			return "nccl", nil
		}
		return "gloo", nil
	}
	return "", fmt.Errorf("--dist-backend %q: want auto, gloo or nccl", flag)
}

// rankDevice gives each process of a distributed run (dist, from the
// environment) its own GPU, as torchrun users expect: --device cuda means
// cuda:LOCAL_RANK (modulo the GPUs seen). An explicit cuda:N, a list, cpu or
// all are kept.
func rankDevice(device string, dist torch.DistributedConfig) string {
	if device != "cuda" || dist.WorldSize <= 1 || torch.CUDADeviceCount() == 0 {
		return device
	}
	return torch.CUDA(dist.LocalRank % torch.CUDADeviceCount()).String()
}

// chapterTransforms are the chapter's train and test transforms for a
// square input of side size (224: Resize 256, CenterCrop 224).
func chapterTransforms(size int) (train, test transforms.Transform) {
	train = transforms.MustCompose(
		transforms.RandomResizedCrop{Size: transforms.Square(size), Scale: [2]float64{0.08, 1}, Ratio: [2]float64{3.0 / 4, 4.0 / 3}},
		transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4},
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	test = transforms.MustCompose(transforms.ResizeShorter(size*256/224), transforms.CenterCropSquare(size),
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	return train, test
}

func splitData(ctx context.Context, l dataset.KaggleLayout, o *options) (*dataset.Split, error) {
	if o.inMemory {
		return dataset.SplitKaggle(l, o.validRatio)
	}
	return dataset.ReorgKaggle(ctx, l, o.validRatio)
}

// skipLog reports each skipped image once, and their count at the end.
type skipLog struct {
	w    io.Writer
	mu   sync.Mutex
	seen map[string]bool
}

func (s *skipLog) add(path string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[path] {
		return
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[path] = true
	fmt.Fprintf(s.w, "warning: skipping a bad image: %v\n", err)
}

func (s *skipLog) summary() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) > 0 {
		fmt.Fprintf(s.w, "skipped %d bad image(s)\n", len(s.seen))
	}
}

// ensureDemoData generates the demo dataset unless labels.csv is there.
func ensureDemoData(o *options, out io.Writer) error {
	if _, err := os.Stat(filepath.Join(o.dataDir, "labels.csv")); err == nil {
		return nil
	}
	fmt.Fprintf(out, "generating the demo dataset in %s (120 breeds, %.0f%% of the real class sizes)\n", o.dataDir, 100*o.demoScale)
	return demodata.Generate(demodata.Config{Dir: o.dataDir, Scale: o.demoScale, Seed: o.seed})
}

// cpuShares fills in the defaults of --threads and --workers (0: not given).
// With the model on the CPU, libtorch's threads get every core and the
// loader the cores left, at least 1: loader goroutines competing with
// libtorch's threads slow every parallel region down (measured on 2 cores:
// 2 workers beside 2 threads trained 8% slower than 1 worker; on stop 40's
// Zen 5 VM with dogbreed's default backbone 1.01x at the median of 13
// alternating pairs, 0.86-1.13x: no gain to change the default for). With the
// model on a GPU, libtorch's CPU work is copies and the head's small ops:
// it gets 2 threads and the loader the other cores (all cores to libtorch
// left one worker on a 16-core H200 machine: a third of the speed).
func cpuShares(threads, workers int, gpu bool) (int, int) {
	cores := runtime.GOMAXPROCS(0) // the CPUs this process may use, a container's CPU limit included
	if threads == 0 {
		threads = cores
		if gpu {
			threads = min(2, threads)
		}
	}
	if workers == 0 {
		workers = max(1, cores-threads)
	}
	return threads, workers
}

// pickDevice parses --device: a device, a comma-separated list of devices
// (the backbone is replicated on each, the head trains on the first), or
// "all": every GPU, else the CPU. It returns the head's device, the
// backbone's devices when there are several, and the list as d2l prints it.
func pickDevice(s string) (torch.Device, []torch.Device, string, error) {
	var devs []torch.Device
	if s == "all" {
		for i := range torch.CUDADeviceCount() {
			devs = append(devs, torch.CUDA(i))
		}
		if len(devs) == 0 {
			devs = []torch.Device{torch.CPU}
		}
	} else {
		for _, part := range strings.Split(s, ",") {
			d, err := torch.ParseDevice(strings.TrimSpace(part))
			if err != nil {
				return torch.Device{}, nil, "", err
			}
			if d.IsCUDA() && d.Index >= torch.CUDADeviceCount() {
				return torch.Device{}, nil, "", fmt.Errorf("--device %s: libtorch %s sees %d CUDA device(s)", d, torch.Version(), torch.CUDADeviceCount())
			}
			devs = append(devs, d)
		}
	}
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.String()
	}
	label := "[" + strings.Join(names, ", ") + "]"
	if len(devs) == 1 {
		return devs[0], nil, label, nil
	}
	return devs[0], devs, label, nil
}

// wantPixelBatches is --pixel-batches where given, else with the model on a
// GPU: there the loader and the host-to-device copy are the limit, and
// bytes are a quarter of the float32 batch. On the CPU, measured on the
// bench (2 cores): the same training loss to the last digit, no difference
// in speed or peak RSS beyond the noise.
func (o *options) wantPixelBatches(dev torch.Device) bool {
	return o.flagOr("pixel-batches", o.pixelBatches, dev.IsCUDA())
}

// wantAugmentOnDevice is --augment-on-device where given, else with the
// model on a GPU. Measured on an H200 (16 cores, 3 epochs of 2,200 images,
// decoded images cached, inputs made ahead): the cached epochs at 8,600-
// 9,100 examples/s against 7,400-7,700 for byte batches with 14 loader
// workers and 2,400-2,500 with 4; the first epoch, decoding, 1.2-1.3x. On
// the CPU libtorch augments at a twentieth of the Go pipeline's speed.
func (o *options) wantAugmentOnDevice(dev torch.Device) bool {
	return o.flagOr("augment-on-device", o.augmentOnDevice, dev.IsCUDA())
}

// wantPrefetchInputs is --prefetch-inputs where given, else with the model
// on a GPU, where the training thread waits for the GPU every step and the
// GPU would wait for the next batch's copy (and conversion or augmentation)
// in between. On the CPU (2 cores) it measured no faster, and the extra
// thread's malloc arena added 76-107 MiB of resident memory.
func (o *options) wantPrefetchInputs(dev torch.Device) bool {
	return o.flagOr("prefetch-inputs", o.prefetchInputs, dev.IsCUDA())
}

// wantChannelsLast is --channels-last where given, else where it pays
// (finetune.ChannelsLastPays: on GPUs, and on CPUs under --bf16).
func (o *options) wantChannelsLast(dev torch.Device) bool {
	return o.flagOr("channels-last", o.channelsLast, finetune.ChannelsLastPays(dev, o.backboneDtype()))
}

// backboneDtype is the backbone's autocast dtype: --bf16, --fp16, or float32.
func (o *options) backboneDtype() torch.Dtype {
	switch {
	case o.bf16:
		return torch.BFloat16
	case o.fp16:
		return torch.Float16
	}
	return torch.Float32
}

// flagOr is a boolean flag's value where the command line gives the flag,
// else def (a default that depends on the run, such as its device).
func (o *options) flagOr(name string, value, def bool) bool {
	if o.given[name] {
		return value
	}
	return def
}

// winogradOffReason says why cfg runs no Winograd convolutions.
func (o *options) winogradOffReason(cfg finetune.NetConfig) string {
	if o.given["winograd"] {
		return "--winograd=false"
	}
	if err := torch.WinogradKernelAvailable(cfg.WinogradKernel); err != nil {
		return err.Error()
	}
	return "they need the model on a CPU, float32 and --optimize-backbone"
}

// cpuHasBF16 reports whether this CPU computes in bfloat16 itself (AVX-512
// BF16 or AMX-BF16; true where it cannot tell, off amd64).
func cpuHasBF16() bool {
	return runtime.GOARCH != "amd64" || cpu.X86.HasAVX512BF16 || cpu.X86.HasAMXBF16
}

// bf16Note warns that --bf16 with the model on a CPU without bfloat16
// instructions (hardware false) is slower than float32: libtorch then
// converts every value in software. "" otherwise.
func bf16Note(bf16 bool, dev torch.Device, hardware bool) string {
	if !bf16 || dev.IsCUDA() || hardware {
		return ""
	}
	return "note: --bf16 on a CPU without bfloat16 instructions (AVX-512 BF16, AMX): libtorch emulates them, and the backbone runs several times slower than in float32 " +
		"(0.33x on a 2-core Xeon with AVX-512, 0.08x on a 2-core AMD EPYC with AVX2); the float32 default, or an int8 backbone (scripts/export_backbone.py --quantize int8), is faster here"
}

// blasNote says when the torch package replaced the kernels OpenBLAS picked
// for this CPU (torch.BLASCore: its Prescott fallback), "" when it did not.
func blasNote(core, replaced string) string {
	if replaced == "" {
		return ""
	}
	return fmt.Sprintf("OpenBLAS: the %s kernels, in place of the %s fallback it picked for this CPU (OPENBLAS_CORETYPE chooses)", core, replaced)
}

// backboneLayout names the non-default choices the backbone runs with, for
// the run's header line: " (bfloat16 autocast, channels-last)", or "".
func backboneLayout(n *finetune.Net) string {
	var parts []string
	if n.BackboneDtype != torch.Float32 {
		parts = append(parts, n.BackboneDtype.String()+" autocast")
	}
	if n.ChannelsLast {
		parts = append(parts, "channels-last")
	}
	if n.FusedConvolutions > 0 {
		parts = append(parts, fmt.Sprintf("%d convolutions with their ReLU or sum fused", n.FusedConvolutions))
	}
	if n.WinogradConvolutions > 0 {
		parts = append(parts, fmt.Sprintf("%d Winograd convolutions", n.WinogradConvolutions))
	}
	if n.DirectWeightsReleased > 0 {
		parts = append(parts, fmt.Sprintf("%d of them without their direct weights", n.DirectWeightsReleased))
	}
	if n.WinogradConvolutions > 0 && n.WinogradKernel == torch.WinogradTunetorch {
		parts = append(parts, "on tunetorch's Winograd kernels")
	}
	if n.Streams() > 1 {
		parts = append(parts, fmt.Sprintf("%d streams", n.Streams()))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// loadNet loads the backbone; when freezing and optimising it fails (a
// TorchScript module that torch.jit.freeze cannot handle), it says so and
// uses the module as it is.
func loadNet(path string, cfg finetune.NetConfig, out io.Writer) (*finetune.Net, error) {
	net, err := finetune.LoadNet(path, cfg)
	if err == nil || !errors.Is(err, finetune.ErrOptimizeBackbone) {
		return net, err
	}
	fmt.Fprintf(out, "warning: %v; using the backbone unoptimised (--optimize-backbone=false skips this)\n", err)
	cfg.OptimizeBackbone, cfg.Winograd, cfg.FuseConvolutions, cfg.ReleaseDirectWeights = false, false, false, 0
	return finetune.LoadNet(path, cfg)
}
