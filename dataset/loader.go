package dataset

import (
	"context"
	"errors"
	"fmt"
	"image"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/tunetorch/tunetorch/transforms"
)

// LoaderConfig configures a Loader. Zero values take the defaults noted.
type LoaderConfig struct {
	BatchSize int  // samples per batch (default 32)
	Shuffle   bool // a new order each epoch, drawn from (Seed, epoch)
	DropLast  bool // drop a final batch smaller than BatchSize
	Workers   int  // goroutines decoding and transforming (default GOMAXPROCS)
	Prefetch  int  // batches prepared ahead of the consumer (default 2)
	Seed      uint64
	// Transform turns each decoded image into a tensor (it must end with
	// ToTensor); its random draws come from a generator seeded by (Seed,
	// epoch, sample index). A *transforms.Compose decodes the file itself
	// (Compose.DecodeApply): a leading RandomResizedCrop, or Resize then
	// CenterCrop, decodes only the part of a JPEG it keeps, with the same result.
	Transform transforms.Transform
	// Decode options (the pixel limit of the decompression-bomb guard).
	Decode transforms.DecodeOptions
	// Cache, when set, keeps the decoded images (up to its budget) for the
	// epochs that follow, which then only transform them: same batches,
	// less work (see ImageCache).
	Cache *ImageCache
	// SkipBadImages leaves out samples whose file cannot be read or decoded
	// (the batch is then smaller) instead of ending the epoch with an error;
	// OnSkip, when set, is told each one (from the worker goroutines).
	SkipBadImages bool
	OnSkip        func(path string, err error)
	// Rank and WorldSize shard every epoch's order for distributed training,
	// as torch.utils.data.DistributedSampler: all ranks draw the same
	// permutation (same Seed) and rank r takes positions r, r+WorldSize, ...
	// WorldSize 0 or 1 means no sharding.
	Rank, WorldSize int
	// EvenShards pads the order (repeating its start) to a multiple of
	// WorldSize so that every rank gets as many samples, and so as many
	// batches: training needs it, since every step is a collective.
	EvenShards bool
	// PixelBatches leaves the transform's final ToTensor (and Normalize) to
	// the batch's consumer: batches carry the images as bytes, NHWC, in
	// Batch.Pixels (a quarter of the float32 batch's size), with the
	// Normalize's mean and std, and finetune.Net converts them on the
	// model's device, as ToTensor and Normalize would. The Transform must
	// be a *transforms.Compose ending with ToTensor[, Normalize].
	PixelBatches bool
	// AugmentOnDevice leaves the augmentation itself to the consumer as
	// well: for a Transform of the form RandomResizedCrop [,
	// RandomHorizontalFlip] [, ColorJitter without hue], ToTensor [,
	// Normalize] (the chapter's training pipeline), the workers only decode
	// (or take from the Cache) and crop each image and draw its parameters,
	// and batches carry the crops and the draws in Batch.Plans;
	// finetune.Net carries them out on the model's device, to the bit as the
	// transform would (transforms.AugmentPlanner). It supersedes
	// PixelBatches.
	AugmentOnDevice bool
	// RegionPlans, with AugmentOnDevice and a Cache, leaves the plans of
	// cached images unpacked: their crop stays a region of the cached image
	// (AugmentPlan.Source and Region, Crop nil) for a consumer that keeps
	// the images on its device (finetune.NetConfig.DeviceImageBytes), so
	// that only the first epoch copies pixels; Crops holds the others'.
	RegionPlans bool
}

// Batch is a batch of transformed images.
type Batch struct {
	// Images holds N tensors of shape C×H×W, concatenated (NCHW, float32).
	Images []float32
	// Pixels holds the N images as bytes instead (N×H×W×C, NHWC) with
	// LoaderConfig.PixelBatches; ToTensor (division by 255) then, if Mean
	// is set, Normalize with Mean and Std (one per channel) turn them into
	// what Images would hold.
	Pixels    []uint8
	Mean, Std []float32
	// Plans holds, with LoaderConfig.AugmentOnDevice, what remains to do to
	// each image (N plans, all of the same output size H×W), and Crops their
	// crops' pixels packed in order: each plan's Crop.Pix is its window of
	// Crops, for one copy to the device (with RegionPlans, a plan of a
	// cached image has its Source instead, and no window). Mean and Std are
	// set as with Pixels.
	Plans   []transforms.AugmentPlan
	Crops   []uint8
	N, C    int
	H, W    int
	Labels  []int64  // the samples' labels (-1 for unlabelled ones)
	IDs     []string // the samples' ids, e.g. for a submission
	Indices []int    // the samples' indices in the dataset
}

