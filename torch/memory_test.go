package torch

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// rssKiB reads the process's resident set size from /proc (0 where absent).
func rssKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			v, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return v
		}
	}
	return 0
}

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
	runtime.GC()
	live, rss := LiveTensors(), rssKiB()
	var last float64
	for i := 0; i < 1000; i++ {
		last = step()
	}
	runtime.GC()
	t.Logf("RSS %d KiB before, %d KiB after 1000 steps; loss %.4f -> %.4f", rss, rssKiB(), first, last)
	require.Equal(t, live, LiveTensors(), "tensors leaked across 1000 training steps")
	require.Less(t, last, first, "the head must learn the fixed batch")
}
