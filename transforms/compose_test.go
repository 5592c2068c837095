package transforms

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitTensorTail(t *testing.T) {
	train := trainPipeline()
	head, norm, ok := train.SplitTensorTail()
	require.True(t, ok)
	require.Equal(t, train.Steps()[:3], head.Steps())
	require.Equal(t, &ImageNetNormalize, norm)

	// The head's image, converted as ToTensor then Normalize, is the
	// pipeline's tensor, with the same draws.
	img := NewImage(60, 45)
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	want, err := train.ImageToTensor(img, rand.New(rand.NewPCG(3, 4)))
	require.NoError(t, err)
	got, err := head.Apply(Data{Image: img}, rand.New(rand.NewPCG(3, 4)))
	require.NoError(t, err)
	conv, err := MustCompose(ToTensor{}, ImageNetNormalize).ImageToTensor(got.Image, nil)
	require.NoError(t, err)
	require.Equal(t, want.Data, conv.Data)

	head, norm, ok = MustCompose(CenterCropSquare(8), ToTensor{}).SplitTensorTail()
	require.True(t, ok)
	require.Len(t, head.Steps(), 1)
	require.Nil(t, norm)

	for _, c := range []*Compose{
		MustCompose(ToTensor{}, ImageNetNormalize, ImageNetNormalize),
		MustCompose(ToTensor{}, Normalize{Mean: [3]float64{0.5, 0.5, 0.5}, Std: [3]float64{1, 0, 1}}),
		MustCompose(CenterCropSquare(8)),
		MustCompose(),
	} {
		_, _, ok := c.SplitTensorTail()
		require.False(t, ok, "%s", c)
	}
}

// TestDecodeApplyToWritesIntoTheGivenStorage: with a destination of the
// right size the pipelines that make their tensor in one pass (the train
// pipeline: ColorJitter, ToTensor, Normalize; the test pipeline: ToTensor,
// Normalize; a whole-image decode before them) write it there, poisoned
// first, with DecodeApply's values; a wrong size or nil, or a ToTensor
// without its Normalize, gets storage of its own, the same values.
func TestDecodeApplyToWritesIntoTheGivenStorage(t *testing.T) {
	files := benchData(t)
	noCrop := MustCompose(ColorJitter{Brightness: 0.4}, ToTensor{}, ImageNetNormalize) // decodes the whole image
	for _, c := range []*Compose{trainPipeline(), testPipeline(), noCrop} {
		for i, data := range files {
			want, err := c.DecodeApply(data, DecodeOptions{}, rand.New(rand.NewPCG(5, uint64(i))))
			require.NoError(t, err)
			var given []float32
			var asked [3]int
			got, err := c.DecodeApplyTo(data, DecodeOptions{}, rand.New(rand.NewPCG(5, uint64(i))), func(ch, h, w int) []float32 {
				asked = [3]int{ch, h, w}
				given = make([]float32, ch*h*w)
				for j := range given {
					given[j] = -1e30
				}
				return given
			})
			require.NoError(t, err)
			require.Equal(t, [3]int{want.Tensor.C, want.Tensor.H, want.Tensor.W}, asked, "%s", c)
			require.Same(t, &given[0], &got.Tensor.Data[0], "%s: written in place", c)
			require.Equal(t, want.Tensor.Data, got.Tensor.Data, "%s", c)

			for _, dest := range []TensorDest{
				func(int, int, int) []float32 { return nil },
				func(ch, h, w int) []float32 { return make([]float32, ch*h*w-1) },
			} {
				got, err := c.DecodeApplyTo(data, DecodeOptions{}, rand.New(rand.NewPCG(5, uint64(i))), dest)
				require.NoError(t, err)
				require.Equal(t, want.Tensor.Data, got.Tensor.Data, "%s", c)
			}
		}
	}
	// ToTensor alone is not fused: the destination is not asked for.
	alone := MustCompose(ResizeShorter(40), CenterCropSquare(32), ToTensor{})
	got, err := alone.DecodeApplyTo(files[0], DecodeOptions{}, nil, func(int, int, int) []float32 {
		t.Fatal("asked for a destination")
		return nil
	})
	require.NoError(t, err)
	require.Len(t, got.Tensor.Data, 3*32*32)
}
