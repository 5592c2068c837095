package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/finetune"
)

func TestReportDataWaitOnlyWhenTheLoaderIsTheLimit(t *testing.T) {
	report := func(wait float64, caching bool) string {
		var b strings.Builder
		h := &finetune.History{Epochs: []finetune.EpochStats{{Seconds: 10, DataWaitSeconds: 9}, {Seconds: 10, DataWaitSeconds: wait}}}
		reportDataWait(&b, h, 14, caching)
		return b.String()
	}
	require.Empty(t, report(1, false), "the last epoch counts, and 10% is no limit")
	require.Empty(t, report(2.5, false), "a quarter is the threshold")
	require.NotEmpty(t, report(3, false))
	line := report(6, false)
	require.Contains(t, line, "waited for data 60% of the last epoch")
	require.Contains(t, line, "--workers (14 now)")
	require.Contains(t, line, "--cache-images")
	line = report(6, true)
	require.Contains(t, line, "waited for data 60%")
	require.NotContains(t, line, "--cache-images", "already caching")
	var none strings.Builder
	reportDataWait(&none, nil, 1, false)
	require.Empty(t, none.String(), "no history, nothing to say")
}