// Loader reads a dataset in batches, decoding and transforming images on
// several goroutines. Its output depends only on (Seed, epoch, index).
type Loader struct {
	ds  *Dataset
	cfg LoaderConfig
	// ownsTensors: the transform makes a new tensor per sample (a Compose
	// ending with ToTensor), which fill gives back once copied.
	ownsTensors bool
	// steps is what each sample goes through: the Transform, or with
	// PixelBatches its image steps; compose is steps when it is a Compose
	// (which decodes the file itself), else nil.
	steps   transforms.Transform
	compose *transforms.Compose
	// With PixelBatches or AugmentOnDevice: the Normalize's mean and std in
	// float32 (nil for none), shared by every batch.
	mean, std []float32
	// planner plans each sample's augmentation (AugmentOnDevice), else nil.
	planner *transforms.AugmentPlanner
	// buffers holds the image buffers of recycled batches (Recycle):
	// sharedBuffers, or a test's own.
	buffers *batchBuffers
}

// NewLoader checks the configuration and returns a loader over ds.
func NewLoader(ds *Dataset, cfg LoaderConfig) (*Loader, error) {
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 32
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = 2
	}
	switch {
	case cfg.BatchSize < 0:
		return nil, fmt.Errorf("dataset: batch size %d must be positive", cfg.BatchSize)
	case cfg.Workers < 0 || cfg.Prefetch < 0:
		return nil, fmt.Errorf("dataset: workers (%d) and prefetch (%d) must be positive", cfg.Workers, cfg.Prefetch)
	case cfg.WorldSize > 1 && (cfg.Rank < 0 || cfg.Rank >= cfg.WorldSize):
		return nil, fmt.Errorf("dataset: rank %d is not in a world of %d", cfg.Rank, cfg.WorldSize)
	case cfg.Transform == nil:
		return nil, errors.New("dataset: the loader needs a Transform ending with ToTensor")
	case ds == nil || len(ds.Samples) == 0:
		return nil, errors.New("dataset: the loader's dataset is empty")
	}
	if _, out := cfg.Transform.Kinds(); out != transforms.KindTensor {
		return nil, fmt.Errorf("dataset: the transform %s ends with an image: add ToTensor", cfg.Transform)
	}
	c, isCompose := cfg.Transform.(*transforms.Compose)
	l := &Loader{ds: ds, cfg: cfg, ownsTensors: isCompose && c.EndsWithNewTensor(), steps: cfg.Transform, compose: c,
		buffers: sharedBuffers}
	var norm *transforms.Normalize
	switch {
	case cfg.AugmentOnDevice:
		if !isCompose {
			return nil, fmt.Errorf("dataset: AugmentOnDevice needs a Compose, not %s", cfg.Transform)
		}
		var err error
		if l.planner, err = transforms.NewAugmentPlanner(c); err != nil {
			return nil, fmt.Errorf("dataset: AugmentOnDevice: %w", err)
		}
		norm = l.planner.Normalize()
	case cfg.PixelBatches:
		ok := false
		if isCompose {
			l.compose, norm, ok = c.SplitTensorTail()
			l.steps = l.compose
		}
		if !ok {
			return nil, fmt.Errorf("dataset: PixelBatches needs a Compose ending with ToTensor[, Normalize with no zero std], not %s", cfg.Transform)
		}
	}
	if norm != nil {
		l.mean, l.std = make([]float32, 3), make([]float32, 3)
		for i := range 3 {
			l.mean[i], l.std[i] = float32(norm.Mean[i]), float32(norm.Std[i])
		}
	}
	return l, nil
}

// Dataset returns the dataset the loader reads.
func (l *Loader) Dataset() *Dataset { return l.ds }

// Config returns the configuration in use, defaults filled in.
func (l *Loader) Config() LoaderConfig { return l.cfg }

