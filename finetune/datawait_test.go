package finetune

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// slowTransform is inner, after a pause: a loader that cannot keep up.
type slowTransform struct {
	inner transforms.Transform
	pause time.Duration
}

func (s slowTransform) Apply(d transforms.Data, rng *rand.Rand) (transforms.Data, error) {
	time.Sleep(s.pause)
	return s.inner.Apply(d, rng)
}

func (s slowTransform) Kinds() (transforms.Kind, transforms.Kind) { return s.inner.Kinds() }
func (s slowTransform) String() string                            { return "slow " + s.inner.String() }

func TestDataWaitIsTheTimeTheLoopWaitsForBatches(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.15)
	const pause = 20 * time.Millisecond
	for _, streams := range []int{1, 2} {
		l, err := dataset.NewLoader(split.Train, dataset.LoaderConfig{BatchSize: 4, Workers: 1,
			Transform: slowTransform{evalTransform(), pause}})
		require.NoError(t, err)
		var log bytes.Buffer
		cfg := chapterConfig(1)
		cfg.Log = &log
		netCfg := tinyConfig(3)
		netCfg.Streams = streams
		h, err := Train(context.Background(), loadTiny(t, netCfg), l, nil, cfg)
		require.NoError(t, err)
		s := h.Epochs[0]
		// One goroutine pauses for every image; the loop's steps on the tiny
		// head (or the streams' work) overlap with some of that, far from
		// half of it.
		slept := (time.Duration(s.Examples) * pause).Seconds()
		require.Greater(t, s.Examples, 8)
		require.GreaterOrEqual(t, s.DataWaitSeconds, slept/2, "%d streams", streams)
		require.LessOrEqual(t, s.DataWaitSeconds, s.Seconds, "%d streams", streams)
		require.Contains(t, log.String(), "% waiting for data")
	}
}

func TestVersion1CheckpointsAreStillRead(t *testing.T) {
	split, cfg, _ := trainedCheckpoint(t)
	// Rewrite the checkpoint as version 1 wrote it: no wait in state.float.
	ts, err := torch.LoadTensors(cfg.Checkpoint)
	require.NoError(t, err)
	defer torch.CloseNamed(ts)
	rewrite := func(version int64, floats int) {
		t.Helper()
		var out []torch.NamedTensor
		var made []*torch.Tensor
		for _, nt := range ts {
			switch nt.Name {
			case "state.int":
				v := nt.Tensor.Int64s()
				v[0] = version
				made = append(made, torch.MustFromSlice(v, 7))
				out = append(out, torch.NamedTensor{Name: nt.Name, Tensor: made[len(made)-1]})
			case "state.float":
				v := nt.Tensor.Float64s()
				made = append(made, torch.MustFromSlice(v[:floats], int64(floats)))
				out = append(out, torch.NamedTensor{Name: nt.Name, Tensor: made[len(made)-1]})
			default:
				out = append(out, nt)
			}
		}
		require.NoError(t, torch.SaveTensors(cfg.Checkpoint, out))
		torch.CloseAll(made...)
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
	err = resume()
	require.ErrorContains(t, err, "format version 1 has 4 state.float values, not 3")
	require.ErrorContains(t, err, ckpt)
}
