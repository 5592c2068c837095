// fuse.cpp: folds what follows a convolution of a module frozen and
// optimised for inference into it, as oneDNN post-ops (onednn_conv.h).
//
// optimize_for_inference leaves a ReLU, or a ResNet block's residual sum
// then ReLU, to nodes of their own after each convolution: each reads and
// writes the whole activation again (ResNet-34: 33 ReLUs, 16 sums, about a
// tenth of its forward time on 2 cores). Fused, they apply while the
// convolution's output is in the cache, and a residual that nothing reads
// afterwards takes the sum where it lies.
#include "onednn_conv.h"

using tt::memory;
using tt::conv_kind;
using tt::convolution_of;
using tt::convolution_constants;
using tt::replace_with_convolution;

namespace {

// The only node that uses v, else null.
torch::jit::Node *only_user(torch::jit::Value *v) {
  return v->uses().size() == 1 ? v->uses()[0].user : nullptr;
}

// Folds v's only use into conv when it is aten::relu_ or aten::relu of v:
// the ReLU's uses read out (the convolution's output) instead, and the
// ReLU goes. Returns whether it did.
bool fold_relu(tt::Convolution &conv, torch::jit::Value *v, torch::jit::Value *out) {
  static const auto relu_ = c10::Symbol::fromQualString("aten::relu_");
  static const auto relu = c10::Symbol::fromQualString("aten::relu");
  auto *n = only_user(v);
  if (n == nullptr || (n->kind() != relu_ && n->kind() != relu) || n->inputs().size() != 1 || n->input(0) != v)
    return false;
  conv.geometry.relu = true;
  n->output()->replaceAllUsesWith(out);
  n->destroy();
  return true;
}

// Folds what follows convolution node n into it as oneDNN post-ops, and
// returns 1 if it folded anything: a ReLU of its output (its only use), or
// the in-place addition of a residual to its output (optimize_for_inference
// writes x += r as prim::BroadcastMKLDNNTensors then aten::add_, alpha 1),
// then a ReLU of that. The convolution moves down to the addition's place
// (the residual may be computed after it: a downsampling branch).
int fuse_after(torch::jit::Node *n) {
  static const auto broadcast = c10::Symbol::fromQualString("prim::BroadcastMKLDNNTensors");
  static const auto add_ = c10::Symbol::fromQualString("aten::add_");
  auto conv = convolution_of(n);
  if (!conv || conv->geometry.sum || conv->geometry.relu) return 0;
  auto *out = n->output();
  if (fold_relu(*conv, out, out)) return 1;
  auto *user = only_user(out);
  if (user == nullptr || user->kind() != broadcast || user->inputs().size() != 2 || user->input(0) != out ||
      user->outputs().size() != 2)
    return 0;
  auto *add = only_user(user->output(0));
  if (add == nullptr || add->kind() != add_ || add->inputs().size() != 3 || add->input(0) != user->output(0) ||
      add->input(1) != user->output(1) || only_user(user->output(1)) != add)
    return 0;
  auto alpha = torch::jit::toIValue(add->input(2));
  if (!alpha || !((alpha->isInt() && alpha->toInt() == 1) || (alpha->isDouble() && alpha->toDouble() == 1.0)))
    return 0;
  auto *residual = user->input(1);
  n->moveBefore(user);
  n->replaceInput(1, residual);
  conv->geometry.sum = true;
  // The residual's memory may take the output when nothing reads it after
  // the addition (a ResNet block's input or its downsampling's output): a
  // tensor one of our convolutions or a pooling made (no graph input,
  // constant or view of another value), not the convolution's own input,
  // every other use a convolution before this node (an in-place operation
  // or a view would make another value of the same memory).
  static const auto max_pool = c10::Symbol::fromQualString("aten::max_pool2d");
  static const auto mkldnn_conv = c10::Symbol::fromQualString("prim::mkldnn_convolution");
  auto made_by = residual->node()->kind();
  bool overwrite = (made_by == conv_kind() || made_by == max_pool) && residual != n->input(0);
  for (auto &use : residual->uses()) {
    if (use.user == n || use.user == user) continue;
    bool conv_input = (use.user->kind() == conv_kind() || use.user->kind() == mkldnn_conv) && use.offset == 0;
    if (!conv_input || !use.user->isBefore(n)) overwrite = false;
  }
  conv->overwrite_residual = overwrite;
  fold_relu(*conv, add->output(), out);
  add->output()->replaceAllUsesWith(out);
  add->destroy();
  user->destroy();
  return 1;
}

}  // namespace

extern "C" {

tt_error tt_module_fuse_convolutions(tt_module m, int64_t *fused) {
  TT_TRY
  auto graph = tt::M(m).get_method("forward").graph();
  std::vector<torch::jit::Node *> convs;
  for (auto *n : graph->nodes())
    if (convolution_constants(n).weight.defined()) convs.push_back(n);
  *fused = 0;
  for (auto *n : convs) {
    if (!convolution_of(n)) n = replace_with_convolution(graph, n, false);
    *fused += fuse_after(n);
  }
  TT_CATCH
}

}  // extern "C"
