package finetune

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/procstat"
	"github.com/tunetorch/tunetorch/torch"
)

// TrainConfig holds the chapter's training hyper-parameters and the run's
// outputs. The chapter uses Epochs 10, LR 1e-4, WeightDecay 1e-4, Momentum
// 0.9, LRPeriod 2, LRDecay 0.9.
type TrainConfig struct {
	Epochs      int
	LR          float64
	WeightDecay float64
	Momentum    float64
	LRPeriod    int
	LRDecay     float64

	// Log receives progress and one line per epoch; nil means silent. A
	// terminal gets a progress bar, anything else plain lines.
	Log io.Writer
	// Checkpoint, when set, is written after every epoch and when the
	// context is cancelled; Resume starts from it if it exists. A checkpoint
	// past Epochs, at a batch past this loader's epoch, or corrupt is an
	// error naming it, returned before anything is restored.
	Checkpoint string
	Resume     bool
	// CacheValidFeatures runs the backbone over the validation set once and
	// reuses the features every epoch. Only valid for a deterministic
	// validation transform (the chapter's Resize+CenterCrop).
	CacheValidFeatures bool
	// CacheTrainFeatures does the same for the training set: the backbone
	// runs once and every epoch trains the head on the cached features, in
	// the loader's batches (same order, same sizes). Only valid without
	// augmentation (a deterministic training transform): linear probing.
	CacheTrainFeatures bool
	// PrefetchInputs makes each training batch's backbone input (its
	// images copied to the net's device; byte batches converted and
	// augmentation plans carried out there) on a thread of its own, one
	// batch ahead of the training step, so that the host's share of that
	// work overlaps the device's. Worth it with the model on a GPU, where
	// the training thread waits for the GPU at the end of every step and
	// the GPU would otherwise wait for the host's next input; on a CPU it
	// measured no faster, and the thread's malloc arena costs resident
	// memory. The same values either way.
	// No effect with a backbone replicated over several devices, with
	// backbone streams (NetConfig.Streams, which make the features ahead)
	// or with CacheTrainFeatures.
	PrefetchInputs bool
	// PrefetchThreads is how many threads make the inputs ahead, each
	// taking the next batch when it is free (default 1): more where one
	// thread's share (copying the batch into page-locked memory, queuing
	// the device's work) is slower than the device's step.
	PrefetchThreads int
	// Devices names the devices in the examples/sec line (default: the net's).
	Devices string
	// OnStep, when set, is called after every training step with the 0-based
	// epoch and batch and the batch's summed loss.
	OnStep func(epoch, batch int, loss float64)
	// Group, when set, trains data-parallel over its ranks: the loaders must
	// be sharded for this rank (dataset.LoaderConfig Rank/WorldSize; the
	// training loader with EvenShards). The head starts from rank 0's
	// values, gradients are summed over the ranks before each step (the
	// chapter's loss is a sum, so a step equals one on the ranks' batches
	// together), losses and metrics are reduced over the ranks, and only
	// rank 0 logs and writes checkpoints.
	Group *torch.ProcessGroup
}

// EpochStats are one epoch's measures. Valid* are NaN without validation.
type EpochStats struct {
	Epoch          int // 1-based
	TrainLoss      float64
	ValidLoss      float64
	ValidTop1      float64
	ValidTop5      float64
	LR             float64
	Examples       int
	Seconds        float64 // the training pass, data loading included
	ExamplesPerSec float64
	// DataWaitSeconds is the part of Seconds the training loop spent
	// waiting for its next batch: near 0 when the loader keeps up with the
	// model, a large share when the loader is the limit. With backbone
	// streams (NetConfig.Streams) the loop waits for their features, so it
	// is the time the streams waited for batches, averaged over them.
	DataWaitSeconds float64
	LiveTensors     int64   // torch.LiveTensors() at the end of the epoch
	RSSMiB          float64 // the process's resident memory then (0 where unknown)
}

// Point is a point of a loss curve; X is in epochs.
type Point struct{ X, Y float64 }

// History is what Train returns: per-epoch measures and the curves d2l's
// Animator draws (train loss five times per epoch, valid loss per epoch).
type History struct {
	Epochs     []EpochStats
	TrainCurve []Point
	ValidCurve []Point
}

// ErrInterrupted is returned (wrapped with where it stopped) when the
// context is cancelled during training.
var ErrInterrupted = errors.New("training interrupted")

