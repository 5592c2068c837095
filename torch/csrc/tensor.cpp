// tensor.cpp: creating tensors, reading them back, metadata, device moves.
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

#include "shim.h"

namespace {
std::vector<int64_t> dims_of(const int64_t *shape, int ndim) {
  return std::vector<int64_t>(shape, shape + ndim);
}

// copy_bytes copies n bytes, in as many parts as libtorch has intra-op
// threads but at least 4 MiB a part, the parts after the first on threads
// of their own (std::thread: the shim is not built with OpenMP, so
// at::parallel_for would run serially here). One core copies 4-9 GB/s, so a
// batch of augmentation crops (~36 MB) into page-locked memory took ~5 ms
// of the thread feeding a GPU; on the project's 2-core test machine two
// threads copy 1.1-1.3x as fast into reused memory (its memory bandwidth
// nearly spent by one) and 1.4-1.7x into fresh memory (BenchmarkLargeCopy).
// Where no thread can be started, this one copies the parts left.
void copy_bytes(void *dst, const void *src, size_t n) {
  constexpr size_t min_part = size_t{4} << 20;
  size_t parts = std::min(static_cast<size_t>(std::max(1, at::get_num_threads())), n / min_part);
  if (parts < 2) {
    std::memcpy(dst, src, n);
    return;
  }
  auto *d = static_cast<char *>(dst);
  auto *s = static_cast<const char *>(src);
  size_t each = (n + parts - 1) / parts;
  auto copy_part = [=](size_t i) {
    size_t lo = i * each;
    if (lo < n) std::memcpy(d + lo, s + lo, std::min(each, n - lo));
  };
  std::vector<std::thread> helpers;
  helpers.reserve(parts - 1);  // no reallocation below, which could drop joinable threads
  try {
    for (size_t i = 1; i < parts; i++) helpers.emplace_back(copy_part, i);
  } catch (const std::system_error &) {
  }
  copy_part(0);
  for (size_t i = helpers.size() + 1; i < parts; i++) copy_part(i);
  for (auto &t : helpers) t.join();
}
}  // namespace

