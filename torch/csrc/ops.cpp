// ops.cpp: the tensor operations the pipeline and its users need.
#include <vector>

#include "shim.h"

namespace {
std::vector<at::Tensor> tensors_of(const tt_tensor *ts, int n) {
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(tt::T(ts[i]));
  return v;
}

at::Tensor binary(int op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case TT_ADD: return at::add(a, b);
    case TT_SUB: return at::sub(a, b);
    case TT_MUL: return at::mul(a, b);
    case TT_DIV: return at::div(a, b);
  }
  throw std::invalid_argument("unknown binary op " + std::to_string(op));
}

at::Tensor binary(int op, const at::Tensor &a, const at::Scalar &s) {
  switch (op) {
    case TT_ADD: return at::add(a, s);
    case TT_SUB: return at::sub(a, s);
    case TT_MUL: return at::mul(a, s);
    case TT_DIV: return at::div(a, s);
  }
  throw std::invalid_argument("unknown binary op " + std::to_string(op));
}
}  // namespace

extern "C" {

tt_error tt_matmul(tt_tensor a, tt_tensor b, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(at::matmul(tt::T(a), tt::T(b)));
  TT_CATCH
}

tt_error tt_binary(int op, tt_tensor a, tt_tensor b, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(binary(op, tt::T(a), tt::T(b)));
  TT_CATCH
}

tt_error tt_binary_scalar(int op, tt_tensor a, double s, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(binary(op, tt::T(a), at::Scalar(s)));
  TT_CATCH
}

tt_error tt_relu(tt_tensor a, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(at::relu(tt::T(a)));
  TT_CATCH
}

tt_error tt_clamp(tt_tensor a, double lo, double hi, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(at::clamp(tt::T(a), at::Scalar(lo), at::Scalar(hi)));
  TT_CATCH
}

tt_error tt_floor(tt_tensor a, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(at::floor(tt::T(a)));
  TT_CATCH
}

tt_error tt_softmax(tt_tensor a, int64_t dim, int log, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(log ? at::log_softmax(tt::T(a), dim) : at::softmax(tt::T(a), dim));
  TT_CATCH
}

tt_error tt_cross_entropy(tt_tensor logits, tt_tensor targets, int reduction, tt_tensor *out) {
  TT_TRY
  int64_t r;
  switch (reduction) {
    case TT_REDUCE_NONE: r = at::Reduction::None; break;
    case TT_REDUCE_MEAN: r = at::Reduction::Mean; break;
    case TT_REDUCE_SUM: r = at::Reduction::Sum; break;
    default: throw std::invalid_argument("unknown reduction " + std::to_string(reduction));
  }
  *out = tt::wrap(at::cross_entropy_loss(tt::T(logits), tt::T(targets), {}, r));
  TT_CATCH
}

tt_error tt_argmax(tt_tensor a, int64_t dim, int keepdim, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(at::argmax(tt::T(a), dim, keepdim != 0));
  TT_CATCH
}

tt_error tt_topk(tt_tensor a, int64_t k, int64_t dim, int largest, tt_tensor *values,
                 tt_tensor *indices) {
  TT_TRY
  auto r = at::topk(tt::T(a), k, dim, largest != 0, /*sorted=*/true);
  *values = tt::wrap(std::get<0>(r));
  *indices = tt::wrap(std::get<1>(r));
  TT_CATCH
}

tt_error tt_reduce(int reduction, tt_tensor a, const int64_t *dims, int ndims, int keepdim,
                   tt_tensor *out) {
  TT_TRY
  auto &t = tt::T(a);
  at::IntArrayRef d(dims, ndims);
  at::Tensor r;
  if (reduction == TT_REDUCE_SUM) {
    r = ndims == 0 ? at::sum(t) : at::sum(t, d, keepdim != 0);
  } else if (reduction == TT_REDUCE_MEAN) {
    r = ndims == 0 ? at::mean(t) : at::mean(t, d, keepdim != 0);
  } else {
    throw std::invalid_argument("unknown reduction " + std::to_string(reduction));
  }
  *out = tt::wrap(std::move(r));
  TT_CATCH
}

tt_error tt_stack(const tt_tensor *ts, int n, int64_t dim, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(at::stack(tensors_of(ts, n), dim));
  TT_CATCH
}

tt_error tt_cat(const tt_tensor *ts, int n, int64_t dim, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(at::cat(tensors_of(ts, n), dim));
  TT_CATCH
}

tt_error tt_narrow(tt_tensor a, int64_t dim, int64_t start, int64_t length, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(tt::T(a).narrow(dim, start, length));
  TT_CATCH
}

tt_error tt_index_select(tt_tensor a, int64_t dim, tt_tensor index, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(at::index_select(tt::T(a), dim, tt::T(index)));
  TT_CATCH
}

tt_error tt_reshape(tt_tensor a, const int64_t *shape, int ndim, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(tt::T(a).reshape(at::IntArrayRef(shape, ndim)));
  TT_CATCH
}

tt_error tt_permute(tt_tensor a, const int64_t *dims, int ndim, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(tt::T(a).permute(at::IntArrayRef(dims, ndim)));
  TT_CATCH
}

tt_error tt_contiguous(tt_tensor a, int memory_format, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(tt::T(a).contiguous(tt::memory_format(memory_format)));
  TT_CATCH
}

int tt_is_contiguous(tt_tensor a, int memory_format) {
  try {
    return tt::T(a).is_contiguous(tt::memory_format(memory_format)) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

tt_error tt_detach(tt_tensor a, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(tt::T(a).detach());
  TT_CATCH
}

tt_error tt_clone(tt_tensor a, tt_tensor *out) {
  TT_TRY
  *out = tt::wrap(tt::T(a).detach().clone(at::MemoryFormat::Contiguous));
  TT_CATCH
}

tt_error tt_linear(tt_tensor x, tt_tensor w, tt_tensor b, int no_grad, tt_tensor *out) {
  TT_TRY
  c10::optional<at::Tensor> bias;
  if (b != nullptr) bias = tt::T(b);
  if (no_grad) {
    at::NoGradGuard guard;
    *out = tt::wrap(at::linear(tt::T(x), tt::T(w), bias));
  } else {
    *out = tt::wrap(at::linear(tt::T(x), tt::T(w), bias));
  }
  TT_CATCH
}

}  // extern "C"
