package finetune

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
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
