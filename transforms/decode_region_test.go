package transforms

import (
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func testImageFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "images", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestDecodeCroppedEqualsDecodeThenCrop: regions inside, at the edges of and
// reaching outside every test image give what the whole image cropped gives.
func TestDecodeCroppedEqualsDecodeThenCrop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f := range testImageFiles(t) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		whole, err := Decode(data, DecodeOptions{})
		require.NoError(t, err)
		W, H := whole.W, whole.H
		regions := []image.Rectangle{image.Rect(0, 0, W, H), image.Rect(W-1, H-1, W, H),
			image.Rect(0, 0, 1, 1), image.Rect(-3, 2, W/2, H+4)}
		for range 12 {
			x0, y0 := rng.IntN(W), rng.IntN(H)
			regions = append(regions, image.Rect(x0, y0, x0+1+rng.IntN(W-x0), y0+1+rng.IntN(H-y0)))
		}
		for _, r := range regions {
			calls := 0
			got, err := DecodeCropped(data, DecodeOptions{}, func(w, h int) image.Rectangle {
				calls++
				require.Equal(t, [2]int{W, H}, [2]int{w, h})
				return r
			})
			require.NoError(t, err)
			require.Equal(t, 1, calls, "%s: crop asked once", f)
			want := whole.Crop(r.Min.Y, r.Min.X, r.Dy(), r.Dx())
			require.Equal(t, want.W, got.W)
			require.Equal(t, want.H, got.H)
			require.True(t, equalPix(want, got), "%s region %v", f, r)
		}
	}
}

func equalPix(a, b *Image) bool {
	if a.W != b.W || a.H != b.H || len(a.Pix) != len(b.Pix) {
		return false
	}
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			return false
		}
	}
	return true
}

// TestDecodeApplyEqualsDecodeThenApply: the train pipeline on partly
// decoded images gives the same tensors, with the same random draws, as on
// whole ones; so do pipelines that do not start with a crop.
func TestDecodeApplyEqualsDecodeThenApply(t *testing.T) {
	pipelines := map[string]*Compose{
		"train":     trainPipeline(),
		"crop only": MustCompose(NewRandomResizedCrop(64), ToTensor{}),
		"test":      testPipeline(),
	}
	for name, c := range pipelines {
		for _, f := range testImageFiles(t) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			for seed := range uint64(4) {
				img, err := Decode(data, DecodeOptions{})
				require.NoError(t, err)
				r1 := rand.New(rand.NewPCG(seed, 1))
				want, err := c.Apply(Data{Image: img}, r1)
				require.NoError(t, err)
				r2 := rand.New(rand.NewPCG(seed, 1))
				got, err := c.DecodeApply(data, DecodeOptions{}, r2)
				require.NoError(t, err)
				require.Equal(t, want.Tensor.Data, got.Tensor.Data, "%s %s seed %d", name, f, seed)
				require.Equal(t, r1.Uint64(), r2.Uint64(), "the same number of draws")
			}
		}
	}
}

func TestDecodeApplyReportsDecodeErrors(t *testing.T) {
	_, err := trainPipeline().DecodeApply([]byte("not an image"), DecodeOptions{}, rand.New(rand.NewPCG(1, 1)))
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.ErrorContains(t, err, "not a readable image")
	bad := NewRandomResizedCrop(0) // a size of 0: the pipeline fails, not the decoding
	_, err = MustCompose(bad, ToTensor{}).DecodeApply([]byte("P6 1 1 255\n\x01\x02\x03"), DecodeOptions{}, nil)
	require.Error(t, err)
	require.False(t, errors.As(err, &de), "a pipeline error is not a decoding error: %v", err)
}

// TestResizeThenCenterCropFused: Compose's fused Resize + CenterCrop (only
// the kept pixels computed) and DecodeApply (only the pixels they read
// decoded) equal the two steps applied one after the other, including crops
// larger than the image (padded) and exact sizes.
func TestResizeThenCenterCropFused(t *testing.T) {
	cases := []struct {
		r Resize
		c CenterCrop
	}{
		{ResizeShorter(256), CenterCropSquare(224)}, {ResizeShorter(40), CenterCropSquare(40)},
		{ResizeShorter(24), CenterCrop{H: 30, W: 20}}, {ResizeTo(100, 150), CenterCrop{H: 99, W: 37}},
		{ResizeShorter(300), CenterCrop{H: 301, W: 5}},
	}
	for _, f := range testImageFiles(t) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		img, err := Decode(data, DecodeOptions{})
		require.NoError(t, err)
		for _, tc := range cases {
			r, err := tc.r.Apply(Data{Image: img}, nil)
			require.NoError(t, err)
			want, err := tc.c.Apply(r, nil)
			require.NoError(t, err)
			c := MustCompose(tc.r, tc.c)
			got, err := c.Apply(Data{Image: img}, nil)
			require.NoError(t, err)
			require.True(t, equalPix(want.Image, got.Image), "%s %v %v: Apply", f, tc.r, tc.c)
			got, err = c.DecodeApply(data, DecodeOptions{}, nil)
			require.NoError(t, err)
			require.True(t, equalPix(want.Image, got.Image), "%s %v %v: DecodeApply", f, tc.r, tc.c)
		}
	}
}
