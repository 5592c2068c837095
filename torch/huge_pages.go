package torch

// #include "tunetorch.h"
import "C"

import "github.com/tunetorch/tunetorch/internal/envswitch"

// HugePagesEnv names the environment variable that, set to a false value
// ("0", "false"), starts the process with huge pages off (see SetHugePages).
const HugePagesEnv = envswitch.HugePages

// SetHugePages turns on (the default) or off the advice for transparent
// huge pages on the shim's new mappings of 2 MiB or more: the caching CPU
// allocator's segments (SetCPUCaching) and the Winograd convolutions'
// weights (Module.UseWinograd). Such a mapping is then aligned to 2 MiB and
// advised with madvise(MADV_HUGEPAGE), so that where the kernel's
// transparent huge pages are "madvise" (Debian's default) or "always", one
// page fault maps 2 MiB instead of 4 KiB. Memory comes zeroed from the
// kernel a page at a time as it is first written, and on some virtual
// machines a fault costs 10 µs or more (11 µs on a paravirtualised AMD
// EPYC): there a ResNet-34's load and first batch fault in about 140,000
// small pages (the model's optimised weights, the activations, up to 192
// MiB of Winograd weights with dogbreed's default), 1.5 s of CPU. Huge pages take no more memory where the
// mapping is written whole, as these are; with "never" the advice does
// nothing. Mappings already made keep theirs. Off, mappings are the
// kernel's small pages, as before. The environment variable
// TUNETORCH_HUGE_PAGES=0 starts a process with it off.
func SetHugePages(on bool) { C.tt_huge_pages_set(cBool(on)) }

// HugePages reports whether new mappings are advised for huge pages (see
// SetHugePages).
func HugePages() bool { return C.tt_huge_pages_enabled() != 0 }

// initHugePages applies TUNETORCH_HUGE_PAGES before any tensor exists.
func initHugePages() {
	on, err := switchFromEnv(HugePagesEnv)
	if err != nil {
		panic(err)
	}
	SetHugePages(on)
}
