package finetune

import (
	"context"
	"iter"

	"github.com/tunetorch/tunetorch/dataset"
)

// epochAhead is an epoch's loader started before the epoch itself: while
// the previous epoch's last batch trains and its validation runs, the
// loader makes the first batches, so the epoch does not begin by waiting
// for them. One goroutine ranges over the loader's batches and hands them
// over in order; stop ends it and the loader.
type epochAhead struct {
	epoch   int
	batches chan loaded
	cancel  context.CancelFunc
	done    chan struct{}
}

// loaded is one of a loader's batches, or its error.
type loaded struct {
	b   *dataset.Batch
	err error
}

// startEpochAhead starts the loader's epoch from its first batch.
func startEpochAhead(ctx context.Context, l *dataset.Loader, epoch int) *epochAhead {
	ctx, cancel := context.WithCancel(ctx)
	a := &epochAhead{epoch: epoch, batches: make(chan loaded), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		defer close(a.batches)
		for b, err := range l.Batches(ctx, epoch) {
			select {
			case a.batches <- loaded{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return a
}

// seq yields the epoch's batches (once), or ctx's error once it is
// cancelled, as dataset.Loader.Batches does; stopping early, or the end,
// stops the loader.
func (a *epochAhead) seq(ctx context.Context) iter.Seq2[*dataset.Batch, error] {
	return func(yield func(*dataset.Batch, error) bool) {
		defer a.stop()
		for {
			select {
			case m, ok := <-a.batches:
				if !ok || !yield(m.b, m.err) {
					return
				}
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
		}
	}
}

// stop cancels the loader and waits for its goroutine; batches made but
// not handed over are dropped. It may be called more than once.
func (a *epochAhead) stop() {
	a.cancel()
	for range a.batches {
	}
	<-a.done
}
