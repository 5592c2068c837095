// serialize.cpp: dicts of tensors in torch.save's format, both ways.
#include <torch/csrc/jit/serialization/pickle.h>

#include <vector>

#include "shim.h"

extern "C" {

tt_error tt_save_dict(const char *const *names, const tt_tensor *tensors, int n, char **data,
                      int64_t *len) {
  TT_TRY
  c10::Dict<std::string, at::Tensor> dict;
  for (int i = 0; i < n; i++) {
    if (dict.contains(names[i])) throw std::invalid_argument(std::string("duplicate name ") + names[i]);
    dict.insert(names[i], tt::T(tensors[i]).detach().to(at::kCPU));
  }
  std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  char *buf = static_cast<char *>(std::malloc(bytes.size() > 0 ? bytes.size() : 1));
  if (buf == nullptr) throw std::bad_alloc();
  std::memcpy(buf, bytes.data(), bytes.size());
  *data = buf;
  *len = static_cast<int64_t>(bytes.size());
  TT_CATCH
}

tt_error tt_load_dict(const char *data, int64_t len, int *n, char ***names, tt_tensor **tensors) {
  TT_TRY
  std::vector<char> bytes(data, data + len);
  c10::IValue v = torch::jit::pickle_load(bytes);
  if (!v.isGenericDict())
    throw std::invalid_argument(std::string("file holds a ") + v.tagKind() +
                                ", not a dict of name -> tensor");
  auto dict = v.toGenericDict();
  int count = static_cast<int>(dict.size());
  char **ns = static_cast<char **>(std::calloc(count > 0 ? count : 1, sizeof(char *)));
  tt_tensor *ts = static_cast<tt_tensor *>(std::calloc(count > 0 ? count : 1, sizeof(tt_tensor)));
  if (ns == nullptr || ts == nullptr) {
    std::free(ns);
    std::free(ts);
    throw std::bad_alloc();
  }
  int i = 0;
  try {
    for (const auto &kv : dict) {
      if (!kv.key().isString())
        throw std::invalid_argument(std::string("dict key is a ") + kv.key().tagKind() + ", not a string");
      std::string key = kv.key().toStringRef();
      if (!kv.value().isTensor())
        throw std::invalid_argument("entry " + key + " is a " + kv.value().tagKind() + ", not a tensor");
      ns[i] = tt::dup_string(key);
      ts[i] = tt::wrap(kv.value().toTensor());
      i++;
    }
  } catch (...) {
    for (int j = 0; j < i; j++) {
      std::free(ns[j]);
      tt_tensor_free(ts[j]);
    }
    std::free(ns);
    std::free(ts);
    throw;
  }
  *n = count;
  *names = ns;
  *tensors = ts;
  TT_CATCH
}

}  // extern "C"
