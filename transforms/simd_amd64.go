//go:build amd64 && !purego

package transforms

import "golang.org/x/sys/cpu"

// useAVX2 sends the hottest loops to their AVX2 assembly (the *_amd64.s
// files), which computes the same bytes as the Go code. Tests turn it off
// to compare the two.
var useAVX2 = cpu.X86.HasAVX2
