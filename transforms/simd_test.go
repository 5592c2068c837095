package transforms

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The AVX2 assembly (*_amd64.s) against the Go code it stands in for: the
// same bytes for random inputs. The golden tests check both against Pillow.

// withoutSIMD runs f with the assembly turned off.
func withoutSIMD(t *testing.T, f func()) {
	t.Helper()
	defer UseSIMD(UseSIMD(false))
	f()
}

// TestResampleSIMDEqualsTheGoKernels: the AVX2 passes give the Go kernels'
// bytes for random regions (every window width from 2 to beyond 7, windows
// that end at the image's last byte, rows not a multiple of 32 values),
// mirrored or not.
func TestResampleSIMDEqualsTheGoKernels(t *testing.T) {
	skipWithoutSIMD(t)
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 300 {
		w, h := 1+rng.IntN(400), 1+rng.IntN(300)
		img := randomImage(rng, w, h)
		// A tight buffer: the last row's last window ends at the slice's end.
		img.Pix = img.Pix[:len(img.Pix):len(img.Pix)]
		top, left := rng.IntN(h), rng.IntN(w)
		rh, rw := 1+rng.IntN(h-top), 1+rng.IntN(w-left)
		outW, outH := 1+rng.IntN(260), 1+rng.IntN(260)
		mirror := i%2 == 1
		got := ResizedCrop(img, top, left, rh, rw, outH, outW, mirror)
		var want *Image
		withoutSIMD(t, func() { want = ResizedCrop(img, top, left, rh, rw, outH, outW, mirror) })
		require.Equal(t, want.Pix, got.Pix, "%d×%d region at (%d, %d) of %d×%d to %d×%d, mirror %v",
			rw, rh, left, top, w, h, outW, outH, mirror)
	}
}

// skipWithoutSIMD skips a comparison that has nothing to compare.
func skipWithoutSIMD(t *testing.T) {
	if !SIMD() {
		t.Skip("no AVX2 here (or a purego build): only the Go code runs")
	}
}

// randomImage is a w×h image of random values.
func randomImage(rng *rand.Rand, w, h int) *Image {
	img := NewImage(w, h)
	for j := range img.Pix {
		img.Pix[j] = uint8(rng.Uint32())
	}
	return img
}

// TestSaturationSIMDEqualsTheGoLoop: factors below 0, in [0, 1] and above
// (sums clamped at both ends), after a brightness table or none, in place
// or not, pixel counts that leave a remainder for the Go loop.
func TestSaturationSIMDEqualsTheGoLoop(t *testing.T) {
	skipWithoutSIMD(t)
	rng := rand.New(rand.NewPCG(3, 5))
	factors := []float64{0, 0.3, 0.6000001, 1, 1.4, 2.5, 40, -0.7}
	for i := range 200 {
		img := randomImage(rng, 1+rng.IntN(70), 1+rng.IntN(30))
		factor := factors[i%len(factors)]
		if i >= 2*len(factors) {
			factor = rng.Float64() * 2
		}
		lut := identityLUT()
		if i%3 > 0 {
			lut = brightnessLUT(0.5 + rng.Float64())
		}
		inPlace := i%4 == 0
		run := func() *Image {
			src := img.Clone()
			dst := src
			if !inPlace {
				dst = NewImage(img.W, img.H)
			}
			saturation(dst, src, &lut, factor)
			return dst
		}
		got := run()
		var want *Image
		withoutSIMD(t, func() { want = run() })
		require.Equal(t, want.Pix, got.Pix, "%d×%d, factor %g, table %v, in place %v",
			img.W, img.H, factor, i%3 > 0, inPlace)
	}
}

// TestLumaSumSIMDEqualsTheGoLoop: the AVX2 sum of lumas (ColorJitter's
// mean grey) and the Go loop over the pixels it leaves give the Go loop's
// sum, for random images of every length modulo 8 and one of white pixels
// whose sum passes 2^32 (summed in chunks that cannot wrap).
func TestLumaSumSIMDEqualsTheGoLoop(t *testing.T) {
	skipWithoutSIMD(t)
	goSum := func(pix []uint8) (sum uint64) {
		for i := 0; i+2 < len(pix); i += 3 {
			sum += uint64(luma(pix[i], pix[i+1], pix[i+2]))
		}
		return sum
	}
	rng := rand.New(rand.NewPCG(4, 1))
	for range 100 {
		img := randomImage(rng, 1+rng.IntN(90), 1+rng.IntN(20))
		sum, rest := lumaSumSIMD(img.Pix)
		require.Less(t, len(rest), 3*8)
		require.Equal(t, goSum(img.Pix), sum+goSum(rest), "%d×%d", img.W, img.H)
		got := meanGrey(img, nil)
		var want uint8
		withoutSIMD(t, func() { want = meanGrey(img, nil) })
		require.Equal(t, want, got)
	}
	white := NewImage(4105, 4105) // 16.85 Mpx: 255 each passes 2^32
	for j := range white.Pix {
		white.Pix[j] = 255
	}
	sum, rest := lumaSumSIMD(white.Pix)
	require.Equal(t, uint64(255*4105*4105), sum+goSum(rest))
	require.Equal(t, uint8(255), meanGrey(white, nil))
}

