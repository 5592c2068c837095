package finetune

import (
	"context"
	"iter"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// TestPrefetchedInputsTrainAsTheTrainingThreadDoes: with the inputs made
// ahead on their own thread, every step's loss and the final head are those
// of the plain loop, for float, byte and plan batches.
func TestPrefetchedInputsTrainAsTheTrainingThreadDoes(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	loaders := map[string]func() *dataset.Loader{
		"float batches": func() *dataset.Loader { return loader(t, split.Train, trainTransform(), true, 4) },
		"byte batches":  func() *dataset.Loader { return pixelLoader(t, split.Train, trainTransform(), true, 4) },
		"plan batches":  func() *dataset.Loader { return planLoader(t, split.Train, trainTransform(), 4, nil) },
	}
	for name, train := range loaders {
		// run returns every step's loss, the head, and the tensors the
		// training left open at the end of its last epoch.
		run := func(prefetch bool) ([]float64, [][]float32, int64) {
			n := tinyNet(t, 3)
			cfg := chapterConfig(2)
			cfg.PrefetchInputs = prefetch
			var losses []float64
			cfg.OnStep = func(_, _ int, loss float64) { losses = append(losses, loss) }
			train, valid := train(), loader(t, split.Valid, evalTransform(), false, 4)
			before := torch.LiveTensors()
			h, err := Train(context.Background(), n, train, valid, cfg)
			require.NoError(t, err, name)
			return losses, headValues(n), h.Epochs[1].LiveTensors - before
		}
		wantLosses, wantHead, wantOpen := run(false)
		gotLosses, gotHead, gotOpen := run(true)
		require.Len(t, gotLosses, 2*((split.Train.Len()+3)/4), name)
		require.Equal(t, wantLosses, gotLosses, name)
		require.Equal(t, wantHead, gotHead, name)
		require.Equal(t, wantOpen, gotOpen, "%s: tensors left open", name)
	}
}

// floatBatches yields n small float32 batches (when bad, the last one is a
// batch of augmentation plans whose crops are short by a byte), counting
// how many were taken and noting when the iteration has returned.
type floatBatches struct {
	n, taken int
	bad      bool
	ended    bool
}

func (f *floatBatches) batches(ctx context.Context) iter.Seq2[*dataset.Batch, error] {
	return func(yield func(*dataset.Batch, error) bool) {
		defer func() { f.ended = true }()
		for i := range f.n {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			b := &dataset.Batch{N: 2, C: 3, H: 8, W: 8, Images: make([]float32, 2*3*8*8), Labels: []int64{0, 1}}
			if f.bad && i == f.n-1 {
				plan := transforms.AugmentPlan{Crop: transforms.NewImage(8, 8), OutH: 8, OutW: 8}
				b = &dataset.Batch{N: 1, C: 3, H: 8, W: 8, Plans: []transforms.AugmentPlan{plan}, Crops: plan.Crop.Pix[1:], Labels: []int64{0}}
			}
			f.taken++
			if !yield(b, nil) {
				return
			}
		}
	}
}

// TestPrefetchReleasesWhatItMadeAhead: a consumer that stops early leaves
// the loader stopped and no tensor behind (the one made ahead is closed);
// a cancelled context reaches the consumer as an error; a batch whose input
// cannot be made ends the iteration with its error.
func TestPrefetchReleasesWhatItMadeAhead(t *testing.T) {
	net := tinyNet(t, 3)
	live := torch.LiveTensors()
	src := &floatBatches{n: 6}
	seen := 0
	for b, err := range net.prefetchInputs(context.Background(), src.batches) {
		require.NoError(t, err)
		require.Equal(t, []int64{2, 3, 8, 8}, b.x.Shape())
		b.release()
		if seen++; seen == 2 {
			break
		}
	}
	require.True(t, src.ended, "the loader goes on after the consumer stopped")
	require.LessOrEqual(t, src.taken, 4, "more than one batch made ahead")
	require.Equal(t, live, torch.LiveTensors(), "tensors made ahead and left open")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	seen = 0
	for b, err := range net.prefetchInputs(ctx, (&floatBatches{n: 6}).batches) {
		b.release()
		last = err
		if seen++; seen == 1 {
			cancel()
		}
	}
	require.ErrorIs(t, last, context.Canceled)
	require.Equal(t, live, torch.LiveTensors())

	seen = 0
	for b, err := range net.prefetchInputs(context.Background(), (&floatBatches{n: 3, bad: true}).batches) {
		b.release()
		if seen++; seen < 3 {
			require.NoError(t, err)
			continue
		}
		require.EqualError(t, err, "finetune: the plans' crops hold 192 bytes, the batch's packed crops 191")
	}
	require.Equal(t, 3, seen)
	require.Equal(t, live, torch.LiveTensors())
}

// TestPrefetchedRunStopsAfterTheBatchItWasCancelledOn: cancelled during a
// step, training with inputs made ahead stops after that batch (not the
// one made ahead), and resuming gives the uninterrupted run's head.
func TestPrefetchedRunStopsAfterTheBatchItWasCancelledOn(t *testing.T) {
	requireResumeAfterCancel(t, true)
}
