package finetune

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// pixelLoader is loader with the images left as bytes (PixelBatches).
func pixelLoader(t *testing.T, ds *dataset.Dataset, tr transforms.Transform, shuffle bool, bs int) *dataset.Loader {
	t.Helper()
	l, err := dataset.NewLoader(ds, dataset.LoaderConfig{BatchSize: bs, Shuffle: shuffle, Seed: 5, Transform: tr,
		Workers: 2, PixelBatches: true})
	require.NoError(t, err)
	return l
}

// TestPixelBatchesGiveTheFloatBatchesFeatures: the backbone's input made on
// the device from a byte batch is the float32 batch's, so the features are
// too, on the plain, channels-last and replicated paths.
func TestPixelBatchesGiveTheFloatBatchesFeatures(t *testing.T) {
	requirePixelFeatures(t, torch.CPU)
}

// requirePixelFeatures compares the features of pixel and float batches
// with the backbone on dev.
func requirePixelFeatures(t *testing.T, dev torch.Device) {
	_, split := smallKaggle(t, 3, 0.1)
	for name, tr := range map[string]transforms.Transform{"test transform": evalTransform(), "train transform": trainTransform()} {
		for _, cl := range []bool{false, true} {
			for _, devs := range [][]torch.Device{nil, {dev, dev}} {
				cfg := tinyConfig(3)
				cfg.Device, cfg.ChannelsLast, cfg.BackboneDevices = dev, cl, devs
				net := loadTiny(t, cfg)
				floats := epochBatches(t, loader(t, split.Train, tr, true, 7))
				pixels := epochBatches(t, pixelLoader(t, split.Train, tr, true, 7))
				require.NotNil(t, pixels[0].Pixels)
				n := featurePairs(t, floats, pixels, net, net, func(_ *dataset.Batch, w, g []float32) {
					requireAllClose(t, w, g, 1e-5, fmt.Sprintf("%s, channels-last %v, replicas %v", name, cl, devs))
				})
				require.Equal(t, split.Train.Len(), n)
			}
		}
	}
}

// TestTrainingOnPixelBatchesEqualsFloatBatches: two epochs with validation
// end with the same head either way.
func TestTrainingOnPixelBatchesEqualsFloatBatches(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	train := func(load func(*testing.T, *dataset.Dataset, transforms.Transform, bool, int) *dataset.Loader) [][]float32 {
		n := tinyNet(t, 3)
		_, err := Train(context.Background(), n, load(t, split.Train, trainTransform(), true, 4),
			load(t, split.Valid, evalTransform(), false, 4), chapterConfig(2))
		require.NoError(t, err)
		return headValues(n)
	}
	want, got := train(loader), train(pixelLoader)
	require.Len(t, got, len(want))
	for i := range want {
		requireAllClose(t, want[i], got[i], 1e-5, "head parameters")
	}
}
