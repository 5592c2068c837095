package main

import (
	"fmt"
	"io"

	"github.com/tunetorch/tunetorch/finetune"
)

// reportDataWait tells the user when the model spent more than a quarter of
// the last epoch waiting for batches (finetune.EpochStats.DataWaitSeconds):
// the loader, not the model, set the pace, and what would feed it faster.
func reportDataWait(out io.Writer, h *finetune.History, workers int, caching bool) {
	if h == nil || len(h.Epochs) == 0 {
		return
	}
	last := h.Epochs[len(h.Epochs)-1]
	share := last.DataWaitSeconds / last.Seconds
	if !(share > 0.25) {
		return
	}
	remedies := fmt.Sprintf("more --workers (%d now)", workers)
	if !caching {
		remedies += ", --cache-images SIZE (later epochs skip decoding)"
	}
	fmt.Fprintf(out, "the model waited for data %.0f%% of the last epoch: the loader is the limit; %s or faster storage would feed it faster\n",
		100*share, remedies)
}
