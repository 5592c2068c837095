package torch

// #include "tunetorch.h"
import "C"

import "os"

// blasThreadsEnv are the environment variables OpenBLAS reads its thread
// count from at start-up; when one is set, the torch package leaves the
// count as the variable made it (see SetBLASThreads).
var blasThreadsEnv = []string{"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS"}

// SetBLASThreads sets the thread count of the OpenBLAS that libtorch's CPU
// matrix products (Linear, matmul) call, where libtorch's BLAS is OpenBLAS,
// as Debian's libtorch's is. It returns false, changing nothing, where no
// OpenBLAS is loaded (libtorch with MKL: there the matrix products run on
// libtorch's intra-op threads, see SetNumThreads) or n is not positive.
//
// The torch package starts OpenBLAS on one thread, unless
// OPENBLAS_NUM_THREADS or GOTO_NUM_THREADS is set. OpenBLAS's pthreads
// build keeps a pool of its own, one thread per core by default, beside
// libtorch's intra-op threads (OpenMP), and after each matrix product its
// idle threads poll for the next one, yielding the CPU in a loop, for a
// while (OpenBLAS's thread timeout) before they sleep. A network whose
// convolutions occupy every core and whose matrix products are small (a
// ResNet's fc layer, the fine-tuned head: a few million multiply-adds a
// batch) loses more to that polling than the products gain from the
// threads: on a 2-core machine the head's training ran 2.7% faster end to
// end with OpenBLAS on one thread (the median of seven alternating pairs,
// -0.5% to +7.8%; README, Performance). Large matrix products on the CPU
// gain from more: SetBLASThreads(NumThreads()) gives OpenBLAS as many
// threads as libtorch.
func SetBLASThreads(n int) bool { return C.tt_set_blas_threads(C.int(n)) != 0 }

// BLASThreads returns OpenBLAS's thread count, or 0 where libtorch's BLAS
// is not OpenBLAS (see SetBLASThreads).
func BLASThreads() int { return int(C.tt_blas_threads()) }

// initBLASThreads starts OpenBLAS on one thread unless the environment
// chose its count.
func initBLASThreads() {
	if !blasThreadsFromEnv() {
		SetBLASThreads(1)
	}
}

// blasThreadsFromEnv reports whether one of blasThreadsEnv is set.
func blasThreadsFromEnv() bool {
	for _, name := range blasThreadsEnv {
		if _, set := os.LookupEnv(name); set {
			return true
		}
	}
	return false
}
