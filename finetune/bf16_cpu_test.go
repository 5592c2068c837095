package finetune

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
)

// On a CPU, bf16 autocast still reaches the convolutions of a backbone with
// OptimizeBackbone (dogbreed's default): optimize_for_inference's oneDNN
// float32 convolutions would escape it, leaving only the final Linear in
// bf16. The ResNet-34's features then differ from float32's about as much as
// the unoptimised bf16 backbone's do (with the Linear alone in bf16: half).
func TestBF16ReachesTheOptimisedBackbonesConvolutions(t *testing.T) {
	b := &dataset.Batch{N: 2, C: 3, H: 64, W: 64, Images: make([]float32, 2*3*64*64)}
	for i := range b.Images {
		b.Images[i] = float32(math.Sin(float64(i) / 5))
	}
	features := func(cfg NetConfig) []float32 {
		cfg.Classes, cfg.Device, cfg.InputSize = 3, torch.CPU, 64
		n, err := LoadNet(testenv.ResNet34(t), cfg)
		require.NoError(t, err)
		defer n.Close()
		f, err := n.Features(b)
		require.NoError(t, err)
		defer f.Close()
		return f.Float32s()
	}
	// The float32 reference unoptimised: Debian's libtorch 2.6 corrupts
	// memory running an optimised ResNet (see torch.OptimizeForInferenceVerified).
	full := features(NetConfig{})
	plain := meanAbsDifference(full, features(NetConfig{BackboneDtype: torch.BFloat16}))
	optimised := meanAbsDifference(full, features(NetConfig{BackboneDtype: torch.BFloat16, OptimizeBackbone: true}))
	t.Logf("bf16 vs float32 features: mean |Δ| %.3g unoptimised, %.3g with OptimizeBackbone", plain, optimised)
	require.Greater(t, optimised, 0.75*plain, "the convolutions ran in float32")
}

// meanAbsDifference is the mean of |a[i]-b[i]|.
func meanAbsDifference(a, b []float32) float64 {
	sum := 0.0
	for i := range a {
		sum += math.Abs(float64(a[i] - b[i]))
	}
	return sum / float64(len(a))
}
