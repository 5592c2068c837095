// module.cpp: TorchScript modules: load, forward, train/eval, parameters, freeze.
#include <torch/script.h>

#include <vector>

#include "shim.h"

namespace {
torch::jit::Module &M(tt_module m) { return *reinterpret_cast<torch::jit::Module *>(m); }

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
                           tt_tensor *out) {
  TT_TRY
  std::vector<c10::IValue> args;
  args.reserve(n);
  for (int i = 0; i < n; i++) args.emplace_back(tt::T(inputs[i]));
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
  *out = tt::wrap(r.toTensor());
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
