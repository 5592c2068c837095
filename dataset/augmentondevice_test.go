package dataset

import (
	"image"
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

// TestRegionPlansLeaveCachedCropsInTheirImage: with RegionPlans, the plan
// of a cached image keeps its crop as a region of the cache's image (the
// same one every epoch), with the draws and pixels of the packed plan;
// images the cache has no room for are packed in Crops as before.
func TestRegionPlansLeaveCachedCropsInTheirImage(t *testing.T) {
	ds := jpegFolder(t, 13)
	planner, err := transforms.NewAugmentPlanner(trainTransform().(*transforms.Compose))
	require.NoError(t, err)
	// Room for some of the images only: 40-99 px a side, 3 bytes a pixel.
	cache, err := NewImageCache(6 * 70 * 70 * 3)
	require.NoError(t, err)
	sources := map[int]*transforms.Image{}
	regions, packed := 0, 0
	for epoch := range 2 {
		l := mustLoader(t, ds, LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 7, Transform: trainTransform(), Workers: 2,
			Cache: cache, AugmentOnDevice: true, RegionPlans: true})
		for _, b := range collect(t, l, epoch) {
			crops := []uint8{}
			for j, p := range b.Plans {
				img, err := transforms.DecodeFile(ds.Samples[b.Indices[j]].Path, transforms.DecodeOptions{})
				require.NoError(t, err)
				want, err := planner.Plan(img, SampleRNG(7, epoch, b.Indices[j]))
				require.NoError(t, err)
				require.Equal(t, want.Crop.Pix, p.AppendCrop(nil), "sample %d", b.Indices[j])
				if p.Source != nil {
					require.Nil(t, p.Crop)
					if seen, ok := sources[b.Indices[j]]; ok {
						require.Same(t, seen, p.Source, "the cache's image, every epoch")
					}
					sources[b.Indices[j]] = p.Source
					p.Source, p.Region, p.Crop = nil, image.Rectangle{}, want.Crop
					regions++
				} else {
					crops = append(crops, p.Crop.Pix...)
					packed++
				}
				require.Equal(t, want, p)
			}
			require.Equal(t, crops, b.Crops)
		}
	}
	require.Positive(t, packed)
	require.Positive(t, regions)
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
