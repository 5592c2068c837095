package torch

import (
	"fmt"
	"testing"
)

// BenchmarkLargeCopy copies a batch of augmentation crops' size (36 MiB)
// into a new tensor (FromSlice: memory the allocator maps afresh, so its
// pages fault in as they are written) and out of one into a reused slice
// (CopyTo: the copy alone, as into the page-locked blocks a GPU's staging
// reuses), with libtorch at one thread (one copying thread) and at two (the
// copy in two parts, one on a thread of its own), side by side.
func BenchmarkLargeCopy(b *testing.B) {
	data := make([]uint8, 36<<20)
	for i := range data {
		data[i] = uint8(i)
	}
	src := MustFromSlice(data, int64(len(data)))
	defer src.Close()
	prev := NumThreads()
	defer SetNumThreads(prev)
	for _, threads := range []int{1, 2} {
		setThreads := func(b *testing.B) {
			if err := SetNumThreads(threads); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
		}
		b.Run(fmt.Sprintf("in/threads=%d", threads), func(b *testing.B) {
			setThreads(b)
			for b.Loop() {
				MustFromSlice(data, int64(len(data))).Close()
			}
		})
		b.Run(fmt.Sprintf("out/threads=%d", threads), func(b *testing.B) {
			setThreads(b)
			for b.Loop() {
				if err := CopyTo(src, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
