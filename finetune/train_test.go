package finetune

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

func headValues(n *Net) [][]float32 {
	var out [][]float32
	for _, p := range n.Head.NamedParameters() {
		out = append(out, p.Tensor.Float32s())
	}
	return out
}

func TestResumeAfterCancelGivesTheSameWeights(t *testing.T) { requireResumeAfterCancel(t, false) }

// requireResumeAfterCancel cancels training in the middle of epoch 2 and
// resumes it from the checkpoint, with the inputs made ahead (on two
// threads) or not.
func requireResumeAfterCancel(t *testing.T, prefetch bool) {
	_, split := smallKaggle(t, 3, 0.15)
	cfg := chapterConfig(3)
	if prefetch {
		cfg.PrefetchInputs, cfg.PrefetchThreads = true, 2
	}
	// Uninterrupted, with augmentation (so the RNG state matters too).
	ref := tinyNet(t, 3)
	_, err := Train(context.Background(), ref, loader(t, split.Train, trainTransform(), true, 4), loader(t, split.Valid, evalTransform(), false, 4), cfg)
	require.NoError(t, err)

	// Interrupted in the middle of epoch 2, then resumed in a new process-like setup.
	ckpt := filepath.Join(t.TempDir(), "ckpt.pt")
	cfg.Checkpoint = ckpt
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.OnStep = func(epoch, batch int, _ float64) {
		if epoch == 1 && batch == 2 {
			cancel()
		}
	}
	first := tinyNet(t, 3)
	var log bytes.Buffer
	cfg.Log = &log
	_, err = Train(ctx, first, loader(t, split.Train, trainTransform(), true, 4), loader(t, split.Valid, evalTransform(), false, 4), cfg)
	require.ErrorIs(t, err, ErrInterrupted)
	require.ErrorIs(t, err, context.Canceled)
	require.Contains(t, err.Error(), "epoch 2, after batch 3")
	require.Contains(t, err.Error(), ckpt)

	cfg.OnStep, cfg.Resume = nil, true
	second := tinyNet(t, 3) // a fresh head: everything comes from the checkpoint
	h, err := Train(context.Background(), second, loader(t, split.Train, trainTransform(), true, 4), loader(t, split.Valid, evalTransform(), false, 4), cfg)
	require.NoError(t, err)
	require.Contains(t, log.String(), "resuming from")
	require.Equal(t, headValues(ref), headValues(second))
	require.Len(t, h.Epochs, 3)
	require.Len(t, h.ValidCurve, 3)
}

func TestTrainingLossGoesDownAndMemoryStaysFlat(t *testing.T) {
	_, split := smallKaggle(t, 4, 0.15)
	net := tinyNet(t, 4)
	tr, va := loader(t, split.Train, trainTransform(), true, 8), loader(t, split.Valid, evalTransform(), false, 8)
	before := torch.LiveTensors()
	var log bytes.Buffer
	cfg := chapterConfig(6)
	cfg.Log, cfg.CacheValidFeatures = &log, true
	h, err := Train(context.Background(), net, tr, va, cfg)
	require.NoError(t, err)
	require.Equal(t, before, torch.LiveTensors(), "tensors leaked across epochs")
	require.Len(t, h.Epochs, 6)
	require.Less(t, h.Epochs[5].TrainLoss, h.Epochs[0].TrainLoss)
	require.InDelta(t, 1e-2*0.9*0.9, h.Epochs[5].LR, 1e-15, "StepLR: period 2, decay 0.9")
	for _, s := range h.Epochs {
		require.Equal(t, h.Epochs[0].LiveTensors, s.LiveTensors, "live tensors at the end of epoch %d", s.Epoch)
		require.Positive(t, s.RSSMiB)
		require.False(t, math.IsNaN(s.ValidLoss))
		require.Equal(t, split.Train.Len(), s.Examples)
		require.Positive(t, s.ExamplesPerSec)
	}
	// d2l's Animator rule: a point every num_batches//5 batches and at the end.
	nb, perEpoch := tr.NumBatches(), 0
	for i := 1; i <= nb; i++ {
		if i%max(1, nb/5) == 0 || i == nb {
			perEpoch++
		}
	}
	require.Len(t, h.TrainCurve, 6*perEpoch)
	out := log.String()
	require.Contains(t, out, "epoch 6/6: train loss")
	require.Contains(t, out, "examples/sec on [cpu]")
	require.Regexp(t, `(?m)^train loss \d+\.\d{3}, valid loss \d+\.\d{3}$`, out)

	plot := filepath.Join(t.TempDir(), "loss.png")
	require.NoError(t, WritePlot(plot, h))
	f, err := os.Open(plot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 100)
}