extern "C" {

tt_error tt_tensor_from_data(const void *data, int64_t nbytes, const int64_t *shape, int ndim,
                             int dtype, int dev_type, int dev_index, tt_tensor *out) {
  TT_TRY
  auto st = tt::scalar_type(dtype);
  auto dims = dims_of(shape, ndim);
  auto dev = tt::device(dev_type, dev_index);
  // For a GPU the host copy is page-locked (from libtorch's caching host
  // allocator), so the copy to the GPU runs asynchronously; the allocator
  // keeps the block until that copy is done, as with PyTorch's pin_memory().
  auto t = at::empty(dims, at::TensorOptions().dtype(st).pinned_memory(dev.is_cuda()));
  int64_t want = t.numel() * static_cast<int64_t>(t.element_size());
  if (want != nbytes)
    throw std::invalid_argument("data holds " + std::to_string(nbytes) + " bytes but shape " +
                                c10::str(t.sizes()) + " needs " + std::to_string(want));
  if (nbytes > 0) copy_bytes(t.data_ptr(), data, static_cast<size_t>(nbytes));
  if (dev.is_cuda()) t = t.to(dev, /*non_blocking=*/true);
  *out = tt::wrap(std::move(t));
  TT_CATCH
}

tt_error tt_tensor_fill(int kind, const int64_t *shape, int ndim, int dtype, int dev_type,
                        int dev_index, tt_tensor *out) {
  TT_TRY
  auto opts = at::TensorOptions().dtype(tt::scalar_type(dtype)).device(tt::device(dev_type, dev_index));
  auto dims = dims_of(shape, ndim);
  at::Tensor t;
  switch (kind) {
    case TT_ZEROS: t = at::zeros(dims, opts); break;
    case TT_ONES: t = at::ones(dims, opts); break;
    case TT_RAND: t = at::rand(dims, opts); break;
    case TT_RANDN: t = at::randn(dims, opts); break;
    default: throw std::invalid_argument("unknown fill kind " + std::to_string(kind));
  }
  *out = tt::wrap(std::move(t));
  TT_CATCH
}

tt_error tt_tensor_copy_data(tt_tensor h, void *dst, int64_t nbytes, int dtype) {
  TT_TRY
  auto &t = tt::T(h);
  auto st = tt::scalar_type(dtype);
  if (t.scalar_type() != st)
    throw std::invalid_argument(std::string("tensor has dtype ") + c10::toString(t.scalar_type()) +
                                ", not " + c10::toString(st));
  auto c = t.detach().to(at::kCPU).contiguous();
  int64_t have = c.numel() * static_cast<int64_t>(c.element_size());
  if (have != nbytes)
    throw std::invalid_argument("tensor holds " + std::to_string(have) + " bytes, destination " +
                                std::to_string(nbytes));
  if (nbytes > 0) copy_bytes(dst, c.data_ptr(), static_cast<size_t>(nbytes));
  TT_CATCH
}

void tt_tensor_free(tt_tensor t) { delete reinterpret_cast<at::Tensor *>(t); }

int tt_tensor_ndim(tt_tensor t) { return static_cast<int>(tt::T(t).dim()); }

void tt_tensor_shape(tt_tensor t, int64_t *out) {
  auto sizes = tt::T(t).sizes();
  for (size_t i = 0; i < sizes.size(); i++) out[i] = sizes[i];
}

int tt_tensor_dtype(tt_tensor t) { return tt::dtype_code(tt::T(t).scalar_type()); }

void tt_tensor_device(tt_tensor t, int *dev_type, int *dev_index) {
  auto d = tt::T(t).device();
  *dev_type = d.is_cuda() ? TT_CUDA : TT_CPU;
  *dev_index = d.has_index() ? d.index() : 0;
}

tt_error tt_tensor_item(tt_tensor t, double *out) {
  TT_TRY
  *out = tt::T(t).item<double>();
  TT_CATCH
}

tt_error tt_tensor_string(tt_tensor t, char **out) {
  TT_TRY
  std::ostringstream s;
  s << tt::T(t);
  *out = tt::dup_string(s.str());
  TT_CATCH
}

tt_error tt_tensor_to(tt_tensor t, int dev_type, int dev_index, int dtype, tt_tensor *out) {
  TT_TRY
  auto &src = tt::T(t);
  auto dev = tt::device(dev_type, dev_index);
  auto st = dtype < 0 ? src.scalar_type() : tt::scalar_type(dtype);
  // Copies from pinned host memory to a GPU may run asynchronously on the stream.
  bool non_blocking = dev.is_cuda() && src.is_pinned();
  *out = tt::wrap(src.to(dev, st, non_blocking));
  TT_CATCH
}

tt_error tt_tensor_pin_memory(tt_tensor t, tt_tensor *out) {
  TT_TRY
  auto &src = tt::T(t);
  if (!src.device().is_cpu()) throw std::invalid_argument("pin_memory: the tensor is not in host memory");
  if (!torch::cuda::is_available())
    throw std::runtime_error("pin_memory needs a CUDA GPU and a CUDA build of libtorch");
  *out = tt::wrap(src.pin_memory());
  TT_CATCH
}

tt_error tt_tensor_uniform_(tt_tensor t, double low, double high) {
  TT_TRY
  at::NoGradGuard no_grad;
  tt::T(t).uniform_(low, high);
  TT_CATCH
}

tt_error tt_tensor_copy_(tt_tensor dst, tt_tensor src) {
  TT_TRY
  auto &d = tt::T(dst);
  auto &s = tt::T(src);
  if (!d.sizes().equals(s.sizes()))
    throw std::invalid_argument("cannot copy a tensor of shape " + c10::str(s.sizes()) +
                                " into one of shape " + c10::str(d.sizes()));
  at::NoGradGuard no_grad;
  d.copy_(s);
  TT_CATCH
}

}  // extern "C"
