// Package memtune holds the memory settings the programs (dogbreed, bench)
// apply at start-up.
package memtune

import (
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
// libtorch's allocations, is as large as the gain. Speed: the same.
const GCPercent = 50

// Apply sets the collector's target to GCPercent, unless the GOGC
// environment variable already sets one. It returns the target in force.
func Apply() int {
	if os.Getenv("GOGC") != "" {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(GCPercent)
	return GCPercent
}
