// winograd.cpp: oneDNN's Winograd F(4x4, 3x3) convolution for the 3x3,
// stride-1 convolutions of a module frozen and optimised for inference.
//
// torch.jit.optimize_for_inference turns a frozen graph's convolutions into
// prim::mkldnn_convolution nodes on oneDNN tensors, which run oneDNN's direct
// algorithm. tt_module_use_winograd swaps each 3x3, stride-1, unpadded-by-
// more-than-one, ungrouped one for tunetorch::winograd_conv2d, which reads
// and writes the same oneDNN tensors (no layout change around it) and runs
// algorithm::convolution_winograd where oneDNN has it for the CPU and the
// shape (AVX-512 CPUs), its direct algorithm otherwise. Built only against a
// libtorch that uses the system's oneDNN 2.x (Debian's), whose headers
// (libdnnl-dev) and ideep (libideep-dev) describe the very tensors libtorch
// makes; CMakeLists.txt picks winograd_stub.cpp elsewhere.
#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <ideep.hpp>
#include <torch/custom_class.h>
#include <torch/script.h>

#include <algorithm>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "shim.h"

// libtorch's own accessors of a oneDNN tensor's ideep::tensor
// (ATen/native/mkldnn/MKLDNNCommon.h, which Debian does not install).
namespace at {
namespace native {
ideep::tensor &itensor_from_mkldnn(const at::Tensor &mkldnn_tensor);
at::Tensor new_with_itensor_mkldnn(ideep::tensor &&it, c10::optional<c10::ScalarType> dtype,
                                   c10::optional<c10::Device> device);
}  // namespace native
}  // namespace at

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// The primitive for one input shape, with the weights and bias in the
// layouts it reads.
struct Plan {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory weights, bias;
  bool winograd = false;
  // Its input and output lay the images out one after the other (nChw16c):
  // a smaller batch can run on it, padded.
  bool paddable = false;
};

// Creates the convolution of a [n, c, h, w] float32 input with weights
// [o, c, 3, 3], stride 1, padding 1: Winograd when allowed and oneDNN has it
// here, direct otherwise. A direct one reads the weights in the layout held,
// when given and oneDNN takes it for the shape: a copy of them in the layout
// it would prefer costs as much memory again (78 MB for ResNet-34's 3x3
// stride-1 convolutions) for the few small batches that run direct.
dnnl::convolution_forward::primitive_desc describe(const memory::dims &src, const memory::dims &wei, bool winograd,
                                                   bool *got_winograd, const memory::desc *held = nullptr) {
  auto &eng = ideep::engine::cpu_engine();
  memory::dims dst{src[0], wei[0], src[2], src[3]};
  // The scratchpad comes with each call (as ideep does for libtorch's own
  // primitives): oneDNN's library-held one is shared between the threads
  // that create and run primitives, which Go's calls move between.
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  auto make = [&](dnnl::algorithm alg, const memory::desc &weights) {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, alg, memory::desc(src, dt::f32, tag::any),
                                      weights, memory::desc({wei[0]}, dt::f32, tag::x),
                                      memory::desc(dst, dt::f32, tag::any), {1, 1}, {1, 1}, {1, 1});
    return dnnl::convolution_forward::primitive_desc(d, attr, eng);
  };
  if (winograd) {
    try {
      auto pd = make(dnnl::algorithm::convolution_winograd, memory::desc(wei, dt::f32, tag::any));
      *got_winograd = true;
      return pd;
    } catch (const dnnl::error &) {
      // No Winograd kernel for this CPU or shape: the direct one below.
    }
  }
  *got_winograd = false;
  if (held != nullptr) {
    try {
      return make(dnnl::algorithm::convolution_direct, *held);
    } catch (const dnnl::error &) {
      // No direct kernel reads that layout for this shape: one it prefers.
    }
  }
  return make(dnnl::algorithm::convolution_direct, memory::desc(wei, dt::f32, tag::any));
}

