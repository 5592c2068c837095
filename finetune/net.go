package finetune

import (
	"errors"
	"fmt"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// NetConfig describes the classifier head and where the network runs.
type NetConfig struct {
	Classes   int          // outputs of the head (the dataset's classes)
	Hidden    int          // width of the hidden layer (default 256, the chapter's)
	InputSize int          // side of the square input used to probe the backbone (default 224)
	Device    torch.Device // where backbone and head run
	Seed      uint64       // seeds libtorch's generator before the head is initialised
	// OptimizeBackbone freezes the backbone (torch.jit.freeze) and optimises
	// it for inference: faster, same outputs up to float rounding. On a CPU
	// under BackboneDtype autocast it is frozen only: optimize_for_inference
	// turns its convolutions into oneDNN float32 ones that autocast does not
	// reach (bf16 would run as float32, at float32's speed).
	OptimizeBackbone bool
	// Winograd swaps the optimised backbone's 3×3 stride-1 convolutions for
	// Winograd F(4×4, 3×3) ones (torch.Module.UseWinogradKernel): 4× fewer
	// multiplications, outputs within float32 rounding (ResNet-34's logits
	// within 1e-6 of the largest). CPU, float32 and OptimizeBackbone only, on
	// a machine where torch.WinogradAvailable (oneDNN's kernels: AVX-512;
	// tunetorch's: AVX2 and FMA); WinogradPays is the measured default.
	Winograd bool
	// WinogradKernel picks whose kernels run them (torch.WinogradKernel):
	// the zero value, torch.WinogradAuto, oneDNN's where it has them for the
	// CPU, else tunetorch's.
	WinogradKernel torch.WinogradKernel
	// WinogradBytes, when positive, bounds the Winograd weights (4× the
	// direct ones: 313 MB for all of ResNet-34's): the convolutions with the
	// fewest channels are swapped, up to that many bytes of them
	// (torch.Module.UseWinogradWithin). Zero swaps every one.
	WinogradBytes int64
	// ReleaseDirectWeights, when positive (at least torch.MinReleaseBatch),
	// is the batch size the backbone will run, the loaders': with Winograd,
	// each Winograd convolution makes its Winograd weights for it at
	// NewNet's probe and lets go of its direct ones
	// (torch.Module.ReleaseDirectWeights: 78 MB for all of ResNet-34's),
	// which the Winograd weights then replace in memory instead of adding
	// to the first batch's peak. A smaller batch runs on primitives of its
	// own where oneDNN reads those weights for it, else padded to it;
	// larger ones, or another image size, fail where oneDNN's Winograd
	// layout for them differs (load the net again to run them; tunetorch's
	// kernels run every batch and image size on the same weights). 0, the
	// default, keeps the direct weights.
	ReleaseDirectWeights int
	// FuseConvolutions folds the ReLU or residual sum after each of the
	// optimised backbone's convolutions into it as a oneDNN post-op
	// (torch.Module.FuseConvolutions: ResNet-34's 33 ReLUs and 16 sums, each
	// a pass over an activation on its own otherwise), Winograd or not;
	// outputs within float32 rounding. CPU, float32 and OptimizeBackbone
	// only, with a shim built with oneDNN's headers (torch.FusionAvailable);
	// FusionPays is the measured default.
	FuseConvolutions bool
	// BackboneDevices, with two or more devices, replicates the frozen
	// backbone on each and splits every batch between them, as the chapter's
	// nn.DataParallel over all GPUs does (see replicas.go); the features are
	// gathered on Device, where the head trains. Empty or one device: the
	// backbone runs on Device alone.
	BackboneDevices []torch.Device
	// BackboneDtype runs the backbone under autocast in torch.BFloat16 or
	// torch.Float16 (features are converted back to float32; the head always
	// trains in float32). The zero value, torch.Float32, means full precision.
	// NewNet runs the backbone on a probe batch both ways and refuses
	// (ErrAutocastDisagrees) where they differ by more than the low
	// precision's rounding: some libtorch builds compute wrong results in
	// bfloat16 on some CPUs.
	BackboneDtype torch.Dtype
	// ChannelsLast lays the backbone's convolution weights and every input
	// batch out NHWC (torch.channels_last), the layout cuDNN's tensor-core
	// convolutions read. Same outputs up to float rounding.
	// ChannelsLastPays(Device) is the measured default.
	ChannelsLast bool
	// DeviceImageBytes, when positive, keeps up to that many bytes of
	// decoded images on each device the backbone runs on, for batches of
	// augmentation plans whose crops are regions of cached images
	// (dataset.LoaderConfig.RegionPlans): each image crosses once, and later
	// epochs send only each crop's taps and draws. Once it is spent, the
	// crops of the images it does not hold are copied from the host as
	// without it. Same images to the bit.
	DeviceImageBytes int64
	// Streams, on a CPU, runs the backbone on that many batches at once,
	// each on an OS thread of its own with its share of libtorch's intra-op
	// threads (torch.ProcessNumThreads() ÷ Streams, at least 1), each stream
	// taking the next batch when it is free: Train's batches (without
	// CacheTrainFeatures), ExtractFeatures' and StreamFeatures'. Threads
	// that split every operation wait for each other at its end, so a core
	// taken by other work (the loader) stalls them all; streams that do not
	// share operations lose only the time taken. The same features as one
	// stream (bit for bit in the tests); more memory (a batch's activations
	// per stream). Measured on a 2-core Xeon (README, design note 17): int8
	// and bf16 backbones train faster on two, float32 ones do not. 0 or 1:
	// one stream on all the threads. Not with BackboneDevices or on a GPU.
	Streams int
}

// ChannelsLastPays reports whether NetConfig.ChannelsLast speeds up a
// backbone on dev running in dtype, as measured for the ResNet-34: on a GPU,
// yes (H200, PyTorch 2.11: 1.37x the NCHW forward in float32, 1.92x under
// bf16 autocast); on a CPU under bfloat16 autocast, yes (oneDNN's bf16
// convolutions read NHWC: Intel Xeon with AMX, 2 threads, libtorch 1.13:
// 1.72x); on a CPU in float32, no (2-core AVX2: within the noise; the
// optimised backbone, the default, lays its activations out itself).
func ChannelsLastPays(dev torch.Device, dtype torch.Dtype) bool {
	return dev.IsCUDA() || dtype == torch.BFloat16
}

// DefaultWinogradBytes is the bound on the Winograd weights
// (NetConfig.WinogradBytes) that examples/dogbreed uses where the direct
// weights stay (NetConfig.ReleaseDirectWeights 0; its default until stop
// 42, when it lets them go and swaps every convolution): ResNet-34's first
// three stages and two of the five convolutions
// of its fourth (124 + 75 MB; all four stages take 313), 26 of its 29 3×3
// stride-1 convolutions. Each convolution of the fourth stage does about a
// sixth of a stage's work for 38 MB of Winograd weights. Measured on a
// 2-core Intel Xeon without AMX, libtorch 1.13: backbone-only 73.2-75.1
// img/s against 68.5-70.6 within 128 MiB (the first three stages, the
// default until stop 34; three alternating rounds), 75.9-79.1 with every
// convolution swapped; one-epoch training runs' peak RSS 721-724 MiB against
// 641-653 within 128 MiB and the chapter's PyTorch code's 779 (with the
// probe's weight copies gone and glibc's mmap threshold fixed: 726 within
// 128 MiB in stop 34's bench; torch.SetCPUCaching); three of the fourth
// stage's peaked at 760 MiB, within 3% of the chapter's, all five at 832,
// above it.
const DefaultWinogradBytes = 192 << 20

// WinogradPays reports whether NetConfig.Winograd applies to cfg and speeds
// its backbone up, as measured for the ResNet-34: an optimised float32
// backbone on CPUs where oneDNN has Winograd kernels (Intel Xeon with
// AVX-512, 2 threads, libtorch 1.13: 1.59× the optimised forward, 2.2× the
// chapter's eager one) or tunetorch's run (AVX2 and FMA: see
// torch.WinogradTunetorch and the README's design note 22).
func WinogradPays(cfg NetConfig) bool { return checkWinograd(cfg) == nil }

// checkWinograd says why NetConfig.Winograd cannot apply to cfg, or nil.
func checkWinograd(cfg NetConfig) error {
	if err := checkOptimisedFloat32CPU(cfg, "Winograd convolutions"); err != nil {
		return err
	}
	return torch.WinogradKernelAvailable(cfg.WinogradKernel)
}

// checkOptimisedFloat32CPU says why cfg's backbone is not one oneDNN's
// convolutions (what) can replace: optimised, float32 and on the CPU.
func checkOptimisedFloat32CPU(cfg NetConfig, what string) error {
	if !cfg.OptimizeBackbone {
		return fmt.Errorf("finetune: %s replace the optimised backbone's: they need OptimizeBackbone", what)
	}
	if cfg.BackboneDtype != torch.Float32 {
		return fmt.Errorf("finetune: %s are float32 ones; the backbone would run under %s autocast", what, cfg.BackboneDtype)
	}
	for _, d := range append([]torch.Device{cfg.Device}, cfg.BackboneDevices...) {
		if d.IsCUDA() {
			return fmt.Errorf("finetune: %s are oneDNN's, for the CPU; the backbone would run on %s", what, d)
		}
	}
	return nil
}

// FusionPays reports whether NetConfig.FuseConvolutions applies to cfg: an
// optimised float32 backbone on the CPU, with a shim that has oneDNN's
// convolution. Measured on a 2-core Intel Xeon without AMX, libtorch 1.13,
// ResNet-34 at batch 32, twenty batches alternating with the unfused
// module's: with dogbreed's default Winograd convolutions 7-12% more
// images/s at the fastest batch and 3-12% at the median (five runs), with
// all of them Winograd 9% and 6%, with none 5% and 1% (one run each); in
// processes of their own, alternating, dogbreed's default backbone 3-9%
// faster (four rounds), its 3-epoch training 1-17% (three pairs), the
// optimised backbone without Winograd 3-19% (four rounds).
func FusionPays(cfg NetConfig) bool { return checkFusion(cfg) == nil }

// checkFusion says why NetConfig.FuseConvolutions cannot apply to cfg, or nil.
func checkFusion(cfg NetConfig) error {
	if err := checkOptimisedFloat32CPU(cfg, "fused convolutions"); err != nil {
		return err
	}
	return torch.FusionAvailable()
}

// checkConvolutionLevers says why the oneDNN convolutions cfg asks for
// (Winograd, FuseConvolutions) cannot apply to it, or nil.
func checkConvolutionLevers(cfg NetConfig) error {
	if cfg.Winograd {
		if err := checkWinograd(cfg); err != nil {
			return err
		}
	} else if cfg.ReleaseDirectWeights != 0 {
		return errors.New("finetune: ReleaseDirectWeights applies to Winograd convolutions: set Winograd too")
	}
	if cfg.FuseConvolutions {
		return checkFusion(cfg)
	}
	return nil
}

// ErrOptimizeBackbone is returned (wrapped, with libtorch's reason) when
// NetConfig.OptimizeBackbone is set and the backbone cannot be frozen and
// optimised; the same backbone may still work unoptimised.
var ErrOptimizeBackbone = errors.New("optimising the backbone failed")

// Net is a frozen backbone followed by a trainable head.
type Net struct {
	Backbone      *torch.Module // the frozen backbone; the first replica when there are several
	Head          *torch.Sequential
	Device        torch.Device
	FeatureDim    int // the backbone's output width, the head's input
	Classes       int
	BackboneDtype torch.Dtype // Float32, or the autocast dtype of the backbone
	ChannelsLast  bool        // the backbone runs on NHWC batches (NetConfig.ChannelsLast)
	// WinogradConvolutions is how many of each backbone replica's
	// convolutions run the Winograd algorithm (NetConfig.Winograd), or 0;
	// WinogradKernel whose kernels (NetConfig.WinogradKernel resolved: never
	// torch.WinogradAuto) where there are any.
	WinogradConvolutions int
	WinogradKernel       torch.WinogradKernel
	// FusedConvolutions is how many of each backbone replica's convolutions
	// took the ReLU or residual sum after them in (NetConfig.FuseConvolutions), or 0.
	FusedConvolutions int
	// DirectWeightsReleased is how many of each backbone replica's Winograd
	// convolutions let go of their direct weights at NewNet's probe
	// (NetConfig.ReleaseDirectWeights), or 0.
	DirectWeightsReleased int
	replicas              []replica // the backbone on each device it runs on (one, or NetConfig.BackboneDevices)
	// images keeps decoded images on each device a replica runs on
	// (NetConfig.DeviceImageBytes); nil without.
	images  map[torch.Device]*imageStore
	streams int // NetConfig.Streams, at least 1
}

// NewNet puts backbone (which the Net then owns) in eval mode on the device,
// reads its output width by running it once on a zero image, and builds the
// head Linear(width→Hidden), ReLU, Linear(Hidden→Classes) with PyTorch's
// default initialisation. A backbone whose output is not [N, k] is an error.
func NewNet(backbone *torch.Module, cfg NetConfig) (*Net, error) {
	if cfg.Classes < 2 {
		return nil, fmt.Errorf("finetune: the head needs at least 2 classes, got %d", cfg.Classes)
	}
	if cfg.Hidden == 0 {
		cfg.Hidden = 256
	}
	if cfg.InputSize == 0 {
		cfg.InputSize = 224
	}
	switch cfg.BackboneDtype {
	case torch.Float32, torch.BFloat16, torch.Float16:
	default:
		return nil, fmt.Errorf("finetune: backbone dtype %s: want float32, bfloat16 or float16", cfg.BackboneDtype)
	}
	if cfg.BackboneDtype == torch.Float16 {
		for _, d := range append([]torch.Device{cfg.Device}, cfg.BackboneDevices...) {
			if !d.IsCUDA() {
				return nil, fmt.Errorf("finetune: float16 autocast needs a GPU, and the backbone would run on %s "+
					"(libtorch's CPU autocast has bfloat16 only)", d)
			}
		}
	}
	if cfg.Streams < 0 {
		return nil, fmt.Errorf("finetune: %d backbone streams: want at least 1", cfg.Streams)
	}
	if cfg.Streams > 1 && len(cfg.BackboneDevices) > 1 {
		return nil, fmt.Errorf("finetune: %d backbone streams with the backbone replicated on %d devices: "+
			"streams share one CPU's cores", cfg.Streams, len(cfg.BackboneDevices))
	}
	if cfg.Streams > 1 && cfg.Device.IsCUDA() {
		return nil, fmt.Errorf("finetune: %d backbone streams with the backbone on %s: streams share a CPU's cores",
			cfg.Streams, cfg.Device)
	}
	if err := checkConvolutionLevers(cfg); err != nil {
		return nil, err
	}
	if err := backbone.To(cfg.Device); err != nil {
		return nil, err
	}
	backbone.Eval()
	if cfg.ChannelsLast {
		if err := backbone.ToMemoryFormat(torch.ChannelsLast); err != nil {
			return nil, fmt.Errorf("finetune: the backbone: %w", err)
		}
	}
	devices := cfg.BackboneDevices
	if len(devices) < 2 {
		devices = []torch.Device{cfg.Device}
	}
	replicas, err := makeReplicas(backbone, devices, cfg)
	if err != nil {
		return nil, err
	}
	// What the setup freed (an unfrozen module's parameters, freezing's
	// copies: tensors of a few MB each) goes back to the system instead of
	// waiting in the caching CPU allocator for requests of its sizes.
	torch.ReleaseCPUCache()
	n := &Net{Backbone: replicas[0].m, Device: cfg.Device, Classes: cfg.Classes, BackboneDtype: cfg.BackboneDtype,
		ChannelsLast: cfg.ChannelsLast, WinogradConvolutions: replicas[0].winograd, FusedConvolutions: replicas[0].fused,
		DirectWeightsReleased: replicas[0].released, replicas: replicas,
		streams: max(1, cfg.Streams)}
	if n.WinogradConvolutions > 0 {
		n.WinogradKernel = cfg.WinogradKernel.Resolved()
	}
	if cfg.DeviceImageBytes > 0 {
		n.images = map[torch.Device]*imageStore{}
		for _, r := range replicas {
			n.images[r.dev] = newImageStore(r.dev, cfg.DeviceImageBytes)
		}
	}
	width, err := probeWidth(replicas[0], cfg.InputSize)
	if err == nil && cfg.ReleaseDirectWeights != 0 {
		// The direct weights the probe let go of are the caching
		// allocator's free blocks now, too small for a batch's
		// activations: back to the system, so that the Winograd weights
		// take their place instead of adding to the first batch's peak.
		torch.ReleaseCPUCache()
	}
	if err == nil && cfg.BackboneDtype != torch.Float32 {
		err = checkAutocast(replicas[0], cfg.InputSize, cfg.BackboneDtype, cfg.ChannelsLast)
	}
	if err == nil {
		n.FeatureDim = int(width)
		err = n.buildHead(cfg.Hidden, cfg.Seed)
	}
	if err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// ResetHead replaces the head with a freshly initialised one of the same
// widths, after torch.ManualSeed(seed): what NewNet builds with that seed.
// The backbone is kept, so a second training (the chapter's retraining on
// train+valid) needs no second copy of it.
func (n *Net) ResetHead(seed uint64) error {
	hidden := n.Head.Layers[0].(*torch.Linear).Weight.Shape()[0]
	return n.buildHead(int(hidden), seed)
}

// buildHead makes the head Linear(FeatureDim→hidden), ReLU,
// Linear(hidden→Classes) on the net's device after torch.ManualSeed(seed),
// replacing (and closing) the one there was.
func (n *Net) buildHead(hidden int, seed uint64) error {
	torch.ManualSeed(seed)
	head := torch.NewSequential(
		torch.NewLinear(int64(n.FeatureDim), int64(hidden), true),
		torch.ReLU{},
		torch.NewLinear(int64(hidden), int64(n.Classes), true))
	if err := head.To(n.Device); err != nil {
		head.Close()
		return err
	}
	if n.Head != nil {
		n.Head.Close()
	}
	n.Head = head
	return nil
}

// LoadNet loads the TorchScript backbone at path and builds a Net on it.
func LoadNet(path string, cfg NetConfig) (*Net, error) {
	// Before a load that could fail for the same reason, less clearly.
	if err := checkConvolutionLevers(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := torch.Load(path, cfg.Device)
	if err != nil {
		return nil, err
	}
	n, err := NewNet(m, cfg)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

func probeWidth(r replica, inputSize int) (int64, error) {
	s := int64(inputSize)
	x, err := torch.Zeros([]int64{1, 3, s, s}, torch.Float32, r.dev)
	if err != nil {
		return 0, err
	}
	defer x.Close()
	out, err := r.m.ForwardNoGrad(x)
	if err != nil {
		return 0, fmt.Errorf("finetune: the backbone cannot run on a 1×3×%d×%d image: %w", s, s, err)
	}
	defer out.Close()
	shape := out.Shape()
	if len(shape) != 2 || shape[0] != 1 || shape[1] < 1 {
		return 0, fmt.Errorf("finetune: the backbone's output has shape %v, want [N, k] (class scores or pooled features)", shape)
	}
	if out.Dtype() != torch.Float32 {
		return 0, fmt.Errorf("finetune: the backbone's output is %s, want float32", out.Dtype())
	}
	return shape[1], nil
}

// Close releases the backbone (and its replicas), the head and the images
// kept on the devices.
func (n *Net) Close() {
	for _, r := range n.replicas {
		r.m.Close()
	}
	for _, s := range n.images {
		s.close()
	}
	if n.Head != nil {
		n.Head.Close()
	}
}

// DeviceImages returns how many decoded images, and bytes of them, the
// net keeps on its devices (NetConfig.DeviceImageBytes), all devices
// together, and why a device stopped taking images before its budget was
// spent, if one did (its memory ran out, say: the crops of the images it
// does not hold are then copied from the host, and training goes on).
func (n *Net) DeviceImages() (images int, bytes int64, stopped error) {
	for _, s := range n.images {
		i, b, err := s.stats()
		images, bytes = images+i, bytes+b
		if stopped == nil && err != nil {
			stopped = fmt.Errorf("%s: %w", s.dev, err)
		}
	}
	return images, bytes, stopped
}

// Features runs the frozen backbone on a batch (no autograd graph), split
// between the replicas when there are several, and returns the features on
// the net's device. A batch of bytes (dataset.LoaderConfig.PixelBatches) is
// copied as bytes and converted on each replica's device, as ToTensor and
// Normalize would have; a batch of augmentation plans
// (dataset.LoaderConfig.AugmentOnDevice) has its crops copied and the plans
// carried out there too, to the bit as the Go pipeline would have.
func (n *Net) Features(b *dataset.Batch) (*torch.Tensor, error) {
	if len(n.replicas) > 1 {
		return n.replicatedFeatures(b)
	}
	f, err := n.shareFeatures(n.replicas[0], b, 0, b.N)
	if err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	return f, nil
}

// batchLabels copies a batch's labels into an int64 tensor on dev.
func batchLabels(b *dataset.Batch, dev torch.Device) (*torch.Tensor, error) {
	return torch.FromSliceOn(b.Labels, dev, int64(b.N))
}
