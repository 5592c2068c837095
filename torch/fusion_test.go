package torch

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tunetorch/tunetorch/internal/testenv"
)

// fusionCNN's eleven convolutions with something folded in: conv0, conv1a,
// conv2a and conv6 (ReLU); conv1b (residual + ReLU, the residual read again
// later), conv2b (residual + ReLU, the residual overwritten), conv2c
// (residual + ReLU, the residual its own input); conv3 (a broadcast residual
// + ReLU: added after it); conv4 (a residual computed after it + ReLU);
// conv5 and conv7 (residual, no ReLU; conv7's its input, through an
// in-place ReLU). The downsampling one has nothing after it to fold.
const fusionCNNFused = 11

// fusionCNNWinograd: its 3×3 stride-1 convolutions, all but conv4 and down.
const fusionCNNWinograd = 10

// FuseConvolutions folds ReLUs and residual sums into the convolutions and
// the outputs stay PyTorch's: batches of 6 and 4 (Winograd where swapped)
// and 2 (direct), each run twice (a residual overwritten that is read later,
// or a constant, would show in the second), with the Winograd swap before,
// after or without it, on oneDNN's kernels and on tunetorch's where they
// run (which apply the ReLU and the residual themselves).
func TestFuseConvolutionsGivePyTorchsOutputs(t *testing.T) {
	path := filepath.Join("testdata", "fusion_cnn.pt")
	if !winogradBuilt() {
		m := frozenOptimized(t, path)
		defer m.Close()
		_, err := m.FuseConvolutions()
		require.ErrorContains(t, err, "built without oneDNN's Winograd convolution")
		return
	}
	var g winogradCNNGolden
	readGolden(t, "fusion_cnn.json", &g)
	x := g.Input.tensor(t)
	defer x.Close()
	type run struct {
		order  string
		kernel WinogradKernel
	}
	runs := []run{{order: "fused"}}
	for _, k := range winogradKernelsHere() {
		runs = append(runs, run{"fused, then Winograd", k}, run{"Winograd, then fused", k})
	}
	for _, r := range runs {
		order := fmt.Sprintf("%s (%v)", r.order, r.kernel)
		m := frozenOptimized(t, path)
		if r.order == "Winograd, then fused" {
			n, err := m.UseWinogradKernel(r.kernel, 0)
			require.NoError(t, err)
			require.Equal(t, fusionCNNWinograd, n)
		}
		fused, err := m.FuseConvolutions()
		require.NoError(t, err)
		require.Equal(t, fusionCNNFused, fused, order)
		if r.order == "fused, then Winograd" {
			n, err := m.UseWinogradKernel(r.kernel, 0)
			require.NoError(t, err)
			require.Equal(t, fusionCNNWinograd, n, order)
		}
		for _, batch := range []int64{6, 4, 2, 6} {
			for range 2 {
				requireFirstOutputs(t, m, x, g.Eval, batch, fmt.Sprintf("%s: eval output, batch %d", order, batch))
			}
		}
		m.Close()
	}
}

// Fusing twice folds nothing more, and an unoptimised module has no oneDNN
// convolutions to fuse.
func TestFuseConvolutionsTwiceOrUnoptimised(t *testing.T) {
	if !winogradBuilt() {
		t.Skip("the shim was built without oneDNN's convolution: TestFuseConvolutionsGivePyTorchsOutputs checks its error")
	}
	path := filepath.Join("testdata", "fusion_cnn.pt")
	m := frozenOptimized(t, path)
	defer m.Close()
	n, err := m.FuseConvolutions()
	require.NoError(t, err)
	require.Equal(t, fusionCNNFused, n)
	n, err = m.FuseConvolutions()
	require.NoError(t, err)
	require.Zero(t, n)

	frozen := frozenModule(t, path, false)
	defer frozen.Close()
	n, err = frozen.FuseConvolutions()
	require.NoError(t, err)
	require.Zero(t, n)
}

// ResNet-34's 33 ReLUs and 16 residual sums folded into its convolutions
// (33 of its 36: the downsampling ones have nothing after them): the
// optimised module's logits within float32 rounding, with and without
// Winograd (each kernel that runs here).
func TestFuseConvolutionsResNet34KeepsTheOptimisedOutputs(t *testing.T) {
	if !winogradBuilt() {
		t.Skip("the shim was built without oneDNN's convolution: TestFuseConvolutionsGivePyTorchsOutputs checks its error")
	}
	path := testenv.ResNet34(t)
	direct := frozenOptimized(t, path)
	defer direct.Close()
	x := resnetInput(t, 4)
	want, err := direct.ForwardNoGrad(x)
	require.NoError(t, err)
	defer want.Close()
	for _, winograd := range append([]WinogradKernel{-1}, winogradKernelsHere()...) {
		m := frozenOptimized(t, path)
		n, err := m.FuseConvolutions()
		require.NoError(t, err)
		require.Equal(t, 33, n)
		if winograd >= 0 {
			_, err := m.UseWinogradKernel(winograd, 0)
			require.NoError(t, err)
		}
		for range 2 {
			got, err := m.ForwardNoGrad(x)
			require.NoError(t, err)
			maxDiff, maxAbs := worstDifference(want.Float32s(), got.Float32s())
			label := "none"
			if winograd >= 0 {
				label = winograd.String()
			}
			t.Logf("Winograd %s: fused vs optimised: max |Δ| %.3g (max |logit| %.3g)", label, maxDiff, maxAbs)
			require.Less(t, maxDiff, 1e-4*maxAbs)
			require.Greater(t, maxAbs, 0.0)
			got.Close()
		}
		m.Close()
	}
}
