package transforms

import (
	"image"
	"sync"
)

// bufferPool recycles the byte buffers that decoding and resampling use
// inside one call and drop at its end (JPEG sample planes, the resampler's
// intermediate rows, a decoded crop about to be resized). Buffers come back
// uncleared: every byte that is read must have been written first.
var bufferPool sync.Pool

// getBuffer returns a buffer of n bytes, recycled when one is big enough.
func getBuffer(n int) []uint8 {
	if p, ok := bufferPool.Get().(*[]uint8); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]uint8, n)
}

// putBuffer gives b back for reuse; its owner must not use it afterwards.
func putBuffer(b []uint8) {
	if poisonOnPut {
		for i := range b {
			b[i] = 0xA5
		}
	}
	bufferPool.Put(&b)
}

// poisonOnPut, set by tests, overwrites every buffer given back, so that a
// read after giving it back shows in the results.
var poisonOnPut bool

// floatPool recycles tensor storage given back by Tensor.Release, for the
// next ToTensor. Like bufferPool's, its buffers come back uncleared.
var floatPool sync.Pool

// getFloats returns n float32s, recycled when a released tensor's storage is
// big enough.
func getFloats(n int) []float32 {
	if p, ok := floatPool.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

// Release gives the tensor's storage back for reuse by a later ToTensor (a
// loader that has copied the tensor into its batch does, which spares the
// collector about 600 KB per 224×224 image). Neither t nor its Data may be
// used afterwards. Releasing is optional: a tensor never released is
// collected as usual.
func (t *Tensor) Release() {
	if t.Data == nil {
		return
	}
	d := t.Data[:cap(t.Data)]
	t.Data = nil
	floatPool.Put(&d)
}

// releasePlanes gives back the planes of an image from decodeBaselineJPEG;
// the image must not be used afterwards.
func releasePlanes(m image.Image) {
	switch m := m.(type) {
	case *image.Gray:
		putBuffer(m.Pix)
	case *image.YCbCr:
		putBuffer(m.Y)
		putBuffer(m.Cb)
		putBuffer(m.Cr)
	}
}
