package finetune

import (
	"cmp"
	"context"
	"iter"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// TestPrefetchedInputsTrainAsTheTrainingThreadDoes: with the inputs made
// ahead on one thread of their own or three, every step's loss and the
// final head are those of the plain loop, for float, byte and plan batches.
func TestPrefetchedInputsTrainAsTheTrainingThreadDoes(t *testing.T) {
	requirePrefetchedTraining(t, torch.CPU, 1, 3)
}

// requirePrefetchedTraining trains the tiny net on dev for two epochs of
// float, byte and plan batches, plainly and with the inputs made ahead on
// each of the thread counts given, and requires the same loss at every
// step, the same head and no more tensors left open.
func requirePrefetchedTraining(t *testing.T, dev torch.Device, threadCounts ...int) {
	_, split := smallKaggle(t, 3, 0.1)
	loaders := map[string]func() *dataset.Loader{
		"float batches": func() *dataset.Loader { return loader(t, split.Train, trainTransform(), true, 4) },
		"byte batches":  func() *dataset.Loader { return pixelLoader(t, split.Train, trainTransform(), true, 4) },
		"plan batches":  func() *dataset.Loader { return planLoader(t, split.Train, trainTransform(), 4, nil) },
	}
	for name, train := range loaders {
		// run returns every step's loss, the head, and the tensors the
		// training left open at the end of its last epoch.
		run := func(threads int) ([]float64, [][]float32, int64) {
			cfg := tinyConfig(3)
			cfg.Device = dev
			n := loadTiny(t, cfg)
			tc := chapterConfig(2)
			tc.PrefetchInputs, tc.PrefetchThreads = threads > 0, threads
			var losses []float64
			tc.OnStep = func(_, _ int, loss float64) { losses = append(losses, loss) }
			train, valid := train(), loader(t, split.Valid, evalTransform(), false, 4)
			before := torch.LiveTensors()
			h, err := Train(context.Background(), n, train, valid, tc)
			require.NoError(t, err, name)
			return losses, headValues(n), h.Epochs[1].LiveTensors - before
		}
		wantLosses, wantHead, wantOpen := run(0)
		for _, threads := range threadCounts {
			gotLosses, gotHead, gotOpen := run(threads)
			require.Len(t, gotLosses, 2*((split.Train.Len()+3)/4), name)
			require.Equal(t, wantLosses, gotLosses, "%s, %d threads", name, threads)
			require.Equal(t, wantHead, gotHead, "%s, %d threads", name, threads)
			require.Equal(t, wantOpen, gotOpen, "%s, %d threads: tensors left open", name, threads)
		}
	}
}

// floatBatches yields n small float32 batches of side×side images (0: 8),
// batch i labelled i (when bad, the last one is a batch of augmentation
// plans whose crops are short by a byte), counting how many were taken and
// noting when the iteration has returned.
type floatBatches struct {
	n, taken int
	side     int
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
			side := cmp.Or(f.side, 8)
			b := &dataset.Batch{N: 2, C: 3, H: side, W: side, Images: make([]float32, 2*3*side*side), Labels: []int64{int64(i), 0}}
			if f.bad && i == f.n-1 {
				plan := transforms.AugmentPlan{Crop: transforms.NewImage(8, 8), OutH: 8, OutW: 8}
				b = &dataset.Batch{N: 1, C: 3, H: 8, W: 8, Plans: []transforms.AugmentPlan{plan}, Crops: plan.Crop.Pix[1:], Labels: []int64{int64(i)}}
			}
			f.taken++
			if !yield(b, nil) {
				return
			}
		}
	}
}

// TestPrefetchReleasesWhatItMadeAhead: with one thread or three, the
// batches come in the loader's order; a consumer that stops early leaves
// the loader stopped and no tensor behind (those made ahead are closed); a
// cancelled context reaches the consumer as an error; a batch whose input
// cannot be made ends the iteration with its error, in its place.
func TestPrefetchReleasesWhatItMadeAhead(t *testing.T) {
	net := tinyNet(t, 3)
	live := torch.LiveTensors()
	for _, threads := range []int{1, 3} {
		src := &floatBatches{n: 9}
		seen := 0
		for b, err := range net.prefetchInputs(context.Background(), threads, src.batches) {
			require.NoError(t, err)
			require.Equal(t, []int64{2, 3, 8, 8}, b.x.Shape())
			require.Equal(t, int64(seen), b.batch.Labels[0], "%d threads: out of order", threads)
			b.release()
			if seen++; seen == 2 {
				break
			}
		}
		require.True(t, src.ended, "%d threads: the loader goes on after the consumer stopped", threads)
		require.LessOrEqual(t, src.taken, 2+threads+1, "%d threads: more than a batch a thread made ahead", threads)
		require.Equal(t, live, torch.LiveTensors(), "%d threads: tensors made ahead and left open", threads)

		all := 0
		for b, err := range net.prefetchInputs(context.Background(), threads, (&floatBatches{n: 7}).batches) {
			require.NoError(t, err)
			require.Equal(t, int64(all), b.batch.Labels[0], "%d threads: out of order", threads)
			b.release()
			all++
		}
		require.Equal(t, 7, all, "%d threads", threads)

		ctx, cancel := context.WithCancel(context.Background())
		var last error
		seen = 0
		for b, err := range net.prefetchInputs(ctx, threads, (&floatBatches{n: 9}).batches) {
			b.release()
			last = err
			if seen++; seen == 1 {
				cancel()
			}
		}
		cancel()
		require.ErrorIs(t, last, context.Canceled, "%d threads", threads)
		require.Equal(t, live, torch.LiveTensors(), "%d threads", threads)

		seen = 0
		for b, err := range net.prefetchInputs(context.Background(), threads, (&floatBatches{n: 5, bad: true}).batches) {
			b.release()
			if seen++; seen < 5 {
				require.NoError(t, err)
				continue
			}
			require.EqualError(t, err, "finetune: the plans' crops hold 192 bytes, the batch's packed crops 191")
		}
		require.Equal(t, 5, seen, "%d threads", threads)
		require.Equal(t, live, torch.LiveTensors(), "%d threads", threads)
	}
}

// TestPrefetchedRunStopsAfterTheBatchItWasCancelledOn: cancelled during a
// step, training with inputs made ahead stops after that batch (not the
// one made ahead), and resuming gives the uninterrupted run's head.
func TestPrefetchedRunStopsAfterTheBatchItWasCancelledOn(t *testing.T) {
	requireResumeAfterCancel(t, true)
}
