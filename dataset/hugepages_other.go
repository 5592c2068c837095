//go:build !linux

package dataset

import "unsafe"

// adviseHugePages does nothing off Linux: the advice is madvise's.
func adviseHugePages(unsafe.Pointer, uintptr) bool { return false }
