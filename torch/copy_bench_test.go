package torch

import (
	"fmt"
	"testing"
)

// BenchmarkFromSliceLarge copies a batch of augmentation crops' size (36
// MiB) into a tensor, with libtorch at one thread (one copying thread) and
// at two (the copy in two parts, one on a thread of its own), side by side.
func BenchmarkFromSliceLarge(b *testing.B) {
	data := make([]uint8, 36<<20)
	for i := range data {
		data[i] = uint8(i)
	}
	prev := NumThreads()
	defer SetNumThreads(prev)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			if err := SetNumThreads(threads); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				t := MustFromSlice(data, int64(len(data)))
				t.Close()
			}
		})
	}
}
