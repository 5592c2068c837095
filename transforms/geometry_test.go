package transforms

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResizeAndCenterCropAreBitExactAgainstPillow(t *testing.T) {
	g := readGolden(t)
	n := 0
	for _, name := range sortedNames(g) {
		gi := g.Images[name]
		if gi.Resize256 == nil {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			src := pilRGB(t, name)
			d, err := ResizeShorter(256).Apply(Data{Image: src}, nil)
			require.NoError(t, err)
			requireSame(t, gi.Resize256, d.Image, "Resize(256)")
			c, err := CenterCropSquare(224).Apply(d, nil)
			require.NoError(t, err)
			requireSame(t, gi.Center224, c.Image, "Resize(256)+CenterCrop(224)")

			d, err = ResizeTo(100, 150).Apply(Data{Image: src}, nil)
			require.NoError(t, err)
			requireSame(t, gi.Resize100x150, d.Image, "Resize((100, 150))")

			c, err = CenterCropSquare(64).Apply(Data{Image: src}, nil)
			require.NoError(t, err)
			requireSame(t, gi.CenterCrop64, c.Image, "CenterCrop(64)")
		})
	}
	require.GreaterOrEqual(t, n, 20, "golden JPEGs")
}

func TestResizedCropAndFlipAreBitExactAgainstPillow(t *testing.T) {
	g := readGolden(t)
	for _, name := range sortedNames(g) {
		gi := g.Images[name]
		if gi.ResizedCrop == nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			src := pilRGB(t, name)
			rc := gi.ResizedCrop
			out := ResizedCrop(src, rc.Top, rc.Left, rc.Height, rc.Width, 224, 224, false)
			requireSame(t, rc, out, fmt.Sprintf("resized_crop(%d,%d,%d,%d)", rc.Top, rc.Left, rc.Height, rc.Width))
			requireSame(t, gi.ResizedCropFlip, out.FlipHorizontal(), "hflip(resized_crop)")
			// The fused path (mirror while resampling) gives the same pixels.
			fused := ResizedCrop(src, rc.Top, rc.Left, rc.Height, rc.Width, 224, 224, true)
			requireSame(t, gi.ResizedCropFlip, fused, "resized_crop with mirror")
		})
	}
}

func TestComposeFusionGivesTheSameResultAsStepByStep(t *testing.T) {
	src := pilRGB(t, "j00_500x375_420.jpg")
	rrc := NewRandomResizedCrop(224)
	flip := RandomHorizontalFlip{P: 0.5}
	jitter := ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}
	other := Normalize{Mean: [3]float64{0.1, 0.2, 0.3}, Std: [3]float64{2, 3, 4}}
	for _, steps := range [][]Transform{
		{rrc, flip, jitter, ToTensor{}, ImageNetNormalize}, // the chapter's
		{rrc, jitter, ToTensor{}},
		{jitter, ToTensor{}, ImageNetNormalize, other}, // a step after the fused ones
		{ToTensor{}, ImageNetNormalize, other},
		{ColorJitter{Brightness: 0.4, Contrast: 0.4}, ToTensor{}, ImageNetNormalize},
	} {
		fused := MustCompose(steps...)
		for seed := uint64(0); seed < 8; seed++ {
			a, err := fused.ImageToTensor(src, rand.New(rand.NewPCG(seed, 1)))
			require.NoError(t, err)
			// Step by step, each transform on its own.
			rng := rand.New(rand.NewPCG(seed, 1))
			d := Data{Image: src}
			for _, step := range steps {
				d, err = step.Apply(d, rng)
				require.NoError(t, err)
			}
			require.Equal(t, d.Tensor.Data, a.Data, "%s, seed %d", fused, seed)
		}
	}
}

func TestComposeRejectsStepsInTheWrongOrder(t *testing.T) {
	_, err := NewCompose(ToTensor{}, ResizeShorter(256))
	require.Error(t, err)
	require.Contains(t, err.Error(), "Resize(size=256")
	require.Contains(t, err.Error(), "takes a image but ToTensor() gives a tensor")
	_, err = NewCompose(ImageNetNormalize)
	require.ErrorContains(t, err, "the input image")
	c, err := NewCompose(ResizeShorter(8), CenterCropSquare(4), ToTensor{})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(c.String(), "Compose("))
	// The caller's order is kept.
	require.Equal(t, "Resize(size=8, interpolation=bilinear, max_size=None, antialias=None)", c.Steps()[0].String())
	require.Equal(t, "ToTensor()", c.Steps()[2].String())
}

func TestCropOutsideTheImageIsBlack(t *testing.T) {
	img := NewImage(2, 2)
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	c := img.Crop(-1, -1, 4, 4)
	require.Equal(t, 4, c.W)
	r, _, _ := c.At(0, 0)
	require.Equal(t, uint8(0), r)
	r, _, _ = c.At(1, 1)
	require.Equal(t, uint8(200), r)
	r, _, _ = c.At(3, 3)
	require.Equal(t, uint8(0), r)
}

func TestTransformsRejectBadParameters(t *testing.T) {
	img := NewImage(10, 10)
	_, err := ResizeTo(0, 5).Apply(Data{Image: img}, nil)
	require.ErrorContains(t, err, "must be positive")
	_, err = CenterCrop{H: -1, W: 3}.Apply(Data{Image: img}, nil)
	require.ErrorContains(t, err, "must be positive")
	rng := rand.New(rand.NewPCG(1, 2))
	_, err = RandomResizedCrop{Size: Square(8), Scale: [2]float64{0.5, 0.1}, Ratio: [2]float64{1, 1}}.Apply(Data{Image: img}, rng)
	require.ErrorContains(t, err, "increasing")
	_, err = ResizeShorter(4).Apply(Data{Image: NewImage(0, 3)}, nil)
	require.ErrorContains(t, err, "empty")
	_, err = ColorJitter{Hue: 0.7}.Apply(Data{Image: img}, rng)
	require.ErrorContains(t, err, "hue")
	_, err = ToTensor{}.Apply(Data{Tensor: &Tensor{}}, nil)
	require.ErrorContains(t, err, "put it before ToTensor")
	_, err = Normalize{Std: [3]float64{1, 0, 1}}.Apply(Data{Tensor: &Tensor{C: 3}}, nil)
	require.ErrorContains(t, err, "std must not be zero")
}
