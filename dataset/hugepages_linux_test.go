package dataset

import (
	"os"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/procstat"
)

// advisedAt reports whether the mapping of this process that holds addr is
// advised for huge pages (VmFlags "hg" in /proc/self/smaps; the kernel
// notes the advice whether or not it backs the mapping with huge pages). It
// skips the test where the kernel has no transparent huge pages, which
// refuses the advice.
func advisedAt(t *testing.T, addr uintptr) bool {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skipf("this kernel has no transparent huge pages (%v): it refuses the advice", err)
	}
	maps, err := procstat.Mappings()
	require.NoError(t, err)
	for _, m := range maps {
		if m.Start <= addr && addr < m.End {
			return m.HugePagesAdvised()
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return false
}

// A new batch buffer's 2 MiB pages are advised for huge pages while
// SetHugePages is on (the default), and a buffer is left alone while it is
// off; one smaller than a huge page has none to advise.
func TestBatchBuffersAreAdvisedForHugePages(t *testing.T) {
	require.True(t, HugePages(), "on by default")
	defer SetHugePages(true)
	const n = 5 << 20 // float32s: 20 MiB, about a batch of 32 images of 224×224
	buf := newBuffer[float32](n)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	inner := (p + hugePageSize - 1) &^ (hugePageSize - 1) // the first whole 2 MiB page
	require.True(t, advisedAt(t, inner), "a buffer's 2 MiB pages advised")
	require.True(t, advisedAt(t, inner+8<<20), "its later ones too")

	SetHugePages(false)
	require.False(t, adviseHugePages(unsafe.Pointer(unsafe.SliceData(buf)), n*4), "off: no advice")
	SetHugePages(true)
	small := newBuffer[uint8](hugePageSize)
	require.False(t, adviseHugePages(unsafe.Pointer(unsafe.SliceData(small)), hugePageSize-1), "no whole 2 MiB page")
	require.True(t, adviseHugePages(unsafe.Pointer(unsafe.SliceData(buf)), n*4))
}
