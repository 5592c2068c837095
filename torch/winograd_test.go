package torch

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

type winogradCNNGolden struct {
	Input goldenTensor `json:"input"`
	Eval  goldenTensor `json:"eval"`
}

// winogradBuilt reports whether the shim has the Winograd convolution,
// whether or not this CPU runs its kernel.
func winogradBuilt() bool {
	level, _ := winogradSupport()
	return level > 0
}

// winogradFixture skips the test where the shim was built without Winograd,
// else returns the small CNN's golden values and their input (closed when the
// test ends).
func winogradFixture(t *testing.T) (winogradCNNGolden, *Tensor) {
	t.Helper()
	if !winogradBuilt() {
		t.Skip("the shim was built without Winograd: TestWinogradConvolutionsGivePyTorchsOutputs checks its error")
	}
	var g winogradCNNGolden
	readGolden(t, "winograd_cnn.json", &g)
	x := g.Input.tensor(t)
	t.Cleanup(x.Close)
	return g, x
}

// requireFirstOutputs runs the first batch images of x through m and
// requires its outputs within 1e-4 of the first batch rows of eval,
// PyTorch's outputs for all of x.
func requireFirstOutputs(t *testing.T, m *Module, x *Tensor, eval goldenTensor, batch int64, what string) {
	t.Helper()
	in := x.Narrow(0, 0, batch)
	defer in.Close()
	out, err := m.ForwardNoGrad(in)
	require.NoError(t, err, what)
	defer out.Close()
	classes := eval.Shape[1]
	want := goldenTensor{Shape: []int64{batch, classes}, Dtype: "float32", Data: eval.Data[:batch*classes]}
	requireClose(t, want, out, 1e-4, what)
}

// resnetInput is a batch of n random 224×224 images after ManualSeed(0),
// closed when the test ends (4: enough images for Winograd).
func resnetInput(t *testing.T, n int64) *Tensor {
	t.Helper()
	ManualSeed(0)
	x, err := Randn([]int64{n, 3, 224, 224}, Float32, CPU)
	require.NoError(t, err)
	t.Cleanup(x.Close)
	return x
}

// oneDNNWinograd is nil where oneDNN's Winograd kernels run here: the
// tests of this file pin them (WinogradOneDNN), which run oneDNN's direct
// algorithm elsewhere; tunetorch's are winograd_avx2_test.go's.
func oneDNNWinograd() error { return WinogradKernelAvailable(WinogradOneDNN) }

// skipWithoutWinogradPlans skips the test where no oneDNN Winograd plan can
// be made: a shim built without Winograd, or a CPU without its kernels.
func skipWithoutWinogradPlans(t *testing.T) {
	t.Helper()
	if !winogradBuilt() {
		t.Skip("the shim was built without Winograd: TestWinogradConvolutionsGivePyTorchsOutputs checks its error")
	}
	if err := oneDNNWinograd(); err != nil {
		t.Skipf("no oneDNN Winograd plans to make on this CPU: %v", err)
	}
}

// winogradResNet34 is the optimised ResNet-34 with its 29 3×3 stride-1
// convolutions swapped for oneDNN's (UseWinogradKernel), on the caching CPU
// allocator; closed when the test ends.
func winogradResNet34(t *testing.T) *Module {
	t.Helper()
	SetCPUCaching(true)
	m := frozenOptimized(t, testenv.ResNet34(t))
	t.Cleanup(m.Close)
	n, err := m.UseWinogradKernel(WinogradOneDNN, 0)
	require.NoError(t, err)
	require.Equal(t, 29, n)
	return m
}

// frozenOptimized loads path and freezes it optimised for inference.
func frozenOptimized(t *testing.T, path string) *Module { return frozenModule(t, path, true) }

// frozenModule is the module at path in eval mode, frozen, and optimised
// for inference when optimize.
func frozenModule(t *testing.T, path string, optimize bool) *Module {
	t.Helper()
	m, err := Load(path, CPU)
	require.NoError(t, err)
	defer m.Close()
	m.Eval()
	frozen, err := m.Freeze(optimize)
	require.NoError(t, err)
	return frozen
}

