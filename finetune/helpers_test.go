package finetune

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/demodata"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

const tinyBackbone = "testdata/tiny_backbone.pt"

// smallKaggle generates a small dog-breed-layout dataset and splits it.
func smallKaggle(t *testing.T, classes int, scale float64) (string, *dataset.Split) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, demodata.Generate(demodata.Config{Dir: dir, Classes: demodata.Breeds()[:classes],
		Scale: scale, MinSide: 40, MaxSide: 72, TestImages: 7, Seed: 3}))
	s, err := dataset.SplitKaggle(dataset.DogBreedLayout(dir), 0.25)
	require.NoError(t, err)
	return dir, s
}

// evalTransform is the chapter's test transform, scaled down for tiny images.
func evalTransform() transforms.Transform {
	return transforms.MustCompose(transforms.ResizeShorter(40), transforms.CenterCropSquare(32),
		transforms.ToTensor{}, transforms.ImageNetNormalize)
}

func trainTransform() transforms.Transform {
	return transforms.MustCompose(transforms.NewRandomResizedCrop(32), transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}, transforms.ToTensor{}, transforms.ImageNetNormalize)
}

func loader(t *testing.T, ds *dataset.Dataset, tr transforms.Transform, shuffle bool, bs int) *dataset.Loader {
	t.Helper()
	l, err := dataset.NewLoader(ds, dataset.LoaderConfig{BatchSize: bs, Shuffle: shuffle, Seed: 5, Transform: tr, Workers: 2})
	require.NoError(t, err)
	return l
}

// tinyConfig is the tests' NetConfig for the tiny backbone.
func tinyConfig(classes int) NetConfig {
	return NetConfig{Classes: classes, Hidden: 32, InputSize: 32, Device: torch.CPU, Seed: 1}
}

// loadTiny loads the tiny backbone with cfg, closed when the test ends.
func loadTiny(t *testing.T, cfg NetConfig) *Net {
	t.Helper()
	n, err := LoadNet(tinyBackbone, cfg)
	require.NoError(t, err)
	t.Cleanup(n.Close)
	return n
}

func tinyNet(t *testing.T, classes int) *Net { t.Helper(); return loadTiny(t, tinyConfig(classes)) }

func chapterConfig(epochs int) TrainConfig {
	return TrainConfig{Epochs: epochs, LR: 1e-2, WeightDecay: 1e-4, Momentum: 0.9, LRPeriod: 2, LRDecay: 0.9}
}

// waveBatch is a batch of n 224×224 RGB images whose values follow a sine:
// one input for every net of a comparison.
func waveBatch(n int) *dataset.Batch {
	b := &dataset.Batch{N: n, C: 3, H: 224, W: 224, Images: make([]float32, n*3*224*224)}
	for i := range b.Images {
		b.Images[i] = float32(math.Sin(float64(i) / 7))
	}
	return b
}

// requireFeaturesOf checks that net's features of b are want within
// float32 rounding (1e-4 of the largest), what naming net in the log.
func requireFeaturesOf(t *testing.T, want *torch.Tensor, net *Net, b *dataset.Batch, what string) {
	t.Helper()
	got, err := net.Features(b)
	require.NoError(t, err)
	defer got.Close()
	worst, scale := worstDifference(want.Float32s(), got.Float32s())
	t.Logf("%s vs the optimised backbone's features: max |Δ| %.3g, max |feature| %.3g", what, worst, scale)
	require.Less(t, worst, 1e-4*scale, what)
	require.Greater(t, scale, 0.0)
}

// refusedHere checks a backbone lever against why, its availability here
// (nil: available): where it is available, that pays says it pays for cfg;
// where not, that pays says it does not and that loading the ResNet-34 with
// it asked for (with) fails with why. It reports whether the lever was
// refused (the caller has nothing more to check).
func refusedHere(t *testing.T, why error, pays func(NetConfig) bool, cfg, with NetConfig) bool {
	t.Helper()
	if why == nil {
		require.True(t, pays(cfg))
		return false
	}
	require.False(t, pays(cfg))
	_, err := LoadNet(testenv.ResNet34(t), with)
	require.ErrorContains(t, err, why.Error())
	return true
}
