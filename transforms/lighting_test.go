package transforms

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLightingAddsThePCAOffset(t *testing.T) {
	l := Lighting{AlphaStd: 0.1}
	// The offset is eigvec · (alpha ⊙ eigval), alpha drawn from N(0, 0.1²).
	rng := rand.New(rand.NewPCG(3, 4))
	alpha := [3]float64{rng.NormFloat64() * 0.1, rng.NormFloat64() * 0.1, rng.NormFloat64() * 0.1}
	eigval := [3]float64{55.46, 4.794, 1.148}
	eigvec := [3][3]float64{{-0.5675, 0.7192, 0.4009}, {-0.5808, -0.0045, -0.8140}, {-0.5836, -0.6948, 0.4203}}
	var want [3]float64
	for c := range want {
		for j := range 3 {
			want[c] += eigvec[c][j] * alpha[j] * eigval[j]
		}
	}
	got := l.Offset(rand.New(rand.NewPCG(3, 4)))
	for c := range want {
		require.InDelta(t, want[c], got[c], 1e-12)
	}

	img := NewImage(3, 1)
	copy(img.Pix, []uint8{0, 0, 0, 128, 128, 128, 255, 255, 255})
	d, err := l.Apply(Data{Image: img}, rand.New(rand.NewPCG(3, 4)))
	require.NoError(t, err)
	for x := range 3 {
		for c := range 3 {
			v := float64(img.Pix[3*x+c]) + want[c]
			exp := uint8(math.Max(0, math.Min(255, math.RoundToEven(v))))
			require.Equal(t, exp, d.Image.Pix[3*x+c], "pixel %d channel %d", x, c)
		}
	}
	require.Equal(t, uint8(128), img.Pix[3], "the input is not modified")

	// Over many images the offsets average to zero with the PCA spread.
	rng = rand.New(rand.NewPCG(5, 6))
	var sum, sq float64
	const n = 20000
	for range n {
		o := l.Offset(rng)
		sum += o[0]
		sq += o[0] * o[0]
	}
	std := 0.0
	for j := range 3 {
		std += math.Pow(eigvec[0][j]*eigval[j]*0.1, 2)
	}
	require.InDelta(t, 0, sum/n, 4*math.Sqrt(std/n))
	require.InDelta(t, math.Sqrt(std), math.Sqrt(sq/n), 0.05*math.Sqrt(std))

	zero, err := Lighting{}.Apply(Data{Image: img}, rng)
	require.NoError(t, err)
	require.Equal(t, img, zero.Image)
}
