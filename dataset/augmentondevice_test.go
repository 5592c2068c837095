package dataset

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/transforms"
)

// TestAugmentOnDeviceBatchesHoldEachSamplesPlan: with AugmentOnDevice the
// batches hold, for the float batches' samples in the same order, each
// sample's plan as its own generator draws it (decoding only the crop, or
// from the cache), the crops packed in order in Crops.
func TestAugmentOnDeviceBatchesHoldEachSamplesPlan(t *testing.T) {
	ds := jpegFolder(t, 13)
	planner, err := transforms.NewAugmentPlanner(trainTransform().(*transforms.Compose))
	require.NoError(t, err)
	cache, err := NewImageCache(1 << 30)
	require.NoError(t, err)
	comparedBatches(t, ds, trainTransform(), cache, func(cfg *LoaderConfig) { cfg.AugmentOnDevice = true }, func(epoch int, _, b *Batch) {
		require.Nil(t, b.Images)
		require.Nil(t, b.Pixels)
		require.Equal(t, []float32{0.485, 0.456, 0.406}, b.Mean)
		require.Len(t, b.Plans, b.N)
		var packed []uint8
		for j, p := range b.Plans {
			img, err := transforms.DecodeFile(ds.Samples[b.Indices[j]].Path, transforms.DecodeOptions{})
			require.NoError(t, err)
			plan, err := planner.Plan(img, SampleRNG(7, epoch, b.Indices[j]))
			require.NoError(t, err)
			require.Equal(t, plan, p, "sample %d", j)
			packed = append(packed, p.Crop.Pix...)
			if len(p.Crop.Pix) > 0 {
				require.Same(t, &b.Crops[len(packed)-len(p.Crop.Pix)], &p.Crop.Pix[0], "a window of Crops")
			}
		}
		require.Equal(t, packed, b.Crops)
	})
}

func TestAugmentOnDeviceSkipsBadImagesAsFloatBatchesDo(t *testing.T) {
	onDevice := func(cfg *LoaderConfig) { cfg.AugmentOnDevice = true }
	_, got, ds := batchesSkippingBadImages(t, onDevice)
	for _, b := range got {
		require.Len(t, b.Plans, b.N)
		var packed []uint8
		for _, p := range b.Plans {
			packed = append(packed, p.Crop.Pix...)
		}
		require.Equal(t, packed, b.Crops)
	}
	// Without SkipBadImages the first bad file ends the epoch, named.
	cfg := LoaderConfig{BatchSize: 4, Seed: 1, Transform: trainTransform()}
	onDevice(&cfg)
	var last error
	for _, err := range mustLoader(t, ds, cfg).Batches(t.Context(), 0) {
		last = err
	}
	require.ErrorContains(t, last, ds.Samples[0].Path)
}

func TestAugmentOnDeviceNeedsAPlannablePipeline(t *testing.T) {
	ds := jpegFolder(t, 3)
	for tr, says := range map[transforms.Transform]string{
		notCompose{trainTransform().(*transforms.Compose)}:                                                           "AugmentOnDevice needs a Compose",
		transforms.MustCompose(transforms.ResizeShorter(32), transforms.CenterCropSquare(24), transforms.ToTensor{}): "starting with RandomResizedCrop, not Resize",
	} {
		_, err := NewLoader(ds, LoaderConfig{Transform: tr, AugmentOnDevice: true})
		require.ErrorContains(t, err, says)
	}
}
