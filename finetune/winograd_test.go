package finetune

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
)

// NetConfig.Winograd: where the machine has oneDNN's Winograd kernels the
// ResNet-34's features are the optimised backbone's (29 convolutions
// swapped); elsewhere asking for it is an error that says why.
func TestWinogradNetGivesTheOptimisedNetsFeatures(t *testing.T) {
	cfg := NetConfig{Classes: 3, Device: torch.CPU, OptimizeBackbone: true, Seed: 1}
	wcfg := cfg
	wcfg.Winograd = true
	if refusedHere(t, torch.WinogradAvailable(), WinogradPays, cfg, wcfg) {
		return
	}
	direct, err := LoadNet(testenv.ResNet34(t), cfg)
	require.NoError(t, err)
	defer direct.Close()
	wino, err := LoadNet(testenv.ResNet34(t), wcfg)
	require.NoError(t, err)
	defer wino.Close()
	require.Equal(t, 29, wino.WinogradConvolutions)
	require.Zero(t, direct.WinogradConvolutions)

	b := waveBatch(4)
	want, err := direct.Features(b)
	require.NoError(t, err)
	defer want.Close()
	requireFeaturesOf(t, want, wino, b, "Winograd")
	winograd, direct2, err := wino.Backbone.WinogradCounts()
	require.NoError(t, err)
	require.Equal(t, 2*29, winograd+direct2, "a primitive per convolution for NewNet's probe (batch 1) and for this batch of 4")
	require.GreaterOrEqual(t, winograd, 20, "convolutions of the batch of 4 that ran Winograd")
	require.GreaterOrEqual(t, direct2, 29, "the probe's, direct")
}

// Winograd replaces an optimised float32 backbone's CPU convolutions: other
// configurations are errors that name what is missing, before any loading.
func TestWinogradNeedsAnOptimisedFloat32CPUBackbone(t *testing.T) {
	for _, c := range []struct {
		cfg  NetConfig
		want string
	}{
		{NetConfig{Classes: 3, Device: torch.CPU, Winograd: true}, "they need OptimizeBackbone"},
		{NetConfig{Classes: 3, Device: torch.CPU, Winograd: true, OptimizeBackbone: true, BackboneDtype: torch.BFloat16},
			"float32 ones; the backbone would run under bfloat16 autocast"},
		{NetConfig{Classes: 3, Device: torch.CUDA(0), Winograd: true, OptimizeBackbone: true}, "for the CPU; the backbone would run on cuda:0"},
		{NetConfig{Classes: 3, Device: torch.CPU, Winograd: true, OptimizeBackbone: true,
			BackboneDevices: []torch.Device{torch.CPU, torch.CUDA(1)}}, "would run on cuda:1"},
	} {
		require.False(t, WinogradPays(c.cfg))
		_, err := LoadNet(tinyBackbone, c.cfg)
		require.ErrorContains(t, err, c.want)
	}
}

// NetConfig.ReleaseDirectWeights: NewNet's probe makes the Winograd
// weights for the batch size given and the direct ones go, leaving no
// direct primitive; the features of that batch and of a smaller one
// (padded) stay the optimised backbone's. Without Winograd it is an error.
func TestReleasedDirectWeightsNetGivesTheOptimisedNetsFeatures(t *testing.T) {
	_, err := LoadNet(tinyBackbone, NetConfig{Classes: 3, Device: torch.CPU, OptimizeBackbone: true, ReleaseDirectWeights: 4})
	require.ErrorContains(t, err, "ReleaseDirectWeights applies to Winograd convolutions")
	if torch.WinogradAvailable() != nil {
		t.Skip("no Winograd kernels on this CPU: nothing to release")
	}
	cfg := NetConfig{Classes: 3, Device: torch.CPU, OptimizeBackbone: true, Seed: 1}
	direct, err := LoadNet(testenv.ResNet34(t), cfg)
	require.NoError(t, err)
	defer direct.Close()
	cfg.Winograd, cfg.ReleaseDirectWeights = true, 4
	released, err := LoadNet(testenv.ResNet34(t), cfg)
	require.NoError(t, err)
	defer released.Close()
	require.Equal(t, 29, released.DirectWeightsReleased)
	winograd, direct2, err := released.Backbone.WinogradCounts()
	require.NoError(t, err)
	require.Zero(t, direct2, "direct primitives left after the probe")
	require.GreaterOrEqual(t, winograd, 20, "Winograd primitives made for batches of 4 at the probe")

	for _, n := range []int{4, 2} {
		b := waveBatch(n)
		want, err := direct.Features(b)
		require.NoError(t, err)
		requireFeaturesOf(t, want, released, b, "direct weights released")
		want.Close()
	}
}
