package finetune

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

func TestChunksFollowTorchChunk(t *testing.T) {
	// torch.arange(n).chunk(k): ⌈n/k⌉ per chunk, the last smaller, fewer chunks when n is small.
	require.Equal(t, [][2]int{{0, 4}, {4, 8}, {8, 10}}, chunks(10, 3))
	require.Equal(t, [][2]int{{0, 3}, {3, 5}}, chunks(5, 2))
	require.Equal(t, [][2]int{{0, 1}, {1, 2}}, chunks(2, 3))
	require.Equal(t, [][2]int{{0, 2}, {2, 4}, {4, 5}}, chunks(5, 4), "torch.arange(5).chunk(4) has 3 chunks")
	require.Equal(t, [][2]int{{0, 32}}, chunks(32, 1))
}

// requireSameFeatures runs every batch of l's epoch 0 through want and got
// and requires the same shapes and features within tol; it returns the
// number of samples compared.
func requireSameFeatures(t *testing.T, l *dataset.Loader, want, got *Net, tol float64, what string) int {
	t.Helper()
	bs := epochBatches(t, l)
	return featurePairs(t, bs, bs, want, got, func(_ *dataset.Batch, w, g []float32) {
		requireAllClose(t, w, g, tol, what)
	})
}

// epochBatches collects the batches of l's epoch 0.
func epochBatches(t *testing.T, l *dataset.Loader) []*dataset.Batch {
	t.Helper()
	return epochBatchesOf(t, l, 0)
}

// epochBatchesOf collects the batches of one epoch of l.
func epochBatchesOf(t *testing.T, l *dataset.Loader, epoch int) []*dataset.Batch {
	t.Helper()
	var bs []*dataset.Batch
	for b, err := range l.Batches(context.Background(), epoch) {
		require.NoError(t, err)
		bs = append(bs, b)
	}
	return bs
}

// featurePairs runs wantBatches[i] through want and gotBatches[i] through
// got, requires as many batches and the same feature shapes, and hands each
// pair of features (flat) to each; it returns the number of samples.
func featurePairs(t *testing.T, wantBatches, gotBatches []*dataset.Batch, want, got *Net, each func(b *dataset.Batch, w, g []float32)) int {
	t.Helper()
	require.Len(t, gotBatches, len(wantBatches))
	n := 0
	for i, b := range gotBatches {
		w, err := want.Features(wantBatches[i])
		require.NoError(t, err)
		g, err := got.Features(b)
		require.NoError(t, err)
		require.Equal(t, w.Shape(), g.Shape())
		each(b, w.Float32s(), g.Float32s())
		torch.CloseAll(w, g)
		n += b.N
	}
	return n
}

// replicaNet is tinyNet with the backbone replicated on devices.
func replicaNet(t *testing.T, classes int, optimize bool, devices ...torch.Device) *Net {
	t.Helper()
	cfg := tinyConfig(classes)
	cfg.BackboneDevices, cfg.OptimizeBackbone = devices, optimize
	return loadTiny(t, cfg)
}

func requireAllClose(t *testing.T, want, got []float32, tol float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		require.LessOrEqual(t, math.Abs(float64(want[i]-got[i])), tol*(1+math.Abs(float64(want[i]))), "%s [%d]", what, i)
	}
}

// TestReplicatedBackboneGivesTheSameFeatures runs the multi-device code path
// with CPU replicas (what several GPUs run): a batch split between 2 or 3
// copies of the backbone gives the single backbone's features, in order.
func TestReplicatedBackboneGivesTheSameFeatures(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	l := loader(t, split.Train, evalTransform(), false, 7)
	single := tinyNet(t, 3)
	for _, devs := range [][]torch.Device{{torch.CPU, torch.CPU}, {torch.CPU, torch.CPU, torch.CPU}} {
		for _, optimize := range []bool{false, true} {
			multi := replicaNet(t, 3, optimize, devs...)
			require.Len(t, multi.replicas, len(devs))
			n := requireSameFeatures(t, l, single, multi, 1e-5, "features")
			require.Equal(t, split.Train.Len(), n)
		}
	}
}

// TestTrainingOnReplicasEqualsOneDevice: the head trained from features
// computed by two replicas ends where single-device training ends, on the
// same batches.
func TestTrainingOnReplicasEqualsOneDevice(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	train := func(n *Net) [][]float32 {
		_, err := Train(context.Background(), n, loader(t, split.Train, evalTransform(), true, 4),
			loader(t, split.Valid, evalTransform(), false, 4), chapterConfig(2))
		require.NoError(t, err)
		return headValues(n)
	}
	want := train(tinyNet(t, 3))
	got := train(replicaNet(t, 3, false, torch.CPU, torch.CPU))
	require.Len(t, got, len(want))
	for i := range want {
		requireAllClose(t, want[i], got[i], 1e-5, "head parameters")
	}
}

func TestReplicaOnAMissingDeviceIsAnError(t *testing.T) {
	missing := torch.CUDA(torch.CUDADeviceCount())
	_, err := LoadNet(tinyBackbone, NetConfig{Classes: 3, InputSize: 32, Device: torch.CPU,
		BackboneDevices: []torch.Device{torch.CPU, missing}})
	require.ErrorContains(t, err, "replicating the backbone on "+missing.String())
}

// TestChannelsLastGivesTheSameFeatures: a backbone laid out NHWC (plain,
// optimised, and replicated) computes the NCHW backbone's features, and its
// convolution weights really are NHWC.
func TestChannelsLastGivesTheSameFeatures(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	l := loader(t, split.Train, evalTransform(), false, 7)
	plain := tinyNet(t, 3)
	for _, optimize := range []bool{false, true} {
		for _, devs := range [][]torch.Device{nil, {torch.CPU, torch.CPU}} {
			cfg := tinyConfig(3)
			cfg.ChannelsLast, cfg.OptimizeBackbone, cfg.BackboneDevices = true, optimize, devs
			nhwc := loadTiny(t, cfg)
			require.True(t, nhwc.ChannelsLast)
			if !optimize { // a frozen module has constants, not parameters
				for _, r := range nhwc.replicas {
					ps := r.m.NamedParameters()
					for _, p := range ps {
						if p.Name == "conv1.weight" || p.Name == "conv2.weight" {
							require.True(t, p.Tensor.IsContiguousAs(torch.ChannelsLast), "%s is not NHWC", p.Name)
						}
					}
					torch.CloseNamed(ps)
				}
			}
			requireSameFeatures(t, l, plain, nhwc, 1e-5, "channels-last features")
		}
	}
}
