// Package torch is a small, hand-written Go binding over libtorch: tensors on
// CPU and CUDA devices, autograd, TorchScript modules, a Linear layer and SGD.
//
// The package links one C library, libtunetorch (built from csrc/ by the
// repository's CMakeLists.txt), never libtorch's C++ symbols. Swapping libtorch
// (Debian's 1.13 CPU build, an official CUDA archive, a pip wheel) means
// rebuilding that shim only.
//
// # Errors and panics
//
// Operations whose failure depends on user input (loading a model, running it
// on data, moving to a device, reading a parameter file, building a tensor
// from a slice) return an error. Tensor arithmetic with mismatched shapes or
// dtypes is a programmer error, like an index out of range: those methods
// panic with a *Error carrying libtorch's message. Recover turns such a panic
// back into an error at an API boundary:
//
//	func step() (err error) {
//		defer torch.Recover(&err)
//		...
//	}
//
// # Memory
//
// Tensors, modules and optimizers hold libtorch memory outside the Go heap.
// Close them when done; Close is idempotent and a finalizer is only a safety
// net. LiveTensors reports how many tensors are open, so a loop can be checked
// for leaks.
//
// # Threads
//
// libtorch's intra-op thread count defaults to every core (libtorch itself
// picks the number of physical cores, often half of them); OMP_NUM_THREADS,
// when set, is honoured instead. SetNumThreads changes it for the process.
// Grad mode is never toggled from Go: functions that must not record a graph
// (Module.ForwardNoGrad, Linear.Infer) set it inside the C call.
package torch
