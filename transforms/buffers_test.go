package transforms

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReleasedTensorStorageIsReusedAndOverwritten: ToTensor takes the
// storage a released tensor gave back, uncleared, and writes every value of
// it: poisoned with NaN before each release, the next tensors are still
// exactly the first one.
func TestReleasedTensorStorageIsReusedAndOverwritten(t *testing.T) {
	img := NewImage(7, 5)
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	pipe := MustCompose(ToTensor{}, ImageNetNormalize)
	first, err := pipe.ImageToTensor(img, nil)
	require.NoError(t, err)
	want := append([]float32(nil), first.Data...)
	cur, reused := first, 0
	for range 10 {
		poisoned := &cur.Data[0]
		for i := range cur.Data {
			cur.Data[i] = float32(math.NaN())
		}
		cur.Release()
		require.Nil(t, cur.Data)
		next, err := pipe.ImageToTensor(img, nil)
		require.NoError(t, err)
		require.Equal(t, want, next.Data)
		if &next.Data[0] == poisoned {
			reused++
		}
		cur = next
	}
	// sync.Pool may drop what it is given (at random under the race detector,
	// and at each collection), so not every time; but it keeps most.
	require.Positive(t, reused, "the released storage was never reused")
	cur.Release()
	cur.Release() // a second release is a no-op
}

func TestEndsWithNewTensor(t *testing.T) {
	require.True(t, MustCompose(NewRandomResizedCrop(8), ToTensor{}).EndsWithNewTensor())
	require.True(t, MustCompose(ResizeShorter(8), ToTensor{}, ImageNetNormalize).EndsWithNewTensor())
	require.True(t, MustCompose(ToTensor{}).EndsWithNewTensor())
	require.False(t, MustCompose(ResizeShorter(8)).EndsWithNewTensor(), "ends with an image")
	require.False(t, MustCompose(ToTensor{}, ImageNetNormalize, ImageNetNormalize).EndsWithNewTensor(),
		"only ToTensor, or ToTensor then one Normalize, is known to give new storage")
}
