package finetune

import (
	"context"
	"fmt"
	"iter"
	"runtime"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// prefetchInputs yields the loader batches that batches(ctx) gives, in
// their order, each with its backbone input already made on the net's
// device (trainBatch.x) by one of threads goroutines, each on an OS thread
// of its own, batch i by goroutine i mod threads, while the consumer
// trains on the batches before (TrainConfig.PrefetchInputs). Each
// goroutine makes one batch ahead at most. The consumer owns what it is
// yielded and releases it; what was made but not yielded is released
// here. Stopping early stops the goroutines and the loader before it
// returns. Only for a net with one backbone replica.
func (n *Net) prefetchInputs(ctx context.Context, threads int, batches func(context.Context) iter.Seq2[*dataset.Batch, error]) iter.Seq2[trainBatch, error] {
	type made struct {
		b   trainBatch
		err error
	}
	return func(yield func(trainBatch, error) bool) {
		stageCtx, stop := context.WithCancel(ctx)
		jobs := make([]chan made, threads)  // the loader's batches, dealt in turn
		ready := make([]chan made, threads) // their inputs made, in the same turn
		for i := range jobs {
			jobs[i], ready[i] = make(chan made), make(chan made)
		}
		complete := false // every batch dealt; read once a ready channel is closed
		go func() {
			defer func() {
				for _, c := range jobs {
					close(c)
				}
			}()
			i := 0
			for b, err := range batches(stageCtx) {
				select {
				case jobs[i%threads] <- made{trainBatch{batch: b}, err}:
				case <-stageCtx.Done():
					return
				}
				if err != nil {
					return
				}
				i++
			}
			complete = true
		}()
		for w := range threads {
			go func() {
				defer close(ready[w])
				runtime.LockOSThread() // one thread for its libtorch calls, as Train's
				defer runtime.UnlockOSThread()
				for m := range jobs[w] {
					if stageCtx.Err() != nil { // stopping: nothing more is wanted
						m.b.release()
						continue
					}
					if m.err == nil {
						m.b.x, m.err = n.prepareInput(m.b.batch)
					}
					select {
					case ready[w] <- m:
					case <-stageCtx.Done():
						m.b.release()
					}
				}
			}()
		}
		defer func() {
			stop()
			for _, c := range ready { // until every goroutine has returned
				for m := range c {
					m.b.release()
				}
			}
		}()
		for i := 0; ; i++ {
			m, ok := <-ready[i%threads]
			if !ok {
				break
			}
			if !yield(m.b, m.err) || m.err != nil {
				return
			}
		}
		// The goroutines stop without a word when the context is cancelled
		// while they offer a batch: the consumer must still hear of it.
		if err := ctx.Err(); err != nil && !complete {
			yield(trainBatch{}, err)
		}
	}
}

// prepareInput is the backbone's input for the whole of b on the device of
// the net's one backbone replica.
func (n *Net) prepareInput(b *dataset.Batch) (x *torch.Tensor, err error) {
	defer torch.Recover(&err)
	if x, err = n.input(n.replicas[0].dev, b, 0, b.N); err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	return x, nil
}
