package dataset

import (
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/tunetorch/tunetorch/internal/envswitch"
)

// hugePages says whether new batch buffers are advised for huge pages (see
// SetHugePages).
var hugePages atomic.Bool

func init() { hugePages.Store(hugePagesFrom(os.LookupEnv(envswitch.HugePages))) }

// hugePagesFrom is SetHugePages's setting at the start for the value v of
// TUNETORCH_HUGE_PAGES (set: whether it is set at all): off for a false
// value ("0", "false"); on when it is unset, empty or not a boolean (the
// torch package, which reads the same variable, stops a process whose
// value is not one).
func hugePagesFrom(v string, set bool) bool {
	on, err := envswitch.Parse(envswitch.HugePages, v, set)
	return err != nil || on
}

// SetHugePages turns on (the default) or off the advice for transparent
// huge pages on the loaders' new batch buffers (on Linux): the 2 MiB pages
// inside each are advised with madvise(MADV_HUGEPAGE), so that where the
// kernel's transparent huge pages are "madvise" (Debian's default) or
// "always", the first write into a buffer (19 MB for 32 float32 images of
// 224×224) faults in 2 MiB at a time instead of 4 KiB: on a VM where a
// fault costs 11 µs, about 4,700 faults, 50 ms of the loader's CPU, a
// buffer. The buffers stay Go memory, collected as any other. The
// environment variable TUNETORCH_HUGE_PAGES=0 starts a process with it off,
// as it does torch.SetHugePages.
func SetHugePages(on bool) { hugePages.Store(on) }

// HugePages reports whether new batch buffers are advised for huge pages
// (see SetHugePages).
func HugePages() bool { return hugePages.Load() }

// newBuffer allocates a batch buffer of n values, its 2 MiB pages advised
// for huge pages where that is on.
func newBuffer[T any](n int) []T {
	s := make([]T, n)
	if n > 0 {
		var zero T
		adviseHugePages(unsafe.Pointer(unsafe.SliceData(s)), uintptr(n)*unsafe.Sizeof(zero))
	}
	return s
}
