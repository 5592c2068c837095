// serialize.cpp: tensors from raw storages (the torch.save format itself is read and written in Go).
#include "shim.h"

extern "C" {

tt_error tt_tensor_from_storage(const void *data, int64_t nbytes, int dtype, const int64_t *shape,
                                const int64_t *stride, int ndim, int64_t offset, tt_tensor *out) {
  TT_TRY
  auto opts = at::TensorOptions().dtype(tt::scalar_type(dtype));
  at::IntArrayRef size(shape, ndim), strides(stride, ndim);
  int64_t item = static_cast<int64_t>(c10::elementSize(tt::scalar_type(dtype)));
  if (nbytes % item != 0)
    throw std::invalid_argument("storage of " + std::to_string(nbytes) + " bytes is not a whole number of " +
                                std::to_string(item) + "-byte elements");
  int64_t numel = nbytes / item;
  if (c10::multiply_integers(size) == 0) {
    *out = tt::wrap(at::empty(size, opts));
    return nullptr;
  }
  // from_blob does not copy; as_strided checks the view stays inside the
  // storage; clone copies it out before data goes away.
  auto storage = at::from_blob(const_cast<void *>(data), {numel}, opts);
  *out = tt::wrap(storage.as_strided(size, strides, offset).clone(at::MemoryFormat::Contiguous));
  TT_CATCH
}

}  // extern "C"
