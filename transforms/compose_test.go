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
