package finetune

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// benchmarkBackbone measures the ResNet-34 fixture's forward on a ready
// 32×3×224×224 batch of random normal values, as the training loop runs it
// (no grad).
func benchmarkBackbone(b *testing.B, cfg NetConfig) { benchmarkBackboneBatch(b, cfg, 32) }

// benchmarkBackboneBatch is benchmarkBackbone timing batches of timed
// images (after two of 32, as a validation or test set's last batch comes
// after full ones).
func benchmarkBackboneBatch(b *testing.B, cfg NetConfig, timed int) {
	cfg.Classes, cfg.Device = 10, torch.CPU
	net, err := LoadNet(testenv.ResNet34(b), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer net.Close()
	// Normal values, as normalised images have: the forward of zeros ran
	// 8% faster on an AVX-512 Xeon (the same in PyTorch, denormals flushed
	// or not: the CPU's clock, it seems, not the kernels).
	batch := &dataset.Batch{N: 32, C: 3, H: 224, W: 224, Images: make([]float32, 32*3*224*224)}
	src := rand.New(rand.NewPCG(1, 2))
	for i := range batch.Images {
		batch.Images[i] = float32(src.NormFloat64())
	}
	// Two batches before the timing, as examples/bench's backbone-only runs
	// (TorchScript specialises the graph over its first runs, and the
	// Winograd convolutions make their primitives and weights for the
	// batch's shape), then two of the timed size where it is another.
	forward := func(x *dataset.Batch) {
		f, err := net.Features(x)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	forward(batch)
	forward(batch)
	x := batch
	if timed != batch.N {
		x = &dataset.Batch{N: timed, C: 3, H: 224, W: 224, Images: batch.Images[:timed*3*224*224]}
		forward(x)
		forward(x)
	}
	for b.Loop() {
		forward(x)
	}
	b.ReportMetric(float64(timed*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkResNet34Forward(b *testing.B) { benchmarkBackbone(b, NetConfig{}) }

func BenchmarkResNet34ForwardOptimized(b *testing.B) {
	benchmarkBackbone(b, NetConfig{OptimizeBackbone: true})
}

// BenchmarkResNet34ForwardWinograd is the optimised backbone with its 3×3
// stride-1 convolutions on oneDNN's Winograd kernels (AVX-512 CPUs).
func BenchmarkResNet34ForwardWinograd(b *testing.B) {
	if err := torch.WinogradAvailable(); err != nil {
		b.Skip(err)
	}
	benchmarkBackbone(b, NetConfig{OptimizeBackbone: true, Winograd: true})
}

// BenchmarkResNet34ForwardDefault is dogbreed's default CPU backbone:
// optimised, every convolution Winograd with its direct weights let go
// where oneDNN has the kernels, the ReLUs and residual sums fused into the
// convolutions.
func BenchmarkResNet34ForwardDefault(b *testing.B) { benchmarkBackbone(b, defaultCPUBackbone(b)) }

// defaultCPUBackbone is dogbreed's default CPU backbone for batches of 32,
// or skips b where the shim lacks the fused convolutions.
func defaultCPUBackbone(b *testing.B) NetConfig {
	cfg := NetConfig{OptimizeBackbone: true}
	if err := torch.FusionAvailable(); err != nil {
		b.Skip(err)
	}
	cfg.Winograd, cfg.FuseConvolutions = WinogradPays(cfg), true
	if cfg.Winograd {
		cfg.ReleaseDirectWeights = 32
	}
	return cfg
}

// BenchmarkResNet34ForwardDefaultTunetorchWinograd is dogbreed's default
// CPU backbone on tunetorch's Winograd kernels (AVX2 and FMA; the default
// where oneDNN has none), here even where oneDNN has its own.
func BenchmarkResNet34ForwardDefaultTunetorchWinograd(b *testing.B) {
	if err := torch.WinogradKernelAvailable(torch.WinogradTunetorch); err != nil {
		b.Skip(err)
	}
	cfg := defaultCPUBackbone(b)
	cfg.Winograd, cfg.WinogradKernel, cfg.ReleaseDirectWeights = true, torch.WinogradTunetorch, 32
	benchmarkBackbone(b, cfg)
}

// BenchmarkResNet34ForwardFused is the optimised backbone with its ReLUs
// and residual sums fused and no Winograd: dogbreed's default on CPUs
// without Winograd kernels.
func BenchmarkResNet34ForwardFused(b *testing.B) {
	if err := torch.FusionAvailable(); err != nil {
		b.Skip(err)
	}
	benchmarkBackbone(b, NetConfig{OptimizeBackbone: true, FuseConvolutions: true})
}

// BenchmarkResNet34ForwardDefaultLastBatch is dogbreed's default CPU
// backbone on a batch of 16 after batches of 32 (a validation or test
// set's last batch): each Winograd convolution on a primitive of its own
// where oneDNN reads the batch of 32's weights for it, else padded to 32.
func BenchmarkResNet34ForwardDefaultLastBatch(b *testing.B) {
	benchmarkBackboneBatch(b, defaultCPUBackbone(b), 16)
}

// BenchmarkResNet34ForwardWinogradWithin is dogbreed's default CPU
// backbone of stops 36-41 where oneDNN has the Winograd kernels: within
// DefaultWinogradBytes, fused, the direct weights kept.
func BenchmarkResNet34ForwardWinogradWithin(b *testing.B) {
	if err := torch.WinogradAvailable(); err != nil {
		b.Skip(err)
	}
	if err := torch.FusionAvailable(); err != nil {
		b.Skip(err)
	}
	benchmarkBackbone(b, NetConfig{OptimizeBackbone: true, Winograd: true, WinogradBytes: DefaultWinogradBytes, FuseConvolutions: true})
}

func BenchmarkResNet34ForwardBF16(b *testing.B) {
	benchmarkBackbone(b, NetConfig{BackboneDtype: torch.BFloat16})
}

// chapterImage is a random 500×375 image (the Kaggle images' usual size)
// and the chapter's training pipeline (to 224×224).
func chapterImage() (*transforms.Image, *transforms.Compose) {
	src := rand.New(rand.NewPCG(1, 1))
	img := transforms.NewImage(500, 375)
	for i := range img.Pix {
		img.Pix[i] = uint8(src.IntN(256))
	}
	return img, transforms.MustCompose(transforms.NewRandomResizedCrop(224), transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}, transforms.ToTensor{}, transforms.ImageNetNormalize)
}

// BenchmarkAugmentOnDevice carries out the chapter's training augmentation
// of 32 images from their plans with libtorch on the CPU (finetune's device
// path, meant for GPUs), against BenchmarkAugmentInGo's same images.
func BenchmarkAugmentOnDevice(b *testing.B) { benchmarkAugmentOn(b, torch.CPU, 32, false) }

// BenchmarkAugmentOnDeviceKept is BenchmarkAugmentOnDevice with the images
// kept on the device (NetConfig.DeviceImageBytes), put there before the
// timing: no crop is copied, the crops are read where their images lie.
func BenchmarkAugmentOnDeviceKept(b *testing.B) { benchmarkAugmentOn(b, torch.CPU, 32, true) }

// BenchmarkAugmentOnCUDA is BenchmarkAugmentOnDevice on the first GPU, in
// batches of 128 (dogbreed's GPU runs); it waits for the GPU at the end, so
// it measures whichever of the host's queuing and the GPU's work is slower,
// and it times two parts of the host's work apart (upload-ms, tables-ms)
// and counts the batches after which libtorch's CUDA allocator reserved
// more or less memory (reserve-changes: a cudaMalloc, or a retry that frees
// cached blocks and waits for the GPU). It runs with libtorch at one thread
// and at two (dogbreed's default with the model on a GPU), side by side:
// the crops' copy into page-locked memory (~36 MB a batch) goes in as many
// parts as libtorch has threads.
func BenchmarkAugmentOnCUDA(b *testing.B) {
	if !torch.CUDAAvailable() {
		b.Skipf("no CUDA device: libtorch %s sees %d GPU(s)", torch.Version(), torch.CUDADeviceCount())
	}
	prev := torch.NumThreads()
	defer torch.SetNumThreads(prev)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			if err := torch.SetNumThreads(threads); err != nil {
				b.Fatal(err)
			}
			benchmarkAugmentOn(b, torch.CUDA(0), 128, false)
		})
	}
	b.Run("kept", func(b *testing.B) { // the images on the GPU: no crop crosses
		if err := torch.SetNumThreads(2); err != nil {
			b.Fatal(err)
		}
		benchmarkAugmentOn(b, torch.CUDA(0), 128, true)
	})
}

// benchmarkAugmentOn augments n chapter images on dev per iteration, from
// their crops copied there, or, kept, from the images kept there (each a
// copy of its own, put there before the timing).
func benchmarkAugmentOn(b *testing.B, dev torch.Device, n int, kept bool) {
	img, train := chapterImage()
	planner, err := transforms.NewAugmentPlanner(train)
	if err != nil {
		b.Fatal(err)
	}
	plans := make([]transforms.AugmentPlan, n)
	for i := range plans {
		if kept {
			plans[i], err = planner.PlanRegion(img.Clone(), rand.New(rand.NewPCG(uint64(i), 2)))
		} else {
			plans[i], err = planner.Plan(img, rand.New(rand.NewPCG(uint64(i), 2)))
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	var packed []uint8
	augment := func() (*torch.Tensor, error) { return augmentOnDevice(plans, packed, dev) }
	if kept {
		store := newImageStore(dev, 1<<40)
		defer store.close()
		augment = func() (*torch.Tensor, error) {
			c, held, err := store.locate(plans)
			if err != nil || len(held) != len(plans) {
				b.Fatalf("the store holds %d of %d images: %v", len(held), len(plans), err)
			}
			defer c.pixels.Close()
			return augmentStored(plans, c, dev, maxGroupElements)
		}
		out, err := augment() // the first epoch: the images cross
		if err != nil {
			b.Fatal(err)
		}
		out.Close()
	} else {
		packed = packPlans(plans)
	}
	var last *torch.Tensor
	// On a GPU: the batches after which libtorch's caching allocator had
	// reserved a different amount of memory from the driver (a cudaMalloc,
	// or cached blocks freed to retry one: both slow, the second waits for
	// the GPU), and the amount at the end.
	changes, reserved := 0, int64(-1)
	for b.Loop() {
		out, err := augment()
		if err != nil {
			b.Fatal(err)
		}
		if last != nil {
			last.Close()
		}
		last = out
		if dev.Type == torch.DeviceCUDA {
			if _, r, err := torch.CUDAMemoryStats(dev.Index); err == nil {
				if reserved >= 0 && r != reserved {
					changes++
				}
				reserved = r
			}
		}
	}
	if last != nil { // a copy to the host waits for the queued work
		first := last.Narrow(0, 0, 1)
		host, err := first.To(torch.CPU)
		if err != nil {
			b.Fatal(err)
		}
		host.Close()
		first.Close()
		last.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
	b.StopTimer()
	if !kept {
		upload, tables := hostShares(b, plans, packed, dev)
		b.ReportMetric(upload, "upload-ms")
		b.ReportMetric(tables, "tables-ms")
	}
	if reserved >= 0 {
		b.ReportMetric(float64(changes), "reserve-changes")
		b.ReportMetric(float64(reserved)/(1<<20), "reserved-MiB")
	}
}

// hostShares times two parts of the host's work for a batch, apart (the
// mean of 5 calls each, in ms): the crops' copy to dev (queued, not waited
// for) and building the index and weight tables.
func hostShares(b *testing.B, plans []transforms.AugmentPlan, packed []uint8, dev torch.Device) (upload, tables float64) {
	const reps = 5
	start := time.Now()
	for range reps {
		t, err := torch.FromSliceOn(packed, dev, int64(len(packed)))
		if err != nil {
			b.Fatal(err)
		}
		t.Close()
	}
	upload = time.Since(start).Seconds() * 1e3 / reps
	start = time.Now()
	for range reps {
		first, stride, _ := packedLayout(plans)
		gatherTables(plans, first, stride)
	}
	return upload, time.Since(start).Seconds() * 1e3 / reps
}

// BenchmarkAugmentInGo is the same augmentation by the Go pipeline, on one
// goroutine (the loader's workers run one each), with the same draws.
func BenchmarkAugmentInGo(b *testing.B) {
	img, train := chapterImage()
	head, _, _ := train.SplitTensorTail()
	for i := 0; b.Loop(); i++ {
		if _, err := head.Apply(transforms.Data{Image: img}, rand.New(rand.NewPCG(uint64(i%32), 2))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
