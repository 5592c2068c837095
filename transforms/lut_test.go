package transforms

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The AVX-512 VBMI assembly (lut_amd64.s) against the Go loops it stands in
// for, on random inputs: colour tables and the tensor conversion.

// skipWithoutVBMI skips a comparison where that assembly does not run.
func skipWithoutVBMI(t *testing.T) {
	if !vbmiOn() {
		t.Skip("no AVX-512 VBMI here (or a purego build): only the Go code runs")
	}
}

// randomTable is a table of random values.
func randomTable(rng *rand.Rand) *[256]uint8 {
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(rng.Uint32())
	}
	return &lut
}

// TestMapBytesVBMIEqualsTheGoLoop: random tables over lengths below one
// group of 64 bytes, of whole groups and of groups and a tail, in place or
// not.
func TestMapBytesVBMIEqualsTheGoLoop(t *testing.T) {
	skipWithoutVBMI(t)
	rng := rand.New(rand.NewPCG(6, 2))
	for i := range 300 {
		lut := randomTable(rng)
		in := make([]uint8, rng.IntN(5*64))
		if i%5 == 0 {
			in = make([]uint8, 64*rng.IntN(6))
		}
		for j := range in {
			in[j] = uint8(rng.Uint32())
		}
		want := make([]uint8, len(in))
		for j, v := range in {
			want[j] = lut[v]
		}
		got := make([]uint8, len(in))
		if i%2 == 0 {
			got = slices.Clone(in)
			mapBytes(got, got, lut)
		} else {
			mapBytes(got, in, lut)
		}
		require.Equal(t, want, got, "%d bytes", len(in))
	}
}

// TestMeanGreyThroughATableSIMDEqualsTheGoLoop: the mean grey of an image
// whose values still go through a table (contrast after brightness), the
// table applied a chunk at a time and the chunk summed by the assembly,
// against the Go loop: images from one pixel to several chunks.
func TestMeanGreyThroughATableSIMDEqualsTheGoLoop(t *testing.T) {
	skipWithoutSIMD(t)
	rng := rand.New(rand.NewPCG(8, 3))
	for i := range 150 {
		img := randomImage(rng, 1+rng.IntN(120), 1+rng.IntN(40))
		lut := brightnessLUT(0.5 + rng.Float64())
		if i%2 == 1 {
			lut = *randomTable(rng)
		}
		got := meanGrey(img, &lut)
		var want uint8
		withoutSIMD(t, func() { want = meanGrey(img, &lut) })
		require.Equal(t, want, got, "%d×%d", img.W, img.H)
	}
}

// TestToTensorSIMDEqualsTheGoLoop: ToTensor and Normalize in one pass, with
// a colour table still to apply or none, normalised by ImageNet's
// statistics, by random ones, by none, or by a standard deviation of 0
// (which the assembly leaves to the Go loop), over images below one group
// of 16 pixels, of whole groups and with the tail the assembly leaves (its
// reads end 16 bytes early), written into storage filled with NaNs: the Go
// loop's values, bit for bit, everywhere.
func TestToTensorSIMDEqualsTheGoLoop(t *testing.T) {
	skipWithoutVBMI(t)
	rng := rand.New(rand.NewPCG(2, 9))
	norms := []*Normalize{nil, &ImageNetNormalize, nil, {Std: [3]float64{0, 1, 1}}}
	for i := range 200 {
		img := randomImage(rng, 1+rng.IntN(60), 1+rng.IntN(30))
		var pre *[256]uint8
		if i%3 > 0 {
			pre = randomTable(rng)
		}
		norm := norms[i%len(norms)]
		if i%len(norms) == 2 && i%8 != 2 {
			norm = &Normalize{}
			for c := range 3 {
				norm.Mean[c], norm.Std[c] = rng.Float64(), 0.05+rng.Float64()
			}
		}
		poisoned := func(c, h, w int) []float32 {
			data := make([]float32, c*h*w)
			for j := range data {
				data[j] = float32(math.NaN())
			}
			return data
		}
		got := toTensor(img, pre, norm, poisoned)
		var want *Tensor
		withoutSIMD(t, func() { want = toTensor(img, pre, norm, poisoned) })
		require.Equal(t, float32Bits(want.Data), float32Bits(got.Data), "%d×%d, norm %v", img.W, img.H, norm)
	}
}

// float32Bits is the bit patterns of data, for comparisons that tell NaNs
// and signed zeros apart.
func float32Bits(data []float32) []uint32 {
	bits := make([]uint32, len(data))
	for i, v := range data {
		bits[i] = math.Float32bits(v)
	}
	return bits
}