// TestJPEGColourSIMDEqualsTheGoLoop: 4:2:0 JPEGs of random sizes (odd ones
// included), decoded whole and as crops that start at odd and even columns.
func TestJPEGColourSIMDEqualsTheGoLoop(t *testing.T) {
	skipWithoutSIMD(t)
	rng := rand.New(rand.NewPCG(9, 4))
	for i := range 80 {
		w, h := 1+rng.IntN(150), 1+rng.IntN(60)
		src := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for _, plane := range [][]uint8{src.Y, src.Cb, src.Cr} {
			for j := range plane {
				plane[j] = uint8(rng.Uint32())
			}
		}
		var file bytes.Buffer
		require.NoError(t, jpeg.Encode(&file, src, &jpeg.Options{Quality: 90}))
		x0, y0 := rng.IntN(w), rng.IntN(h)
		region := image.Rect(x0, y0, x0+1+rng.IntN(w-x0), y0+1+rng.IntN(h-y0))
		if i%2 == 0 {
			region = image.Rect(0, 0, w, h)
		}
		crop := func(int, int) image.Rectangle { return region }
		got, err := DecodeCropped(file.Bytes(), DecodeOptions{}, crop)
		require.NoError(t, err)
		var want *Image
		withoutSIMD(t, func() { want, err = DecodeCropped(file.Bytes(), DecodeOptions{}, crop) })
		require.NoError(t, err)
		require.Equal(t, want.Pix, got.Pix, "%d×%d, region %v", w, h, region)
	}
}

// TestResizedCropWithoutSIMDAtEveryFilterWidth: the Go kernels, which run
// where AVX2 does not, match Pillow too.
func TestResizedCropWithoutSIMDAtEveryFilterWidth(t *testing.T) {
	withoutSIMD(t, func() { TestResizedCropAtEveryFilterWidth(t) })
}

// TestIDCTSIMDEqualsTheGoTransform: random blocks, dense, sparse, with only
// their first row or first column (the shortcuts of pass 1 and pass 2, lane
// by lane), of small and extreme coefficients (whose products wrap in 32
// bits), written at strides above 8 without touching the bytes between.
func TestIDCTSIMDEqualsTheGoTransform(t *testing.T) {
	skipWithoutSIMD(t)
	rng := rand.New(rand.NewPCG(5, 8))
	scales := []int64{4, 64, 1024, 1 << 20, 1 << 30}
	for i := range 4000 {
		var blk [64]int32
		scale := scales[i%len(scales)]
		for k := range blk {
			keep := true
			switch i / len(scales) % 4 {
			case 1:
				keep = rng.IntN(10) == 0
			case 2:
				keep = k < 8
			case 3:
				keep = k%8 == 0
			}
			if keep {
				blk[k] = int32(rng.Int64N(2*scale) - scale)
			}
		}
		stride := 8 + rng.IntN(20)
		want := make([]uint8, 7*stride+8)
		for j := range want {
			want[j] = uint8(j)
		}
		got := bytes.Clone(want)
		in := blk
		idctISlow(&in, want, stride)
		in = blk
		require.True(t, idctSIMD(&in, got, stride))
		require.Equal(t, want, got, "block %v, stride %d", blk, stride)
	}
}

// TestUseSIMDSwitchesAndReports: on by default exactly where the assembly
// can run, off when asked, and never on where it cannot.
func TestUseSIMDSwitchesAndReports(t *testing.T) {
	was := UseSIMD(false)
	defer UseSIMD(was)
	require.Equal(t, simdAvailable, was)
	require.False(t, SIMD())
	require.False(t, UseSIMD(true))
	require.Equal(t, simdAvailable, SIMD())
}
