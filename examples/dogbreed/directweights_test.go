package main

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
)

// TestReleaseDirectWeightsDefault: with the Winograd convolutions on, every
// one of them runs Winograd without its direct weights, planned for the
// largest batch a loader makes, once it has at least torch.MinReleaseBatch
// images; --release-direct-weights=false, or smaller batches, keep the
// direct weights and the Winograd weights within
// finetune.DefaultWinogradBytes; a --winograd-memory given stands either
// way; asking for the release without Winograd, or with batches too small,
// is an error that names the flag.
func TestReleaseDirectWeightsDefault(t *testing.T) {
	set := func(n int) *dataset.Dataset { return &dataset.Dataset{Samples: make([]dataset.Sample, n)} }
	split := &dataset.Split{Train: set(40), Valid: set(8), TrainValid: set(48), Test: set(20)}
	decide := func(winograd bool, args ...string) (finetune.NetConfig, error) {
		o, err := parseFlags(args)
		require.NoError(t, err)
		cfg := finetune.NetConfig{Winograd: winograd}
		err = o.setReleaseDirectWeights(&cfg, largestBatch(o.batchSize, split))
		return cfg, err
	}
	cfg, err := decide(true, "--batch-size", "32")
	require.NoError(t, err)
	require.Equal(t, finetune.NetConfig{Winograd: true, ReleaseDirectWeights: 32}, cfg)
	cfg, err = decide(true, "--batch-size", "64")
	require.NoError(t, err)
	require.Equal(t, 48, cfg.ReleaseDirectWeights, "the largest set's size, under --batch-size")
	cfg, err = decide(true, "--batch-size", "32", "--release-direct-weights=false")
	require.NoError(t, err)
	require.Equal(t, finetune.NetConfig{Winograd: true, WinogradBytes: finetune.DefaultWinogradBytes}, cfg)
	cfg, err = decide(true, "--batch-size", "3")
	require.NoError(t, err)
	require.Equal(t, finetune.NetConfig{Winograd: true, WinogradBytes: finetune.DefaultWinogradBytes}, cfg)
	cfg, err = decide(true, "--batch-size", "32", "--winograd-memory", "128MiB")
	require.NoError(t, err)
	require.Equal(t, finetune.NetConfig{Winograd: true, WinogradBytes: 128 << 20, ReleaseDirectWeights: 32}, cfg)
	cfg, err = decide(false, "--batch-size", "32")
	require.NoError(t, err)
	require.Zero(t, cfg.ReleaseDirectWeights)
	_, err = decide(false, "--release-direct-weights")
	require.ErrorContains(t, err, "--release-direct-weights applies to the Winograd convolutions, off here")
	_, err = decide(true, "--release-direct-weights", "--batch-size", "3")
	require.ErrorContains(t, err, "--release-direct-weights needs batches of at least 4 images; the largest here has 3 (--batch-size 3)")
}
