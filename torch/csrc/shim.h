// shim.h: helpers shared by the shim's translation units (not part of the ABI).
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>  // at::NoGradGuard: not reached through ATen.h in 2.x

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "tunetorch.h"

namespace torch {
namespace jit {
struct Module;
}  // namespace jit
}  // namespace torch

namespace tt {

// A malloc'd copy of msg, as the ABI returns errors.
inline char *dup_string(const std::string &msg) {
  char *out = static_cast<char *>(std::malloc(msg.size() + 1));
  if (out != nullptr) std::memcpy(out, msg.c_str(), msg.size() + 1);
  return out;
}

// Makes libtorch's intra-op thread count on the calling OS thread follow the
// process-wide setting (OpenMP keeps it per thread, and Go moves goroutines
// between threads). Cheap: one thread-local compare.
void sync_threads();

inline torch::jit::Module &M(tt_module m) { return *reinterpret_cast<torch::jit::Module *>(m); }

inline at::Tensor &T(tt_tensor t) { return *reinterpret_cast<at::Tensor *>(t); }

inline tt_tensor wrap(at::Tensor t) {
  return reinterpret_cast<tt_tensor>(new at::Tensor(std::move(t)));
}

at::ScalarType scalar_type(int dtype);
int dtype_code(at::ScalarType st);
// TT_CONTIGUOUS_FORMAT or TT_CHANNELS_LAST; throws on other codes.
at::MemoryFormat memory_format(int code);
// Checks that the device exists in this libtorch build; throws otherwise.
at::Device device(int dev_type, int dev_index);

}  // namespace tt

// TT_TRY / TT_CATCH wrap each ABI function body: every C++ exception becomes a
// returned message, never an abort of the process.
#define TT_TRY    \
  try {           \
    tt::sync_threads();
#define TT_CATCH                                              \
  }                                                           \
  catch (const c10::Error &e) {                               \
    return tt::dup_string(e.what_without_backtrace());        \
  }                                                           \
  catch (const std::exception &e) {                           \
    return tt::dup_string(e.what());                          \
  }                                                           \
  catch (...) {                                               \
    return tt::dup_string("unknown C++ exception in libtorch"); \
  }                                                           \
  return nullptr;
