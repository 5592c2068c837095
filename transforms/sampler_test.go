package transforms

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireSameDistribution compares 100k Go draws with torchvision's 100k:
// means within 4 standard errors of a difference, quantiles within tol.
func requireSameDistribution(t *testing.T, what string, got []float64, want samplerStats, qs []float64, tol float64) {
	t.Helper()
	sort.Float64s(got)
	n := float64(len(got))
	mean := 0.0
	for _, v := range got {
		mean += v
	}
	mean /= n
	se := want.Std * math.Sqrt(2/n)
	require.InDelta(t, want.Mean, mean, 4*se, "%s: mean", what)
	for i, q := range qs {
		v := got[int(q*(n-1))]
		require.InDelta(t, want.Quantiles[i], v, tol, "%s: quantile %.2f", what, q)
	}
	t.Logf("%-20s mean %.4f (torchvision %.4f), median %.4f (%.4f)", what, mean, want.Mean, got[len(got)/2], want.Quantiles[2])
}

func TestSamplersMatchTorchvision(t *testing.T) {
	g := readGolden(t)
	s := g.Samplers
	rng := rand.New(rand.NewPCG(42, 42))
	rrc := NewRandomResizedCrop(224)
	const n = 100000
	area, logRatio := make([]float64, n), make([]float64, n)
	for i := range n {
		_, _, h, w := rrc.CropParams(375, 500, rng)
		area[i] = float64(h*w) / (500 * 375)
		logRatio[i] = math.Log(float64(w) / float64(h))
	}
	requireSameDistribution(t, "crop area fraction", area, s.Area, s.Quantiles, 0.01)
	requireSameDistribution(t, "crop log aspect", logRatio, s.LogRatio, s.Quantiles, 0.01)

	cj := ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}
	b, c, sat := make([]float64, n), make([]float64, n), make([]float64, n)
	orders := map[[4]int]int{}
	for i := range n {
		p := cj.Params(rng)
		b[i], c[i], sat[i] = *p.Brightness, *p.Contrast, *p.Saturation
		require.Nil(t, p.Hue)
		orders[p.Order]++
	}
	requireSameDistribution(t, "brightness factor", b, s.Brightness, s.Quantiles, 0.012)
	requireSameDistribution(t, "contrast factor", c, s.Contrast, s.Quantiles, 0.012)
	requireSameDistribution(t, "saturation factor", sat, s.Saturation, s.Quantiles, 0.012)
	// torch.randperm(4): all 24 orders, equally likely.
	require.Len(t, orders, 24)
	for o, k := range orders {
		require.InDelta(t, n/24.0, float64(k), 5*math.Sqrt(n/24.0), "order %v", o)
	}
}

func TestCropParamsFallBackToCentralCrop(t *testing.T) {
	// A 1000×10 image: no 10-attempt draw fits, so the central crop with the
	// widest allowed ratio is used.
	rrc := NewRandomResizedCrop(8)
	rng := rand.New(rand.NewPCG(1, 1))
	top, left, h, w := rrc.CropParams(10, 1000, rng)
	require.Equal(t, 10, h)
	require.Equal(t, 13, w) // round(10 · 4/3)
	require.Equal(t, 0, top)
	require.Equal(t, (1000-13)/2, left)
}
