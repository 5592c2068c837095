package transforms

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestColourAdjustmentsMatchTorchvision(t *testing.T) {
	g := readGolden(t)
	worstOverall := 0
	for _, name := range sortedNames(g) {
		gi := g.Images[name]
		if gi.Crop16 == "" {
			continue
		}
		src := &Image{W: 16, H: 16, Pix: b64(t, gi.Crop16)}
		if gi.W < 16 || gi.H < 16 {
			continue // PIL pads the crop; the colour ops are what is tested here
		}
		for key, want := range gi.Colour {
			fn, f, _ := strings.Cut(key, ":")
			factor, err := strconv.ParseFloat(f, 64)
			require.NoError(t, err)
			var out *Image
			switch fn {
			case "adjust_brightness":
				out = AdjustBrightness(src, factor)
			case "adjust_contrast":
				out = AdjustContrast(src, factor)
			case "adjust_saturation":
				out = AdjustSaturation(src, factor)
			case "adjust_hue":
				out, err = AdjustHue(src, factor)
				require.NoError(t, err)
			default:
				t.Fatalf("unknown op %s", fn)
			}
			wantPix := b64(t, want)
			worst := 0
			for i := range wantPix {
				worst = max(worst, absInt(int(out.Pix[i])-int(wantPix[i])))
			}
			require.LessOrEqual(t, worst, 1, "%s %s: max |Δ| %d levels", name, key, worst)
			worstOverall = max(worstOverall, worst)
		}
	}
	t.Logf("colour adjustments: max |Δ| vs torchvision = %d level(s)", worstOverall)
}

func TestToTensorNormalizeMatchesTorchvision(t *testing.T) {
	g := readGolden(t)
	for _, name := range sortedNames(g) {
		gi := g.Images[name]
		if gi.Normalized == "" || gi.W < 16 || gi.H < 16 {
			continue
		}
		src := &Image{W: 16, H: 16, Pix: b64(t, gi.Crop16)}
		want := b64Float32s(t, gi.Normalized)
		// Fused and step-by-step paths.
		fused, err := MustCompose(ToTensor{}, ImageNetNormalize).ImageToTensor(src, nil)
		require.NoError(t, err)
		d, err := ToTensor{}.Apply(Data{Image: src}, nil)
		require.NoError(t, err)
		d, err = ImageNetNormalize.Apply(d, nil)
		require.NoError(t, err)
		for i := range want {
			require.InDelta(t, want[i], fused.Data[i], 1e-6, "%s fused [%d]", name, i)
			require.InDelta(t, want[i], d.Tensor.Data[i], 1e-6, "%s [%d]", name, i)
		}
	}
}
