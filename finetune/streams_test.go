package finetune

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// TestStreamsTrainAsOneStream: with the backbone on two or three streams,
// every step's loss, the validation losses and the final head are those of
// one stream, for float and byte batches, with and without the validation
// features cached, and no more tensors are left open.
func TestStreamsTrainAsOneStream(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	loaders := map[string]func() *dataset.Loader{
		"float batches": func() *dataset.Loader { return loader(t, split.Train, trainTransform(), true, 4) },
		"byte batches":  func() *dataset.Loader { return pixelLoader(t, split.Train, trainTransform(), true, 4) },
	}
	for name, train := range loaders {
		for _, cacheValid := range []bool{false, true} {
			run := func(streams int) ([]float64, []float64, [][]float32, int64) {
				cfg := tinyConfig(3)
				cfg.Streams = streams
				n := loadTiny(t, cfg)
				tc := chapterConfig(2)
				tc.CacheValidFeatures = cacheValid
				var losses []float64
				tc.OnStep = func(_, _ int, loss float64) { losses = append(losses, loss) }
				before := torch.LiveTensors()
				h, err := Train(context.Background(), n, train(), loader(t, split.Valid, evalTransform(), false, 4), tc)
				require.NoError(t, err, name)
				var valid []float64
				for _, e := range h.Epochs {
					valid = append(valid, e.ValidLoss)
				}
				return losses, valid, headValues(n), h.Epochs[1].LiveTensors - before
			}
			wantLosses, wantValid, wantHead, wantOpen := run(1)
			for _, streams := range []int{2, 3} {
				gotLosses, gotValid, gotHead, gotOpen := run(streams)
				require.Len(t, gotLosses, 2*((split.Train.Len()+3)/4), name)
				require.Equal(t, wantLosses, gotLosses, "%s, %d streams", name, streams)
				require.Equal(t, wantValid, gotValid, "%s, %d streams, validation cached %v", name, streams, cacheValid)
				require.Equal(t, wantHead, gotHead, "%s, %d streams", name, streams)
				require.Equal(t, wantOpen, gotOpen, "%s, %d streams: tensors left open", name, streams)
			}
		}
	}
}

// TestStreamedFeaturesAreOneStreamsInItsOrder: ExtractFeatures and
// StreamFeatures on three streams give one stream's features, IDs and
// order.
func TestStreamedFeaturesAreOneStreamsInItsOrder(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.15)
	one, three := tinyNet(t, 3), loadTiny(t, NetConfig{Classes: 3, Hidden: 32, InputSize: 32, Device: torch.CPU, Seed: 1, Streams: 3})
	live := torch.LiveTensors()
	extract := func(n *Net) *Features {
		f, err := ExtractFeatures(context.Background(), n, loader(t, split.Valid, evalTransform(), false, 1))
		require.NoError(t, err)
		t.Cleanup(f.Close)
		return f
	}
	want, got := extract(one), extract(three)
	require.GreaterOrEqual(t, len(want.IDs), 6, "too few batches to tell an order")
	require.Equal(t, want.IDs, got.IDs)
	require.Equal(t, want.Index, got.Index)
	require.Equal(t, want.X.Float32s(), got.X.Float32s())
	require.Equal(t, want.Labels.Int64s(), got.Labels.Int64s())

	var batches []*dataset.Batch
	for b, err := range loader(t, split.Valid, evalTransform(), false, 1).Batches(context.Background(), 0) {
		require.NoError(t, err)
		batches = append(batches, b)
	}
	var streamed []float32
	for f, err := range three.StreamFeatures(context.Background(), func(yield func(*dataset.Batch) bool) {
		for _, b := range batches {
			if !yield(b) {
				return
			}
		}
	}) {
		require.NoError(t, err)
		streamed = append(streamed, f.Float32s()...)
		f.Close()
	}
	require.Equal(t, want.X.Float32s(), streamed)
	live += 4 // the two Features' tensors, closed at the end of the test
	require.Equal(t, live, torch.LiveTensors())
}