// Scratchpads: Winograd's holds the transformed tiles (up to 63 MB for
// ResNet-34's layers at batch 32). Each call takes one from libtorch's CPU
// allocator and frees it after: the caching allocator (cpu_cache.cpp) hands
// back memory already faulted in, shared with the activations (a scratchpad
// is needed only while its convolution runs), instead of a pool of
// scratchpads held beside them. Page-aligned, as oneDNN's own: oneDNN aligns
// its offsets in it relative to its start.
struct Scratchpad {
  c10::DataPtr memory;
  void *data;
  explicit Scratchpad(size_t size) {
    constexpr size_t kAlign = 4096;
    memory = c10::GetCPUAllocator()->allocate(size + kAlign);
    auto p = reinterpret_cast<uintptr_t>(memory.get());
    data = reinterpret_cast<void *>((p + kAlign - 1) & ~uintptr_t(kAlign - 1));
  }
};

// Copies from into to (layouts may differ), with the reorder's scratchpad
// from libtorch's CPU allocator.
void reorder(const memory &from, const memory &to) {
  auto &eng = ideep::engine::cpu_engine();
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::reorder::primitive_desc pd(eng, from.get_desc(), eng, to.get_desc(), attr);
  Scratchpad buffer(pd.scratchpad_desc().get_size());
  memory scratchpad(pd.scratchpad_desc(), eng, buffer.data);
  auto &s = ideep::stream::default_stream();
  dnnl::reorder(pd).execute(s, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}, {DNNL_ARG_SCRATCHPAD, scratchpad}});
  s.wait();
}

}  // namespace

// WinogradConv holds one convolution's weights and bias (the oneDNN tensors
// the optimised graph had as constants) and its primitives, one per input
// shape (the last batch of an epoch is often smaller) and thread count, for
// the last few shapes run. Shared by the threads that run the module: the
// plans are made under a lock.
struct WinogradConv : torch::CustomClassHolder {
  WinogradConv(at::Tensor w, at::Tensor b) : weight(std::move(w)), bias(std::move(b)) {}

  at::Tensor run(const at::Tensor &x) {
    // libtorch reads oneDNN tensors below autograd only (as its own
    // MkldnnCPU kernels run).
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    TORCH_CHECK(x.is_mkldnn(), "tunetorch::winograd_conv2d: the input is not a oneDNN tensor (", x.layout(),
                "): the convolution belongs in a graph optimised for inference");
    TORCH_CHECK(x.scalar_type() == at::kFloat, "tunetorch::winograd_conv2d: float32 input only, got ",
                x.scalar_type());
    ideep::tensor &xi = at::native::itensor_from_mkldnn(x);
    auto d = xi.get_dims();
    // oneDNN sizes a primitive's work for the threads of its creation: one
    // per input shape and thread count.
    std::vector<int64_t> key(d.begin(), d.end());
    key.push_back(at::get_num_threads());
    auto plan = plan_for(key);
    auto &eng = ideep::engine::cpu_engine();
    auto &s = ideep::stream::default_stream();
    auto src_desc = plan->pd.src_desc(), dst_desc = plan->pd.dst_desc();
    int64_t n = key[0], planned = src_desc.dims()[0];
    memory src = xi;
    c10::DataPtr src_buffer;  // from libtorch's CPU allocator: the caching one reuses it
    if (xi.get_desc() != src_desc) {
      src_buffer = c10::GetCPUAllocator()->allocate(src_desc.get_size());
      src = memory(src_desc, eng, src_buffer.get());
      if (planned == n) {
        dnnl::reorder(xi, src).execute(s, xi, src);
      } else {  // a smaller batch: its images first, zeros after them
        memory head(blocked(key, key[1]), eng, src.get_data_handle());
        dnnl::reorder(xi, head).execute(s, xi, head);
        size_t used = head.get_desc().get_size();
        std::memset(static_cast<char *>(src.get_data_handle()) + used, 0, src_desc.get_size() - used);
      }
    }
    ideep::tensor out(dst_desc, eng);
    auto pad_desc = plan->pd.scratchpad_desc();
    Scratchpad buffer(pad_desc.get_size());
    memory scratchpad(pad_desc, eng, buffer.data);
    plan->conv.execute(s, {{DNNL_ARG_SRC, src},
                           {DNNL_ARG_WEIGHTS, plan->weights},
                           {DNNL_ARG_BIAS, plan->bias},
                           {DNNL_ARG_DST, out},
                           {DNNL_ARG_SCRATCHPAD, scratchpad}});
    s.wait();
    if (planned != n) {  // the padded batch's first n outputs
      ideep::tensor head(blocked(key, dst_desc.dims()[1]), eng);
      std::memcpy(head.get_data_handle(), out.get_data_handle(), head.get_desc().get_size());
      out = std::move(head);
    }
    return at::native::new_with_itensor_mkldnn(std::move(out), at::kFloat, x.device());
  }

