package finetune

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/torch"
)

// rewriteCheckpoint rewrites the checkpoint at path with the entries edit
// returns a replacement for (nil keeps an entry).
func rewriteCheckpoint(t *testing.T, path string, edit func(name string, x *torch.Tensor) *torch.Tensor) {
	t.Helper()
	ts, err := torch.LoadTensors(path)
	require.NoError(t, err)
	defer torch.CloseNamed(ts)
	var made []*torch.Tensor
	defer func() { torch.CloseAll(made...) }()
	out := make([]torch.NamedTensor, len(ts))
	for i, nt := range ts {
		out[i] = nt
		if x := edit(nt.Name, nt.Tensor); x != nil {
			made = append(made, x)
			out[i].Tensor = x
		}
	}
	require.NoError(t, torch.SaveTensors(path, out))
}

// withState rewrites the checkpoint's state.int through setInt and keeps the
// first floats values of its state.float.
func withState(t *testing.T, path string, setInt func(v []int64), floats int) {
	t.Helper()
	rewriteCheckpoint(t, path, func(name string, x *torch.Tensor) *torch.Tensor {
		if name == "state.float" {
			return torch.MustFromSlice(x.Float64s()[:floats], int64(floats))
		}
		return stateInt(setInt)(name, x)
	})
}

func TestVersion1CheckpointsAreStillRead(t *testing.T) {
	split, cfg, before := trainedCheckpoint(t)
	// Rewrite the checkpoint as version 1 wrote it: no wait in state.float.
	rewrite := func(version int64, floats int) {
		t.Helper()
		require.NoError(t, os.WriteFile(cfg.Checkpoint, before, 0o644))
		withState(t, cfg.Checkpoint, func(v []int64) { v[0] = version }, floats)
	}
	resume := func() error {
		c := cfg
		c.Resume, c.Epochs = true, 2
		_, err := Train(context.Background(), tinyNet(t, 3), loader(t, split.Train, evalTransform(), false, 4), nil, c)
		return err
	}
	rewrite(1, 3)
	require.NoError(t, resume())

	ckpt := filepath.Base(cfg.Checkpoint)
	rewrite(3, 4)
	require.ErrorContains(t, resume(), "format version 3, this build reads 1 to 2")
	rewrite(1, 4)
	err := resume()
	require.ErrorContains(t, err, "format version 1 has 4 state.float values, not 3")
	require.ErrorContains(t, err, ckpt)
}

// A checkpoint whose position or history is corrupt is refused, naming it,
// before anything is restored: not a resume that steps the schedule 2^62
// times, nor a loader asked for batch -3 (an index out of range in its
// goroutine, the process gone).
func TestCorruptCheckpointIsRefusedBeforeAnythingIsRestored(t *testing.T) {
	split, cfg, before := trainedCheckpoint(t) // one epoch done: epoch 1, batch 0, 1 schedule step
	nb := loader(t, split.Train, evalTransform(), false, 4).NumBatches()
	for _, tc := range []struct {
		what string
		edit func(name string, x *torch.Tensor) *torch.Tensor
		want string
	}{
		{"a schedule of 2^62 steps", stateInt(func(v []int64) { v[4] = 1 << 62 }),
			"a corrupt position: epoch 1, batch 0, 0 examples, 4611686018427387904 schedule steps"},
		{"an epoch of 2^62, steps alike", stateInt(func(v []int64) { v[1], v[4] = 1<<62, 1<<62 }),
			"it is at epoch 4611686018427387904, past this run's 2 epochs"},
		{"a negative batch", stateInt(func(v []int64) { v[2] = -3 }),
			"a corrupt position: epoch 1, batch -3, 0 examples, 1 schedule steps"},
		{"a batch past the epoch's", stateInt(func(v []int64) { v[2] = int64(nb) + 1 }),
			fmt.Sprintf("it is at batch %d of an epoch; this run's epochs have %d batches (another dataset or batch size)", nb+1, nb)},
		{"a history in float32", func(name string, x *torch.Tensor) *torch.Tensor {
			if name == "history.epochs" {
				return x.ToDtype(torch.Float32)
			}
			return nil
		}, "history.epochs is float32, not float64"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			require.NoError(t, os.WriteFile(cfg.Checkpoint, before, 0o644))
			rewriteCheckpoint(t, cfg.Checkpoint, tc.edit)
			corrupt, err := os.ReadFile(cfg.Checkpoint)
			require.NoError(t, err)
			net := tinyNet(t, 3)
			head := net.Head.NamedParameters()[0].Tensor.Float32s()
			c := cfg
			c.Resume, c.Epochs = true, 2
			_, err = Train(context.Background(), net, loader(t, split.Train, evalTransform(), false, 4), nil, c)
			require.ErrorContains(t, err, "checkpoint "+cfg.Checkpoint+": "+tc.want)
			require.Equal(t, head, net.Head.NamedParameters()[0].Tensor.Float32s(), "the head was restored")
			after, err := os.ReadFile(cfg.Checkpoint)
			require.NoError(t, err)
			require.Equal(t, corrupt, after, "the checkpoint was changed")
		})
	}
}

// stateInt is an edit for rewriteCheckpoint that changes state.int.
func stateInt(set func(v []int64)) func(string, *torch.Tensor) *torch.Tensor {
	return func(name string, x *torch.Tensor) *torch.Tensor {
		if name != "state.int" {
			return nil
		}
		v := x.Int64s()
		set(v)
		return torch.MustFromSlice(v, 7)
	}
}