// shardLen is the number of samples of this rank's share of an epoch.
func (l *Loader) shardLen() int {
	n, w := len(l.ds.Samples), l.cfg.WorldSize
	if w <= 1 {
		return n
	}
	if l.cfg.EvenShards {
		return (n + w - 1) / w
	}
	return (n - l.cfg.Rank + w - 1) / w
}

// NumBatches returns the number of batches in an epoch (of this rank's share).
func (l *Loader) NumBatches() int {
	n, b := l.shardLen(), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// NumSamples returns the number of samples an epoch yields (on this rank).
func (l *Loader) NumSamples() int {
	if l.cfg.DropLast {
		return l.NumBatches() * l.cfg.BatchSize
	}
	return l.shardLen()
}

// Order returns the sample indices of an epoch in the order they are
// batched: this rank's share when sharded.
func (l *Loader) Order(epoch int) []int {
	n := len(l.ds.Samples)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if l.cfg.Shuffle {
		rng := rand.New(rand.NewPCG(l.cfg.Seed, 0x5eed0000+uint64(epoch)))
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	w := l.cfg.WorldSize
	if w <= 1 {
		return order
	}
	if l.cfg.EvenShards {
		for pad := 0; len(order)%w != 0; pad++ {
			order = append(order, order[pad%n])
		}
	}
	shard := make([]int, 0, l.shardLen())
	for i := l.cfg.Rank; i < len(order); i += w {
		shard = append(shard, order[i])
	}
	return shard
}

// SampleRNG returns the generator a sample's transform draws from in an epoch.
func SampleRNG(seed uint64, epoch, index int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^uint64(epoch)*0x9e3779b97f4a7c15, uint64(index)))
}

// batchJob is one batch being assembled by the workers.
type batchJob struct {
	b       *Batch
	pending sync.WaitGroup
	mu      sync.Mutex
	err     error
	skipped []bool // positions left out (SkipBadImages)
	done    chan struct{}
}

// reserve records err as job's error, or checks that sample d (from path)
// has the batch's shape, allocating the batch for the first sample; it
// reports whether the sample is to be copied in.
func (l *Loader) reserve(j *batchJob, d transforms.Data, path string, err error) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return false
	}
	if err != nil {
		j.err = err
		return false
	}
	b := j.b
	if l.planner != nil {
		if b.Labels == nil {
			b.Plans, b.Mean, b.Std = make([]transforms.AugmentPlan, b.N), l.mean, l.std
			b.C, b.H, b.W = 3, l.planner.OutSize().H, l.planner.OutSize().W
			b.Labels, b.IDs = make([]int64, b.N), make([]string, b.N)
		}
		return true
	}
	c, h, w := shape(d)
	if b.Labels == nil {
		b.C, b.H, b.W = c, h, w
		if d.Image != nil {
			b.Pixels, b.Mean, b.Std = l.buffers.takeBytes(b.N*c*h*w), l.mean, l.std
		} else {
			b.Images = l.buffers.takeFloats(b.N * c * h * w)
		}
		b.Labels = make([]int64, b.N)
		b.IDs = make([]string, b.N)
	} else if c != b.C || h != b.H || w != b.W {
		j.err = fmt.Errorf("%s: the transform gave %d×%d×%d, other images in the batch %d×%d×%d: end the pipeline with a fixed-size crop",
			path, c, h, w, b.C, b.H, b.W)
		return false
	}
	return true
}

// packCrops copies the crops of the batch's plans (their own pixels, or
// regions of cached images unless the loader keeps those as regions) into
// one buffer, Batch.Crops, in order, and points each plan's Crop at its
// window of it. Skipped samples have no plan, nor do those a cancelled
// epoch left out.
func (j *batchJob) packCrops(keepRegions bool, buffers *batchBuffers) {
	b := j.b
	packs := func(p *transforms.AugmentPlan) bool { return p.Crop != nil || p.Source != nil && !keepRegions }
	total := 0
	for i := range b.Plans {
		if packs(&b.Plans[i]) {
			w, h := b.Plans[i].CropSize()
			total += w * h * 3
		}
	}
	b.Crops = buffers.takeBytes(total)[:0]
	for i := range b.Plans {
		p := &b.Plans[i]
		if !packs(p) {
			continue
		}
		start := len(b.Crops)
		b.Crops = p.AppendCrop(b.Crops)
		w, h := p.CropSize()
		p.Crop = &transforms.Image{W: w, H: h, Pix: b.Crops[start:len(b.Crops):len(b.Crops)]}
		p.Source, p.Region = nil, image.Rectangle{}
	}
}

