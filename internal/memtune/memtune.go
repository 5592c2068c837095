// Package memtune holds the memory settings the programs (dogbreed, bench)
// apply at start-up.
package memtune

import (
	"math"
	"os"
	"runtime/debug"
)

// GCPercent is the Go garbage collector's target the programs run with. Their
// Go heap is mostly pixel buffers (pointer-free, so cheap to mark) churning at
// about 1 MB per image around some 80 MB live; Go's default of 100 lets the
// heap grow to twice that between collections. Measured on the bench's Go
// training run (ResNet-34, 600 images, 2 cores), peak RSS: 715-780 MiB (mean
// 754, nine runs) with the default, 687-759 (mean 705, six runs) with GOGC=50
// or 25, 718-745 (mean 730, four runs) with Apply; the spread between runs,
// libtorch's allocations, is as large as the gain. Speed: the same, since on
// a CPU the loader waits for the backbone anyway.
const GCPercent = 50

// GPUGCPercent is the target with the model on a GPU. There the loader is
// the limit, and collecting more often takes cores from it: on an H200 with
// 14 loader goroutines, dogbreed's epoch ran at 1,842 and 1,854 examples/s
// with GOGC=50 and at 2,137 and 2,182 with 200 (1.17x), the loader alone at
// 1.08x, for 170-340 MiB more peak RSS (1,225 MiB with 50). On this 2-core
// machine the loader alone, 2 goroutines: 1.17x (median of 3 runs), +55 MiB.
const GPUGCPercent = 200

// Apply sets the collector's target to GCPercent, or GPUGCPercent when the
// model runs on a GPU, unless the GOGC environment variable already sets
// one. It returns the target in force.
func Apply(gpu bool) int {
	if os.Getenv("GOGC") != "" {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}
	p := GCPercent
	if gpu {
		p = GPUGCPercent
	}
	debug.SetGCPercent(p)
	return p
}

// CacheHeadroom is what LimitForCache leaves the rest of the Go heap above
// an image cache's budget: the loader's batches in flight and the garbage
// between collections (a run without a cache peaks well under it).
const CacheHeadroom = 1 << 30

// LimitForCache sets the Go runtime's soft memory limit to an image cache's
// budget plus CacheHeadroom, unless the GOMEMLIMIT environment variable
// already sets one, and returns the limit in force. A full cache is live
// heap, and the collector's target is a multiple of the live heap: with a
// 5 GiB cache, GOGC=200 alone would let 10 GiB of garbage pile up before a
// collection; the limit collects once the heap outgrows the cache by the
// headroom. Marking the cache costs little: its pixels hold no pointers.
func LimitForCache(budget int64) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	limit := budget + CacheHeadroom
	if budget > math.MaxInt64-CacheHeadroom {
		limit = math.MaxInt64
	}
	debug.SetMemoryLimit(limit)
	return limit
}
