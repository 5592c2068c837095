package torch

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

func TestResNet34ExportRunsABatch(t *testing.T) {
	m, err := Load(testenv.ResNet34(t), CPU)
	require.NoError(t, err)
	defer m.Close()
	require.False(t, m.IsTraining(), "the export script saves the model in eval mode")
	ManualSeed(0)
	x, err := Randn([]int64{2, 3, 224, 224}, Float32, CPU)
	require.NoError(t, err)
	defer x.Close()
	out, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer out.Close()
	require.Equal(t, []int64{2, 1000}, out.Shape())

	// Freezing and optimising for inference keeps the outputs (float32 reassociation aside).
	optimize := OptimizeForInferenceVerified()
	if !optimize {
		t.Logf("libtorch %s: optimize_for_inference is not verified here (see OptimizeForInferenceVerified): checking the frozen module only", Version())
	}
	frozen, err := m.Freeze(optimize)
	require.NoError(t, err)
	defer frozen.Close()
	fast, err := frozen.ForwardNoGrad(x)
	require.NoError(t, err)
	defer fast.Close()
	maxDiff, maxAbs := worstDifference(out.Float32s(), fast.Float32s())
	t.Logf("frozen+optimized vs plain: max |Δ| %.3g (max |logit| %.3g)", maxDiff, maxAbs)
	require.Less(t, maxDiff, 1e-3*(1+maxAbs))

	ps := m.NamedParameters()
	defer CloseNamed(ps)
	require.Equal(t, "conv1.weight", ps[0].Name)
	require.Equal(t, []int64{1000, 512}, ps[len(ps)-2].Tensor.Shape(), "fc.weight")
}

// worstDifference returns the largest |a[i]-b[i]| and the largest |a[i]|,
// the scale to compare it with.
func worstDifference(a, b []float32) (maxDiff, maxAbs float64) {
	for i := range a {
		maxAbs = max(maxAbs, abs64(float64(a[i])))
		maxDiff = max(maxDiff, abs64(float64(a[i]-b[i])))
	}
	return maxDiff, maxAbs
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// The versions on which optimize_for_inference is trusted: 1.x and 2.11 on.
func TestOptimizeVerifiedOnVersions(t *testing.T) {
	for v, want := range map[string]bool{
		"1.13.0 (CPU build)": true, "2.6.0 (CPU build)": false, "2.10.1 (CUDA build)": false,
		"2.11.0 (CUDA build)": true, "2.12.0": true, "3.0.0 (CPU build)": true, "unknown": false,
	} {
		require.Equal(t, want, optimizeVerifiedOn(v), v)
	}
}