// position is where training stands, as saved in a checkpoint.
type position struct {
	epoch, batch int     // next batch to run
	lossSum      float64 // accumulated over the epoch so far
	count        int     // examples so far in the epoch
	seconds      float64 // training time so far in the epoch
	dataWait     float64 // of which, waiting for batches
}

func (c *TrainConfig) validate() error {
	switch {
	case c.Epochs < 0:
		return fmt.Errorf("finetune: epochs %d must not be negative", c.Epochs)
	case c.LR <= 0 || math.IsNaN(c.LR):
		return fmt.Errorf("finetune: learning rate %g must be positive", c.LR)
	case c.WeightDecay < 0:
		return fmt.Errorf("finetune: weight decay %g must not be negative", c.WeightDecay)
	case c.Momentum < 0 || c.Momentum >= 1:
		return fmt.Errorf("finetune: momentum %g must be in [0, 1)", c.Momentum)
	case c.LRPeriod <= 0:
		return fmt.Errorf("finetune: lr period %d must be positive", c.LRPeriod)
	case c.LRDecay <= 0:
		return fmt.Errorf("finetune: lr decay %g must be positive", c.LRDecay)
	case c.PrefetchThreads < 0:
		return fmt.Errorf("finetune: prefetch threads %d must not be negative", c.PrefetchThreads)
	}
	return nil
}

// Train trains net's head on train for cfg.Epochs epochs with SGD over the
// head's parameters only and a StepLR schedule, evaluating on valid (which
// may be nil, as in the chapter's final retraining on train+valid) after
// each epoch. The loss is the chapter's: cross-entropy summed over the batch.
func Train(ctx context.Context, net *Net, train, valid *dataset.Loader, cfg TrainConfig) (*History, error) {
	// Every libtorch call of the run from one OS thread: glibc gives each
	// thread that allocates its own malloc arena, and libtorch's large
	// per-batch buffers spread over many arenas keep far more memory resident.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	restore, err := net.shareThreads()
	if err != nil {
		return nil, err
	}
	defer restore()
	if cfg.Devices == "" {
		cfg.Devices = "[" + net.Device.String() + "]"
	}
	opt, err := torch.NewSGD(torch.Parameters(net.Head), torch.SGDConfig{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay})
	if err != nil {
		return nil, err
	}
	defer opt.Close()
	sched, err := NewStepLR(cfg.LR, cfg.LRPeriod, cfg.LRDecay)
	if err != nil {
		return nil, err
	}
	if err := checkShards(cfg.Group, train, valid); err != nil {
		return nil, err
	}
	if cfg.Group != nil && cfg.Group.Rank() != 0 {
		cfg.Log = nil
	}
	t := &trainer{net: net, train: train, valid: valid, cfg: cfg, opt: opt, sched: sched, hist: &History{}}
	defer t.closeCache()
	if cfg.Resume && cfg.Checkpoint != "" {
		if err := t.resume(); err != nil {
			return nil, err
		}
	}
	if cfg.Group != nil {
		for _, p := range net.Head.NamedParameters() {
			if err := cfg.Group.Broadcast(p.Tensor, 0); err != nil {
				return nil, fmt.Errorf("finetune: broadcasting the head from rank 0: %w", err)
			}
		}
	}
	for t.pos.epoch < cfg.Epochs {
		if err := t.epoch(ctx); err != nil {
			return t.hist, err
		}
	}
	t.summary()
	return t.hist, nil
}

type trainer struct {
	net          *Net
	train, valid *dataset.Loader
	cfg          TrainConfig
	opt          *torch.SGD
	sched        *StepLR
	hist         *History
	pos          position
	validCache   *Features
	trainCache   *Features    // rows in dataset order
	streamsIdle  atomic.Int64 // nanoseconds the backbone streams waited for batches, not yet counted
}

func (t *trainer) closeCache() {
	for _, f := range []*Features{t.validCache, t.trainCache} {
		if f != nil {
			f.Close()
		}
	}
}

