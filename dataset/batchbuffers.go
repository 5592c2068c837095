package dataset

import (
	"sync"
	"time"
)

// batchBuffers keeps the image buffers of batches their consumer gave back
// (Loader.Recycle) for the batches after them: a training epoch then cycles
// through a few buffers instead of allocating, zeroing and faulting in a
// fresh one per batch (19 MB for 32 float32 images of 224×224), and the Go
// heap stays near what is in use instead of growing by the garbage between
// collections.
//
// Every loader of the process shares one (sharedBuffers), and the buffers
// outlive the pass that gave them back by idle: the next epoch, or the
// validation pass between two epochs, starts on them instead of on fresh
// memory, which in a training run cost each epoch's first batch a 19 MB
// buffer's page faults (about 50 ms where a fault costs 11 µs) while the
// backbone waited for it; and a validation loader takes the training
// loader's buffers instead of adding its own beside them.
type batchBuffers struct {
	mu     sync.Mutex
	keep   int // the most buffers of each kind kept
	floats [][]float32
	bytes  [][]uint8

	// idle is how long the buffers stay once no pass runs (0: let go at
	// once); running counts the passes between begin and end, need sums
	// their keeps, and idleSince numbers the idle periods, so that a
	// release armed in an earlier one does nothing.
	idle      time.Duration
	running   int
	need      int
	idleSince uint64
}

// buffersIdle is how long sharedBuffers keeps its buffers once no loader's
// pass runs: longer than what a training loop does between two passes (the
// last batch's step, the loss of the cached validation features), short
// against a program's life.
const buffersIdle = 5 * time.Second

// sharedBuffers is the pool every Loader's batches take their buffers from.
var sharedBuffers = &batchBuffers{idle: buffersIdle}

// begin says a pass that has up to n batches alive at once starts: the
// pool keeps as many buffers as the passes running at once need at most
// (the limit only grows until the pool is let go), and an armed release
// does nothing when it comes.
func (p *batchBuffers) begin(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running++
	p.need += n
	p.keep = max(p.keep, p.need)
	p.idleSince++
}

// end says a pass begun with n ended; once none runs, the buffers are let
// go after p.idle unless a pass begins first.
func (p *batchBuffers) end(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running--
	p.need -= n
	if p.running > 0 {
		return
	}
	p.idleSince++
	if p.idle <= 0 {
		p.letGo()
		return
	}
	period := p.idleSince
	time.AfterFunc(p.idle, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.idleSince == period { // no pass began since
			p.letGo()
		}
	})
}

// takeFloats returns a buffer of n float32s, a kept one when one is large
// enough; its values are whatever it held.
func (p *batchBuffers) takeFloats(n int) []float32 {
	return take(p, &p.floats, n)
}

// takeBytes returns a buffer of n bytes, as takeFloats.
func (p *batchBuffers) takeBytes(n int) []uint8 {
	return take(p, &p.bytes, n)
}

// give keeps the buffers of b for later takes; with keep buffers of a kind
// kept already, one replaces the smallest of them if larger (batches of an
// epoch have the same size but the last, packed crops vary in size).
func (p *batchBuffers) give(b *Batch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keep(p, &p.floats, b.Images)
	keep(p, &p.bytes, b.Pixels)
	keep(p, &p.bytes, b.Crops)
}

// letGo lets go of every kept buffer, and of the limit: no pass has run
// for p.idle, and the program may not start one for long. p.mu is held.
func (p *batchBuffers) letGo() {
	clear(p.floats)
	clear(p.bytes)
	p.floats, p.bytes = p.floats[:0], p.bytes[:0]
	p.keep = 0
}

// take removes the first buffer of list with room for n values and returns
// it cut to n, or allocates one.
func take[T any](p *batchBuffers, list *[][]T, n int) []T {
	p.mu.Lock()
	for i, s := range *list {
		if cap(s) >= n {
			last := len(*list) - 1
			(*list)[i], (*list)[last] = (*list)[last], nil
			*list = (*list)[:last]
			p.mu.Unlock()
			return s[:n]
		}
	}
	p.mu.Unlock()
	return newBuffer[T](n)
}

// keep adds s to list, within p.keep buffers (see give); p.mu is held.
func keep[T any](p *batchBuffers, list *[][]T, s []T) {
	switch {
	case cap(s) == 0 || p.keep == 0:
	case len(*list) < p.keep:
		*list = append(*list, s[:0])
	default:
		small := 0
		for i, k := range *list {
			if cap(k) < cap((*list)[small]) {
				small = i
			}
		}
		if cap(s) > cap((*list)[small]) {
			(*list)[small] = s[:0]
		}
	}
}
