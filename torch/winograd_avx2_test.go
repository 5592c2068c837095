package torch

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

// winogradKernelsHere are the Winograd kernels to test on this machine:
// oneDNN's (its direct algorithm where it has no Winograd kernel here) and
// tunetorch's where they run.
func winogradKernelsHere() []WinogradKernel {
	kernels := []WinogradKernel{WinogradOneDNN}
	if WinogradKernelAvailable(WinogradTunetorch) == nil {
		kernels = append(kernels, WinogradTunetorch)
	}
	return kernels
}

func TestParseWinogradKernel(t *testing.T) {
	for _, k := range []WinogradKernel{WinogradAuto, WinogradOneDNN, WinogradTunetorch} {
		got, err := ParseWinogradKernel(k.String())
		require.NoError(t, err)
		require.Equal(t, k, got)
	}
	_, err := ParseWinogradKernel("avx2")
	require.EqualError(t, err, `torch: Winograd kernel "avx2": want auto, onednn or tunetorch`)
}

// skipWithoutTunetorchWinograd skips the test where tunetorch's Winograd
// kernels do not run, after checking that asking for them says why.
func skipWithoutTunetorchWinograd(t *testing.T) {
	t.Helper()
	why := WinogradKernelAvailable(WinogradTunetorch)
	if why == nil {
		return
	}
	m := frozenOptimized(t, filepath.Join("testdata", "winograd_cnn.pt"))
	defer m.Close()
	_, err := m.UseWinogradKernel(WinogradTunetorch, 0)
	require.EqualError(t, err, why.Error())
	t.Skipf("asking for them fails, as it should: %v", why)
}

// tunetorch's Winograd convolutions (AVX2) give PyTorch's outputs for
// batches of 6, 4 and 5 (one plan for all: the transformed weights do not
// depend on the batch) and 2 (too few images for Winograd: direct), on
// 18×18 images (tiles cut at the edges). The first convolution (3 input
// channels, not a multiple of 8) stays with oneDNN.
func TestTunetorchWinogradGivesPyTorchsOutputs(t *testing.T) {
	skipWithoutTunetorchWinograd(t)
	g, x := winogradFixture(t)
	m := frozenOptimized(t, filepath.Join("testdata", "winograd_cnn.pt"))
	defer m.Close()
	n, err := m.UseWinogradKernel(WinogradTunetorch, 0)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	made := map[int64]int64{}
	for _, batch := range []int64{6, 4, 5, 2} {
		requireFirstOutputs(t, m, x, g.Eval, batch, fmt.Sprintf("eval output, batch %d", batch))
		made[batch], err = m.WinogradWeightBytes()
		require.NoError(t, err)
	}
	own := int64((16*32 + 32*32) * 36 * 4) // conv1's and conv2's transformed weights
	require.GreaterOrEqual(t, made[6], own)
	require.Equal(t, made[6], made[4], "batch 4 on batch 6's plan")
	require.Equal(t, made[6], made[5], "batch 5 on batch 6's plan")
	winograd, direct, err := m.WinogradCounts()
	require.NoError(t, err)
	require.GreaterOrEqual(t, winograd, 2, "conv1's and conv2's one plan each")
	require.GreaterOrEqual(t, direct, 3, "batch 2's, direct")
}

// ResNet-34 on tunetorch's Winograd convolutions, fused, its direct weights
// let go: the optimised module's logits within float32 rounding, for the
// batch of 4 the plans were made for, then a batch of 3 and one of 33, on
// the same transformed weights (29 plans, one per convolution). At 33 the
// 512-channel layers' 132 tiles take two blocks (their transformed weights,
// 38 MB, set the blocks' size: block_bytes in winograd_avx2.cpp).
func TestTunetorchWinogradResNet34KeepsTheOptimisedOutputs(t *testing.T) {
	skipWithoutTunetorchWinograd(t)
	path := testenv.ResNet34(t)
	direct := frozenOptimized(t, path)
	defer direct.Close()
	m := frozenOptimized(t, path)
	defer m.Close()
	_, err := m.FuseConvolutions()
	require.NoError(t, err)
	n, err := m.UseWinogradKernel(WinogradTunetorch, 0)
	require.NoError(t, err)
	require.Equal(t, 29, n)
	released, err := m.ReleaseDirectWeights(4)
	require.NoError(t, err)
	require.Equal(t, 29, released)

	x := resnetInput(t, 33)
	for _, batch := range []int64{4, 3, 33} {
		in := x.Narrow(0, 0, batch)
		want, err := direct.ForwardNoGrad(in)
		require.NoError(t, err)
		got, err := m.ForwardNoGrad(in)
		require.NoError(t, err)
		maxDiff, maxAbs := worstDifference(want.Float32s(), got.Float32s())
		t.Logf("batch %d: tunetorch's Winograd vs direct: max |Δ| %.3g (max |logit| %.3g)", batch, maxDiff, maxAbs)
		require.Less(t, maxDiff, 1e-4*maxAbs)
		require.Greater(t, maxAbs, 0.0)
		CloseAll(in, want, got)
		winograd, _, err := m.WinogradCounts()
		require.NoError(t, err)
		require.Equal(t, 29, winograd, "after batch %d: one plan per convolution", batch)
	}
	made, err := m.WinogradWeightBytes()
	require.NoError(t, err)
	// 6 64-channel, 7 128-channel, 11 256-channel and 5 512-channel
	// convolutions, 36 float32 per channel pair: 313 MB.
	pairs := int64(6*64*64 + 7*128*128 + 11*256*256 + 5*512*512)
	require.Equal(t, pairs*36*4, made, "the transformed weights")
}