  // How many of the primitives held run Winograd, and how many direct; adds
  // to *made the bytes of the weight layouts the plans hold besides the one
  // the convolution came with (each counted once).
  void counts(int64_t *winograd, int64_t *direct, int64_t *made) {
    std::lock_guard<std::mutex> lock(mu);
    at::AutoDispatchBelowADInplaceOrView below_autograd;  // as run's itensor_from_mkldnn needs
    void *held = at::native::itensor_from_mkldnn(weight).get_data_handle();
    std::vector<void *> seen{held};
    for (auto &kv : plans) {
      ++*(kv.second->winograd ? winograd : direct);
      void *w = kv.second->weights.get_data_handle();
      if (std::find(seen.begin(), seen.end(), w) != seen.end()) continue;
      seen.push_back(w);
      *made += static_cast<int64_t>(kv.second->weights.get_desc().get_size());
    }
  }

  at::Tensor weight, bias;  // oneDNN tensors; bias may be undefined

 private:
  // The nChw16c layout of a [key[0], channels, key[2], key[3]] tensor.
  static memory::desc blocked(const std::vector<int64_t> &key, int64_t channels) {
    return memory::desc({key[0], channels, key[2], key[3]}, dt::f32, tag::nChw16c);
  }

  // The plan for key (the input's dimensions, then the thread count): its
  // own, else, for a batch Winograd would run, a Winograd plan of a larger
  // batch of the same images whose layout lets the batch be padded (the
  // last batch of the validation or test set then adds no weights), else a
  // new one.
  std::shared_ptr<Plan> plan_for(const std::vector<int64_t> &key) {
    std::lock_guard<std::mutex> lock(mu);
    auto found = plans.end();
    for (auto it = plans.begin(); it != plans.end(); ++it) {
      const auto &k = it->first;
      if (k == key) {
        found = it;
        break;
      }
      if (found == plans.end() && key[0] >= kMinWinogradBatch && it->second->paddable && k[0] > key[0] &&
          std::equal(k.begin() + 1, k.end(), key.begin() + 1))
        found = it;  // a larger batch's, unless the exact one comes later
    }
    if (found != plans.end()) {
      if (found != plans.begin()) plans.splice(plans.begin(), plans, found);  // most recent first
      return found->second;
    }
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    auto &eng = ideep::engine::cpu_engine();
    auto &s = ideep::stream::default_stream();
    ideep::tensor &wi = at::native::itensor_from_mkldnn(weight);
    auto wd = wi.get_dims();
    memory::dims wdims(wd.begin(), wd.end());
    memory::dims src(key.begin(), key.end() - 1);
    TORCH_CHECK(wdims.size() == 4 && wdims[2] == 3 && wdims[3] == 3 && src.size() == 4 && src[1] == wdims[1],
                "tunetorch::winograd_conv2d: weights of ", wdims.size(), " dimensions for an input of ",
                src.size(), ": want [o, c, 3, 3] and [n, c, h, w]");
    auto plan = std::make_shared<Plan>();
    // A batch of a few images (NewNet's probe of one, a last batch) runs
    // direct, on the weights as they are: Winograd's 4x larger copy of them
    // would cost more memory than it saves time.
    auto held = wi.get_desc();
    plan->pd = describe(src, wdims, src[0] >= kMinWinogradBatch, &plan->winograd, &held);
    plan->conv = dnnl::convolution_forward(plan->pd);
    std::vector<int64_t> out_key(key);
    out_key[1] = wdims[0];
    plan->paddable = plan->winograd && plan->pd.src_desc() == blocked(key, src[1]) &&
                     plan->pd.dst_desc() == blocked(out_key, wdims[0]);
    // The weights as they are where the primitive reads their layout, else
    // shared with a plan that reads the same one (Winograd's are 4x the
    // direct ones: 38 MB for a 512-channel layer), else made.
    if (plan->pd.weights_desc() == wi.get_desc()) {
      plan->weights = wi;
    } else {
      for (auto &kv : plans) {
        if (kv.second->pd.weights_desc() == plan->pd.weights_desc() && kv.second->pd.bias_desc() == plan->pd.bias_desc()) {
          plan->weights = kv.second->weights;
          plan->bias = kv.second->bias;
          break;
        }
      }
    }
    if (!plan->weights) {
      // Winograd's weight layout is reached from a plain one only. The
      // plain copy and the reorders' scratchpads (the transformed weights
      // again: 38 MB for a 512-channel layer) come from libtorch's CPU
      // allocator, as the convolutions' scratchpads do: the caching one
      // serves them from the activations' free memory, where oneDNN's own
      // would map them beside it, at the first batch's peak.
      memory::desc plain_desc(wdims, dt::f32, tag::oihw);
      c10::DataPtr plain_buffer = c10::GetCPUAllocator()->allocate(plain_desc.get_size());
      memory plain(plain_desc, eng, plain_buffer.get());
      reorder(wi, plain);
      plan->weights = memory(plan->pd.weights_desc(), eng);
      reorder(plain, plan->weights);
    }
    if (!plan->bias) {
      plan->bias = memory(plan->pd.bias_desc(), eng);
      if (bias.defined()) {
        ideep::tensor &bi = at::native::itensor_from_mkldnn(bias);
        dnnl::reorder(bi, plan->bias).execute(s, bi, plan->bias);
      } else {
        std::memset(plan->bias.get_data_handle(), 0, plan->pd.bias_desc().get_size());
      }
    }
    s.wait();
    plans.emplace_front(key, plan);
    // Two shapes at a time (a training batch and the last batch of the
    // validation or test set): each Winograd layout of the weights costs 4x
    // the direct ones (300 MB for ResNet-34's), the plan of a shape that
    // comes back is made again (a fraction of a second).
    if (plans.size() > kMaxPlans) plans.pop_back();
    return plan;
  }

