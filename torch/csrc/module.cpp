// module.cpp: TorchScript modules: load, forward, train/eval, parameters, freeze.
#include <ATen/autocast_mode.h>
#include <torch/script.h>
#include <torch/version.h>

#include <memory>
#include <vector>

#include "shim.h"

using tt::M;

namespace {

// libtorch 2.4 replaced the per-device autocast calls (set_enabled,
// set_cpu_enabled, get_autocast_gpu_dtype...) with ones taking a device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_is_on(bool cuda) { return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU); }
at::ScalarType autocast_type(bool cuda) { return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU); }
void set_autocast(bool cuda, bool enabled, at::ScalarType dtype) {
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, enabled);
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
}
#else
bool autocast_is_on(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
at::ScalarType autocast_type(bool cuda) {
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast(bool cuda, bool enabled, at::ScalarType dtype) {
  if (cuda) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif

// AutocastGuard turns autocast on for one device type for its lifetime, as
// Python's torch.autocast context manager does, restoring the previous state.
class AutocastGuard {
 public:
  AutocastGuard(bool cuda, at::ScalarType dtype)
      : cuda_(cuda), prev_enabled_(autocast_is_on(cuda)), prev_dtype_(autocast_type(cuda)) {
    set_autocast(cuda_, true, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast(cuda_, prev_enabled_, prev_dtype_);
  }

 private:
  bool cuda_;
  bool prev_enabled_;
  at::ScalarType prev_dtype_;
};

tt_module wrap_module(torch::jit::Module m) {
  return reinterpret_cast<tt_module>(new torch::jit::Module(std::move(m)));
}
}  // namespace

extern "C" {

tt_error tt_module_load(const char *path, int dev_type, int dev_index, tt_module *out) {
  TT_TRY
  auto dev = tt::device(dev_type, dev_index);
  *out = wrap_module(torch::jit::load(path, dev));
  TT_CATCH
}

void tt_module_free(tt_module m) { delete reinterpret_cast<torch::jit::Module *>(m); }

tt_error tt_module_forward(tt_module m, const tt_tensor *inputs, int n, int grad_mode,
                           int autocast_dtype, tt_tensor *out) {
  TT_TRY
  std::vector<c10::IValue> args;
  args.reserve(n);
  for (int i = 0; i < n; i++) args.emplace_back(tt::T(inputs[i]));
  std::unique_ptr<AutocastGuard> autocast;
  if (autocast_dtype >= 0) {
    auto dt = tt::scalar_type(autocast_dtype);
    if (dt != at::kBFloat16 && dt != at::kHalf)
      throw std::invalid_argument(std::string("autocast needs bfloat16 or float16, not ") + c10::toString(dt));
    bool cuda = n > 0 && tt::T(inputs[0]).is_cuda();
    autocast = std::make_unique<AutocastGuard>(cuda, dt);
  }
  c10::IValue r;
  switch (grad_mode) {
    case TT_GRAD: r = M(m).forward(std::move(args)); break;
    case TT_NO_GRAD: {
      at::NoGradGuard guard;
      r = M(m).forward(std::move(args));
    } break;
    case TT_INFERENCE: {
      c10::InferenceMode guard;
      r = M(m).forward(std::move(args));
    } break;
    default: throw std::invalid_argument("unknown grad mode " + std::to_string(grad_mode));
  }
  if (!r.isTensor())
    throw std::invalid_argument(std::string("forward returned a ") + r.tagKind() +
                                ", expected a single Tensor");
  auto result = r.toTensor();
  if (autocast_dtype >= 0 && result.is_floating_point()) result = result.to(at::kFloat);
  *out = tt::wrap(std::move(result));
  TT_CATCH
}

tt_error tt_module_set_training(tt_module m, int training) {
  TT_TRY
  M(m).train(training != 0);
  TT_CATCH
}

int tt_module_is_training(tt_module m) { return M(m).is_training() ? 1 : 0; }

tt_error tt_module_to(tt_module m, int dev_type, int dev_index) {
  TT_TRY
  M(m).to(tt::device(dev_type, dev_index));
  TT_CATCH
}

tt_error tt_module_to_memory_format(tt_module m, int memory_format) {
  TT_TRY
  auto format = tt::memory_format(memory_format);
  // set_data swaps the storage under the module's own tensor, as
  // jit::Module::to does for devices.
  auto relayout = [&](at::Tensor t) {
    if (t.defined() && t.dim() == 4) t.set_data(t.contiguous(format));
  };
  for (const auto &p : M(m).parameters(/*recurse=*/true)) relayout(p);
  for (const auto &b : M(m).buffers(/*recurse=*/true)) relayout(b);
  TT_CATCH
}

tt_error tt_module_named_parameters(tt_module m, int *n, char ***names, tt_tensor **tensors) {
  TT_TRY
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (const auto &p : M(m).named_parameters(/*recurse=*/true)) params.emplace_back(p.name, p.value);
  size_t count = params.size();
  char **ns = static_cast<char **>(std::calloc(count > 0 ? count : 1, sizeof(char *)));
  tt_tensor *ts = static_cast<tt_tensor *>(std::calloc(count > 0 ? count : 1, sizeof(tt_tensor)));
  if (ns == nullptr || ts == nullptr) {
    std::free(ns);
    std::free(ts);
    throw std::bad_alloc();
  }
  for (size_t i = 0; i < count; i++) {
    ns[i] = tt::dup_string(params[i].first);
    ts[i] = tt::wrap(params[i].second);
  }
  *n = static_cast<int>(count);
  *names = ns;
  *tensors = ts;
  TT_CATCH
}

tt_error tt_module_save(tt_module m, const char *path) {
  TT_TRY
  M(m).save(path);
  TT_CATCH
}

tt_error tt_module_clone(tt_module m, tt_module *out) {
  TT_TRY
  *out = wrap_module(M(m).clone());
  TT_CATCH
}

tt_error tt_module_freeze(tt_module m, int optimize, tt_module *out) {
  TT_TRY
  if (M(m).is_training())
    throw std::invalid_argument("freeze needs a module in eval mode: call Eval first");
  auto frozen = torch::jit::freeze(M(m));
  if (optimize) frozen = torch::jit::optimize_for_inference(frozen);
  *out = wrap_module(std::move(frozen));
  TT_CATCH
}

}  // extern "C"