// batches yields the epoch's batches from batch first on: from the loader,
// or as (features, labels) rows of the training cache in the loader's order.
func (t *trainer) batches(ctx context.Context, e, first int) iter.Seq2[trainBatch, error] {
	if t.streamed() {
		return t.net.featuresAhead(ctx, &t.streamsIdle, func(ctx context.Context) iter.Seq2[*dataset.Batch, error] {
			return t.train.BatchesFrom(ctx, e, first)
		})
	}
	if t.cfg.PrefetchInputs && !t.cfg.CacheTrainFeatures && len(t.net.replicas) == 1 {
		return t.net.prefetchInputs(ctx, max(1, t.cfg.PrefetchThreads), func(ctx context.Context) iter.Seq2[*dataset.Batch, error] {
			return t.train.BatchesFrom(ctx, e, first)
		})
	}
	return func(yield func(trainBatch, error) bool) {
		if !t.cfg.CacheTrainFeatures {
			for b, err := range t.train.BatchesFrom(ctx, e, first) {
				if !yield(trainBatch{batch: b}, err) {
					return
				}
			}
			return
		}
		if t.trainCache == nil {
			all, err := dataset.NewLoader(t.train.Dataset(), fullPass(t.train.Config()))
			if err == nil {
				t.trainCache, err = ExtractFeatures(ctx, t.net, all)
			}
			if err != nil {
				yield(trainBatch{}, err)
				return
			}
		}
		order, bs := t.train.Order(e), t.train.Config().BatchSize
		for k := first; k < t.train.NumBatches(); k++ {
			if err := ctx.Err(); err != nil {
				yield(trainBatch{}, err)
				return
			}
			idx := order[k*bs : min((k+1)*bs, len(order))]
			if !yield(trainBatch{cached: idx}, nil) {
				return
			}
		}
	}
}

// streamed reports whether the training batches come with their features
// made by the net's backbone streams.
func (t *trainer) streamed() bool { return t.net.streams > 1 && !t.cfg.CacheTrainFeatures }

// fullPass is cfg for one pass over every sample in dataset order (not
// sharded: the cache holds every sample, each rank picks its rows).
func fullPass(cfg dataset.LoaderConfig) dataset.LoaderConfig {
	cfg.Shuffle, cfg.DropLast = false, false
	cfg.Rank, cfg.WorldSize, cfg.EvenShards = 0, 0, false
	return cfg
}

// trainBatch is a loader batch, or the dataset indices of cached rows.
type trainBatch struct {
	batch  *dataset.Batch
	x      *torch.Tensor // the batch's backbone input, made ahead (PrefetchInputs), or nil
	feats  *torch.Tensor // its features, made ahead (NetConfig.Streams), or nil
	cached []int
}

// release closes what was made ahead for the batch.
func (b trainBatch) release() { torch.CloseAll(b.x, b.feats) }

func (b trainBatch) size() int {
	if b.batch != nil {
		return b.batch.N
	}
	return len(b.cached)
}

// epoch runs (the rest of) one epoch, validation and the schedule step.
func (t *trainer) epoch(ctx context.Context) error {
	e := t.pos.epoch
	nb := t.train.NumBatches()
	t.opt.SetLR(t.sched.LR())
	bar := newProgress(t.cfg.Log, fmt.Sprintf("epoch %d/%d", e+1, t.cfg.Epochs), nb, t.pos.batch)
	start := time.Now()
	i := t.pos.batch
	asked := start // when the loop asked for the batch it is about to get
	for b, err := range t.batches(ctx, e, t.pos.batch) {
		if t.streamed() {
			// The loop waits for the streams' features, the backbone's time
			// with the loader's: what counts is the streams' own wait.
			t.pos.dataWait += float64(t.streamsIdle.Swap(0)) / 1e9 / float64(t.net.streams)
		} else {
			t.pos.dataWait += time.Since(asked).Seconds()
		}
		if err == nil && ctx.Err() != nil {
			err = ctx.Err() // cancelled while the batch was ready: do not train on it
		}
		if err != nil {
			b.release()
			bar.abort()
			t.pos.seconds += time.Since(start).Seconds()
			if ctx.Err() != nil {
				return t.interrupted(ctx)
			}
			return err
		}
		loss, err := t.step(b)
		if err != nil {
			bar.abort()
			return err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			bar.abort()
			return fmt.Errorf("finetune: the training loss is %g at epoch %d, batch %d of %d: lower the learning rate", loss, e+1, i+1, nb)
		}
		if t.cfg.OnStep != nil {
			t.cfg.OnStep(e, i, loss)
		}
		t.pos.lossSum += loss
		t.pos.count += b.size()
		i++
		t.pos.batch = i
		if every := max(1, nb/5); i%every == 0 || i == nb {
			t.hist.TrainCurve = append(t.hist.TrainCurve, Point{X: float64(e) + float64(i)/float64(nb), Y: t.pos.lossSum / float64(t.pos.count)})
		}
		elapsed := t.pos.seconds + time.Since(start).Seconds()
		bar.update(i, t.pos.lossSum/float64(t.pos.count), float64(t.pos.count)/elapsed)
		asked = time.Now()
	}
	bar.finish()
	seconds := t.pos.seconds + time.Since(start).Seconds()
	sums, err := t.reduce(t.pos.lossSum, float64(t.pos.count))
	if err != nil {
		return err
	}
	examples := int(sums[1])
	stats := EpochStats{Epoch: e + 1, TrainLoss: sums[0] / math.Max(1, sums[1]), LR: t.sched.LR(),
		Examples: examples, Seconds: seconds, ExamplesPerSec: float64(examples) / seconds, DataWaitSeconds: t.pos.dataWait,
		ValidLoss: math.NaN(), ValidTop1: math.NaN(), ValidTop5: math.NaN()}
	if t.valid != nil {
		m, err := t.validate(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return t.interrupted(ctx)
			}
			return err
		}
		stats.ValidLoss, stats.ValidTop1, stats.ValidTop5 = m.Loss, m.Top1, m.Top5
		t.hist.ValidCurve = append(t.hist.ValidCurve, Point{X: float64(e + 1), Y: m.Loss})
	}
	stats.LiveTensors, stats.RSSMiB = torch.LiveTensors(), procstat.ResidentMiB()
	t.hist.Epochs = append(t.hist.Epochs, stats)
	t.logEpoch(stats)
	t.sched.Step()
	t.pos = position{epoch: e + 1}
	if t.cfg.Checkpoint != "" && t.rank() == 0 {
		if err := saveCheckpoint(t.cfg.Checkpoint, t); err != nil {
			return err
		}
	}
	return nil
}

