package main

import (
	"errors"
	"fmt"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/torch"
)

// autoWinogradMemory is --winograd-memory auto, parsed: every convolution
// where their direct weights go (--release-direct-weights), else
// finetune.DefaultWinogradBytes.
const autoWinogradMemory = -1

// setReleaseDirectWeights sets cfg's ReleaseDirectWeights and
// WinogradBytes from --release-direct-weights and --winograd-memory, the
// Winograd convolutions (cfg.Winograd) decided. By default, where they are
// on and batch (the largest batch a loader will make) is one they plan
// for, every 3×3 stride-1 convolution runs Winograd and lets go of its
// direct weights (design note 21: a faster backbone than within
// finetune.DefaultWinogradBytes, at a peak still under the chapter's);
// else they keep their direct weights and the Winograd weights stay within
// finetune.DefaultWinogradBytes.
func (o *options) setReleaseDirectWeights(cfg *finetune.NetConfig, batch int) error {
	release := o.flagOr("release-direct-weights", o.releaseDirectWeights, cfg.Winograd && batch >= torch.MinReleaseBatch)
	switch {
	case release && !cfg.Winograd:
		return errors.New("--release-direct-weights applies to the Winograd convolutions, off here (see --winograd)")
	case release && batch < torch.MinReleaseBatch:
		return fmt.Errorf("--release-direct-weights needs batches of at least %d images; the largest here has %d (--batch-size %d)",
			torch.MinReleaseBatch, batch, o.batchSize)
	case release:
		cfg.ReleaseDirectWeights = batch
	}
	cfg.WinogradBytes = o.winogradBytes
	if cfg.WinogradBytes == autoWinogradMemory {
		cfg.WinogradBytes = finetune.DefaultWinogradBytes
		if release {
			cfg.WinogradBytes = 0 // every convolution
		}
	}
	return nil
}

// largestBatch is the largest batch the run's loaders make of split's sets
// with batches of batchSize images: batchSize, or the largest set's size
// where every set is smaller.
func largestBatch(batchSize int, split *dataset.Split) int {
	largest := 0
	for _, ds := range []*dataset.Dataset{split.Train, split.Valid, split.TrainValid, split.Test} {
		if ds != nil {
			largest = max(largest, ds.Len())
		}
	}
	return min(batchSize, largest)
}
