// runtime.cpp: version, devices, threads, seeding and the type mappings.
#include <torch/cuda.h>
#include <torch/version.h>
#include <ATen/Parallel.h>
// The CUDA allocator's statistics need the CUDA toolkit's headers, which a
// CUDA libtorch's CMake package normally puts on the include path.
#if defined(TT_BUILT_WITH_CUDA) && __has_include(<cuda_runtime_api.h>)
#define TT_CUDA_STATS 1
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <dlfcn.h>

#include <atomic>
#include <string>

#include "shim.h"

namespace {
// The intra-op thread count asked for through tt_set_num_threads (0: never set).
std::atomic<int> g_threads{0};
// The count this thread last gave libtorch (at::set_num_threads acts on the
// calling thread's OpenMP settings), its own count set through
// tt_set_thread_num_threads (0: the process's), and the count it had before
// its own was set (to go back to when the process's was never set).
thread_local int t_threads = 0;
thread_local int t_own = 0;
thread_local int t_before = 0;

std::string build_kind() {
#ifdef TT_BUILT_WITH_CUDA
  return "CUDA build";
#else
  return "CPU build";
#endif
}
}  // namespace

namespace tt {

void sync_threads() {
  int want = t_own > 0 ? t_own : g_threads.load(std::memory_order_relaxed);
  if (want > 0 && t_threads != want) {
    at::set_num_threads(want);
    t_threads = want;
  }
}

at::ScalarType scalar_type(int dtype) {
  switch (dtype) {
    case TT_FLOAT32: return at::kFloat;
    case TT_FLOAT64: return at::kDouble;
    case TT_FLOAT16: return at::kHalf;
    case TT_BFLOAT16: return at::kBFloat16;
    case TT_INT64: return at::kLong;
    case TT_INT32: return at::kInt;
    case TT_UINT8: return at::kByte;
    case TT_BOOL: return at::kBool;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

int dtype_code(at::ScalarType st) {
  switch (st) {
    case at::kFloat: return TT_FLOAT32;
    case at::kDouble: return TT_FLOAT64;
    case at::kHalf: return TT_FLOAT16;
    case at::kBFloat16: return TT_BFLOAT16;
    case at::kLong: return TT_INT64;
    case at::kInt: return TT_INT32;
    case at::kByte: return TT_UINT8;
    case at::kBool: return TT_BOOL;
    default: return -1;
  }
}

at::MemoryFormat memory_format(int code) {
  switch (code) {
    case TT_CONTIGUOUS_FORMAT: return at::MemoryFormat::Contiguous;
    case TT_CHANNELS_LAST: return at::MemoryFormat::ChannelsLast;
  }
  throw std::invalid_argument("unknown memory format code " + std::to_string(code));
}

at::Device device(int dev_type, int dev_index) {
  if (dev_type == TT_CPU) return at::Device(at::kCPU);
  if (dev_type != TT_CUDA)
    throw std::invalid_argument("unknown device type " + std::to_string(dev_type));
  std::string name = "cuda:" + std::to_string(dev_index);
  int count = static_cast<int>(torch::cuda::device_count());
  if (count == 0) {
#ifdef TT_BUILT_WITH_CUDA
    throw std::runtime_error(name + " requested, but no CUDA GPU is visible to libtorch " +
                             TORCH_VERSION + " (CUDA build): check the driver and CUDA_VISIBLE_DEVICES");
#else
    throw std::runtime_error(name + " requested, but the loaded libtorch " + TORCH_VERSION +
                             " is a CPU build without CUDA support: rebuild the shim against a "
                             "CUDA libtorch (see README, CUDA)");
#endif
  }
  if (dev_index < 0 || dev_index >= count)
    throw std::runtime_error(name + " requested, but only " + std::to_string(count) +
                             " CUDA device(s) are visible");
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(dev_index));
}

}  // namespace tt

extern "C" {

int tt_abi_version(void) { return TT_ABI_VERSION; }

const char *tt_version(void) {
  static const std::string v = std::string(TORCH_VERSION) + " (" + build_kind() + ")";
  return v.c_str();
}

tt_error tt_cuda_available(int *out) {
  TT_TRY
  *out = torch::cuda::is_available() ? 1 : 0;
  TT_CATCH
}

tt_error tt_cuda_memory_stats(int index, int64_t *allocated, int64_t *reserved) {
  TT_TRY
  auto dev = tt::device(TT_CUDA, index);  // says why when there is no such GPU
#ifdef TT_CUDA_STATS
  // Index 0 of each stat array is the aggregate over pool types.
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(dev.index());
  *allocated = stats.allocated_bytes[0].current;
  *reserved = stats.reserved_bytes[0].current;
#else
  (void)dev;
  (void)allocated;
  (void)reserved;
  throw std::runtime_error("CUDA memory statistics need a CUDA build of libtorch and the CUDA headers (" +
                           build_kind() + ")");
#endif
  TT_CATCH
}

tt_error tt_cuda_device_count(int *out) {
  TT_TRY
  *out = static_cast<int>(torch::cuda::device_count());
  TT_CATCH
}

tt_error tt_set_num_threads(int n) {
  if (n <= 0) return tt::dup_string("number of threads must be positive, got " + std::to_string(n));
  g_threads.store(n);
  TT_TRY
  TT_CATCH
}

tt_error tt_set_thread_num_threads(int n) {
  if (n < 0) return tt::dup_string("number of threads must be positive, or 0 for the process's, got " + std::to_string(n));
  TT_TRY
  if (n > 0 && t_own == 0) t_before = at::get_num_threads();
  int want = n > 0 ? n : g_threads.load(std::memory_order_relaxed);
  if (want == 0) want = t_before;
  t_own = n;
  if (want > 0 && at::get_num_threads() != want) at::set_num_threads(want);
  t_threads = want;
  TT_CATCH
}

int tt_thread_own_num_threads(void) { return t_own; }

int tt_process_num_threads(void) {
  tt::sync_threads();
  int g = g_threads.load(std::memory_order_relaxed);
  if (g > 0) return g;
  return t_own > 0 ? t_before : at::get_num_threads();
}

int tt_get_num_threads(void) {
  tt::sync_threads();
  return at::get_num_threads();
}

// OpenBLAS, when libtorch's BLAS is it, is found by name in the process's
// global scope (libtorch links libblas.so.3, which may be any BLAS, or MKL).
int tt_set_blas_threads(int n) {
  using set_fn = void (*)(int);
  auto set = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set == nullptr || n <= 0) return 0;
  set(n);
  return 1;
}

int tt_blas_threads(void) {
  using get_fn = int (*)(void);
  auto get = reinterpret_cast<get_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get == nullptr ? 0 : get();
}

tt_error tt_manual_seed(uint64_t seed) {
  TT_TRY
  at::manual_seed(seed);
  TT_CATCH
}

tt_error tt_set_allow_tf32(int allow) {
  TT_TRY
  at::globalContext().setAllowTF32CuDNN(allow != 0);
  at::globalContext().setAllowTF32CuBLAS(allow != 0);
  TT_CATCH
}

int tt_allow_tf32(void) { return at::globalContext().allowTF32CuDNN() ? 1 : 0; }

}  // extern "C"
