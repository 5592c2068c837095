package torch

/*
#include <stdlib.h>
#include "tunetorch.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// winogradSupport is what the shim says of oneDNN's Winograd convolution:
// 2 runs here, 1 built but no kernel for this CPU, 0 not built; why says
// what is missing below 2. Asked once.
var winogradSupport = sync.OnceValues(func() (int, string) {
	var why *C.char
	level := int(C.tt_winograd_available(&why))
	if why == nil {
		return level, ""
	}
	defer C.free(unsafe.Pointer(why))
	return level, C.GoString(why)
})

// WinogradAvailable returns nil when Module.UseWinograd's convolutions run
// the Winograd F(4×4, 3×3) algorithm on this machine (oneDNN's kernels, or
// tunetorch's: see WinogradKernel), or an error that says why not: a shim
// built without it (it needs Debian's libtorch and the headers of the oneDNN
// and ideep that libtorch uses: libdnnl-dev, libideep-dev), or a CPU that
// neither runs on (oneDNN's need AVX-512, tunetorch's AVX2 and FMA).
func WinogradAvailable() error {
	if level, why := winogradSupport(); level < 2 {
		return errors.New("torch: Winograd convolutions: " + why)
	}
	return nil
}

// FusionAvailable returns nil when Module.FuseConvolutions runs here: the
// shim was built with the headers of the oneDNN and ideep that libtorch uses
// (as for UseWinograd; any CPU oneDNN runs on will do), or an error that
// says what is missing.
func FusionAvailable() error {
	if level, why := winogradSupport(); level < 1 {
		return errors.New("torch: fused convolutions: " + why)
	}
	return nil
}

// WinogradKernel says whose kernels run the Winograd convolutions.
type WinogradKernel int

const (
	// WinogradAuto runs oneDNN's kernels where it has them for the CPU
	// (AVX-512), else tunetorch's where the CPU has AVX2 and FMA.
	WinogradAuto WinogradKernel = iota
	// WinogradOneDNN runs oneDNN's kernels only: where it has none for the
	// CPU, the swapped convolutions run its direct algorithm.
	WinogradOneDNN
	// WinogradTunetorch runs tunetorch's own F(4×4, 3×3) kernels, written for
	// AVX2 and FMA (oneDNN 2.x has Winograd kernels for AVX-512 only): the
	// activations in oneDNN's AVX2 layout (nChw8c; a reorder each way on a
	// CPU whose direct convolutions use another), the weights transformed in
	// double precision, one plan for every batch size.
	WinogradTunetorch
)

// String returns the kernel's name as ParseWinogradKernel takes it.
func (k WinogradKernel) String() string {
	switch k {
	case WinogradAuto:
		return "auto"
	case WinogradOneDNN:
		return "onednn"
	case WinogradTunetorch:
		return "tunetorch"
	}
	return fmt.Sprintf("WinogradKernel(%d)", int(k))
}

// ParseWinogradKernel reads "auto", "onednn" or "tunetorch".
func ParseWinogradKernel(s string) (WinogradKernel, error) {
	for _, k := range []WinogradKernel{WinogradAuto, WinogradOneDNN, WinogradTunetorch} {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("torch: Winograd kernel %q: want auto, onednn or tunetorch", s)
}

// Resolved is the kernel k stands for here: WinogradAuto's choice (oneDNN's
// where it has kernels for the CPU, else tunetorch's where they run, else
// oneDNN's direct algorithm, WinogradOneDNN), or k itself.
func (k WinogradKernel) Resolved() WinogradKernel {
	if k != WinogradAuto {
		return k
	}
	if oneDNN, tunetorch := kernelsOnThisCPU(); !oneDNN && tunetorch {
		return WinogradTunetorch
	}
	return WinogradOneDNN
}

// kernelsOnThisCPU reports whose Winograd kernels run on this CPU, as the
// shim's probe found (tt_winograd_kernels: bit 0 oneDNN's, bit 1
// tunetorch's).
func kernelsOnThisCPU() (oneDNN, tunetorch bool) {
	here := int(C.tt_winograd_kernels())
	return here&1 != 0, here&2 != 0
}

// WinogradKernelAvailable returns nil when kernel k runs here, or an error
// that says why not (WinogradAuto: as WinogradAvailable).
func WinogradKernelAvailable(k WinogradKernel) error {
	if err := WinogradAvailable(); err != nil {
		return err
	}
	oneDNN, tunetorch := kernelsOnThisCPU()
	switch k {
	case WinogradAuto:
		return nil
	case WinogradOneDNN:
		if !oneDNN {
			return errors.New("torch: oneDNN's Winograd convolutions: oneDNN has no Winograd kernel for this CPU (they need AVX-512)")
		}
		return nil
	case WinogradTunetorch:
		if !tunetorch {
			return errors.New("torch: tunetorch's Winograd convolutions: they need an x86-64 CPU with AVX2 and FMA")
		}
		return nil
	}
	return fmt.Errorf("torch: unknown Winograd kernel %d", int(k))
}

// UseWinograd swaps, in place, every 3×3, stride-1, padding-1, ungrouped
// float32 convolution of a module frozen and optimised for inference
// (Freeze(true)) for a Winograd F(4×4, 3×3) convolution (WinogradAuto's
// kernels), and returns how many it swapped. Winograd does the same
// convolution with 4× fewer multiplications at a float32 rounding of its own
// (ResNet-34's outputs within about 1e-6 of the direct algorithm's, relative
// to their largest); where no Winograd kernel runs on the CPU (see
// WinogradAvailable) or a shape, the swapped convolution runs oneDNN's
// direct algorithm, as before.
// A module that was not optimised has no such convolutions: 0. The module
// can no longer be saved (its graph holds the convolutions' own objects).
// The Winograd weights take 4× the memory of the direct ones (about 0.3 GB
// for ResNet-34's); UseWinogradWithin bounds them.
func (m *Module) UseWinograd() (int, error) { return m.UseWinogradWithin(0) }

// UseWinogradWithin is UseWinograd for the convolutions with the fewest
// channels whose Winograd weights (36 float32 per input and output channel
// pair) add up to at most maxBytes; 0 or less swaps every one. In a ResNet
// each convolution does about the same work (each stage halves the image as
// it doubles the channels), and each stage's Winograd weights are 4× the
// previous one's: ResNet-34's take 3.5 MB in its first stage, 20 MB up to
// its second, 124 MB up to its third and 313 MB in all.
func (m *Module) UseWinogradWithin(maxBytes int64) (int, error) {
	return m.UseWinogradKernel(WinogradAuto, maxBytes)
}

// UseWinogradKernel is UseWinogradWithin on kernel k's Winograd
// convolutions: WinogradOneDNN's run oneDNN's direct algorithm where it has
// no Winograd kernel (as WinogradAuto's where neither runs);
// WinogradTunetorch is an error where its kernels do not run (see
// WinogradKernelAvailable).
func (m *Module) UseWinogradKernel(k WinogradKernel, maxBytes int64) (int, error) {
	if err := WinogradKernelAvailable(k); err != nil && k == WinogradTunetorch {
		return 0, err
	}
	var n C.int64_t
	if err := check("use winograd", C.tt_module_use_winograd(m.handle(), C.int64_t(maxBytes), C.int(k), &n)); err != nil {
		return 0, err
	}
	runtime.KeepAlive(m)
	return int(n), nil
}

// FuseConvolutions runs, in place, every convolution of a module frozen and
// optimised for inference (Freeze(true)) on tunetorch's oneDNN convolution,
// with what the graph does to its output next folded into it as oneDNN
// post-ops: a ReLU, the in-place addition of a residual (a ResNet block's
// x += identity), or that addition then a ReLU. Each such operation read
// and wrote the whole activation again, apart from the convolution (in
// ResNet-34's 33 ReLUs and 16 additions); folded, it is applied while the
// convolution's output is in the cache. The same outputs up to float32
// rounding. It returns how many convolutions took something in. Apply it
// before or after UseWinograd, in either order; like it, the module can no
// longer be saved. Built where UseWinograd is (see WinogradAvailable); the
// convolutions run on any CPU oneDNN runs on.
func (m *Module) FuseConvolutions() (int, error) {
	var n C.int64_t
	if err := check("fuse convolutions", C.tt_module_fuse_convolutions(m.handle(), &n)); err != nil {
		return 0, err
	}
	runtime.KeepAlive(m)
	return int(n), nil
}

// MinReleaseBatch is the smallest batch size ReleaseDirectWeights takes:
// the Winograd convolutions run batches of fewer images direct.
const MinReleaseBatch = 4

// ReleaseDirectWeights has each convolution UseWinograd swapped let go of
// the optimised module's weights for it (the direct algorithm's: 78 MB for
// ResNet-34's 3×3 stride-1 convolutions) once it has made its Winograd
// weights for batches of batch images (at least MinReleaseBatch) of the
// image size it runs: at once where it has, else right after its next
// forward, of any batch size (a probe of one image), which then makes
// them. It returns how many convolutions will. Made before the first full
// batch, the Winograd weights take the direct ones' place in memory
// instead of adding to the peak that batch sets. From then on those
// convolutions run Winograd only: a smaller batch on primitives of its
// own where oneDNN lays the Winograd weights out the same for it, else
// padded to batch images; a larger one or another image size only where
// the layout is the same (it depends on both): else the forward fails,
// saying so (load the module again to run it). Call it after UseWinograd and
// FuseConvolutions, which read the weights.
func (m *Module) ReleaseDirectWeights(batch int) (int, error) {
	var n C.int64_t
	if err := check("release direct weights", C.tt_module_release_direct_weights(m.handle(), C.int64_t(batch), &n)); err != nil {
		return 0, err
	}
	runtime.KeepAlive(m)
	return int(n), nil
}

// WinogradCounts returns, of the convolutions UseWinograd swapped (and any
// FuseConvolutions made tunetorch's), how many of the primitives they hold
// (one per convolution and input shape run, of the last 8 shapes; none of
// its own for a batch run padded on a larger batch's) run Winograd and how
// many oneDNN's direct algorithm.
func (m *Module) WinogradCounts() (winograd, direct int, err error) {
	winograd, direct, _, err = m.winogradStats()
	return winograd, direct, err
}

// WinogradWeightBytes returns the bytes of weights the convolutions
// UseWinograd swapped (or FuseConvolutions made tunetorch's) have made so
// far, besides the optimised module's own: each Winograd layout (4× the
// direct weights), and any direct layout other than the module's (a small
// batch's direct primitive reads the module's own where oneDNN has a kernel
// for it).
func (m *Module) WinogradWeightBytes() (int64, error) {
	_, _, bytes, err := m.winogradStats()
	return bytes, err
}

// winogradStats is WinogradCounts and WinogradWeightBytes at once.
func (m *Module) winogradStats() (winograd, direct int, weightBytes int64, err error) {
	var w, d, b C.int64_t
	if err := check("winograd counts", C.tt_module_winograd_counts(m.handle(), &w, &d, &b)); err != nil {
		return 0, 0, 0, err
	}
	runtime.KeepAlive(m)
	return int(w), int(d), int64(b), nil
}

// winogradWeightsCompare transforms seeded random [oc, ic, 3, 3] weights
// (zeros of both signs among them) into the layout of oneDNN's Winograd
// convolution of them twice, by oneDNN's own reorder and by the shim's
// transform (winograd_weights.cpp, what the convolutions use), and returns
// how many of the layout's 32-bit words differ of those compared. An error
// where oneDNN has no Winograd kernel for the shape on this CPU or the shim
// does not transform its layout.
func winogradWeightsCompare(oc, ic int64, seed uint64) (compared, differing int64, err error) {
	var c, d C.int64_t
	if err := check("compare winograd weights", C.tt_winograd_weights_compare(C.int64_t(oc), C.int64_t(ic),
		C.uint64_t(seed), &c, &d)); err != nil {
		return 0, 0, err
	}
	return int64(c), int64(d), nil
}

// winogradWeightsTime fills fresh memory (as a convolution's plan does) with
// the Winograd weights of [oc, ic, 3, 3] weights repeats times, by the
// shim's transform (own) or by oneDNN's reorder, and returns how long that
// took.
func winogradWeightsTime(oc, ic int64, own bool, repeats int) (time.Duration, error) {
	var ns C.int64_t
	if err := check("time winograd weights", C.tt_winograd_weights_time(C.int64_t(oc), C.int64_t(ic), cBool(own),
		C.int64_t(repeats), &ns)); err != nil {
		return 0, err
	}
	return time.Duration(ns), nil
}

// winogradLayoutsEqual reports whether oneDNN's Winograd convolutions of a
// batch of a and of b images of size×size with [oc, ic, 3, 3] weights read
// the weights in the same layout (on the calling thread's thread count):
// where they do, a convolution's plan for one batch shares the other's
// Winograd weights. An error where oneDNN has no Winograd kernel for
// either on this CPU.
func winogradLayoutsEqual(oc, ic, size, a, b int64) (bool, error) {
	var equal C.int
	if err := check("compare winograd layouts", C.tt_winograd_layouts_equal(C.int64_t(oc), C.int64_t(ic),
		C.int64_t(size), C.int64_t(a), C.int64_t(b), &equal)); err != nil {
		return false, err
	}
	return equal != 0, nil
}
