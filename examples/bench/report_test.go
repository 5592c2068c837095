package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The pipeline efficiency divides each training run by the backbone-only
// run of its own repetition (back to back), not the medians of all.
func TestEfficiencyPairsEachRepetition(t *testing.T) {
	all := []result{
		{Side: "Go", What: "backbone", ImagesPerSec: 40, Rep: 1},
		{Side: "Go", What: "train", ExamplesPerSec: 38, WallSeconds: 50, Rep: 1},
		{Side: "PyTorch", What: "backbone", ImagesPerSec: 30, Rep: 1},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 25, WallSeconds: 70, Rep: 1},
		{Side: "Go", What: "backbone", ImagesPerSec: 30, Rep: 2},
		{Side: "Go", What: "train", ExamplesPerSec: 24, WallSeconds: 60, Rep: 2},
		{Side: "PyTorch", What: "backbone", ImagesPerSec: 25, Rep: 2},
		{Side: "PyTorch", What: "train", ExamplesPerSec: 20, WallSeconds: 80, Rep: 2},
		{Side: "Go", What: "backbone +optimize-backbone", ImagesPerSec: 50},
		{Side: "Go", What: "train +optimize-backbone", ExamplesPerSec: 45, WallSeconds: 40},
	}
	md := markdown(config{device: "cpu", classes: 12, batchSize: 32, threads: 2, epochs: 3, batches: 12, reps: 2}, all)
	// 38/40 = 0.95 and 24/30 = 0.80: median 0.875; the medians' ratio
	// (31/35 = 0.886) would read 0.89.
	require.Contains(t, md, "median of 0.95, 0.80): 0.88.")
	require.Contains(t, md, "frozen + optimized 0.90")
	require.Equal(t, 1, strings.Count(md, "Pipeline efficiency"))
}
