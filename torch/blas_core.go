package torch

// #include <stdlib.h>
// #include "tunetorch.h"
import "C"

import (
	"os"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// blasCoreReplaced is the kernel set OpenBLAS had picked when the torch
// package replaced it at start-up ("" when it did not).
var blasCoreReplaced string

// BLASCore returns the name of the kernel set (OpenBLAS's "core": SkylakeX,
// Haswell, Zen, Prescott, ...) that libtorch's CPU matrix products run on,
// where libtorch's BLAS is OpenBLAS ("" elsewhere), and, when the torch
// package replaced OpenBLAS's own choice at start-up, that choice ("" when
// it kept it).
//
// OpenBLAS before 0.3.25, Debian 12's 0.3.21 among them, picks its kernels
// by the CPU's family and model and falls back to the Prescott ones (SSE3)
// on Intel models it does not know, whatever instruction sets the CPU has
// (OpenBLAS issue 4267): on a 2-core Xeon VM with AVX-512 (family 6, model
// 207) a float32 matrix product ran at 45 GFLOP/s against 252 on the
// SkylakeX kernels. Where OpenBLAS fell back to Prescott and
// OPENBLAS_CORETYPE is not set, the package has it pick the newest of
// SkylakeX (AVX-512), Haswell (AVX2 and FMA) and Sandybridge (AVX) that
// the CPU runs. Set OPENBLAS_CORETYPE to choose the kernels yourself
// (OPENBLAS_CORETYPE=Prescott keeps the fallback).
func BLASCore() (core, replaced string) {
	return C.GoString(C.tt_blas_core()), blasCoreReplaced
}

// initBLASCore replaces OpenBLAS's Prescott fallback where the environment
// did not choose the kernels.
func initBLASCore() {
	_, chosen := os.LookupEnv("OPENBLAS_CORETYPE")
	blasCoreReplaced = replaceBLASFallback(chosen)
}

// replaceBLASFallback has OpenBLAS run the newest kernels the CPU supports
// when it runs the Prescott ones and the kernels were not chosen
// (OPENBLAS_CORETYPE), and returns the set it replaced ("" when it did
// not).
func replaceBLASFallback(chosen bool) string {
	core, _ := BLASCore()
	if chosen || core != "Prescott" {
		return ""
	}
	want := blasCoreForCPU()
	if want == "" || !setBLASCore(want) {
		return ""
	}
	return core
}

// blasCoreForCPU names the newest of OpenBLAS's SkylakeX (AVX-512 F, CD,
// BW, DQ, VL), Haswell (AVX2, FMA) and Sandybridge (AVX) kernel sets this
// CPU runs ("" for none, and off x86).
func blasCoreForCPU() string {
	x := cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512CD && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL:
		return "SkylakeX"
	case x.HasAVX2 && x.HasFMA:
		return "Haswell"
	case x.HasAVX:
		return "Sandybridge"
	}
	return ""
}

// setBLASCore has OpenBLAS run the named kernel set, as if started with
// OPENBLAS_CORETYPE=name, and reports whether it does (false: no
// DYNAMIC_ARCH OpenBLAS, or no such set in its build; the kernels are as
// they were). Not while a matrix product runs: OpenBLAS has no kernels for
// the moment it takes.
func setBLASCore(name string) bool {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return C.tt_set_blas_core(cname) != 0
}
