package torch

// #include "tunetorch.h"
import "C"

import (
	"os"
	"runtime"
)

// Version returns the version of the libtorch the shim was built against, and
// whether it is a CPU or CUDA build, e.g. "1.13.0 (CPU build)".
func Version() string { return C.GoString(C.tt_version()) }

// CUDAAvailable reports whether libtorch can use at least one CUDA GPU. It is
// false on a CPU build of libtorch and on a machine without a GPU.
func CUDAAvailable() bool {
	var v C.int
	if check("cuda_available", C.tt_cuda_available(&v)) != nil {
		return false
	}
	return v != 0
}

// CUDADeviceCount returns the number of CUDA GPUs libtorch sees (0 on a CPU build).
func CUDADeviceCount() int {
	var v C.int
	if check("cuda_device_count", C.tt_cuda_device_count(&v)) != nil {
		return 0
	}
	return int(v)
}

// CUDAMemoryStats returns the bytes that libtorch's CUDA caching allocator
// has allocated to tensors and reserved from the driver on GPU index, as
// torch.cuda.memory_allocated and memory_reserved. It is an error on a CPU
// build or for a GPU that does not exist.
func CUDAMemoryStats(index int) (allocated, reserved int64, err error) {
	var a, r C.int64_t
	if err := check("cuda_memory_stats", C.tt_cuda_memory_stats(C.int(index), &a, &r)); err != nil {
		return 0, 0, err
	}
	return int64(a), int64(r), nil
}

// SetNumThreads sets libtorch's intra-op thread count for the whole process.
func SetNumThreads(n int) error {
	return check("set_num_threads", C.tt_set_num_threads(C.int(n)))
}

// SetNumThreadsOnThisThread gives the libtorch calls of the calling OS
// thread an intra-op thread count of their own, n, over the process's
// (SetNumThreads); n = 0 goes back to the process's. The caller holds the
// thread (runtime.LockOSThread) for as long as it wants the count: OpenMP,
// which runs libtorch's intra-op work, keeps one per thread. Meant for
// several threads running the backbone side by side, each on its share of
// the cores (finetune's NetConfig.Streams). While a thread has a count of its
// own, threads that start libtorch work for the first time and never called
// into this package start with that count too (libtorch keeps one default);
// going back to the process's count restores it.
func SetNumThreadsOnThisThread(n int) error {
	return check("set_thread_num_threads", C.tt_set_thread_num_threads(C.int(n)))
}

// OwnNumThreadsOnThisThread returns the count SetNumThreadsOnThisThread
// gave the calling OS thread, or 0 when it has none (it runs with the
// process's).
func OwnNumThreadsOnThisThread() int { return int(C.tt_thread_own_num_threads()) }

// ProcessNumThreads returns the process's intra-op thread count: what
// NumThreads returns on a thread without a count of its own.
func ProcessNumThreads() int { return int(C.tt_process_num_threads()) }

// NumThreads returns libtorch's intra-op thread count (the calling
// thread's, which is the process's unless SetNumThreadsOnThisThread gave it
// one of its own).
func NumThreads() int { return int(C.tt_get_num_threads()) }

// SetAllowTF32 lets (true) or forbids (false) NVIDIA GPUs computing float32
// convolutions (cuDNN) and matrix products (cuBLAS) in TensorFloat-32, as
// torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32
// do together. libtorch starts with TF32 convolutions on (the ResNet
// backbone's) and TF32 matrix products off, as PyTorch does. TF32 keeps 10
// bits of mantissa: comparisons of GPU results with CPU ones to 1e-4 need
// it off. It changes nothing on the CPU.
func SetAllowTF32(allow bool) { must("set_allow_tf32", C.tt_set_allow_tf32(cBool(allow))) }

// AllowTF32 reports whether cuDNN may compute float32 convolutions in
// TensorFloat-32 (see SetAllowTF32).
func AllowTF32() bool { return C.tt_allow_tf32() != 0 }

// ManualSeed seeds libtorch's default generators (CPU and, where present, CUDA),
// as torch.manual_seed does. Rand, Randn and NewLinear draw from them.
func ManualSeed(seed uint64) {
	must("manual_seed", C.tt_manual_seed(C.uint64_t(seed)))
}

// initThreads makes every core the process may use the default (Go's
// GOMAXPROCS: the CPU affinity mask and a container's CPU limit, where
// libtorch would count the machine's cores), unless OMP_NUM_THREADS says
// otherwise.
func initThreads() {
	if _, set := os.LookupEnv("OMP_NUM_THREADS"); set {
		return
	}
	_ = SetNumThreads(runtime.GOMAXPROCS(0))
}
