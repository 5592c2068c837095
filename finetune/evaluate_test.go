package finetune

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/torch"
)

// TestTopFiveCountsOnlyTheFiveBestClasses: with logits so large that the
// softmax rounds every class but the prediction to 0 in float32, top-5
// still counts a sample only when its label is among its five highest
// logits (a ranking by probabilities put every label with probability 0
// second, so top-5 read 100%). Top-1 and top-5 equal a sort of each row.
func TestTopFiveCountsOnlyTheFiveBestClasses(t *testing.T) {
	const classes, n = 12, 60
	net := tinyNet(t, classes)
	x, err := torch.Randn([]int64{n, int64(net.FeatureDim)}, torch.Float32, torch.CPU)
	require.NoError(t, err)
	defer x.Close()
	src := rand.New(rand.NewPCG(7, 7))
	labels := make([]int64, n)
	for i := range labels {
		labels[i] = int64(src.IntN(classes))
	}
	y := torch.MustFromSlice(labels, n)
	defer y.Close()
	for _, scale := range []float64{1, 1e5} {
		f := &Features{X: x.MulScalar(scale), Labels: y}
		m, err := EvaluateFeatures(net, f)
		f.X.Close()
		require.NoError(t, err)

		scaled := x.MulScalar(scale)
		logits := net.Head.Infer(scaled)
		z := logits.Float32s()
		probs := logits.Softmax(1)
		zeros := 0
		for _, v := range probs.Float32s() {
			if v == 0 {
				zeros++
			}
		}
		torch.CloseAll(scaled, logits, probs)
		if scale > 1 {
			require.Greater(t, zeros, n*classes/2, "the large logits do not round probabilities to 0")
		}
		top1, top5 := 0, 0
		for i, label := range labels {
			order := make([]int64, classes)
			for c := range order {
				order[c] = int64(c)
			}
			row := z[i*classes : (i+1)*classes]
			slices.SortStableFunc(order, func(a, b int64) int { return cmp.Compare(row[b], row[a]) })
			if order[0] == label {
				top1++
			}
			if slices.Contains(order[:5], label) {
				top5++
			}
		}
		require.InDelta(t, float64(top1)/n, m.Top1, 1e-12, "scale %g", scale)
		require.InDelta(t, float64(top5)/n, m.Top5, 1e-12, "scale %g", scale)
		require.Less(t, m.Top5, 1.0, "scale %g: every label in the top five of %d classes", scale, classes)
	}
}
