package torch

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// ResNet-34's Winograd convolutions, asked after a batch of 4 made their
// Winograd weights, let go of their direct weights at once (78 MB of the
// caching allocator's memory) and keep giving the same logits: the batch
// of 4 as before, its first image alone within float32 rounding of the
// batch's, each convolution on a Winograd primitive of its own for the one
// image where oneDNN lays the weights out as for 4 images, else padded
// into the batch of 4's, with no new weights; no direct primitive is left.
// A batch of 32 runs where every convolution's layout for it is the same,
// else is refused, saying why.
func TestReleasedDirectWeightsLeaveTheirMemoryNotTheOutputs(t *testing.T) {
	m, x, one := releaseFixture(t, 4, 1)
	probe, err := m.ForwardNoGrad(one) // direct, on the module's weights, as NewNet's probe
	require.NoError(t, err)
	defer probe.Close()
	want, err := m.ForwardNoGrad(x) // the Winograd plans
	require.NoError(t, err)
	defer want.Close()
	winograd, direct, err := m.WinogradCounts()
	require.NoError(t, err)
	require.Positive(t, direct, "the probe's direct primitives")
	madeFor4, err := m.WinogradWeightBytes()
	require.NoError(t, err)

	used := CPUCache().UsedBytes
	released, err := m.ReleaseDirectWeights(4)
	require.NoError(t, err)
	require.Equal(t, 29, released)
	freed := used - CPUCache().UsedBytes
	t.Logf("freed %.1f MB", float64(freed)/1e6)
	require.GreaterOrEqual(t, freed, int64(70<<20), "the 3×3 stride-1 convolutions' direct weights (78 MB)")

	got, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer got.Close()
	require.Equal(t, want.Float32s(), got.Float32s(), "the same Winograd primitives")
	first, err := m.ForwardNoGrad(one)
	require.NoError(t, err)
	defer first.Close()
	head := want.Narrow(0, 0, 1)
	defer head.Close()
	maxDiff, maxAbs := worstDifference(head.Float32s(), first.Float32s())
	require.Less(t, maxDiff, 1e-5*maxAbs, "one image, on the batch of 4's Winograd weights")
	nowWinograd, nowDirect, err := m.WinogradCounts()
	require.NoError(t, err)
	require.Zero(t, nowDirect, "direct primitives left")
	own, sameFor32 := 0, true
	for _, c := range resnet34WinogradConvolutions {
		equal, err := winogradLayoutsEqual(c.channels, c.channels, c.size, 4, 1)
		require.NoError(t, err)
		if equal {
			own += c.count
		}
		equal, err = winogradLayoutsEqual(c.channels, c.channels, c.size, 4, 32)
		require.NoError(t, err)
		sameFor32 = sameFor32 && equal
	}
	t.Logf("one image: %d of 29 convolutions on a primitive of their own", own)
	require.Equal(t, winograd+own, nowWinograd, "the batch of 4's primitives, and the image's own where not padded")
	made, err := m.WinogradWeightBytes()
	require.NoError(t, err)
	require.Equal(t, madeFor4, made, "the image made no Winograd weights")

	big, err := m.ForwardNoGrad(resnetInput(t, 32))
	if !sameFor32 {
		require.ErrorContains(t, err, "released its direct weights (Module.ReleaseDirectWeights) and an input of [32, ")
		return
	}
	require.NoError(t, err)
	defer big.Close()
	require.Equal(t, []int64{32, 1000}, big.Shape())
}

// resnet34WinogradConvolutions are ResNet-34's 3×3 stride-1 convolutions
// by stage: their channels (in and out), image size at 224×224 input, and
// how many.
var resnet34WinogradConvolutions = []struct {
	channels, size int64
	count          int
}{
	{64, 56, 6}, {128, 28, 7}, {256, 14, 11}, {512, 7, 5},
}

// Asked before any batch, each Winograd convolution makes its Winograd
// weights for the batch size given right after its first run (a small
// batch's, direct), then lets go of the direct ones: the outputs of both
// batch sizes stay PyTorch's. A convolution that runs direct only keeps
// its weights; one whose Winograd kernel oneDNN lacks (3 input channels,
// on some CPUs) too.
func TestDirectWeightsReleasedAfterTheFirstRun(t *testing.T) {
	g, x := winogradFixture(t)
	skipWithoutWinogradPlans(t)
	m := frozenOptimized(t, "testdata/winograd_cnn.pt")
	defer m.Close()
	released, err := m.ReleaseDirectWeights(6)
	require.NoError(t, err)
	require.Zero(t, released, "nothing swapped yet: every convolution runs direct")
	_, err = m.UseWinogradKernel(WinogradOneDNN, 0)
	require.NoError(t, err)
	_, err = m.ReleaseDirectWeights(MinReleaseBatch - 1)
	require.ErrorContains(t, err, fmt.Sprintf("a batch of %d runs direct", MinReleaseBatch-1))
	released, err = m.ReleaseDirectWeights(6)
	require.NoError(t, err)
	require.Equal(t, 3, released)

	for _, batch := range []int64{2, 6} {
		requireFirstOutputs(t, m, x, g.Eval, batch, fmt.Sprintf("eval output, batch %d", batch))
		winograd, direct, err := m.WinogradCounts()
		require.NoError(t, err)
		require.Positive(t, winograd, "after batch %d", batch)
		require.Equal(t, 2*(3-winograd), direct, "direct primitives after batch %d: those of the convolutions without a Winograd kernel", batch)
	}
}

// Asked, after batches of 32 and 16, for batches of 16, each of
// ResNet-34's Winograd convolutions lets go of its direct weights at its
// next batch of 16, whether it runs that batch on a primitive of its own
// or padded into the batch of 32's (where oneDNN lays the weights out
// otherwise for 16 images: the 512-channel stage's, on the CPUs seen): all
// 78 MB freed.
func TestDirectWeightsReleasedForASmallerBatchThanPlanned(t *testing.T) {
	m, x, half := releaseFixture(t, 32, 16)
	for _, in := range []*Tensor{x, half} {
		out, err := m.ForwardNoGrad(in)
		require.NoError(t, err)
		out.Close()
	}
	used := CPUCache().UsedBytes
	released, err := m.ReleaseDirectWeights(16) // at once where the batch of 16 has a primitive of its own
	require.NoError(t, err)
	require.Equal(t, 29, released)
	out, err := m.ForwardNoGrad(half)
	require.NoError(t, err)
	out.Close()
	freed := used - CPUCache().UsedBytes
	t.Logf("freed %.1f MB", float64(freed)/1e6)
	require.GreaterOrEqual(t, freed, int64(70<<20), "the 3×3 stride-1 convolutions' direct weights (78 MB)")
}

// releaseFixture is winogradResNet34 with a batch of n random images and
// its first few, closed when the test ends; it skips where no Winograd
// plan can be made.
func releaseFixture(t *testing.T, n, first int64) (m *Module, x, head *Tensor) {
	t.Helper()
	skipWithoutWinogradPlans(t)
	m = winogradResNet34(t)
	x = resnetInput(t, n)
	head = x.Narrow(0, 0, first)
	t.Cleanup(head.Close)
	return m, x, head
}