// step trains the head on one batch and returns the batch's summed loss.
func (t *trainer) step(b trainBatch) (loss float64, err error) {
	defer b.release()
	defer torch.Recover(&err)
	feats, y, err := t.inputs(b)
	t.train.Recycle(b.batch) // its images are in the input tensor now; the loader reuses the buffers
	if err != nil {
		return 0, err
	}
	defer torch.CloseAll(feats, y)
	logits := t.net.Head.Forward(feats)
	defer logits.Close()
	l := torch.CrossEntropy(logits, y, torch.ReduceSum)
	defer l.Close()
	t.opt.ZeroGrad()
	l.Backward()
	if t.cfg.Group != nil {
		if err := t.sumGradients(); err != nil {
			return 0, err
		}
	}
	t.opt.Step()
	return l.Item(), nil
}

// sumGradients adds up the head's gradients over the ranks, in place.
func (t *trainer) sumGradients() error {
	var grads []*torch.Tensor
	for _, p := range torch.Parameters(t.net.Head) {
		if g := p.Grad(); g != nil {
			grads = append(grads, g)
		}
	}
	defer torch.CloseAll(grads...)
	return t.cfg.Group.AllReduce(false, grads...)
}

// reduce sums values over the ranks (returns them unchanged without a group).
func (t *trainer) reduce(values ...float64) ([]float64, error) {
	if t.cfg.Group == nil {
		return values, nil
	}
	x := torch.MustFromSlice(values, int64(len(values)))
	defer x.Close()
	if err := t.cfg.Group.AllReduce(false, x); err != nil {
		return nil, err
	}
	return x.Float64s(), nil
}

// checkShards verifies the loaders are sharded for the group's rank.
func checkShards(g *torch.ProcessGroup, train, valid *dataset.Loader) error {
	if g == nil {
		return nil
	}
	for _, l := range []*dataset.Loader{train, valid} {
		if l == nil {
			continue
		}
		c := l.Config()
		if c.WorldSize != g.Size() || c.Rank != g.Rank() {
			return fmt.Errorf("finetune: a loader is sharded as rank %d of %d, the process group is rank %d of %d",
				c.Rank, c.WorldSize, g.Rank(), g.Size())
		}
	}
	if !train.Config().EvenShards {
		return errors.New("finetune: distributed training needs the training loader's EvenShards (equal batches on every rank)")
	}
	return nil
}

// inputs returns a batch's features and labels on the net's device.
func (t *trainer) inputs(b trainBatch) (feats, y *torch.Tensor, err error) {
	if b.batch == nil {
		rows := make([]int64, len(b.cached))
		for i, idx := range b.cached {
			rows[i] = int64(idx)
		}
		r, err := torch.FromSliceOn(rows, t.net.Device, int64(len(rows)))
		if err != nil {
			return nil, nil, err
		}
		defer r.Close()
		return t.trainCache.X.IndexSelect(0, r), t.trainCache.Labels.IndexSelect(0, r), nil
	}
	switch {
	case b.feats != nil: // the consumer's now: release closes it again, a no-op
		feats = b.feats
	case b.x != nil:
		feats, err = t.net.forward(t.net.replicas[0], b.x)
		if err != nil {
			err = fmt.Errorf("finetune: %w", err)
		}
	default:
		feats, err = t.net.Features(b.batch)
	}
	if err != nil {
		return nil, nil, err
	}
	if y, err = batchLabels(b.batch, t.net.Device); err != nil {
		feats.Close()
		return nil, nil, err
	}
	return feats, y, nil
}