// compact removes the skipped positions from the batch.
func (j *batchJob) compact() {
	b := j.b
	if b.Labels == nil { // every sample was skipped
		b.N, b.Indices = 0, nil
		return
	}
	size := b.C * b.H * b.W
	b.Pixels = keepSamples(b.Pixels, j.skipped, size)
	b.Plans = keepSamples(b.Plans, j.skipped, 1)
	b.Images = keepSamples(b.Images, j.skipped, size)
	b.Labels = keepSamples(b.Labels, j.skipped, 1)
	b.IDs = keepSamples(b.IDs, j.skipped, 1)
	b.Indices = keepSamples(slices.Clone(b.Indices), j.skipped, 1) // its own: Indices is a window of the epoch's order
	b.N = len(b.Labels)
}

// keepSamples moves the samples of s (size values each) not skipped to its
// front, in order, and returns them; nil stays nil.
func keepSamples[T any](s []T, skipped []bool, size int) []T {
	if s == nil {
		return nil
	}
	keep := 0
	for pos, skip := range skipped {
		if !skip {
			copy(s[keep*size:(keep+1)*size], s[pos*size:(pos+1)*size])
			keep++
		}
	}
	return s[:keep*size]
}

type sampleJob struct {
	job *batchJob
	pos int
}

// Recycle gives the image buffers of b, a batch of this loader its caller
// is done with, back for later batches, which then need not allocate (and
// zero) their own: this loader's, or another's (the loaders of a process
// share one pool, which lets the buffers go 5 s after the last pass over
// any loader's batches ended); it clears b's Images, Pixels, Crops
// and Plans (whose crops are windows of Crops). b's labels, ids and
// indices stay valid. Nothing may use the buffers after the call, through
// a copy of b or a slice of them: a later batch overwrites them.
func (l *Loader) Recycle(b *Batch) {
	if b == nil {
		return
	}
	l.buffers.give(b)
	b.Images, b.Pixels, b.Crops, b.Plans = nil, nil, nil, nil
}

// Batches yields the batches of one epoch, in order. The first error (a
// file that cannot be decoded or transformed, named in the error, or the
// context's error) ends the sequence. Breaking out of the loop stops the
// workers.
func (l *Loader) Batches(ctx context.Context, epoch int) iter.Seq2[*Batch, error] {
	return l.BatchesFrom(ctx, epoch, 0)
}

// BatchesFrom is Batches starting at batch first (0-based): the same batches
// an uninterrupted epoch yields from there, e.g. to resume mid-epoch. A first
// outside [0, NumBatches()] is an error (NumBatches() yields nothing).
func (l *Loader) BatchesFrom(ctx context.Context, epoch, first int) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		if nb := l.NumBatches(); first < 0 || first > nb {
			yield(nil, fmt.Errorf("dataset: batch %d is outside an epoch of %d batches", first, nb))
			return
		}
		keep := l.cfg.Prefetch + 2 // the batches alive at once (the consumer's and the queue's) and a spare
		l.buffers.begin(keep)
		defer l.buffers.end(keep)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		order := l.Order(epoch)
		nb, bs := l.NumBatches(), l.cfg.BatchSize

		samples := make(chan sampleJob, bs*2)
		queue := make(chan *batchJob, l.cfg.Prefetch)
		var wg sync.WaitGroup
		for range l.cfg.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for sj := range samples {
					l.fill(ctx, sj, epoch)
				}
			}()
		}
		wg.Add(1)
		go func() { // dispatcher: batches in order, at most Prefetch ahead
			defer wg.Done()
			defer close(samples)
			defer close(queue)
			for k := first; k < nb; k++ {
				idx := order[k*bs : min((k+1)*bs, len(order))]
				job := &batchJob{b: &Batch{N: len(idx), Indices: idx}, skipped: make([]bool, len(idx)), done: make(chan struct{})}
				job.pending.Add(len(idx))
				go func() {
					job.pending.Wait()
					if job.b.Plans != nil && job.err == nil {
						job.packCrops(l.cfg.RegionPlans, l.buffers)
					}
					close(job.done)
				}()
				select {
				case queue <- job:
				case <-ctx.Done():
					job.pending.Add(-len(idx))
					return
				}
				for pos := range idx {
					select {
					case samples <- sampleJob{job: job, pos: pos}:
					case <-ctx.Done():
						job.pending.Add(-(len(idx) - pos))
						return
					}
				}
			}
		}()
		defer wg.Wait()
		defer cancel()

		for k := first; k < nb; k++ {
			var job *batchJob
			select {
			case job = <-queue:
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
			if job == nil { // the dispatcher stopped: cancelled
				yield(nil, ctx.Err())
				return
			}
			select {
			case <-job.done:
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
			if job.err != nil {
				yield(nil, job.err)
				return
			}
			if slices.Contains(job.skipped, true) {
				job.compact()
				if job.b.N == 0 {
					continue
				}
			}
			if !yield(job.b, nil) {
				return
			}
		}
	}
}

