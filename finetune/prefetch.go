package finetune

import (
	"context"
	"fmt"
	"iter"
	"runtime"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// prefetchInputs yields the loader batches that batches(ctx) gives, each
// with its backbone input already made on the net's device (trainBatch.x)
// by a goroutine of its own, one batch ahead of the consumer
// (TrainConfig.PrefetchInputs). The consumer owns what it is yielded and
// releases it; what was made but not yielded is released here. Stopping
// early stops the goroutine and the loader before it returns. Only for a
// net on one device.
func (n *Net) prefetchInputs(ctx context.Context, batches func(context.Context) iter.Seq2[*dataset.Batch, error]) iter.Seq2[trainBatch, error] {
	type made struct {
		b   trainBatch
		err error
	}
	return func(yield func(trainBatch, error) bool) {
		stageCtx, stop := context.WithCancel(ctx)
		ready := make(chan made) // unbuffered: one batch made ahead, no more
		complete := false        // the loader's batches all made and offered; read once ready is closed
		go func() {
			defer close(ready)
			runtime.LockOSThread() // one thread for its libtorch calls, as Train's
			defer runtime.UnlockOSThread()
			for b, err := range batches(stageCtx) {
				tb := trainBatch{batch: b}
				if err == nil {
					tb.x, err = n.prepareInput(b)
				}
				select {
				case ready <- made{tb, err}:
				case <-stageCtx.Done():
					tb.release()
					return
				}
				if err != nil {
					return
				}
			}
			complete = true
		}()
		defer func() {
			stop()
			for m := range ready { // until the goroutine has returned
				m.b.release()
			}
		}()
		for m := range ready {
			if !yield(m.b, m.err) {
				return
			}
		}
		// The goroutine stops without a word when the context is cancelled
		// while it offers a batch: the consumer must still hear of it.
		if err := ctx.Err(); err != nil && !complete {
			yield(trainBatch{}, err)
		}
	}
}

// prepareInput is the backbone's input for the whole of b on the net's
// (one) device.
func (n *Net) prepareInput(b *dataset.Batch) (x *torch.Tensor, err error) {
	defer torch.Recover(&err)
	if x, err = n.input(n.Device, b, 0, b.N); err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	return x, nil
}