func (t *trainer) rank() int {
	if t.cfg.Group == nil {
		return 0
	}
	return t.cfg.Group.Rank()
}

// validate evaluates on this rank's share of the validation set and
// combines the ranks' results.
func (t *trainer) validate(ctx context.Context) (Metrics, error) {
	var m Metrics
	var err error
	if !t.cfg.CacheValidFeatures {
		m, err = Evaluate(ctx, t.net, t.valid)
	} else {
		if t.validCache == nil {
			if t.validCache, err = ExtractFeatures(ctx, t.net, t.valid); err != nil {
				return Metrics{}, err
			}
		}
		m, err = EvaluateFeatures(t.net, t.validCache)
	}
	if err != nil || t.cfg.Group == nil {
		return m, err
	}
	n := float64(m.N)
	s, err := t.reduce(m.Loss*n, m.Top1*n, m.Top5*n, m.LogLoss*n, n)
	if err != nil {
		return Metrics{}, err
	}
	return Metrics{N: int(s[4]), Loss: s[0] / s[4], Top1: s[1] / s[4], Top5: s[2] / s[4], LogLoss: s[3] / s[4]}, nil
}

// interrupted saves where training stopped and returns ErrInterrupted.
func (t *trainer) interrupted(ctx context.Context) error {
	where := fmt.Sprintf("epoch %d, after batch %d of %d", t.pos.epoch+1, t.pos.batch, t.train.NumBatches())
	if t.cfg.Checkpoint == "" || t.rank() != 0 {
		why := "no checkpoint file configured"
		if t.cfg.Checkpoint != "" {
			why = fmt.Sprintf("rank %d: rank 0 writes the checkpoint", t.rank())
		}
		return fmt.Errorf("finetune: %w at %s (%s): %w", ErrInterrupted, where, why, ctx.Err())
	}
	if err := saveCheckpoint(t.cfg.Checkpoint, t); err != nil {
		return fmt.Errorf("finetune: %w at %s, and the checkpoint could not be saved: %w", ErrInterrupted, where, err)
	}
	return fmt.Errorf("finetune: %w at %s: checkpoint saved to %s, resume with it: %w", ErrInterrupted, where, t.cfg.Checkpoint, ctx.Err())
}

func (t *trainer) logEpoch(s EpochStats) {
	if t.cfg.Log == nil {
		return
	}
	line := fmt.Sprintf("epoch %d/%d: train loss %.3f", s.Epoch, t.cfg.Epochs, s.TrainLoss)
	if !math.IsNaN(s.ValidLoss) {
		line += fmt.Sprintf(", valid loss %.3f, top-1 %.1f%%, top-5 %.1f%%", s.ValidLoss, 100*s.ValidTop1, 100*s.ValidTop5)
	}
	line += fmt.Sprintf(", lr %.3g, %.1f examples/sec (%.1fs, %.0f%% waiting for data)", s.LR, s.ExamplesPerSec, s.Seconds,
		100*s.DataWaitSeconds/math.Max(s.Seconds, 1e-9))
	if s.RSSMiB > 0 {
		line += fmt.Sprintf(", rss %.0f MiB", s.RSSMiB)
	}
	line += "\n"
	io.WriteString(t.cfg.Log, line)
}

// summary prints the chapter's closing lines.
func (t *trainer) summary() {
	if t.cfg.Log == nil || len(t.hist.Epochs) == 0 {
		return
	}
	last := t.hist.Epochs[len(t.hist.Epochs)-1]
	measures := fmt.Sprintf("train loss %.3f", last.TrainLoss)
	if !math.IsNaN(last.ValidLoss) {
		measures += fmt.Sprintf(", valid loss %.3f", last.ValidLoss)
	}
	examples, seconds := 0, 0.0
	for _, s := range t.hist.Epochs {
		examples += s.Examples
		seconds += s.Seconds
	}
	fmt.Fprintf(t.cfg.Log, "%s\n%.1f examples/sec on %s\n", measures, float64(examples)/seconds, t.cfg.Devices)
}