// fill decodes and transforms one sample into its batch.
func (l *Loader) fill(ctx context.Context, sj sampleJob, epoch int) {
	job := sj.job
	defer job.pending.Done()
	if ctx.Err() != nil {
		return
	}
	idx := job.b.Indices[sj.pos]
	smp := l.ds.Samples[idx]
	var d transforms.Data
	var plan transforms.AugmentPlan
	var err error
	if l.planner != nil {
		plan, err = l.loadPlan(smp, epoch, idx)
	} else {
		d, err = l.load(smp, epoch, idx, l.slotOf(job, sj.pos, smp.Path))
	}
	var bad *badImageError
	if err != nil && l.cfg.SkipBadImages && errors.As(err, &bad) {
		if l.cfg.OnSkip != nil {
			l.cfg.OnSkip(smp.Path, bad.err)
		}
		job.mu.Lock()
		job.skipped[sj.pos] = true
		job.mu.Unlock()
		return
	}
	if !l.reserve(job, d, smp.Path, err) {
		return
	}
	// The sample's own slots of the batch, outside the lock: the workers
	// copy in parallel, and the consumer reads the batch after job.done,
	// which follows every fill.
	b := job.b
	size := b.C * b.H * b.W
	switch {
	case l.planner != nil:
		b.Plans[sj.pos] = plan
	case d.Image != nil:
		copy(b.Pixels[sj.pos*size:(sj.pos+1)*size], d.Image.Pix)
	default:
		slot := b.Images[sj.pos*size : (sj.pos+1)*size]
		if size > 0 && len(d.Tensor.Data) > 0 && &d.Tensor.Data[0] == &slot[0] {
			break // written in place (slotOf)
		}
		copy(slot, d.Tensor.Data)
		if l.ownsTensors {
			d.Tensor.Release() // copied: its storage serves a later sample
		}
	}
	b.Labels[sj.pos] = int64(smp.Label)
	b.IDs[sj.pos] = smp.ID
}

// badImageError marks a file that cannot be read or decoded.
type badImageError struct{ err error }

// Error returns the decoding or reading error's message.
func (e *badImageError) Error() string { return e.err.Error() }

// Unwrap returns the decoding or reading error.
func (e *badImageError) Unwrap() error { return e.err }

// slotOf gives a pipeline the slot of sample pos (from path) in job's
// batch to write its output tensor into, reserving the batch for that
// shape; nil when the batch has failed or has another shape (reserve then
// reports it once the sample is done).
func (l *Loader) slotOf(job *batchJob, pos int, path string) transforms.TensorDest {
	return func(c, h, w int) []float32 {
		if !l.reserve(job, transforms.Data{Tensor: &transforms.Tensor{C: c, H: h, W: w}}, path, nil) {
			return nil // the batch failed, or has another shape
		}
		size := c * h * w // reserve made the batch's float images this shape
		return job.b.Images[pos*size : (pos+1)*size : (pos+1)*size]
	}
}

// load decodes and transforms one sample with its own generator: a tensor,
// or with PixelBatches the image before its conversion. A fused ToTensor
// writes into dest's storage (see slotOf).
func (l *Loader) load(smp Sample, epoch, idx int, dest transforms.TensorDest) (transforms.Data, error) {
	d, err := l.transform(smp.Path, SampleRNG(l.cfg.Seed, epoch, idx), dest)
	if err != nil {
		return transforms.Data{}, sampleError(smp.Path, err)
	}
	switch {
	case l.cfg.PixelBatches && d.Image == nil:
		return transforms.Data{}, fmt.Errorf("%s: the transform's image steps did not produce an image", smp.Path)
	case !l.cfg.PixelBatches && d.Tensor == nil:
		return transforms.Data{}, fmt.Errorf("%s: the transform did not produce a tensor", smp.Path)
	}
	return d, nil
}

