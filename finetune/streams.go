package finetune

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// featuresAhead yields the loader batches that batches(ctx) gives, in their
// order, each with its features (trainBatch.feats) computed by the net's
// streams (NetConfig.Streams), each taking the next batch when it is free.
// idle, when set, adds up the nanoseconds the streams waited for a batch.
func (n *Net) featuresAhead(ctx context.Context, idle *atomic.Int64, batches func(context.Context) iter.Seq2[*dataset.Batch, error]) iter.Seq2[trainBatch, error] {
	threads := n.streamThreads()
	onThread := func() (func(), error) {
		if err := torch.SetNumThreadsOnThisThread(threads); err != nil {
			return nil, fmt.Errorf("finetune: a backbone stream's threads: %w", err)
		}
		return func() { _ = torch.SetNumThreadsOnThisThread(0) }, nil
	}
	// Each stream may finish a batch more while the consumer waits for
	// another's.
	return ahead(ctx, n.streams, 2*n.streams, onThread, func(b *trainBatch) (err error) {
		b.feats, err = n.Features(b.batch)
		return err
	}, idle, batches)
}

// withFeatures yields the batches that batches(ctx) gives, in their order,
// each with its features: made ahead by the net's streams when it has
// several, else each when it is asked for.
func (n *Net) withFeatures(ctx context.Context, batches func(context.Context) iter.Seq2[*dataset.Batch, error]) iter.Seq2[trainBatch, error] {
	if n.streams > 1 {
		return n.featuresAhead(ctx, nil, batches)
	}
	return func(yield func(trainBatch, error) bool) {
		for b, err := range batches(ctx) {
			tb := trainBatch{batch: b}
			if err == nil {
				tb.feats, err = n.Features(b)
			}
			if !yield(tb, err) || err != nil {
				return
			}
		}
	}
}

// Streams is how many batches the backbone runs on at once (NetConfig.Streams; 1 without).
func (n *Net) Streams() int { return n.streams }

// streamThreads is each stream's share of libtorch's intra-op threads.
func (n *Net) streamThreads() int { return max(1, torch.ProcessNumThreads()/n.streams) }

// shareThreads gives the calling OS thread (held by the caller), which
// consumes the streams' features, a stream's share of libtorch's threads
// while they run; with one stream it does nothing. With the process's count
// its own small operations (the head's) would run on a team of threads that
// spin at each operation's end on the cores the streams use. It returns
// what gives the thread back the count it had.
func (n *Net) shareThreads() (restore func(), err error) {
	if n.streams == 1 {
		return func() {}, nil
	}
	prev := torch.OwnNumThreadsOnThisThread()
	if err := torch.SetNumThreadsOnThisThread(n.streamThreads()); err != nil {
		return nil, fmt.Errorf("finetune: the backbone streams' consumer's threads: %w", err)
	}
	return func() { _ = torch.SetNumThreadsOnThisThread(prev) }, nil
}

// StreamFeatures yields the backbone features of each batch of batches, in
// their order, on the net's device; the caller closes each. With
// NetConfig.Streams the streams work on successive batches at once, each a
// batch ahead of the caller; otherwise each batch is computed when asked
// for, as Features does. Stopping early stops the streams before it returns.
func (n *Net) StreamFeatures(ctx context.Context, batches iter.Seq[*dataset.Batch]) iter.Seq2[*torch.Tensor, error] {
	return func(yield func(*torch.Tensor, error) bool) {
		source := func(ctx context.Context) iter.Seq2[*dataset.Batch, error] {
			return func(yield func(*dataset.Batch, error) bool) {
				for b := range batches {
					if err := ctx.Err(); err != nil {
						yield(nil, err)
						return
					}
					if !yield(b, nil) {
						return
					}
				}
			}
		}
		for b, err := range n.withFeatures(ctx, source) {
			if !yield(b.feats, err) || err != nil {
				return
			}
		}
	}
}
