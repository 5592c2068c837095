//go:build linux

package dataset

import (
	"syscall"
	"unsafe"
)

// hugePageSize is the size of an x86-64 transparent huge page.
const hugePageSize = 2 << 20

// adviseHugePages advises the 2 MiB pages wholly inside the size bytes at p
// for transparent huge pages (madvise MADV_HUGEPAGE) and reports whether
// it did.
func adviseHugePages(p unsafe.Pointer, size uintptr) bool {
	if !hugePages.Load() {
		return false
	}
	off := (hugePageSize - uintptr(p)%hugePageSize) % hugePageSize
	if size < off+hugePageSize {
		return false
	}
	n := (size - off) &^ (hugePageSize - 1)
	return syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, off)), n), syscall.MADV_HUGEPAGE) == nil
}
