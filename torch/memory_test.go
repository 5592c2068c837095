package torch

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/procstat"
)

// TestTrainingLoopFreesEveryTensor runs 1,000 steps of the fine-tuning loop's
// shape (frozen backbone forward, head forward, loss, backward, SGD step) and
// checks that no tensor handle outlives its step.
func TestTrainingLoopFreesEveryTensor(t *testing.T) {
	backbone, err := Load(filepath.Join("testdata", "tiny_cnn.pt"), CPU)
	require.NoError(t, err)
	defer backbone.Close()
	backbone.Eval()
	ManualSeed(1)
	head := NewSequential(NewLinear(10, 16, true), ReLU{}, NewLinear(16, 4, true))
	defer head.Close()
	opt, err := NewSGD(Parameters(head), SGDConfig{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4})
	require.NoError(t, err)
	defer opt.Close()
	x, err := Randn([]int64{4, 3, 16, 16}, Float32, CPU)
	require.NoError(t, err)
	defer x.Close()
	y := MustFromSlice([]int64{0, 1, 2, 3}, 4)
	defer y.Close()

	step := func() float64 {
		feats, err := backbone.ForwardNoGrad(x)
		require.NoError(t, err)
		logits := head.Forward(feats)
		loss := CrossEntropy(logits, y, ReduceMean)
		opt.ZeroGrad()
		loss.Backward()
		opt.Step()
		v := loss.Item()
		CloseAll(feats, logits, loss)
		return v
	}
	first := step() // creates the momentum buffers
	live, rss := settledLiveTensors(), procstat.ResidentMiB()
	var last float64
	for i := 0; i < 1000; i++ {
		last = step()
	}
	after := settledLiveTensors()
	t.Logf("RSS %.0f MiB before, %.0f MiB after 1000 steps; loss %.4f -> %.4f", rss, procstat.ResidentMiB(), first, last)
	require.Equal(t, live, after, "tensors leaked across 1000 training steps")
	require.Less(t, last, first, "the head must learn the fixed batch")
}

// settledLiveTensors is LiveTensors once the finalizers of tensors that
// earlier tests dropped without closing have run (one running during the
// measured steps would otherwise count as a tensor freed).
func settledLiveTensors() int64 {
	n := int64(-1)
	for range 20 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond) // finalizers run on their own goroutine
		m := LiveTensors()
		if m == n {
			break
		}
		n = m
	}
	return n
}
