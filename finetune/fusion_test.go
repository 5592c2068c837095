package finetune

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
)

// NetConfig.FuseConvolutions: where the shim has oneDNN's convolution the
// ResNet-34's features are the optimised backbone's (33 convolutions took a
// ReLU or residual sum in), with and without Winograd; elsewhere asking for
// it is an error that says why.
func TestFusedNetGivesTheOptimisedNetsFeatures(t *testing.T) {
	cfg := NetConfig{Classes: 3, Device: torch.CPU, OptimizeBackbone: true, Seed: 1}
	fcfg := cfg
	fcfg.FuseConvolutions = true
	if refusedHere(t, torch.FusionAvailable(), FusionPays, cfg, fcfg) {
		return
	}
	direct, err := LoadNet(testenv.ResNet34(t), cfg)
	require.NoError(t, err)
	defer direct.Close()
	require.Zero(t, direct.FusedConvolutions)
	b := waveBatch(4)
	want, err := direct.Features(b)
	require.NoError(t, err)
	defer want.Close()

	wcfg := fcfg
	wcfg.Winograd = WinogradPays(cfg)
	for _, c := range []NetConfig{fcfg, wcfg} {
		fused, err := LoadNet(testenv.ResNet34(t), c)
		require.NoError(t, err)
		require.Equal(t, 33, fused.FusedConvolutions)
		requireFeaturesOf(t, want, fused, b, fmt.Sprintf("fused, Winograd %v", c.Winograd))
		fused.Close()
	}
}

// Fused convolutions replace an optimised float32 backbone's CPU ones:
// other configurations are errors that name what is missing, before any
// loading.
func TestFusionNeedsAnOptimisedFloat32CPUBackbone(t *testing.T) {
	for _, c := range []struct {
		cfg  NetConfig
		want string
	}{
		{NetConfig{Classes: 3, Device: torch.CPU, FuseConvolutions: true}, "they need OptimizeBackbone"},
		{NetConfig{Classes: 3, Device: torch.CPU, FuseConvolutions: true, OptimizeBackbone: true, BackboneDtype: torch.BFloat16},
			"float32 ones; the backbone would run under bfloat16 autocast"},
		{NetConfig{Classes: 3, Device: torch.CUDA(0), FuseConvolutions: true, OptimizeBackbone: true},
			"for the CPU; the backbone would run on cuda:0"},
	} {
		require.False(t, FusionPays(c.cfg))
		_, err := LoadNet(tinyBackbone, c.cfg)
		require.ErrorContains(t, err, c.want)
	}
}
