package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/torch"
)

// A backbone-only run computes batches for as long as its predicate asks
// (the worker's: a count and a time), on one stream or two, and says how
// many it ran.
func TestBackboneRunGoesOnWhileAsked(t *testing.T) {
	for _, streams := range []int{1, 2} {
		net, err := finetune.LoadNet("../../finetune/testdata/tiny_backbone.pt",
			finetune.NetConfig{Classes: 3, InputSize: 32, Device: torch.CPU, Streams: streams})
		require.NoError(t, err)
		b := &dataset.Batch{N: 2, C: 3, H: 32, W: 32, Images: make([]float32, 2*3*32*32)}
		n, err := backboneRun(context.Background(), net, b, func(given int) bool { return given < 5 })
		require.NoError(t, err)
		require.Equal(t, 5, n, "streams %d", streams)

		// The predicate sees the batches given so far, 0 first.
		var seen []int
		n, err = backboneRun(context.Background(), net, b, func(given int) bool {
			seen = append(seen, given)
			return given < 3
		})
		require.NoError(t, err)
		require.Equal(t, 3, n)
		require.Equal(t, []int{0, 1, 2, 3}, seen, "streams %d", streams)
		net.Close()
	}
}
