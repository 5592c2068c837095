package transforms

import "sync/atomic"

// simdOn sends the hottest loops to their assembly, which computes the same
// bytes as the Go code they stand in for: AVX2, and for the colour tables
// and the tensor conversion AVX-512 VBMI where the CPU has it
// (lut_amd64.s).
var simdOn atomic.Bool

func init() { simdOn.Store(simdAvailable) }

// UseSIMD turns the AVX2 assembly (and the AVX-512 VBMI one, where the CPU
// has it) on or off and returns whether it was on. It is on by default on
// amd64 CPUs with AVX2; elsewhere, or in a build with the tag purego, it
// stays off whatever is asked. The results are the
// same either way (the tests compare the two), only the speed differs: the
// switch is there to measure that and to rule the assembly out. It may be
// called while images are being decoded; calls under way finish as they began.
func UseSIMD(on bool) (was bool) { return simdOn.Swap(on && simdAvailable) }

// SIMD reports whether the assembly is in use.
func SIMD() bool { return simdOn.Load() }
