package dataset

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/transforms"
)

// convertPixels does what ToTensor then Normalize do to a byte batch, in
// float32 and in that order, and lays it out NCHW: what Images holds.
func convertPixels(b *Batch) []float32 {
	out := make([]float32, len(b.Pixels))
	hw := b.H * b.W
	for n := range b.N {
		for p := range hw {
			for c := range b.C {
				x := float32(b.Pixels[(n*hw+p)*b.C+c]) / 255
				if b.Mean != nil {
					x = (x - b.Mean[c]) / b.Std[c]
				}
				out[(n*b.C+c)*hw+p] = x
			}
		}
	}
	return out
}

func TestPixelBatchesHoldTheImagesBeforeTheirConversion(t *testing.T) {
	ds := jpegFolder(t, 23)
	pipelines := map[string]transforms.Transform{
		"train (ColorJitter's last table left to ToTensor without PixelBatches)": trainTransform(),
		"test, without Normalize":             transforms.MustCompose(transforms.ResizeShorter(32), transforms.CenterCropSquare(24), transforms.ToTensor{}),
		"ToTensor alone on a fixed-size crop": transforms.MustCompose(transforms.NewRandomResizedCrop(16), transforms.ToTensor{}),
	}
	for name, tr := range pipelines {
		t.Run(name, func(t *testing.T) {
			cache, err := NewImageCache(1 << 30)
			require.NoError(t, err)
			comparedBatches(t, ds, tr, cache, func(cfg *LoaderConfig) { cfg.PixelBatches = true }, func(_ int, w, b *Batch) {
				require.Nil(t, b.Images)
				require.Len(t, b.Pixels, w.N*w.C*w.H*w.W, "bytes, one per value")
				require.Equal(t, w.Images, convertPixels(b))
			})
		})
	}
}

// comparedBatches loads two epochs of ds through tr (shuffled, batches of
// 5; with 3 workers, then with 1 and cache) as float batches and again with
// variant applied to the configuration, requires as many batches of the
// same samples (size, labels, ids), and hands each pair to check with its
// epoch.
func comparedBatches(t *testing.T, ds *Dataset, tr transforms.Transform, cache *ImageCache, variant func(*LoaderConfig), check func(epoch int, want, got *Batch)) {
	t.Helper()
	for _, cfg := range []LoaderConfig{
		{BatchSize: 5, Shuffle: true, Seed: 7, Transform: tr, Workers: 3},
		{BatchSize: 5, Shuffle: true, Seed: 7, Transform: tr, Workers: 1, Cache: cache},
	} {
		floats := mustLoader(t, ds, cfg)
		variant(&cfg)
		other := mustLoader(t, ds, cfg)
		for epoch := range 2 {
			want, got := collect(t, floats, epoch), collect(t, other, epoch)
			require.Len(t, got, len(want))
			for i, b := range got {
				w := want[i]
				require.Equal(t, [4]int{w.N, w.C, w.H, w.W}, [4]int{b.N, b.C, b.H, b.W}, "batch %d of epoch %d", i, epoch)
				require.Equal(t, w.Labels, b.Labels)
				require.Equal(t, w.IDs, b.IDs)
				check(epoch, w, b)
			}
		}
	}
}

func TestPixelBatchesNeedAComposeEndingWithToTensor(t *testing.T) {
	ds := jpegFolder(t, 3)
	for _, tr := range []transforms.Transform{
		notCompose{trainTransform().(*transforms.Compose)},
		transforms.MustCompose(transforms.ToTensor{}, transforms.ImageNetNormalize, transforms.ImageNetNormalize),
	} {
		_, err := NewLoader(ds, LoaderConfig{Transform: tr, PixelBatches: true})
		require.ErrorContains(t, err, "PixelBatches needs a Compose ending with ToTensor")
	}
}

func TestPixelBatchesSkipBadImagesAsFloatBatchesDo(t *testing.T) {
	want, got, _ := batchesSkippingBadImages(t, func(cfg *LoaderConfig) { cfg.PixelBatches = true })
	n := 0
	for i, b := range got {
		require.Equal(t, want[i].Images, convertPixels(b))
		n += b.N
	}
	require.Equal(t, 8, n)
}

// batchesSkippingBadImages loads an epoch of 11 images, 3 of them not
// images, skipping those, as float batches (want) and with variant applied
// to the configuration (got), which must have as many batches of the same
// samples; it returns both and the dataset.
func batchesSkippingBadImages(t *testing.T, variant func(*LoaderConfig)) (want, got []*Batch, ds *Dataset) {
	t.Helper()
	ds = jpegFolder(t, 11)
	for _, i := range []int{0, 5, 6} { // later samples of their batches move up
		require.NoError(t, os.WriteFile(ds.Samples[i].Path, []byte("not a jpeg"), 0o644))
	}
	cfg := LoaderConfig{BatchSize: 4, Seed: 1, Transform: trainTransform(), SkipBadImages: true}
	want = collect(t, mustLoader(t, ds, cfg), 0)
	variant(&cfg)
	got = collect(t, mustLoader(t, ds, cfg), 0)
	require.Len(t, got, len(want))
	for i, b := range got {
		require.Equal(t, want[i].Indices, b.Indices)
	}
	return want, got, ds
}
