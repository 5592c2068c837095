package dataset

import (
	"errors"
	"io"
	"os"
	"sync"
)

// fileBuffers recycles the buffers that hold an image file's bytes while it
// is decoded: a fresh buffer for each file (os.ReadFile's) is memory the
// system has to clear and map again and again, about a page fault for every
// 4 KiB of the file, which on a virtual machine cost more than reading it.
var fileBuffers sync.Pool

// keptFileBuffer is the largest buffer given back for reuse; a larger
// file's is left to the collector.
const keptFileBuffer = 4 << 20

// readFile returns the bytes of the file at path in a recycled buffer,
// which the caller gives back with releaseFile once it no longer reads
// them (nothing it decodes from them may keep them).
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf []byte
	if p, ok := fileBuffers.Get().(*[]byte); ok {
		buf = (*p)[:0]
	} else {
		buf = make([]byte, 0, 64<<10)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // room for more
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			releaseFile(buf)
			return nil, err
		}
	}
}

// releaseFile gives back a buffer from readFile (nil: none); it must not be
// used afterwards.
func releaseFile(data []byte) {
	if data == nil || cap(data) > keptFileBuffer {
		return
	}
	if poisonReleasedFiles {
		data = data[:cap(data)]
		for i := range data {
			data[i] = 0xA5
		}
	}
	fileBuffers.Put(&data)
}

// poisonReleasedFiles, set by tests, overwrites every buffer given back, so
// that bytes still read (or kept in an image) after they were given back
// show in the results.
var poisonReleasedFiles bool
