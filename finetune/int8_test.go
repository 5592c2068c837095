package finetune

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// TestInt8BackboneKeepsTheFeatures: the int8 export of the ResNet-34
// fixture (same weights, calibrated on other images) gives features whose
// direction stays that of the float32 backbone's on generated dog images.
func TestInt8BackboneKeepsTheFeatures(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	split.Train.Samples = split.Train.Samples[:16]
	// The chapter's test transform at full size: int8 activation ranges hold for
	// the input size they were calibrated at (at 32×32 the cosine falls to 0.7).
	tr := transforms.MustCompose(transforms.ResizeShorter(256), transforms.CenterCropSquare(224),
		transforms.ToTensor{}, transforms.ImageNetNormalize)
	l := loader(t, split.Train, tr, false, 8)
	fp32, err := LoadNet(testenv.ResNet34(t), NetConfig{Classes: 3, Device: torch.CPU})
	require.NoError(t, err)
	defer fp32.Close()
	int8, err := LoadNet(testenv.ResNet34Int8(t), NetConfig{Classes: 3, Device: torch.CPU})
	require.NoError(t, err)
	defer int8.Close()
	var cosines []float64
	bs := epochBatches(t, l)
	featurePairs(t, bs, bs, fp32, int8, func(b *dataset.Batch, av, qv []float32) {
		k := fp32.FeatureDim
		for i := 0; i < b.N; i++ {
			cosines = append(cosines, cosine(av[i*k:(i+1)*k], qv[i*k:(i+1)*k]))
		}
	})
	worst, mean := 1.0, 0.0
	for _, c := range cosines {
		worst, mean = math.Min(worst, c), mean+c/float64(len(cosines))
	}
	t.Logf("int8 vs float32 features over %d images: cosine mean %.4f, worst %.4f", len(cosines), mean, worst)
	require.Greater(t, mean, 0.99)
	require.Greater(t, worst, 0.98)
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}