func TestNaNLossStopsWithEpochAndBatch(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.15)
	net := tinyNet(t, 3)
	cfg := chapterConfig(2)
	cfg.LR = 1e12
	_, err := Train(context.Background(), net, loader(t, split.Train, evalTransform(), true, 4), nil, cfg)
	require.Error(t, err)
	require.Regexp(t, `training loss is (NaN|\+Inf|-Inf) at epoch \d+, batch \d+ of \d+`, err.Error())
}

func TestTrainConfigErrors(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	net := tinyNet(t, 3)
	l := loader(t, split.Train, evalTransform(), false, 4)
	for _, c := range []struct {
		mutate func(*TrainConfig)
		want   string
	}{
		{func(c *TrainConfig) { c.Epochs = -1 }, "epochs -1"},
		{func(c *TrainConfig) { c.LR = 0 }, "learning rate 0"},
		{func(c *TrainConfig) { c.WeightDecay = -1 }, "weight decay"},
		{func(c *TrainConfig) { c.LRPeriod = 0 }, "lr period 0"},
		{func(c *TrainConfig) { c.Momentum = 1 }, "momentum"},
		{func(c *TrainConfig) { c.PrefetchThreads = -1 }, "prefetch threads -1"},
	} {
		cfg := chapterConfig(1)
		c.mutate(&cfg)
		_, err := Train(context.Background(), net, l, nil, cfg)
		require.ErrorContains(t, err, c.want)
	}
}

func TestBackboneWithoutVectorOutputIsRefused(t *testing.T) {
	_, err := LoadNet("testdata/conv_backbone.pt", NetConfig{Classes: 3, InputSize: 32})
	require.Error(t, err)
	require.Contains(t, err.Error(), "conv_backbone.pt")
	require.Contains(t, err.Error(), "want [N, k]")
	_, err = LoadNet("testdata/missing.pt", NetConfig{Classes: 3})
	require.ErrorContains(t, err, "missing.pt")
	_, err = LoadNet(tinyBackbone, NetConfig{Classes: 1})
	require.ErrorContains(t, err, "at least 2 classes")
}

// trainedCheckpoint trains a 3-class head for one epoch with a checkpoint
// and returns the split, the config (Checkpoint set) and the file's bytes.
func trainedCheckpoint(t *testing.T) (*dataset.Split, TrainConfig, []byte) {
	t.Helper()
	_, split := smallKaggle(t, 3, 0.1)
	cfg := chapterConfig(1)
	cfg.Checkpoint = filepath.Join(t.TempDir(), "ckpt.pt")
	_, err := Train(context.Background(), tinyNet(t, 3), loader(t, split.Train, evalTransform(), false, 4), nil, cfg)
	require.NoError(t, err)
	before, err := os.ReadFile(cfg.Checkpoint)
	require.NoError(t, err)
	return split, cfg, before
}

func TestCheckpointOfAnotherHeadIsRefused(t *testing.T) {
	split, cfg, before := trainedCheckpoint(t)
	ckpt := cfg.Checkpoint

	other, err := LoadNet(tinyBackbone, NetConfig{Classes: 4, Hidden: 32, InputSize: 32})
	require.NoError(t, err)
	defer other.Close()
	cfg.Resume, cfg.Epochs = true, 2
	_, err = Train(context.Background(), other, loader(t, split.Train, evalTransform(), false, 4), nil, cfg)
	require.Error(t, err)
	require.Contains(t, err.Error(), ckpt)
	require.Contains(t, err.Error(), "3 classes")
	after, err := os.ReadFile(ckpt)
	require.NoError(t, err)
	require.Equal(t, before, after, "a refused checkpoint is left intact")

	// PyTorch-written garbage is refused too.
	require.NoError(t, os.WriteFile(ckpt, []byte("junk"), 0o644))
	_, err = Train(context.Background(), other, loader(t, split.Train, evalTransform(), false, 4), nil, cfg)
	require.ErrorContains(t, err, ckpt)
}

