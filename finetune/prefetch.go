package finetune

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// prefetchInputs yields the loader batches that batches(ctx) gives, in
// their order, each with its backbone input already made on the net's
// device (trainBatch.x) by one of threads goroutines while the consumer
// trains on the batches before (TrainConfig.PrefetchInputs). Only for a net
// with one backbone replica.
func (n *Net) prefetchInputs(ctx context.Context, threads int, batches func(context.Context) iter.Seq2[*dataset.Batch, error]) iter.Seq2[trainBatch, error] {
	return ahead(ctx, threads, threads, nil, func(b *trainBatch) (err error) {
		b.x, err = n.prepareInput(b.batch)
		return err
	}, nil, batches)
}

// ahead yields the loader batches that batches(ctx) gives, in their order,
// each with work(&batch) done by one of threads goroutines, each on an OS
// thread of its own, while the consumer works on the batches before. A
// goroutine takes the next batch as soon as it is free, so one slowed down
// (its core taken by other work) holds up no other; at most depth batches
// are in the stage, being worked on or done and waiting for the consumer.
// onThread, when set, runs on each goroutine's thread before its first batch
// and returns what to run after its last; its error is each of the
// goroutine's batches' error. idle, when set, adds up the nanoseconds the
// goroutines waited for a batch they then got (not the wait for the end).
// The consumer owns what it is yielded and releases it; what was made but
// not yielded is released here. Stopping early stops the goroutines and the
// loader before it returns.
func ahead(ctx context.Context, threads, depth int, onThread func() (func(), error), work func(*trainBatch) error, idle *atomic.Int64,
	batches func(context.Context) iter.Seq2[*dataset.Batch, error]) iter.Seq2[trainBatch, error] {
	type made struct {
		i   int // the batch's place in the epoch's order
		b   trainBatch
		err error
	}
	return func(yield func(trainBatch, error) bool) {
		stageCtx, stop := context.WithCancel(ctx)
		slots := make(chan struct{}, max(depth, threads)) // one per batch dealt and not yet yielded
		jobs := make(chan made)
		results := make(chan made, threads)
		complete := false // every batch dealt; read once results is closed
		go func() {
			defer close(jobs)
			i := 0
			for b, err := range batches(stageCtx) {
				select {
				case slots <- struct{}{}:
				case <-stageCtx.Done():
					return
				}
				select {
				case jobs <- made{i, trainBatch{batch: b}, err}:
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
		var working sync.WaitGroup
		for range threads {
			working.Go(func() {
				runtime.LockOSThread() // one thread for its libtorch calls, as Train's
				defer runtime.UnlockOSThread()
				var setErr error
				if onThread != nil {
					var done func()
					if done, setErr = onThread(); setErr == nil {
						defer done()
					}
				}
				for {
					asked := time.Now()
					m, ok := <-jobs
					if !ok {
						break
					}
					if idle != nil {
						idle.Add(int64(time.Since(asked)))
					}
					if stageCtx.Err() != nil { // stopping: nothing more is wanted
						m.b.release()
						continue
					}
					if m.err == nil {
						m.err = setErr
					}
					if m.err == nil {
						m.err = work(&m.b)
					}
					select {
					case results <- m:
					case <-stageCtx.Done():
						m.b.release()
					}
				}
			})
		}
		go func() {
			working.Wait()
			close(results)
		}()
		waiting := map[int]made{} // done, ahead of the one the consumer is owed
		defer func() {
			stop()
			for m := range results { // until every goroutine has returned
				m.b.release()
			}
			for _, m := range waiting {
				m.b.release()
			}
		}()
		for next := 0; ; {
			m, ok := waiting[next]
			if !ok {
				if m, ok = <-results; !ok {
					break
				}
				waiting[m.i] = m
				continue
			}
			delete(waiting, next)
			next++
			<-slots
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
