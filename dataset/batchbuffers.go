package dataset

import "sync"

// batchBuffers keeps the image buffers of batches their consumer gave back
// (Loader.Recycle) for the batches after them: a training epoch then cycles
// through a few buffers instead of allocating, zeroing and faulting in a
// fresh one per batch (19 MB for 32 float32 images of 224×224), and the Go
// heap stays near what is in use instead of growing by the garbage between
// collections.
type batchBuffers struct {
	mu     sync.Mutex
	keep   int // the most buffers of each kind kept
	floats [][]float32
	bytes  [][]uint8
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

// drop lets go of every kept buffer: a pass over the batches ended, and
// the loader may sit idle for long (a training loader while validation
// runs, a validation loader while an epoch trains).
func (p *batchBuffers) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.floats)
	clear(p.bytes)
	p.floats, p.bytes = p.floats[:0], p.bytes[:0]
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
	return make([]T, n)
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
