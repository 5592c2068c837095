// winograd.cpp: the Winograd F(4x4, 3x3) algorithm for the 3x3, stride-1
// convolutions of a module frozen and optimised for inference, on oneDNN's
// kernels (AVX-512 CPUs) or tunetorch's (winograd_avx2.h: AVX2 CPUs).
//
// tt_module_use_winograd lets each 3x3, stride-1, padding-1, ungrouped one
// run Winograd (onednn_conv.h: a prim::mkldnn_convolution node becomes a
// tunetorch::conv2d one; one of ours, made by fuse.cpp first, is allowed to):
// 4x fewer multiplications, weights 4x as large.
#include <algorithm>
#include <string>

#include "onednn_conv.h"
#include "winograd_avx2.h"

namespace {

// What oneDNN said, asked once, when asked for a small Winograd
// convolution: whether it has a kernel for this CPU, or why it could not
// make a convolution at all.
struct OneDNNProbe {
  bool winograd = false;
  std::string error;
};

const OneDNNProbe &onednn_probe() {
  static const OneDNNProbe probe = [] {
    OneDNNProbe p;
    try {
      tt::describe({1, 16, 8, 8}, {16, 16, 3, 3}, true, &p.winograd);
    } catch (const std::exception &e) {
      p.error = e.what();
    }
    return p;
  }();
  return probe;
}

// Whether oneDNN has a Winograd kernel for this CPU.
bool onednn_winograd_here() { return onednn_probe().winograd; }

// The kernels of tt_module_use_winograd.
enum Kernel { kAuto = 0, kOneDNN = 1, kTunetorch = 2 };

}  // namespace

using tt::memory;
using tt::convolution_of;
using tt::convolutions_of;
using tt::convolution_constants;
using tt::replace_with_convolution;

extern "C" {

int tt_winograd_available(char **why) {
  const auto &probe = onednn_probe();
  if (!probe.error.empty()) {
    *why = tt::dup_string("oneDNN could not make a convolution: " + probe.error);
    return 1;
  }
  if (probe.winograd || tt::winograd_avx2_supported()) return 2;
  *why = tt::dup_string(
      "oneDNN has no Winograd convolution for this CPU (its F(4x4, 3x3) kernels need AVX-512) and tunetorch's "
      "needs AVX2 and FMA: the convolutions would run oneDNN's direct algorithm");
  return 1;
}

int tt_winograd_kernels(void) {
  return (onednn_winograd_here() ? 1 : 0) | (tt::winograd_avx2_supported() ? 2 : 0);
}

tt_error tt_module_use_winograd(tt_module m, int64_t max_bytes, int kernel, int64_t *replaced) {
  TT_TRY
  // Whose kernels: auto takes oneDNN's where it has them, else tunetorch's.
  bool own = false;
  switch (kernel) {
    case kAuto:
      own = !onednn_winograd_here() && tt::winograd_avx2_supported();
      break;
    case kOneDNN:
      break;
    case kTunetorch:
      TORCH_CHECK(tt::winograd_avx2_supported(),
                  "tunetorch's Winograd convolution needs a CPU with AVX2 and FMA (x86-64), which this is not");
      own = true;
      break;
    default:
      TORCH_CHECK(false, "unknown Winograd kernel ", kernel, " (want 0 auto, 1 oneDNN's, 2 tunetorch's)");
  }
  auto graph = tt::M(m).get_method("forward").graph();
  // prim::mkldnn_convolution nodes and our own direct ones (fused first)
  // that are 3x3, stride 1, padding 1.
  std::vector<torch::jit::Node *> eligible;
  for (auto *n : graph->nodes()) {
    auto c = convolution_constants(n);
    auto conv = convolution_of(n);
    if (c.weight.defined() && !(conv && conv->winograd) && c.weight.size(2) == 3 && c.weight.size(3) == 3 &&
        c.geometry.stride == memory::dims{1, 1} && c.geometry.padding == memory::dims{1, 1})
      eligible.push_back(n);
  }
  // Within max_bytes of Winograd weights (36 floats per input-output
  // channel pair: 4x the direct ones), the convolutions with the fewest
  // channels first: each does about the same work in a ResNet (its stages
  // halve the image as they double the channels), for a quarter of the next
  // stage's weights.
  auto winograd_bytes = [](torch::jit::Node *n) {
    auto w = convolution_constants(n).weight;
    return w.size(0) * w.size(1) * 36 * int64_t(sizeof(float));
  };
  if (max_bytes > 0) {
    std::stable_sort(eligible.begin(), eligible.end(),
                     [&](torch::jit::Node *a, torch::jit::Node *b) { return winograd_bytes(a) < winograd_bytes(b); });
    int64_t total = 0;
    size_t keep = 0;
    while (keep < eligible.size() && total + winograd_bytes(eligible[keep]) <= max_bytes)
      total += winograd_bytes(eligible[keep++]);
    eligible.resize(keep);
  }
  for (auto *n : eligible) {
    auto conv = convolution_of(n);
    if (!conv) conv = convolution_of(replace_with_convolution(graph, n, true));
    conv->winograd = true;
    // tunetorch's where its blocks fit the channels (ResNet's all do), else
    // oneDNN's (or its direct algorithm, where it has no Winograd kernel).
    conv->own = own && tt::winograd_avx2_fits(conv->weight.size(1), conv->weight.size(0));
  }
  *replaced = static_cast<int64_t>(eligible.size());
  TT_CATCH
}

tt_error tt_module_release_direct_weights(tt_module m, int64_t batch, int64_t *releasing) {
  TT_TRY
  *releasing = 0;
  for (auto &c : convolutions_of(m)) *releasing += c->release_direct_weights(batch);
  TT_CATCH
}

tt_error tt_module_winograd_counts(tt_module m, int64_t *winograd, int64_t *direct, int64_t *weight_bytes) {
  TT_TRY
  *winograd = *direct = *weight_bytes = 0;
  for (auto &c : convolutions_of(m)) c->counts(winograd, direct, weight_bytes);
  TT_CATCH
}

}  // extern "C"
