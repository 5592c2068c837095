package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/tunetorch/tunetorch/finetune"
)

// feed is how the training batches reach the model: what the run's
// description and the remedies for a waiting model name.
type feed struct {
	workers         int  // loader goroutines
	prefetch        int  // batches they prepare ahead (--prefetch); 0: not said
	caching         bool // decoded images kept (--cache-images)
	gpu             bool // the model on a GPU
	augmentOnDevice bool // --augment-on-device
	prefetchThreads int  // threads making the inputs ahead (--prefetch-inputs); 0: none
}

// String describes the feed in a line, e.g. "14 loader workers 2 batches
// ahead, decoded images cached, augmentation on the model's device, inputs
// made a batch ahead by 1 thread".
func (f feed) String() string {
	parts := []string{fmt.Sprintf("%d loader worker%s", f.workers, plural(f.workers))}
	if f.prefetch > 0 {
		unit := "batches"
		if f.prefetch == 1 {
			unit = "batch"
		}
		parts[0] += fmt.Sprintf(" %d %s ahead", f.prefetch, unit)
	}
	if f.caching {
		parts = append(parts, "decoded images cached")
	}
	if f.augmentOnDevice {
		parts = append(parts, "augmentation on the model's device")
	}
	if f.prefetchThreads > 0 {
		parts = append(parts, fmt.Sprintf("inputs made a batch ahead by %d thread%s", f.prefetchThreads, plural(f.prefetchThreads)))
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// reportDataWait tells the user when the model spent more than a quarter of
// the last epoch waiting for batches (finetune.EpochStats.DataWaitSeconds):
// the loader, not the model, set the pace, and what would feed it faster.
func reportDataWait(out io.Writer, h *finetune.History, f feed) {
	if h == nil || len(h.Epochs) == 0 {
		return
	}
	last := h.Epochs[len(h.Epochs)-1]
	share := last.DataWaitSeconds / last.Seconds
	if !(share > 0.25) {
		return
	}
	remedies := []string{fmt.Sprintf("more --workers (%d now)", f.workers)}
	if !f.caching {
		remedies = append(remedies, "--cache-images SIZE (later epochs skip decoding)")
	}
	if f.gpu && !f.augmentOnDevice {
		remedies = append(remedies, "--augment-on-device (the GPU augments, the loader only crops)")
	}
	if f.gpu && f.prefetchThreads == 0 {
		remedies = append(remedies, "--prefetch-inputs (the next input made while the GPU works)")
	}
	if f.gpu && f.prefetchThreads > 0 {
		remedies = append(remedies, fmt.Sprintf("more --prefetch-threads (%d now)", f.prefetchThreads))
	}
	fmt.Fprintf(out, "the model waited for data %.0f%% of the last epoch: the loader is the limit; %s or faster storage would feed it faster\n",
		100*share, strings.Join(remedies, ", "))
}
