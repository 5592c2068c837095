package finetune

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/transforms"
)

// countingTransform is inner, counting the samples it transforms.
type countingTransform struct {
	inner transforms.Transform
	n     *atomic.Int64
}

func (c countingTransform) Apply(d transforms.Data, rng *rand.Rand) (transforms.Data, error) {
	c.n.Add(1)
	return c.inner.Apply(d, rng)
}

func (c countingTransform) Kinds() (transforms.Kind, transforms.Kind) { return c.inner.Kinds() }
func (c countingTransform) String() string                            { return "counted " + c.inner.String() }

// The next epoch's loader starts during an epoch's last step, so the epoch
// after does not begin by waiting for its first batches; every epoch still
// loads each sample once, and none is loaded after the last.
func TestNextEpochIsLoadedDuringTheLastStep(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.15)
	var loads atomic.Int64
	l, err := dataset.NewLoader(split.Train, dataset.LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 5, Workers: 1,
		Transform: countingTransform{trainTransform(), &loads}})
	require.NoError(t, err)
	n, nb := int64(l.NumSamples()), l.NumBatches()
	const epochs = 3
	cfg := chapterConfig(epochs)
	var checked int
	cfg.OnStep = func(e, i int, _ float64) {
		if i != nb-1 || e == epochs-1 {
			return
		}
		// The training loop is held here, inside epoch e: only a loader
		// started ahead can be transforming epoch e+1's samples.
		require.Eventually(t, func() bool { return loads.Load() > int64(e+1)*n }, 10*time.Second, time.Millisecond,
			"epoch %d's loader had not started by the end of epoch %d's last step", e+2, e+1)
		checked++
	}
	h, err := Train(context.Background(), tinyNet(t, 3), l, nil, cfg)
	require.NoError(t, err)
	require.Len(t, h.Epochs, epochs)
	require.Equal(t, epochs-1, checked)
	require.Equal(t, epochs*n, loads.Load(), "each epoch loads every sample once")
	for _, s := range h.Epochs {
		require.EqualValues(t, n, s.Examples)
	}
}

// A run that ends while the next epoch's loader runs ahead stops it: no
// goroutine is left behind, whether it was cancelled during the last step
// or failed after it (a bad validation image), before any epoch took it.
func TestEndingTheRunStopsTheEpochStartedAhead(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.15)
	l := loader(t, split.Train, trainTransform(), true, 4)
	net := tinyNet(t, 3)
	for _, c := range []struct {
		name      string
		cancel    bool
		badValid  bool
		wantError error
	}{{"cancelled", true, false, context.Canceled}, {"bad validation image", false, true, nil}} {
		t.Run(c.name, func(t *testing.T) {
			var valid *dataset.Loader
			if c.badValid {
				bad := filepath.Join(t.TempDir(), "bad.jpg")
				require.NoError(t, os.WriteFile(bad, []byte("not a JPEG"), 0o644))
				ds := &dataset.Dataset{Classes: split.Valid.Classes, Samples: append([]dataset.Sample{{Path: bad}}, split.Valid.Samples...)}
				valid = loader(t, ds, evalTransform(), false, 4)
			}
			before := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := chapterConfig(3)
			cfg.OnStep = func(e, i int, _ float64) {
				if c.cancel && e == 0 && i == l.NumBatches()-1 {
					cancel()
				}
			}
			_, err := Train(ctx, net, l, valid, cfg)
			require.Error(t, err)
			if c.wantError != nil {
				require.ErrorIs(t, err, c.wantError)
			} else {
				require.Contains(t, err.Error(), "bad.jpg")
			}
			// Polled here: require.Eventually runs its condition on goroutines of its own.
			after := runtime.NumGoroutine()
			for deadline := time.Now().Add(10 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
				time.Sleep(time.Millisecond)
			}
			require.LessOrEqual(t, after, before, "goroutines left running after training")
		})
	}
}
