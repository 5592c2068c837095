package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// runWorker makes one Go measurement and prints it as a JSON line.
func runWorker(c config) error {
	if err := torch.SetNumThreads(c.threads); err != nil {
		return err
	}
	if c.noCPUCache {
		torch.SetCPUCaching(false)
	}
	if c.noHugePages {
		torch.SetHugePages(false)
		dataset.SetHugePages(false)
	}
	if c.openBLASThreaded && !torch.SetBLASThreads(c.threads) {
		return errors.New("--openblas-threaded: libtorch does not call OpenBLAS here")
	}
	if c.noSIMD {
		transforms.UseSIMD(false)
	}
	root := filepath.Join(c.data, "train_valid_test")
	train, err := dataset.ImageFolder(filepath.Join(root, "train"))
	if err != nil {
		return err
	}
	valid, err := dataset.ImageFolder(filepath.Join(root, "valid"))
	if err != nil {
		return err
	}
	trainT := transforms.MustCompose(transforms.NewRandomResizedCrop(224), transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}, transforms.ToTensor{}, transforms.ImageNetNormalize)
	testT := transforms.MustCompose(transforms.ResizeShorter(256), transforms.CenterCropSquare(224), transforms.ToTensor{}, transforms.ImageNetNormalize)
	workers := c.workers
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)-c.threads)
	}
	var cache *dataset.ImageCache
	if c.cacheImages {
		if cache, err = dataset.NewImageCache(math.MaxInt64); err != nil {
			return err
		}
	}
	dev, err := torch.ParseDevice(c.device)
	if err != nil {
		return err
	}
	load := func(ds *dataset.Dataset, tr transforms.Transform, shuffle bool) (*dataset.Loader, error) {
		return dataset.NewLoader(ds, dataset.LoaderConfig{BatchSize: c.batchSize, Shuffle: shuffle, DropLast: shuffle,
			Transform: tr, Workers: workers, Prefetch: finetune.LoaderPrefetch(dev), Cache: cache, PixelBatches: c.pixelBatches,
			AugmentOnDevice: shuffle && c.augmentOnDevice, RegionPlans: shuffle && c.deviceImages}) // as dogbreed's loaders
	}
	netCfg := finetune.NetConfig{Classes: len(train.Classes), OptimizeBackbone: c.optimize, Device: dev}
	what := c.worker
	if c.optimize {
		what += " +optimize-backbone"
	}
	if c.winograd {
		netCfg.Winograd, netCfg.WinogradBytes = true, c.winogradBytes
		what += " +winograd"
		if c.winogradBytes > 0 {
			what += " " + winogradBytesTag(c.winogradBytes)
		}
	}
	if c.fuse {
		netCfg.FuseConvolutions = true
		what += " " + fuseTag
	}
	if c.releaseDirect {
		netCfg.ReleaseDirectWeights = c.batchSize
		what += " +release-direct-weights"
	}
	if c.bf16 {
		netCfg.BackboneDtype = torch.BFloat16
		what += " +bf16"
	}
	if c.channelsLast {
		netCfg.ChannelsLast = true
		what += " +channels-last"
	}
	if c.int8 {
		what += " +int8"
	}
	if c.streams > 1 {
		netCfg.Streams = c.streams
		what += " " + streamsTag(c.streams)
	}
	if c.cacheImages {
		what += " +cache-images"
	}
	if c.noCPUCache {
		what += " +no-cpu-cache"
	}
	if c.noHugePages {
		what += " +no-huge-pages"
	}
	if c.openBLASThreaded {
		what += " +openblas-threaded"
	}
	if c.noSIMD {
		what += " +no-simd"
	}
	if c.pixelBatches {
		what += " +pixel-batches"
	}
	if c.augmentOnDevice {
		what += " +augment-on-device"
	}
	if c.prefetchInputs {
		what += " +prefetch-inputs"
	}
	if c.deviceImages {
		netCfg.DeviceImageBytes = math.MaxInt64 // grown as the images come; the bench's fit any GPU
		what += " +device-images"
	}
	r := result{What: what}
	ctx := context.Background()
	switch c.worker {
	case "backbone":
		net, err := finetune.LoadNet(c.model, netCfg)
		if err != nil {
			return err
		}
		defer net.Close()
		b, err := readyBatch(ctx, valid, filepath.Join(root, "valid"), testT, c.batchSize)
		if err != nil {
			return err
		}
		// Two warm-up batches per stream (TorchScript specialises the module
		// over its first runs), then the timed ones. A GPU computes
		// asynchronously: copying the last features out waits for every
		// batch queued before.
		warmUp := 2 * max(1, c.streams)
		if _, err := backboneRun(ctx, net, b, func(i int) bool { return i < warmUp }); err != nil {
			return err
		}
		start := time.Now()
		least := time.Duration(c.backboneMinSeconds() * float64(time.Second))
		n, err := backboneRun(ctx, net, b, func(i int) bool { return i < c.batches || time.Since(start) < least })
		if err != nil {
			return err
		}
		r.ImagesPerSec = float64(n*c.batchSize) / time.Since(start).Seconds()
	case "loader":
		l, err := load(train, trainT, true)
		if err != nil {
			return err
		}
		epoch := 0
		if cache != nil { // the first epoch fills the cache; the next one is timed
			for _, err := range l.Batches(ctx, 0) {
				if err != nil {
					return err
				}
			}
			epoch = 1
		}
		start, cpuStart, n := time.Now(), processCPUSeconds(), 0
		for b, err := range l.Batches(ctx, epoch) {
			if err != nil {
				return err
			}
			n += b.N
			l.Recycle(b) // as finetune does once a batch is on the device
		}
		r.ImagesPerSec = float64(n) / time.Since(start).Seconds()
		if n > 0 {
			r.CPUSecondsPerImage = (processCPUSeconds() - cpuStart) / float64(n)
		}
	case "train":
		tl, err := load(train, trainT, true)
		if err != nil {
			return err
		}
		vl, err := load(valid, testT, false)
		if err != nil {
			return err
		}
		// The run is timed from the loaded model, as the chapter's code times
		// its train() after get_net(); the load is reported on its own.
		loadStart := time.Now()
		net, err := finetune.LoadNet(c.model, netCfg)
		if err != nil {
			return err
		}
		defer net.Close()
		r.SetupSeconds = time.Since(loadStart).Seconds()
		start := time.Now()
		h, err := finetune.Train(ctx, net, tl, vl, finetune.TrainConfig{Epochs: c.epochs, LR: 1e-4, WeightDecay: 1e-4,
			Momentum: 0.9, LRPeriod: 2, LRDecay: 0.9, CacheValidFeatures: true, PrefetchInputs: c.prefetchInputs})
		if err != nil {
			return err
		}
		r.WallSeconds = time.Since(start).Seconds()
		examples := 0
		for _, e := range h.Epochs {
			examples += e.Examples
			r.DataWaitSec += e.DataWaitSeconds
		}
		last := h.Epochs[len(h.Epochs)-1]
		r.ExamplesPerSec = float64(examples) / r.WallSeconds
		r.BackboneImages = examples + valid.Len() // the validation features are computed once, then cached
		r.TrainLoss, r.ValidLoss = last.TrainLoss, last.ValidLoss
	default:
		return fmt.Errorf("unknown worker %q", c.worker)
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// backboneRun computes the features of batch b, on the net's streams, for
// as long as more(the batches given so far) says, copies the last ones out
// and returns how many batches it ran.
func backboneRun(ctx context.Context, net *finetune.Net, b *dataset.Batch, more func(given int) bool) (int, error) {
	given, done := 0, 0
	var last *torch.Tensor
	for f, err := range net.StreamFeatures(ctx, func(yield func(*dataset.Batch) bool) {
		for ; more(given); given++ {
			if !yield(b) {
				return
			}
		}
	}) {
		if err != nil {
			return done, err
		}
		done++
		if last != nil {
			last.Close()
		}
		last = f
	}
	if last != nil {
		_ = last.Float32s() // a GPU computes asynchronously: this waits for every batch queued
		last.Close()
	}
	return done, nil
}

// readyBatch is the backbone-only runs' input: the validation images through
// the test transform, in the dataset's order, repeated to fill a batch. The
// chapter's side (chapter_reference.py --mode backbone) makes the same one:
// the ceiling is measured on the images the pipeline feeds (a ResNet's speed
// depends a little on its input: max pooling branches on the values).
func readyBatch(ctx context.Context, valid *dataset.Dataset, dir string, testT transforms.Transform, batchSize int) (*dataset.Batch, error) {
	n := min(batchSize, valid.Len())
	if n == 0 {
		return nil, fmt.Errorf("the validation set %s has no images", dir)
	}
	l, err := dataset.NewLoader(valid, dataset.LoaderConfig{BatchSize: n, Transform: testT})
	if err != nil {
		return nil, err
	}
	for first, err := range l.Batches(ctx, 0) {
		if err != nil {
			return nil, err
		}
		per := first.C * first.H * first.W
		b := &dataset.Batch{N: batchSize, C: first.C, H: first.H, W: first.W, Images: make([]float32, batchSize*per)}
		for i := range batchSize {
			copy(b.Images[i*per:(i+1)*per], first.Images[(i%n)*per:])
		}
		return b, nil
	}
	return nil, fmt.Errorf("the validation set %s gave no batch", dir)
}

// processCPUSeconds returns the CPU time, user and system, that the process
// has used so far on all its threads (0 where it cannot be read).
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