  static constexpr size_t kMaxPlans = 2;
  static constexpr int64_t kMinWinogradBatch = 4;
  std::mutex mu;
  std::list<std::pair<std::vector<int64_t>, std::shared_ptr<Plan>>> plans;  // most recent first
};

namespace {

at::Tensor winograd_conv2d(const at::Tensor &x, const c10::intrusive_ptr<WinogradConv> &conv) {
  return conv->run(x);
}

TORCH_LIBRARY(tunetorch, m) {
  m.class_<WinogradConv>("WinogradConv");
  m.def("winograd_conv2d(Tensor x, __torch__.torch.classes.tunetorch.WinogradConv conv) -> Tensor",
        winograd_conv2d);
}

// The int list of a constant node input, or empty when it is not one.
std::vector<int64_t> int_list(torch::jit::Value *v) {
  auto iv = torch::jit::toIValue(v);
  if (!iv || !iv->isIntList()) return {};
  return iv->toIntVector();
}

// The oneDNN tensor of a prim::ConstantMKLDNNTensor input (undefined when
// the input is another node's, or None).
at::Tensor mkldnn_constant(torch::jit::Value *v) {
  auto *n = v->node();
  if (n->kind() != c10::Symbol::fromQualString("prim::ConstantMKLDNNTensor")) return {};
  return n->t(c10::attr::value);
}

// The forward graph's WinogradConv constants.
std::vector<c10::intrusive_ptr<WinogradConv>> convs_of(tt_module m) {
  std::vector<c10::intrusive_ptr<WinogradConv>> out;
  auto graph = tt::M(m).get_method("forward").graph();
  auto kind = c10::Symbol::fromQualString("tunetorch::winograd_conv2d");
  for (auto *n : graph->nodes()) {
    if (n->kind() != kind) continue;
    auto iv = torch::jit::toIValue(n->input(1));
    if (iv && iv->isCustomClass()) out.push_back(iv->toCustomClass<WinogradConv>());
  }
  return out;
}

}  // namespace

