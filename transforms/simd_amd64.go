//go:build amd64 && !purego

package transforms

import "golang.org/x/sys/cpu"

// simdAvailable: the AVX2 assembly (the *_amd64.s files) can run here.
var simdAvailable = cpu.X86.HasAVX2
