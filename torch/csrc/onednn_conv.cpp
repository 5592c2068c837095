// onednn_conv.cpp: tunetorch's oneDNN convolution (onednn_conv.h): its
// primitives, the tunetorch::conv2d operator that runs it, and the graph
// helpers the passes share.
#include "onednn_conv.h"
#include "huge_pages.h"
#include "winograd_avx2.h"
#include "winograd_weights.h"

#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>

#include <algorithm>

namespace tt {

using tag = memory::format_tag;
using dt = memory::data_type;

// The primitive for one input shape, with the weights and bias in the
// layouts it reads.
struct Plan {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory weights, bias;
  // The weights' memory where the plan made them (Winograd's: large, kept
  // while a plan reads them, in huge pages where the kernel has them).
  std::shared_ptr<Mapping> weights_memory;
  // The optimised graph's weights where the plan reads them as they are (a
  // direct plan's): held, so that a release leaves them to a plan still
  // running.
  at::Tensor module_weights;
  bool winograd = false;
  // Its input and output lay the images out one after the other (nChw16c):
  // a smaller batch can run on it, padded.
  bool paddable = false;
  // tunetorch's Winograd (winograd_avx2.h), not a oneDNN primitive: no pd
  // or conv; weights holds the transformed weights, which serve every batch
  // and image size.
  bool own = false;
};

namespace {

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

}  // namespace

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

dnnl::convolution_forward::primitive_desc describe(const memory::dims &src, const memory::dims &wei, bool winograd,
                                                   bool *got_winograd, const memory::desc *held, const Geometry &g) {
  auto &eng = ideep::engine::cpu_engine();
  memory::dims dst{src[0], wei[0], (src[2] + 2 * g.padding[0] - wei[2]) / g.stride[0] + 1,
                   (src[3] + 2 * g.padding[1] - wei[3]) / g.stride[1] + 1};
  // The scratchpad comes with each call (as ideep does for libtorch's own
  // primitives): oneDNN's library-held one is shared between the threads
  // that create and run primitives, which Go's calls move between.
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (g.sum || g.relu) {
    dnnl::post_ops ops;
    if (g.sum) ops.append_sum(1.f);
    if (g.relu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  auto make = [&](dnnl::algorithm alg, const memory::desc &weights) {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, alg, memory::desc(src, dt::f32, tag::any),
                                      weights, memory::desc({wei[0]}, dt::f32, tag::x),
                                      memory::desc(dst, dt::f32, tag::any), {g.stride[0], g.stride[1]},
                                      {g.padding[0], g.padding[1]}, {g.padding[0], g.padding[1]});
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

at::Tensor Convolution::run(const at::Tensor &x, const c10::optional<at::Tensor> &residual) {
  std::vector<int64_t> key;
  auto y = convolve(x, residual, &key);
  // Once, after a release_direct_weights that could not let go at once (no
  // lock taken on the batches after it): the plan of the batch size asked
  // for, which lets go of the direct weights as it is made (plan_for), now
  // that this run is done with them; a direct one (no Winograd kernel for
  // the shape) leaves them.
  if (release_pending.exchange(false)) {
    int64_t batch;
    {
      std::lock_guard<std::mutex> lock(mu);
      batch = release_batch;
    }
    key[0] = batch;
    plan_for(key);
  }
  return y;
}

at::Tensor Convolution::convolve(const at::Tensor &x, const c10::optional<at::Tensor> &residual,
                                 std::vector<int64_t> *planned_key) {
  // libtorch reads oneDNN tensors below autograd only (as its own
  // MkldnnCPU kernels run).
  at::AutoDispatchBelowADInplaceOrView below_autograd;
  TORCH_CHECK(x.is_mkldnn(), "tunetorch::conv2d: the input is not a oneDNN tensor (", x.layout(),
              "): the convolution belongs in a graph optimised for inference");
  TORCH_CHECK(x.scalar_type() == at::kFloat, "tunetorch::conv2d: float32 input only, got ",
              x.scalar_type());
  ideep::tensor &xi = at::native::itensor_from_mkldnn(x);
  auto d = xi.get_dims();
  // oneDNN sizes a primitive's work for the threads of its creation: one
  // per input shape and thread count.
  std::vector<int64_t> key(d.begin(), d.end());
  key.push_back(at::get_num_threads());
  // The residual is added in the convolution when it has the output's
  // shape (ResNet's); else (a broadcast) after it, as the graph did.
  bool fused = true;
  ideep::tensor *ri = nullptr;  // the residual's, where geometry.sum
  if (geometry.sum) {
    TORCH_CHECK(residual.has_value() && residual->is_mkldnn() && residual->scalar_type() == at::kFloat,
                "tunetorch::conv2d: the residual is not a float32 oneDNN tensor");
    ri = &at::native::itensor_from_mkldnn(*residual);
    auto rd = ri->get_dims();
    fused = memory::dims(rd.begin(), rd.end()) == out_dims(key);
  }
  key.push_back(fused);
  *planned_key = key;
  auto plan = plan_for(key);
  if (plan->own) return convolve_own(*plan, x, xi, key, residual, ri, fused);
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
  if (geometry.sum && fused && overwrite_residual && planned == n && ri->get_desc() == dst_desc) {
    // The residual is not read after this: the sum post-op adds the
    // convolution to it where it lies, as aten::add_ did to the output.
    execute(*plan, src, *ri);
    return *residual;
  }
  ideep::tensor out(dst_desc, eng);
  if (geometry.sum && fused) {  // the sum post-op adds to what the output holds
    if (planned == n) {
      dnnl::reorder(*ri, out).execute(s, *ri, out);
    } else {
      memory head(blocked(key, dst_desc.dims()[1]), eng, out.get_data_handle());
      dnnl::reorder(*ri, head).execute(s, *ri, head);
    }
  }
  execute(*plan, src, out);
  if (planned != n) {  // the padded batch's first n outputs
    ideep::tensor head(blocked(key, dst_desc.dims()[1]), eng);
    std::memcpy(head.get_data_handle(), out.get_data_handle(), head.get_desc().get_size());
    out = std::move(head);
  }
  auto y = at::native::new_with_itensor_mkldnn(std::move(out), at::kFloat, x.device());
  return fused ? y : add_broadcast(y, *residual);
}

at::Tensor Convolution::add_broadcast(const at::Tensor &y, const at::Tensor &residual) const {
  auto sum = y.to_dense().add_(residual.to_dense());
  if (geometry.relu) sum.relu_();
  return sum.to_mkldnn();
}

at::Tensor Convolution::convolve_own(const Plan &plan, const at::Tensor &x, ideep::tensor &xi,
                                     const std::vector<int64_t> &key, const c10::optional<at::Tensor> &residual,
                                     ideep::tensor *ri, bool fused) {
  auto &eng = ideep::engine::cpu_engine();
  auto &s = ideep::stream::default_stream();
  const int64_t k = weight_dims[0];
  const WinogradShape shape{key[0], key[1], key[2], key[3], k};
  // nChw8c in and out: what oneDNN's direct convolutions use on AVX2 CPUs
  // (elsewhere, where this kernel was asked for, a reorder each way).
  auto src_desc = blocked(key, key[1], tag::nChw8c);
  memory src = xi;
  c10::DataPtr src_buffer;
  if (xi.get_desc() != src_desc) {
    src_buffer = c10::GetCPUAllocator()->allocate(src_desc.get_size());
    src = memory(src_desc, eng, src_buffer.get());
    dnnl::reorder(xi, src).execute(s, xi, src);
    s.wait();
  }
  const auto *in = static_cast<const float *>(src.get_data_handle());
  const auto *u = static_cast<const float *>(plan.weights.get_data_handle());
  const auto *bias_data = static_cast<const float *>(plan.bias.get_data_handle());
  const Geometry g = geometry_for(key);  // nothing fused where the residual is broadcast
  auto dst_desc = blocked(key, k, tag::nChw8c);
  if (g.sum && overwrite_residual && ri->get_desc() == dst_desc) {
    // As convolve: the residual, read by no node after this one, takes the
    // output where it lies.
    auto *r = static_cast<float *>(ri->get_data_handle());
    winograd_avx2_forward(shape, in, u, bias_data, r, g.relu, r);
    return *residual;
  }
  ideep::tensor out(dst_desc, eng);
  auto *y = static_cast<float *>(out.get_data_handle());
  const float *added = nullptr;
  if (g.sum) {
    if (ri->get_desc() == dst_desc) {
      added = static_cast<const float *>(ri->get_data_handle());
    } else {  // in the output's layout first, added where it lies
      dnnl::reorder(*ri, out).execute(s, *ri, out);
      s.wait();
      added = y;
    }
  }
  winograd_avx2_forward(shape, in, u, bias_data, added, g.relu, y);
  auto result = at::native::new_with_itensor_mkldnn(std::move(out), at::kFloat, x.device());
  return fused ? result : add_broadcast(result, *residual);
}

void Convolution::counts(int64_t *winograd, int64_t *direct, int64_t *made) {
  std::lock_guard<std::mutex> lock(mu);
  at::AutoDispatchBelowADInplaceOrView below_autograd;  // as run's itensor_from_mkldnn needs
  std::vector<void *> seen;
  std::vector<const Plan *> counted;  // a batch padded into a larger batch's plan has no plan of its own
  if (weight.defined()) seen.push_back(at::native::itensor_from_mkldnn(weight).get_data_handle());
  for (auto &kv : plans) {
    if (std::find(counted.begin(), counted.end(), kv.second.get()) != counted.end()) continue;
    counted.push_back(kv.second.get());
    ++*(kv.second->winograd ? winograd : direct);
    void *w = kv.second->weights.get_data_handle();
    if (std::find(seen.begin(), seen.end(), w) != seen.end()) continue;
    seen.push_back(w);
    *made += static_cast<int64_t>(kv.second->weights.get_desc().get_size());
  }
}

// Runs plan's convolution of src into dst, with a scratchpad of its own.
void Convolution::execute(const Plan &plan, const memory &src, const memory &dst) {
  auto &eng = ideep::engine::cpu_engine();
  auto &s = ideep::stream::default_stream();
  auto pad_desc = plan.pd.scratchpad_desc();
  Scratchpad buffer(pad_desc.get_size());
  memory scratchpad(pad_desc, eng, buffer.data);
  plan.conv.execute(s, {{DNNL_ARG_SRC, src},
                        {DNNL_ARG_WEIGHTS, plan.weights},
                        {DNNL_ARG_BIAS, plan.bias},
                        {DNNL_ARG_DST, dst},
                        {DNNL_ARG_SCRATCHPAD, scratchpad}});
  s.wait();
}

// The output's dimensions for key's input.
memory::dims Convolution::out_dims(const std::vector<int64_t> &key) {
  const auto &wd = weight_dims;
  return {key[0], wd[0], (key[2] + 2 * geometry.padding[0] - wd[2]) / geometry.stride[0] + 1,
          (key[3] + 2 * geometry.padding[1] - wd[3]) / geometry.stride[1] + 1};
}

// The blocked layout (nChw16c unless said) of a [key[0], channels, key[2],
// key[3]] tensor.
memory::desc Convolution::blocked(const std::vector<int64_t> &key, int64_t channels, memory::format_tag layout) {
  return memory::desc({key[0], channels, key[2], key[3]}, dt::f32, layout);
}

// The plan for key (the input's dimensions, then the thread count): its
// own, else, for a batch Winograd would run (any, once the direct weights
// are released), one that reads the Winograd weights of a plan of a larger
// batch of the same images (the last batch of the validation or test set
// then adds no weights and computes its own images only), else that plan,
// the batch padded where the plan's layout allows, else a new one.
std::shared_ptr<Plan> Convolution::plan_for(const std::vector<int64_t> &key) {
  std::lock_guard<std::mutex> lock(mu);
  auto found = plans.end();
  for (auto it = plans.begin(); it != plans.end(); ++it) {
    const auto &k = it->first;
    if (k == key) {
      found = it;
      break;
    }
    if (found == plans.end() && (key[0] >= kMinWinogradBatch || kept) && it->second->paddable && k[0] > key[0] &&
        std::equal(k.begin() + 1, k.end(), key.begin() + 1))
      found = it;  // a larger batch's, unless the exact one comes later
  }
  if (found != plans.end() && found->first == key) {
    if (found != plans.begin()) plans.splice(plans.begin(), plans, found);  // most recent first
    return found->second;
  }
  at::AutoDispatchBelowADInplaceOrView below_autograd;
  auto &s = ideep::stream::default_stream();
  memory::dims wdims(weight_dims.begin(), weight_dims.end());
  memory::dims src(key.begin(), key.end() - 2);
  TORCH_CHECK(wdims.size() == 4 && src.size() == 4 && src[1] == wdims[1], "tunetorch::conv2d: weights of ",
              wdims.size(), " dimensions for an input of ", src.size(), ": want [o, c, kh, kw] and [n, c, h, w]");
  std::shared_ptr<Plan> plan;
  if (found != plans.end()) {
    // Remembered for key either way (padded: that plan, under key), so that
    // the next batch of this size finds it at once.
    plan = sharing(key, *found->second);
    if (!plan) plan = found->second;
  } else if (kept) {
    // The direct weights are gone: Winograd, on the Winograd weights kept
    // (tunetorch's serve every batch).
    plan = kept->own ? kept : sharing(key, *kept);
    TORCH_CHECK(plan, "tunetorch::conv2d: this convolution released its direct weights (Module.ReleaseDirectWeights) "
                "and an input of ", c10::IntArrayRef(src), " needs them (oneDNN reads other weights for it): load the "
                "module again to run inputs of that shape");
  } else {
    // A batch of a few images (NewNet's probe of one, a last batch) runs
    // direct, on the weights as they are: Winograd's 4x larger copy of them
    // would cost more memory than it saves time. tunetorch's Winograd plan,
    // once made, serves every larger batch.
    bool wants_winograd = winograd && src[0] >= kMinWinogradBatch;
    if (own && wants_winograd)
      for (auto &kv : plans)
        if (kv.second->own) {
          plan = kv.second;
          break;
        }
    if (!plan) {
      plan = std::make_shared<Plan>();
      ideep::tensor &wi = at::native::itensor_from_mkldnn(weight);
      if (own && wants_winograd) {
        plan->own = plan->winograd = true;
        make_own_weights(*plan, wi);
      } else {
        auto held = wi.get_desc();
        plan->pd = describe(src, wdims, wants_winograd && !own, &plan->winograd, &held, geometry_for(key));
        plan->conv = dnnl::convolution_forward(plan->pd);
        make_weights(*plan, wi);
        plan->paddable = paddable(*plan, key);
      }
    }
  }
  s.wait();
  plans.emplace_front(key, plan);
  // A few shapes at a time (a training batch, the last batch of the
  // validation or test set), and two layouts of the weights besides the
  // module's at most: each Winograd layout costs 4x the direct weights (300
  // MB for ResNet-34's). The plan of a shape that comes back is made again
  // (a fraction of a second).
  while (plans.size() > kMaxPlans || weight_copies() > kMaxWeightCopies) plans.pop_back();
  if (release_batch > 0 && !kept && plan->winograd && key[0] == release_batch) release_direct(plan);
  return plan;
}

// The geometry key's plan runs: what is fused after the convolution, none of
// it where the residual is broadcast (added after, as the graph did).
Geometry Convolution::geometry_for(const std::vector<int64_t> &key) const {
  Geometry g = geometry;
  if (!key.back()) g.sum = g.relu = false;
  return g;
}

// Whether plan lays its input and output out image after image (nChw16c),
// so that a smaller batch can run on it padded.
bool Convolution::paddable(const Plan &plan, const std::vector<int64_t> &key) const {
  std::vector<int64_t> out_key(key);
  out_key[1] = weight_dims[0];
  return plan.winograd && plan.pd.src_desc() == blocked(key, key[1]) &&
         plan.pd.dst_desc() == blocked(out_key, weight_dims[0]);
}

// A Winograd plan for key that reads with's weights and bias (with: a
// Winograd plan, on weights it made), or null where oneDNN's Winograd
// primitive for key reads another layout of them (it depends on the batch
// and image size). mu is held.
std::shared_ptr<Plan> Convolution::sharing(const std::vector<int64_t> &key, const Plan &with) {
  memory::dims src(key.begin(), key.end() - 2);
  bool winograd_pd = false;
  auto pd = describe(src, weight_dims, true, &winograd_pd, nullptr, geometry_for(key));  // memory::dims is vector<int64_t>
  if (!winograd_pd || pd.weights_desc() != with.pd.weights_desc() || pd.bias_desc() != with.pd.bias_desc())
    return nullptr;
  auto plan = std::make_shared<Plan>();
  plan->pd = pd;
  plan->conv = dnnl::convolution_forward(pd);
  plan->winograd = true;
  plan->weights = with.weights;
  plan->weights_memory = with.weights_memory;
  plan->bias = with.bias;
  plan->paddable = paddable(*plan, key);
  return plan;
}

// How many layouts of the weights the plans held made besides the module's
// (each Winograd one 4x its size).
size_t Convolution::weight_copies() const {
  std::vector<const Mapping *> seen;
  for (auto &kv : plans) {
    const Mapping *m = kv.second->weights_memory.get();
    if (m != nullptr && std::find(seen.begin(), seen.end(), m) == seen.end()) seen.push_back(m);
  }
  return seen.size();
}

// Gives plan its weights and bias from wi, the direct weights: wi itself
// where the primitive reads its layout, else shared with a plan that reads
// the same one (Winograd's are 4x the direct ones: 38 MB for a 512-channel
// layer), else made. mu is held.
void Convolution::make_weights(Plan &plan, ideep::tensor &wi) {
  auto &eng = ideep::engine::cpu_engine();
  if (plan.pd.weights_desc() == wi.get_desc()) {
    plan.weights = wi;
    plan.module_weights = weight;
  } else {
    for (auto &kv : plans) {
      if (kv.second->own) continue;  // no primitive, another layout
      auto &other = kv.second->pd;
      if (other.weights_desc() == plan.pd.weights_desc() && other.bias_desc() == plan.pd.bias_desc()) {
        plan.weights = kv.second->weights;
        plan.weights_memory = kv.second->weights_memory;
        plan.bias = kv.second->bias;
        break;
      }
    }
  }
  if (!plan.weights) {
    // From a plain copy of the weights (the optimised graph holds them in a
    // blocked layout for the direct algorithm): Winograd's transformed by
    // tunetorch (winograd_weights.h), another layout (a direct one, or
    // Winograd's on another ISA) by oneDNN's reorder, which reaches
    // Winograd's from a plain one only. The plain copy and a reorder's
    // scratchpad (the transformed weights again: 38 MB for a 512-channel
    // layer) come from libtorch's CPU allocator, as the convolutions'
    // scratchpads do: the caching one serves them from the activations'
    // free memory, where oneDNN's own would map them beside it, at the
    // first batch's peak.
    memory::dims wdims(weight_dims.begin(), weight_dims.end());
    memory::desc plain_desc(wdims, dt::f32, tag::oihw);
    c10::DataPtr plain_buffer = c10::GetCPUAllocator()->allocate(plain_desc.get_size());
    memory plain(plain_desc, eng, plain_buffer.get());
    reorder(wi, plain);
    plan.weights_memory = std::make_shared<Mapping>(plan.pd.weights_desc().get_size());
    plan.weights = memory(plan.pd.weights_desc(), eng, plan.weights_memory->data());
    if (!transform_winograd_weights(plain, plan.weights)) reorder(plain, plan.weights);
  }
  if (!plan.bias) make_bias(plan, plan.pd.bias_desc());
}

void Convolution::make_bias(Plan &plan, const memory::desc &layout) {
  plan.bias = memory(layout, ideep::engine::cpu_engine());
  if (bias.defined()) {
    reorder(at::native::itensor_from_mkldnn(bias), plan.bias);
  } else {
    std::memset(plan.bias.get_data_handle(), 0, layout.get_size());
  }
}

void Convolution::make_own_weights(Plan &plan, ideep::tensor &wi) {
  auto &eng = ideep::engine::cpu_engine();
  memory::dims wdims(weight_dims.begin(), weight_dims.end());
  memory::desc plain_desc(wdims, dt::f32, tag::oihw);
  c10::DataPtr plain_buffer = c10::GetCPUAllocator()->allocate(plain_desc.get_size());
  memory plain(plain_desc, eng, plain_buffer.get());
  reorder(wi, plain);
  const int64_t floats = static_cast<int64_t>(winograd_avx2_weight_floats(wdims[0], wdims[1]));
  plan.weights_memory = std::make_shared<Mapping>(size_t(floats) * sizeof(float));
  plan.weights = memory(memory::desc({floats}, dt::f32, tag::a), eng, plan.weights_memory->data());
  winograd_avx2_weights(static_cast<const float *>(plain.get_data_handle()), wdims[0], wdims[1],
                        static_cast<float *>(plan.weights_memory->data()));
  make_bias(plan, memory::desc({wdims[0]}, dt::f32, tag::x));
}

bool Convolution::release_direct_weights(int64_t batch) {
  TORCH_CHECK(batch >= kMinWinogradBatch, "tunetorch::conv2d: the direct weights go once a Winograd plan of ",
              kMinWinogradBatch, " images or more is made: a batch of ", batch, " runs direct");
  std::lock_guard<std::mutex> lock(mu);
  if (!winograd || kept) return winograd;
  release_batch = batch;
  for (auto &kv : plans) {
    if (kv.second->winograd && kv.first[0] == batch) {  // its own plan, or a larger batch's it runs padded on
      release_direct(kv.second);
      return true;
    }
  }
  release_pending = true;
  return true;
}

void Convolution::release_direct(const std::shared_ptr<Plan> &plan) {
  // The direct primitives read weight's memory (a small batch's, NewNet's
  // probe): they go with it.
  plans.remove_if([](const std::pair<std::vector<int64_t>, std::shared_ptr<Plan>> &kv) { return !kv.second->winograd; });
  kept = plan;
  release_pending = false;
  weight = at::Tensor();  // freed once no running plan holds it (Plan::module_weights)
}

namespace {

at::Tensor conv2d(const at::Tensor &x, const c10::optional<at::Tensor> &residual,
                  const c10::intrusive_ptr<Convolution> &conv) {
  return conv->run(x, residual);
}

TORCH_LIBRARY(tunetorch, m) {
  m.class_<Convolution>("Convolution");
  m.def("conv2d(Tensor x, Tensor? residual, __torch__.torch.classes.tunetorch.Convolution conv) -> Tensor", conv2d);
}

}  // namespace

c10::Symbol conv_kind() {
  static const auto kind = c10::Symbol::fromQualString("tunetorch::conv2d");
  return kind;
}

c10::intrusive_ptr<Convolution> convolution_of(torch::jit::Node *n) {
  if (n->kind() != conv_kind()) return {};
  auto iv = torch::jit::toIValue(n->input(2));
  if (!iv || !iv->isCustomClass()) return {};
  return iv->toCustomClass<Convolution>();
}

Constants mkldnn_convolution(torch::jit::Node *n) {
  // prim::mkldnn_convolution(input, weight, bias, stride, padding, dilation, groups)
  static const auto kind = c10::Symbol::fromQualString("prim::mkldnn_convolution");
  if (n->kind() != kind || n->inputs().size() != 7) return {};
  Constants c;
  auto w = mkldnn_constant(n->input(1));
  auto groups = torch::jit::toIValue(n->input(6));
  bool no_bias = n->input(2)->type()->kind() == c10::TypeKind::NoneType;
  auto b = mkldnn_constant(n->input(2));
  auto stride = int_list(n->input(3)), padding = int_list(n->input(4));
  if (!w.defined() || w.dim() != 4 || w.scalar_type() != at::kFloat || (!no_bias && !b.defined()) ||
      stride.size() != 2 || padding.size() != 2 || int_list(n->input(5)) != std::vector<int64_t>{1, 1} || !groups ||
      !groups->isInt() || groups->toInt() != 1)
    return {};
  c.weight = w;
  c.bias = b;
  c.geometry.stride = memory::dims(stride.begin(), stride.end());
  c.geometry.padding = memory::dims(padding.begin(), padding.end());
  return c;
}

Constants convolution_constants(torch::jit::Node *n) {
  if (auto conv = convolution_of(n)) return {conv->weight, conv->bias, conv->geometry};
  return mkldnn_convolution(n);
}

torch::jit::Node *replace_with_convolution(const std::shared_ptr<torch::jit::Graph> &graph, torch::jit::Node *n,
                                           bool winograd) {
  auto c = mkldnn_convolution(n);
  torch::jit::WithInsertPoint guard(n);
  auto conv = c10::make_intrusive<Convolution>(c.weight, c.bias, c.geometry, winograd);
  auto *ctx = graph->insertConstant(c10::IValue(conv));
  auto *none = graph->insertConstant(c10::IValue());
  auto *node = graph->create(conv_kind(), {n->input(0), none, ctx});
  node->insertBefore(n);
  node->output()->setType(n->output()->type());
  n->output()->replaceAllUsesWith(node->output());
  // The weights' and bias's constants go with n: left unused in the graph,
  // they would keep the weights alive in every copy the graph executor
  // makes of it, whatever the convolution lets go (release_direct_weights).
  torch::jit::Node *constants[] = {n->input(1)->node(), n->input(2)->node()};
  n->destroy();
  for (auto *c : constants)
    if (c->kind() == c10::Symbol::fromQualString("prim::ConstantMKLDNNTensor") && c->output()->uses().empty())
      c->destroy();
  return node;
}

std::vector<c10::intrusive_ptr<Convolution>> convolutions_of(tt_module m) {
  std::vector<c10::intrusive_ptr<Convolution>> out;
  auto graph = tt::M(m).get_method("forward").graph();
  for (auto *n : graph->nodes())
    if (auto conv = convolution_of(n)) out.push_back(conv);
  return out;
}

}  // namespace tt