extern "C" {

int tt_winograd_available(char **why) {
  try {
    bool got = false;
    describe({1, 16, 8, 8}, {16, 16, 3, 3}, true, &got);
    if (got) return 2;
    *why = tt::dup_string(
        "oneDNN has no Winograd convolution for this CPU (its F(4x4, 3x3) kernels need AVX-512): "
        "the convolutions would run oneDNN's direct algorithm");
    return 1;
  } catch (const std::exception &e) {
    *why = tt::dup_string(std::string("oneDNN could not make a convolution: ") + e.what());
    return 1;
  }
}

tt_error tt_module_use_winograd(tt_module m, int64_t max_bytes, int64_t *replaced) {
  TT_TRY
  auto graph = tt::M(m).get_method("forward").graph();
  auto conv_kind = c10::Symbol::fromQualString("prim::mkldnn_convolution");
  auto winograd_kind = c10::Symbol::fromQualString("tunetorch::winograd_conv2d");
  std::vector<torch::jit::Node *> eligible;
  for (auto *n : graph->nodes()) {
    // prim::mkldnn_convolution(input, weight, bias, stride, padding, dilation, groups)
    if (n->kind() != conv_kind || n->inputs().size() != 7) continue;
    auto w = mkldnn_constant(n->input(1));
    auto groups = torch::jit::toIValue(n->input(6));
    bool bias_ok = n->input(2)->type()->kind() == c10::TypeKind::NoneType || mkldnn_constant(n->input(2)).defined();
    if (!w.defined() || w.dim() != 4 || w.size(2) != 3 || w.size(3) != 3 || w.scalar_type() != at::kFloat ||
        !bias_ok || int_list(n->input(3)) != std::vector<int64_t>{1, 1} ||
        int_list(n->input(4)) != std::vector<int64_t>{1, 1} || int_list(n->input(5)) != std::vector<int64_t>{1, 1} ||
        !groups || !groups->isInt() || groups->toInt() != 1)
      continue;
    eligible.push_back(n);
  }
  // Within max_bytes of Winograd weights (36 floats per input-output
  // channel pair: 4x the direct ones), the convolutions with the fewest
  // channels first: each does about the same work in a ResNet (its stages
  // halve the image as they double the channels), for a quarter of the next
  // stage's weights.
  auto winograd_bytes = [](torch::jit::Node *n) {
    auto w = mkldnn_constant(n->input(1));
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
    torch::jit::WithInsertPoint guard(n);
    auto conv = c10::make_intrusive<WinogradConv>(mkldnn_constant(n->input(1)), mkldnn_constant(n->input(2)));
    auto *ctx = graph->insertConstant(c10::IValue(conv));
    auto *node = graph->create(winograd_kind, {n->input(0), ctx});
    node->insertBefore(n);
    node->output()->setType(n->output()->type());
    n->output()->replaceAllUsesWith(node->output());
    n->destroy();
  }
  *replaced = static_cast<int64_t>(eligible.size());
  TT_CATCH
}

tt_error tt_module_winograd_counts(tt_module m, int64_t *winograd, int64_t *direct, int64_t *weight_bytes) {
  TT_TRY
  *winograd = *direct = *weight_bytes = 0;
  for (auto &c : convs_of(m)) c->counts(winograd, direct, weight_bytes);
  TT_CATCH
}

}  // extern "C"
