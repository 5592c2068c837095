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

// TestJitterAppliesTheAdjustmentsInItsOrder: Jitter, which merges runs of
// brightness and contrast into one table, gives for every one of the 24
// orders the values of the adjustments applied one after another (each
// checked against torchvision above), with factors below and above 1, with
// and without hue.
func TestJitterAppliesTheAdjustmentsInItsOrder(t *testing.T) {
	src := pilRGB(t, "j00_500x375_420.jpg")
	f := func(v float64) *float64 { return &v }
	for _, p := range []JitterParams{
		{Brightness: f(1.3), Contrast: f(0.7), Saturation: f(1.4), Hue: f(0.05)},
		{Brightness: f(0.6), Contrast: f(1.35), Saturation: f(0.65)},
		{Brightness: f(1.25), Contrast: f(1.3)},
	} {
		for _, order := range permutations([]int{0, 1, 2, 3}) {
			copy(p.Order[:], order)
			got, err := Jitter(src, p)
			require.NoError(t, err)
			want := src
			for _, fn := range order {
				switch {
				case fn == 0 && p.Brightness != nil:
					want = AdjustBrightness(want, *p.Brightness)
				case fn == 1 && p.Contrast != nil:
					want = AdjustContrast(want, *p.Contrast)
				case fn == 2 && p.Saturation != nil:
					want = AdjustSaturation(want, *p.Saturation)
				case fn == 3 && p.Hue != nil:
					want, err = AdjustHue(want, *p.Hue)
					require.NoError(t, err)
				}
			}
			require.Equal(t, want.Pix, got.Pix, "order %v", order)
		}
	}
}

// permutations lists every ordering of xs.
func permutations(xs []int) [][]int {
	if len(xs) <= 1 {
		return [][]int{append([]int(nil), xs...)}
	}
	var all [][]int
	for i := range xs {
		rest := append(append([]int(nil), xs[:i]...), xs[i+1:]...)
		for _, p := range permutations(rest) {
			all = append(all, append([]int{xs[i]}, p...))
		}
	}
	return all
}
