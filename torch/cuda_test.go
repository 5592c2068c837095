package torch

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The CUDA tests run where libtorch sees a GPU and say why they skip
// elsewhere (a CPU build of libtorch, or no device). CI has no GPU; the lent
// GPU machines run them (see README, CUDA).
func requireCUDA(t *testing.T) Device {
	t.Helper()
	if !CUDAAvailable() {
		t.Skipf("no CUDA device: libtorch %s sees %d GPU(s)", Version(), CUDADeviceCount())
	}
	return CUDA(0)
}

func TestCUDATensorRoundTrip(t *testing.T) {
	dev := requireCUDA(t)
	x := MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	defer x.Close()
	g, err := x.To(dev)
	require.NoError(t, err)
	defer g.Close()
	require.Equal(t, dev, g.Device())
	y := g.MulScalar(2)
	defer y.Close()
	require.Equal(t, []float32{2, 4, 6, 8, 10, 12}, y.Float32s(), "copied back from the GPU")
}

func TestCUDAForwardBackwardMatchesCPU(t *testing.T) {
	dev := requireCUDA(t)
	var g tinyCNNGolden
	readGolden(t, "tiny_cnn.json", &g)
	m, err := Load(filepath.Join("testdata", "tiny_cnn.pt"), dev)
	require.NoError(t, err)
	defer m.Close()
	m.Eval()
	x := g.Input.tensor(t)
	defer x.Close()
	xg, err := x.To(dev)
	require.NoError(t, err)
	defer xg.Close()
	out, err := m.ForwardNoGrad(xg)
	require.NoError(t, err)
	defer out.Close()
	requireClose(t, g.Eval, out, 1e-4, "TorchScript forward on the GPU")

	// A head trained one SGD step on the GPU and on the CPU ends equal.
	step := func(d Device) []float32 {
		ManualSeed(3)
		head := NewSequential(NewLinear(10, 8, true), ReLU{}, NewLinear(8, 3, true))
		defer head.Close()
		require.NoError(t, head.To(d))
		opt, err := NewSGD(Parameters(head), SGDConfig{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-3})
		require.NoError(t, err)
		defer opt.Close()
		feats := MustFromSlice(g.Eval.Data32(), 2, 10)
		defer feats.Close()
		fd, err := feats.To(d)
		require.NoError(t, err)
		defer fd.Close()
		labels := MustFromSlice([]int64{0, 2}, 2)
		defer labels.Close()
		y, err := labels.To(d)
		require.NoError(t, err)
		defer y.Close()
		logits := head.Forward(fd)
		loss := CrossEntropy(logits, y, ReduceSum)
		loss.Backward()
		opt.Step()
		CloseAll(logits, loss)
		return head.Layers[0].(*Linear).Weight.Float32s()
	}
	cpu, gpu := step(CPU), step(dev)
	for i := range cpu {
		require.LessOrEqual(t, math.Abs(float64(cpu[i]-gpu[i])), 1e-4, "weight %d", i)
	}
}
