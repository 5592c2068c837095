package dataset

import (
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/transforms"
)

// TestRecycledBatchesEqualFreshOnes: a consumer that gives every batch back
// (its buffers poisoned first) gets the batches one that keeps them gets -
// float, byte and plan batches, with a bad image skipped - and the loader
// does reuse the buffers given back.
func TestRecycledBatchesEqualFreshOnes(t *testing.T) {
	ds := jpegFolder(t, 23)
	require.NoError(t, os.WriteFile(ds.Samples[4].Path, []byte("not a jpeg"), 0o644))
	for _, tc := range []struct {
		name    string
		variant func(*LoaderConfig)
	}{
		{"float", func(*LoaderConfig) {}},
		{"pixels", func(c *LoaderConfig) { c.PixelBatches = true }},
		{"plans", func(c *LoaderConfig) { c.AugmentOnDevice = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := LoaderConfig{BatchSize: 5, Shuffle: true, Seed: 7, Transform: trainTransform(), Workers: 3, Prefetch: 1, SkipBadImages: true}
			tc.variant(&cfg)
			keeping, recycling := mustLoader(t, ds, cfg), mustLoader(t, ds, cfg)
			given := map[unsafe.Pointer]bool{} // the first element of every buffer given back
			reused := 0
			for epoch := range 3 {
				want := collect(t, keeping, epoch)
				i := 0
				for b, err := range recycling.Batches(t.Context(), epoch) {
					require.NoError(t, err)
					require.Less(t, i, len(want))
					require.Equal(t, want[i], b, "batch %d of epoch %d", i, epoch)
					for _, p := range []unsafe.Pointer{first(b.Images), first(b.Pixels), first(b.Crops)} {
						if given[p] {
							reused++
						}
						if p != nil {
							given[p] = true
						}
					}
					for j := range b.Images {
						b.Images[j] = -1e30
					}
					for _, s := range [][]uint8{b.Pixels, b.Crops} {
						for j := range s {
							s[j] = 0xAB
						}
					}
					labels := append([]int64(nil), b.Labels...)
					recycling.Recycle(b)
					require.Nil(t, b.Images)
					require.Nil(t, b.Pixels)
					require.Nil(t, b.Crops)
					require.Nil(t, b.Plans)
					require.Equal(t, labels, b.Labels, "the labels stay")
					i++
				}
				require.Equal(t, len(want), i, "epoch %d", epoch)
			}
			require.Positive(t, reused, "no batch reused a buffer given back")
		})
	}
}

func first[T any](s []T) unsafe.Pointer {
	if cap(s) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(s))
}

// TestBatchBuffersKeepTheLargestUpToTheirLimit: takes reuse a kept buffer
// large enough (whatever it holds) and allocate otherwise; beyond the
// limit a larger buffer replaces the smallest kept one.
func TestBatchBuffersKeepTheLargestUpToTheirLimit(t *testing.T) {
	p := batchBuffers{keep: 2}
	small, mid, big := make([]float32, 10), make([]float32, 20), make([]float32, 30)
	small[0] = 7
	p.give(&Batch{Images: small})
	p.give(&Batch{Images: mid})
	p.give(&Batch{Images: big}) // replaces small
	require.Len(t, p.floats, 2)
	p.give(&Batch{Images: make([]float32, 5)}) // smaller than both: dropped
	got := p.takeFloats(25)
	require.Len(t, got, 25)
	require.Same(t, &big[0], &got[0])
	got = p.takeFloats(8)
	require.Same(t, &mid[0], &got[0])
	got = p.takeFloats(8) // none left: a new one
	require.Len(t, got, 8)
	require.NotSame(t, &small[0], &got[0])
	require.Zero(t, got[0])

	bytes := batchBuffers{keep: 1}
	pix := make([]uint8, 12)
	bytes.give(&Batch{Pixels: pix})
	require.Same(t, &pix[0], &bytes.takeBytes(12)[0])
	none := batchBuffers{} // keep 0: nothing kept
	none.give(&Batch{Images: small, Pixels: pix})
	require.Empty(t, none.floats)
	require.Empty(t, none.bytes)
}

// TestLoadersShareBuffersAcrossPasses: loaders take their buffers from the
// process's one pool, and a pass starts on the buffers the passes before it
// gave back: a validation loader on the training loader's, the next epoch
// on those again, none allocated afresh once the first epoch has made them.
func TestLoadersShareBuffersAcrossPasses(t *testing.T) {
	ds := jpegFolder(t, 23)
	cfg := LoaderConfig{BatchSize: 5, Shuffle: true, Seed: 3, Transform: trainTransform(), Workers: 2, Prefetch: 1}
	train := mustLoader(t, ds, cfg)
	cfg.Shuffle, cfg.Transform = false, transforms.MustCompose(transforms.ResizeShorter(32), transforms.CenterCropSquare(24),
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	valid := mustLoader(t, ds, cfg)
	require.Same(t, sharedBuffers, train.buffers)
	require.Same(t, sharedBuffers, valid.buffers)

	pool := &batchBuffers{idle: time.Hour} // this test's own: other tests' loaders share sharedBuffers
	train.buffers, valid.buffers = pool, pool
	made := map[unsafe.Pointer]bool{}
	pass := func(l *Loader, epoch int) (fresh int) {
		for b, err := range l.Batches(t.Context(), epoch) {
			require.NoError(t, err)
			if p := first(b.Images); !made[p] {
				made[p] = true
				fresh++
			}
			l.Recycle(b)
		}
		return fresh
	}
	require.Positive(t, pass(train, 0))
	require.Zero(t, pass(valid, 0), "the validation pass allocated its own buffers")
	require.Zero(t, pass(train, 1), "the second epoch allocated its own buffers")
}

// TestBatchBuffersLetGoOnceIdle: the buffers stay while a pass runs and
// for the pool's idle time after the last one ends, unless a pass begins
// in it; then they, and the limit, are let go.
func TestBatchBuffersLetGoOnceIdle(t *testing.T) {
	kept := func(p *batchBuffers) int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.floats)
	}
	p := &batchBuffers{idle: 200 * time.Millisecond}
	p.begin(2)
	p.give(&Batch{Images: make([]float32, 10)})
	p.end(2)
	p.begin(3) // within the idle time: the release is called off
	time.Sleep(3 * p.idle)
	require.Equal(t, 1, kept(p))
	require.Equal(t, 3, p.keep, "the limit: the most the passes asked for")
	p.end(3)
	require.Eventually(t, func() bool { return kept(p) == 0 }, 10*time.Second, 10*time.Millisecond)
	p.mu.Lock()
	require.Zero(t, p.keep)
	p.mu.Unlock()
	p.give(&Batch{Images: make([]float32, 10)}) // after the release, with no pass: not kept
	require.Zero(t, kept(p))

	now := &batchBuffers{} // idle 0: let go as the last pass ends
	now.begin(1)
	now.give(&Batch{Images: make([]float32, 10)})
	require.Equal(t, 1, kept(now))
	now.end(1)
	require.Zero(t, kept(now))
}