// loadPlan decodes one sample (or takes it from the cache) and plans its
// augmentation (AugmentOnDevice), with its own generator.
func (l *Loader) loadPlan(smp Sample, epoch, idx int) (transforms.AugmentPlan, error) {
	rng := SampleRNG(l.cfg.Seed, epoch, idx)
	img, cached, data, err := l.source(smp.Path)
	defer releaseFile(data)
	var plan transforms.AugmentPlan
	switch {
	case err != nil:
	case cached: // the plan keeps its crop as a region of the cache's image; packCrops copies it once, if at all
		plan, err = l.planner.PlanRegion(img, rng)
	case img != nil:
		plan, err = l.planner.Plan(img, rng)
	default:
		plan, err = l.planner.DecodePlan(data, l.cfg.Decode, rng)
	}
	if err != nil {
		return transforms.AugmentPlan{}, sampleError(smp.Path, err)
	}
	return plan, nil
}

// sampleError names the file at path in err; a file that cannot be read or
// decoded gives a *badImageError.
func sampleError(path string, err error) error {
	var bad *badImageError
	if errors.As(err, &bad) {
		return err
	}
	if de := (*transforms.DecodeError)(nil); errors.As(err, &de) {
		return &badImageError{fmt.Errorf("%s: %w", path, de.Err)}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// transform runs the image of the file at path through the loader's
// transform: the cache's image when it holds one. Otherwise a Compose decodes
// the file itself, so that a leading RandomResizedCrop decodes only its crop,
// unless the whole image is to be cached. A file that cannot be found or read
// is a *badImageError, one that cannot be decoded a *transforms.DecodeError.
func (l *Loader) transform(path string, rng *rand.Rand, dest transforms.TensorDest) (transforms.Data, error) {
	img, _, data, err := l.source(path)
	defer releaseFile(data)
	switch {
	case err != nil:
		return transforms.Data{}, err
	case img != nil:
		return l.steps.Apply(transforms.Data{Image: img}, rng)
	case l.compose != nil:
		return l.compose.DecodeApplyTo(data, l.cfg.Decode, rng, dest)
	}
	if img, err = transforms.Decode(data, l.cfg.Decode); err != nil {
		return transforms.Data{}, &transforms.DecodeError{Err: err}
	}
	return l.steps.Apply(transforms.Data{Image: img}, rng)
}

// source returns the decoded image of the file at path when the cache holds
// it, or has room for it (it is then decoded whole and added, if it fits),
// with whether it is the cache's; otherwise the file's bytes, for the
// caller to decode as it likes (only a crop, say), then give back
// (releaseFile). A file that cannot be found or read is a *badImageError,
// one that cannot be decoded a *transforms.DecodeError.
func (l *Loader) source(path string) (img *transforms.Image, cached bool, data []byte, err error) {
	var key cacheKey
	room := false
	if l.cfg.Cache != nil {
		if key, err = l.cfg.Cache.key(path); err != nil {
			return nil, false, nil, &badImageError{err}
		}
		if img, room = l.cfg.Cache.lookup(key); img != nil {
			return img, true, nil, nil
		}
	}
	if data, err = readFile(path); err != nil {
		return nil, false, nil, &badImageError{err}
	}
	if !room {
		return nil, false, data, nil
	}
	img, err = transforms.Decode(data, l.cfg.Decode)
	releaseFile(data)
	if err != nil {
		return nil, false, nil, &transforms.DecodeError{Err: err}
	}
	img, cached = l.cfg.Cache.add(key, img)
	return img, cached, nil, nil
}

// shape returns the channels, height and width of a sample's tensor, or of
// its image (3 channels).
func shape(d transforms.Data) (c, h, w int) {
	if d.Image != nil {
		return 3, d.Image.H, d.Image.W
	}
	return d.Tensor.C, d.Tensor.H, d.Tensor.W
}
