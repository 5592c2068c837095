package transforms

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStringIsTorchvisionsRepr compares each transform's String with
// torchvision 0.14's repr of the same transform (scripts/golden/repr_golden.py).
func TestStringIsTorchvisionsRepr(t *testing.T) {
	raw, err := os.ReadFile("testdata/repr_golden.json")
	require.NoError(t, err)
	var want map[string]string
	require.NoError(t, json.Unmarshal(raw, &want))
	chapterTrain := MustCompose(NewRandomResizedCrop(224), RandomHorizontalFlip{P: 0.5},
		ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}, ToTensor{}, ImageNetNormalize)
	chapterTest := MustCompose(ResizeShorter(256), CenterCropSquare(224), ToTensor{}, ImageNetNormalize)
	cases := map[string]Transform{
		"resize_shorter_256":          ResizeShorter(256),
		"resize_32x48":                ResizeTo(32, 48),
		"center_crop_224":             CenterCropSquare(224),
		"random_resized_crop_224":     NewRandomResizedCrop(224),
		"random_resized_crop_96x128":  RandomResizedCrop{Size: Size{H: 96, W: 128}, Scale: [2]float64{0.25, 0.75}, Ratio: [2]float64{0.5, 2}},
		"random_resized_crop_thirds":  RandomResizedCrop{Size: Square(64), Scale: [2]float64{1.0 / 3, 2.0 / 3}, Ratio: [2]float64{2.0 / 3, 1.5}},
		"flip_half":                   RandomHorizontalFlip{P: 0.5},
		"flip_always":                 RandomHorizontalFlip{P: 1},
		"color_jitter_chapter":        ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4},
		"color_jitter_brightness_hue": ColorJitter{Brightness: 0.2, Hue: 0.1},
		"color_jitter_strong":         ColorJitter{Brightness: 1.5, Contrast: 0.25, Saturation: 2, Hue: 0.5},
		"color_jitter_none":           ColorJitter{},
		"to_tensor":                   ToTensor{},
		"normalize_imagenet":          ImageNetNormalize,
		"normalize_halves":            Normalize{Mean: [3]float64{0.5, 0.5, 0.5}, Std: [3]float64{1, 2, 1e-5}},
		"chapter_train":               chapterTrain,
		"chapter_test":                chapterTest,
	}
	require.Len(t, cases, len(want), "every golden case is built here")
	for name, tr := range cases {
		require.Contains(t, want, name)
		require.Equal(t, want[name], tr.String(), name)
	}
}

// TestPyFloatIsPythonsRepr checks the float formatting against Python's
// repr (values written out from Python 3.11).
func TestPyFloatIsPythonsRepr(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0.0", 1: "1.0", -2: "-2.0", 0.1: "0.1", 1.0 / 3: "0.3333333333333333",
		1e-4: "0.0001", 1e-5: "1e-05", 123456789012345.0: "123456789012345.0",
		1e16: "1e+16", 1.5e16: "1.5e+16", 2.5e-7: "2.5e-07",
		math.Inf(1): "inf", math.Inf(-1): "-inf",
	} {
		require.Equal(t, want, pyFloat(v), "%v", v)
	}
	require.Equal(t, "nan", pyFloat(math.NaN()))
	require.Equal(t, 1.3333, pyRound4(4.0/3))
	require.Equal(t, 0.0801, pyRound4(0.08005000000000001))
}