// The swapped convolutions give PyTorch's outputs for batches of 6
// (Winograd), 4 (Winograd: on a primitive of its own that reads batch 6's
// Winograd weights where oneDNN lays them out the same for both, else
// padded into batch 6's) and 2 (too few images for Winograd: direct), and
// run Winograd wherever oneDNN has the kernels (pinned: WinogradOneDNN;
// the direct algorithm elsewhere: same outputs). Batch 4 makes no Winograd
// weights.
func TestWinogradConvolutionsGivePyTorchsOutputs(t *testing.T) {
	if !winogradBuilt() {
		m := frozenOptimized(t, filepath.Join("testdata", "winograd_cnn.pt"))
		defer m.Close()
		_, err := m.UseWinograd()
		require.ErrorContains(t, err, "built without oneDNN's Winograd convolution")
		require.Error(t, WinogradAvailable())
		return
	}
	var g winogradCNNGolden
	readGolden(t, "winograd_cnn.json", &g)
	m := frozenOptimized(t, filepath.Join("testdata", "winograd_cnn.pt"))
	defer m.Close()
	n, err := m.UseWinogradKernel(WinogradOneDNN, 0)
	require.NoError(t, err)
	require.Equal(t, 3, n, "the three 3×3 stride-1 convolutions; the strided one stays")

	x := g.Input.tensor(t)
	defer x.Close()
	made := map[int64]int64{}
	for _, batch := range []int64{6, 4, 2} {
		requireFirstOutputs(t, m, x, g.Eval, batch, fmt.Sprintf("eval output, batch %d", batch))
		made[batch], err = m.WinogradWeightBytes()
		require.NoError(t, err)
	}
	require.Equal(t, made[6], made[4], "batch 4 reads batch 6's Winograd weights")

	// Per convolution, batch 6's primitive and batch 2's, and batch 4's own
	// unless it ran padded into batch 6's (another Winograd layout).
	want := 0
	for _, c := range winogradCNNConvolutions {
		want += 2
		// An error: no Winograd kernel, every batch runs on its own direct primitive.
		if equal, err := winogradLayoutsEqual(c[0], c[1], 18, 6, 4); err != nil || equal {
			want++
		}
	}
	winograd, direct, err := m.WinogradCounts()
	require.NoError(t, err)
	require.Equal(t, want, winograd+direct, "primitives of batches 6, 4 (where not padded) and 2")
	if why := oneDNNWinograd(); why != nil {
		t.Logf("%v: all %d ran the direct algorithm", why, direct)
		require.Zero(t, winograd)
	} else {
		// Batch 6 from 16 and 32 channels at least (3 input channels may
		// not have a kernel); batch 2 direct.
		require.GreaterOrEqual(t, winograd, 2, "convolutions that ran Winograd (%d ran direct)", direct)
		require.GreaterOrEqual(t, direct, 3, "convolutions of batch 2, direct")
	}
}

// winogradCNNConvolutions are the output and input channels of the
// winograd_cnn.pt fixture's 3×3 stride-1 convolutions, which run on 18×18
// images.
var winogradCNNConvolutions = [][2]int64{{16, 3}, {32, 16}, {32, 32}}

// Each convolution keeps the primitives of the last 8 batch shapes it ran
// (a training batch, the last batches of the validation and test sets, a
// few more), the oldest dropped: after batches of 4 to 13 images, 8 each
// where oneDNN lays the Winograd weights out the same for all of them, as
// on the CPUs seen so far (else a batch padded into a larger batch's
// primitive has none of its own), all on the first batch's weights.
func TestConvolutionsKeepTheLastShapesPrimitives(t *testing.T) {
	skipWithoutWinogradPlans(t)
	m := frozenOptimized(t, filepath.Join("testdata", "winograd_cnn.pt"))
	defer m.Close()
	_, err := m.UseWinogradKernel(WinogradOneDNN, 0)
	require.NoError(t, err)
	sameLayouts := true
	var first int64
	for batch := int64(4); batch <= 13; batch++ {
		x, err := Randn([]int64{batch, 3, 18, 18}, Float32, CPU)
		require.NoError(t, err)
		out, err := m.ForwardNoGrad(x)
		require.NoError(t, err, "batch %d", batch)
		require.Equal(t, []int64{batch, 10}, out.Shape())
		CloseAll(x, out)
		if batch == 4 {
			first, err = m.WinogradWeightBytes()
			require.NoError(t, err)
		}
		for _, c := range winogradCNNConvolutions {
			equal, err := winogradLayoutsEqual(c[0], c[1], 18, 4, batch)
			sameLayouts = sameLayouts && err == nil && equal
		}
	}
	kept := 8 * len(winogradCNNConvolutions) // the shim's bound, per convolution
	winograd, direct, err := m.WinogradCounts()
	require.NoError(t, err)
	require.LessOrEqual(t, winograd+direct, kept, "primitives kept")
	if !sameLayouts {
		t.Logf("other Winograd layouts among batches of 4 to 13 on this CPU: %d primitives kept", winograd+direct)
		return
	}
	require.Equal(t, kept, winograd+direct, "primitives kept: the last 8 batch shapes' of each convolution")
	made, err := m.WinogradWeightBytes()
	require.NoError(t, err)
	require.Equal(t, first, made, "weights: the batch of 4's, shared")
}

