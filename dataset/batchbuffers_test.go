package dataset

import (
	"os"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
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