// TestStreamsTakeTheNextBatchWhenFree: a stream slowed down holds up no
// other (the others take the batches after it), the consumer still gets
// them in order, each stream's thread runs with its share of the threads,
// and the consumer's thread has that share while the streams run.
func TestStreamsTakeTheNextBatchWhenFree(t *testing.T) {
	n := loadTiny(t, NetConfig{Classes: 3, Hidden: 32, InputSize: 32, Device: torch.CPU, Seed: 1, Streams: 2})
	old := torch.NumThreads()
	require.NoError(t, torch.SetNumThreads(2))
	defer torch.SetNumThreads(old)
	per := n.streamThreads()
	require.Equal(t, 1, per)
	var mu sync.Mutex
	threads := map[int]int{} // batch → the thread count its work saw
	var order []int          // the batches in the order their work ended
	work := func(b *trainBatch) error {
		i := int(b.batch.Labels[0])
		if i == 1 {
			time.Sleep(200 * time.Millisecond) // the stream on batch 1 is slow
		}
		mu.Lock()
		defer mu.Unlock()
		threads[i] = torch.NumThreads()
		order = append(order, i)
		return nil
	}
	onThread := func() (func(), error) {
		if err := torch.SetNumThreadsOnThisThread(per); err != nil {
			return nil, err
		}
		return func() { _ = torch.SetNumThreadsOnThisThread(0) }, nil
	}
	src := &floatBatches{n: 6}
	seen := 0
	for b, err := range ahead(context.Background(), 2, 4, onThread, work, nil, src.batches) {
		require.NoError(t, err)
		require.Equal(t, int64(seen), b.batch.Labels[0], "out of order")
		seen++
	}
	require.Equal(t, 6, seen)
	require.Equal(t, []int{0, 2, 3, 4, 1, 5}, order, "the other stream waited for the slow one (depth 4: batches 2-4 while 1 runs)")
	for i, got := range threads {
		require.Equal(t, per, got, "batch %d's stream's thread count", i)
	}

	// The consumer's thread: a stream's share during Train, its own
	// count (none) again after.
	_, split := smallKaggle(t, 3, 0.1)
	done := make(chan struct{})
	var during, after, own int
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tc := chapterConfig(1)
		tc.OnStep = func(_, _ int, _ float64) { during = torch.NumThreads() }
		_, err := Train(context.Background(), n, loader(t, split.Train, trainTransform(), true, 4), nil, tc)
		if err != nil {
			during = -1
		}
		after, own = torch.NumThreads(), torch.OwnNumThreadsOnThisThread()
	}()
	<-done
	require.Equal(t, per, during, "the consumer's thread count while the streams run")
	require.Equal(t, 2, after, "the consumer's thread count after")
	require.Zero(t, own)
}

// TestStreamsIdleIsTheirWaitForBatches: what the streams count as idle is
// their wait for batches (a slow loader), not their own work (a slow
// backbone), whose time the consumer waits too.
func TestStreamsIdleIsTheirWaitForBatches(t *testing.T) {
	const n, pause = 8, 30 * time.Millisecond
	idle := func(slowSource bool) time.Duration {
		var idle atomic.Int64
		src := func(ctx context.Context) iter.Seq2[*dataset.Batch, error] {
			return func(yield func(*dataset.Batch, error) bool) {
				for i := range n {
					if slowSource {
						time.Sleep(pause)
					}
					if !yield(&dataset.Batch{N: 1, Labels: []int64{int64(i)}}, nil) {
						return
					}
				}
			}
		}
		work := func(*trainBatch) error {
			if !slowSource {
				time.Sleep(pause)
			}
			return nil
		}
		seen := 0
		for _, err := range ahead(context.Background(), 2, 4, nil, work, &idle, src) {
			require.NoError(t, err)
			seen++
		}
		require.Equal(t, n, seen)
		return time.Duration(idle.Load())
	}
	require.GreaterOrEqual(t, idle(true), n*pause/2, "a loader slower than the streams")
	require.Less(t, idle(false), 2*pause, "streams slower than the loader")
}

// TestStreamsAreForOneCPU: streams on a GPU, or beside a backbone
// replicated over devices, or fewer than none, are errors that say so.
func TestStreamsAreForOneCPU(t *testing.T) {
	for _, c := range []struct {
		cfg  NetConfig
		want string
	}{
		{NetConfig{Classes: 3, Device: torch.CPU, Streams: -1}, "-1 backbone streams: want at least 1"},
		{NetConfig{Classes: 3, Device: torch.CUDA(0), Streams: 2}, "2 backbone streams with the backbone on cuda:0"},
		{NetConfig{Classes: 3, Device: torch.CPU, Streams: 2, BackboneDevices: []torch.Device{torch.CPU, torch.CPU}},
			"2 backbone streams with the backbone replicated on 2 devices"},
	} {
		m, err := torch.Load(tinyBackbone, torch.CPU) // NewNet refuses before moving it to the GPU
		require.NoError(t, err)
		_, err = NewNet(m, c.cfg)
		m.Close()
		require.ErrorContains(t, err, c.want)
	}
}

// TestStreamsStopCleanly: cancelled in the middle of an epoch, streamed
// training stops with ErrInterrupted and leaves no tensor open; a consumer
// that stops early stops the loader.
func TestStreamsStopCleanly(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.15)
	n := loadTiny(t, NetConfig{Classes: 3, Hidden: 32, InputSize: 32, Device: torch.CPU, Seed: 1, Streams: 2})
	live := torch.LiveTensors()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tc := chapterConfig(2)
	tc.OnStep = func(_, batch int, _ float64) {
		if batch == 1 {
			cancel()
		}
	}
	_, err := Train(ctx, n, loader(t, split.Train, trainTransform(), true, 4), nil, tc)
	require.True(t, errors.Is(err, ErrInterrupted), "%v", err)
	require.Equal(t, live, torch.LiveTensors())

	src := &floatBatches{n: 9, side: 32}
	seen := 0
	for b, err := range n.featuresAhead(context.Background(), nil, src.batches) {
		require.NoError(t, err)
		b.release()
		if seen++; seen == 2 {
			break
		}
	}
	require.True(t, src.ended, "the loader goes on after the consumer stopped")
	require.LessOrEqual(t, src.taken, 2+4+1, "more batches taken than the streams' depth")
	require.Equal(t, live, torch.LiveTensors())
}