// UseWinogradWithin swaps the convolutions with the fewest channels whose
// Winograd weights (36 float32 per channel pair) fit: conv0 (3→16 channels,
// 6,912 bytes), then conv1 (16→32, 73,728), then conv2 (32→32, 147,456); the
// outputs stay PyTorch's.
func TestUseWinogradWithinSwapsTheSmallestFirst(t *testing.T) {
	g, x := winogradFixture(t)
	for _, c := range []struct {
		budget int64
		want   int
	}{{6911, 0}, {6912, 1}, {6912 + 73728 - 1, 1}, {6912 + 73728, 2}, {6912 + 73728 + 147456, 3}, {0, 3}} {
		m := frozenOptimized(t, filepath.Join("testdata", "winograd_cnn.pt"))
		n, err := m.UseWinogradKernel(WinogradOneDNN, c.budget)
		require.NoError(t, err)
		require.Equal(t, c.want, n, "within %d bytes", c.budget)
		out, err := m.ForwardNoGrad(x)
		require.NoError(t, err)
		requireClose(t, g.Eval, out, 1e-4, fmt.Sprintf("eval output within %d bytes", c.budget))
		CloseAll(out)
		m.Close()
	}
}

// A batch too small for Winograd runs direct on the weights the optimised
// module holds, making no copy of them in another layout (NewNet probes the
// backbone with one image: for ResNet-34 such copies took 78 MB, kept for as
// long as the module); a Winograd batch makes the Winograd layout, 36 floats
// per channel pair at least (oneDNN pads the channels to its blocks).
func TestWinogradSmallBatchesReadTheModulesWeights(t *testing.T) {
	g, x := winogradFixture(t)
	m := frozenOptimized(t, filepath.Join("testdata", "winograd_cnn.pt"))
	defer m.Close()
	_, err := m.UseWinogradKernel(WinogradOneDNN, 0)
	require.NoError(t, err)

	for _, batch := range []int64{1, 2} {
		in := x.Narrow(0, 0, batch)
		out, err := m.ForwardNoGrad(in)
		require.NoError(t, err)
		CloseAll(in, out)
	}
	_, direct, err := m.WinogradCounts()
	require.NoError(t, err)
	require.Equal(t, 6, direct, "batches 1 and 2 of the three convolutions, direct")
	made, err := m.WinogradWeightBytes()
	require.NoError(t, err)
	require.Zero(t, made, "bytes of weights made for the direct primitives")

	out, err := m.ForwardNoGrad(x) // 6 images
	require.NoError(t, err)
	defer out.Close()
	requireClose(t, g.Eval, out, 1e-4, "eval output after the small batches")
	made, err = m.WinogradWeightBytes()
	require.NoError(t, err)
	if oneDNNWinograd() != nil {
		require.Zero(t, made, "no Winograd kernel here: every primitive direct, on the module's weights")
		return
	}
	winograd, _, err := m.WinogradCounts()
	require.NoError(t, err)
	require.GreaterOrEqual(t, winograd, 2)
	// conv1 (16→32) and conv2 (32→32) run Winograd at least.
	require.GreaterOrEqual(t, made, int64((16*32+32*32)*36*4))
}

// A module that was not optimised keeps aten::conv2d: nothing to swap.
func TestUseWinogradLeavesAnUnoptimisedModule(t *testing.T) {
	if !winogradBuilt() {
		t.Skip("the shim was built without Winograd: TestWinogradConvolutionsGivePyTorchsOutputs checks its error")
	}
	frozen := frozenModule(t, filepath.Join("testdata", "winograd_cnn.pt"), false)
	defer frozen.Close()
	n, err := frozen.UseWinograd()
	require.NoError(t, err)
	require.Zero(t, n)
}