func TestPredictAndSubmission(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	net := tinyNet(t, 3)
	test := loader(t, split.Test, evalTransform(), true, 3) // shuffled: Predict restores dataset order
	p, err := Predict(context.Background(), net, test)
	require.NoError(t, err)
	require.Len(t, p.IDs, split.Test.Len())
	for i, s := range split.Test.Samples {
		require.Equal(t, s.ID, p.IDs[i])
		sum := 0.0
		for _, v := range p.Probs[i] {
			sum += float64(v)
		}
		require.InDelta(t, 1, sum, 1e-5)
	}
	path := filepath.Join(t.TempDir(), "submission.csv")
	require.NoError(t, WriteSubmission(path, split.Train.Classes, p))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Equal(t, "id,"+strings.Join(split.Train.Classes, ","), lines[0])
	require.Len(t, lines, 1+split.Test.Len())
	require.True(t, strings.HasPrefix(lines[1], p.IDs[0]+","))

	// A failed write keeps the previous file.
	bad := &Predictions{IDs: []string{"x"}, Probs: [][]float32{{1}}}
	require.ErrorContains(t, WriteSubmission(path, split.Train.Classes, bad), "1 probabilities for 3 classes")
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, data, again)
	err = WriteSubmission(filepath.Join(t.TempDir(), "no", "dir", "s.csv"), split.Train.Classes, p)
	require.Error(t, err)
	require.True(t, errors.Is(err, os.ErrNotExist))

	m, err := Evaluate(context.Background(), net, loader(t, split.Valid, evalTransform(), false, 4))
	require.NoError(t, err)
	require.Equal(t, split.Valid.Len(), m.N)
	require.InDelta(t, m.Loss, m.LogLoss, 1e-4, "log loss is the cross-entropy when no probability is clipped")
	require.GreaterOrEqual(t, m.Top5, m.Top1)
}

func TestBF16BackboneGivesCloseFeatures(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	l := loader(t, split.Valid, evalTransform(), false, 8)
	full := tinyNet(t, 3)
	half, err := LoadNet(tinyBackbone, NetConfig{Classes: 3, Hidden: 32, InputSize: 32, Seed: 1, BackboneDtype: torch.BFloat16})
	if errors.Is(err, ErrAutocastDisagrees) {
		// This libtorch's bfloat16 kernels are wrong on this CPU (Debian's
		// libtorch 2.6 on an AMD EPYC Zen 5): NewNet's probe caught it.
		t.Logf("refused: %v", err)
		return
	}
	require.NoError(t, err)
	defer half.Close()
	a, err := ExtractFeatures(context.Background(), full, l)
	require.NoError(t, err)
	defer a.Close()
	b, err := ExtractFeatures(context.Background(), half, l)
	require.NoError(t, err)
	defer b.Close()
	require.Equal(t, torch.Float32, b.X.Dtype())
	worst, scale := worstDifference(a.X.Float32s(), b.X.Float32s())
	require.Positive(t, worst, "bf16 must differ a little from float32")
	require.Less(t, worst, 0.05*scale)
	_, err = LoadNet(tinyBackbone, NetConfig{Classes: 3, BackboneDtype: torch.Int64})
	require.ErrorContains(t, err, "backbone dtype int64")
}

func TestPredictStopsWhenCancelled(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	net := tinyNet(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := Predict(ctx, net, loader(t, split.Test, evalTransform(), false, 2))
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, p)
}

func TestUnwritableCheckpointStopsWithItsPath(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	require.NoError(t, os.WriteFile(blocker, []byte("a file"), 0o644))
	cfg := chapterConfig(2)
	cfg.Checkpoint = filepath.Join(blocker, "ckpt.pt")
	h, err := Train(context.Background(), tinyNet(t, 3), loader(t, split.Train, evalTransform(), false, 4), nil, cfg)
	require.Error(t, err)
	require.Contains(t, err.Error(), cfg.Checkpoint)
	require.Len(t, h.Epochs, 1, "stops at the first epoch whose checkpoint cannot be written")
	b, err := os.ReadFile(blocker)
	require.NoError(t, err)
	require.Equal(t, "a file", string(b))
}

// TestResetHeadEqualsAFreshNet: after training, ResetHead(seed) gives the
// head a net freshly loaded with that seed has, on the same backbone.
func TestResetHeadEqualsAFreshNet(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	trained := tinyNet(t, 3)
	_, err := Train(context.Background(), trained, loader(t, split.Train, evalTransform(), false, 4), nil, chapterConfig(1))
	require.NoError(t, err)
	fresh := headValues(tinyNet(t, 3)) // tinyNet's seed is 1
	require.NotEqual(t, fresh, headValues(trained))
	require.NoError(t, trained.ResetHead(1))
	require.Equal(t, fresh, headValues(trained))
}

// A backbone whose output under autocast is not its float32 output (a
// libtorch with wrong low-precision kernels, simulated by the fixture) is
// refused as a bfloat16 backbone, saying by how much; in float32 it loads.
func TestAutocastDisagreementIsRefused(t *testing.T) {
	const skewed = "testdata/autocast_skewed.pt"
	_, err := LoadNet(skewed, NetConfig{Classes: 3, Hidden: 8, InputSize: 32, Seed: 1, BackboneDtype: torch.BFloat16})
	require.ErrorIs(t, err, ErrAutocastDisagrees)
	require.ErrorContains(t, err, "under bfloat16 autocast")
	require.ErrorContains(t, err, "use float32")
	net, err := LoadNet(skewed, NetConfig{Classes: 3, Hidden: 8, InputSize: 32, Seed: 1})
	require.NoError(t, err)
	net.Close()
}
