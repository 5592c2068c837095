package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/finetune"
)

func TestReportDataWaitOnlyWhenTheLoaderIsTheLimit(t *testing.T) {
	report := func(wait float64, f feed) string {
		var b strings.Builder
		h := &finetune.History{Epochs: []finetune.EpochStats{{Seconds: 10, DataWaitSeconds: 9}, {Seconds: 10, DataWaitSeconds: wait}}}
		reportDataWait(&b, h, f)
		return b.String()
	}
	cpu := feed{workers: 14}
	require.Empty(t, report(1, cpu), "the last epoch counts, and 10% is no limit")
	require.Empty(t, report(2.5, cpu), "a quarter is the threshold")
	require.NotEmpty(t, report(3, cpu))
	line := report(6, cpu)
	require.Contains(t, line, "waited for data 60% of the last epoch")
	require.Contains(t, line, "--workers (14 now)")
	require.Contains(t, line, "--cache-images")
	require.NotContains(t, line, "--augment-on-device", "on the CPU")
	require.NotContains(t, line, "--prefetch", "on the CPU")
	line = report(6, feed{workers: 14, caching: true})
	require.Contains(t, line, "waited for data 60%")
	require.NotContains(t, line, "--cache-images", "already caching")

	// On a GPU, the levers that are off; more threads for those on.
	line = report(6, feed{workers: 14, caching: true, gpu: true})
	require.Contains(t, line, "--augment-on-device")
	require.Contains(t, line, "--prefetch-inputs")
	line = report(6, feed{workers: 14, caching: true, gpu: true, augmentOnDevice: true, prefetchThreads: 2})
	require.NotContains(t, line, "--augment-on-device")
	require.NotContains(t, line, "--prefetch-inputs")
	require.Contains(t, line, "more --prefetch-threads (2 now)")

	var none strings.Builder
	reportDataWait(&none, nil, cpu)
	require.Empty(t, none.String(), "no history, nothing to say")
}

// TestFeedDescribesHowTheBatchesArrive: the run's "training input" line
// names each lever that is on.
func TestFeedDescribesHowTheBatchesArrive(t *testing.T) {
	require.Equal(t, "1 loader worker", feed{workers: 1}.String())
	require.Equal(t, "1 loader worker 1 batch ahead", feed{workers: 1, prefetch: 1}.String())
	require.Equal(t, "3 loader workers 2 batches ahead, decoded images cached", feed{workers: 3, prefetch: 2, caching: true}.String())
	require.Equal(t, "14 loader workers, decoded images cached, augmentation on the model's device, inputs made a batch ahead by 1 thread",
		feed{workers: 14, caching: true, gpu: true, augmentOnDevice: true, prefetchThreads: 1}.String())
	require.Equal(t, "2 loader workers, inputs made a batch ahead by 3 threads", feed{workers: 2, prefetchThreads: 3}.String())
}