// ResNet-34's 29 stride-1 3×3 convolutions swapped: the same logits as the
// optimised module's within float32 rounding.
func TestWinogradResNet34KeepsTheOptimisedOutputs(t *testing.T) {
	if !winogradBuilt() {
		t.Skip("the shim was built without Winograd: TestWinogradConvolutionsGivePyTorchsOutputs checks its error")
	}
	path := testenv.ResNet34(t)
	direct := frozenOptimized(t, path)
	defer direct.Close()
	wino := winogradResNet34(t)

	x := resnetInput(t, 4)
	a, err := direct.ForwardNoGrad(x)
	require.NoError(t, err)
	defer a.Close()
	b, err := wino.ForwardNoGrad(x)
	require.NoError(t, err)
	defer b.Close()
	maxDiff, maxAbs := worstDifference(a.Float32s(), b.Float32s())
	t.Logf("Winograd vs direct: max |Δ| %.3g (max |logit| %.3g)", maxDiff, maxAbs)
	require.Less(t, maxDiff, 1e-4*maxAbs)
	require.Greater(t, maxAbs, 0.0)
	if oneDNNWinograd() == nil {
		winograd, _, err := wino.WinogradCounts()
		require.NoError(t, err)
		require.GreaterOrEqual(t, winograd, 20, "convolutions that ran Winograd")
	}
}

// Making a convolution's Winograd plan (at its first Winograd batch) takes
// its temporary, a plain copy of the weights where the optimised graph holds
// them blocked (as here; the shim transforms them from it without a
// scratchpad, where oneDNN's reorder took one the Winograd weights' size
// again), from libtorch's CPU allocator, as the convolutions' scratchpads:
// the caching one serves it from the activations' free memory, where
// oneDNN's own allocations raised the first batch's peak (ResNet-34 forward
// with 192 MiB of Winograd weights: 714 MB, then 667). So the first batch
// makes more large requests of the cache than the next one: one for each
// convolution whose plain weights take a MiB or more (ResNet-34's 256- and
// 512-channel ones: 16).
func TestWinogradPlansTakeTheirTemporariesFromTheCPUAllocator(t *testing.T) {
	skipWithoutWinogradPlans(t)
	m := winogradResNet34(t)
	x := resnetInput(t, 4)

	largeRequests := func() int64 {
		before := CPUCache()
		out, err := m.ForwardNoGrad(x)
		require.NoError(t, err)
		out.Close()
		after := CPUCache()
		return after.Hits + after.Misses - before.Hits - before.Misses
	}
	first, second := largeRequests(), largeRequests()
	t.Logf("large requests: %d with the plans made, %d after", first, second)
	require.GreaterOrEqual(t, first-second, int64(16))
}

// The shim writes the Winograd weights itself (winograd_weights.cpp, 4× as
// fast as oneDNN's reorder, which was most of a Winograd backbone's first
// batch): the very bits oneDNN's reorder writes, for ResNet-34's channel
// counts, others whose blocks split differently, and counts the layout pads
// to whole blocks of 16 (the padding zeros).
func TestWinogradWeightsAreOneDNNsToTheBit(t *testing.T) {
	if !winogradBuilt() {
		_, _, err := winogradWeightsCompare(64, 64, 1)
		require.ErrorContains(t, err, "built without oneDNN's Winograd convolution")
		return
	}
	if err := oneDNNWinograd(); err != nil {
		t.Skipf("no Winograd weights to make on this CPU: %v", err)
	}
	for i, shape := range [][2]int64{{64, 64}, {128, 128}, {256, 256}, {512, 512}, {16, 16}, {32, 16}, {16, 48},
		{96, 32}, {128, 64}, {256, 512}, {24, 40}, {3, 16}, {100, 36}} {
		compared, differing, err := winogradWeightsCompare(shape[0], shape[1], uint64(i+1))
		require.NoError(t, err, "%d×%d×3×3", shape[0], shape[1])
		require.GreaterOrEqual(t, compared, 36*shape[0]*shape[1], "%d×%d×3×3: the layout's words", shape[0], shape[1])
		require.Zero(t, differing, "%d×%d×3×3: words that differ from oneDNN's of %d", shape[0], shape[1], compared)
	}
}
