// onednn_conv.h: tunetorch's oneDNN convolution for modules frozen and
// optimised for inference, and what the graph passes over them share.
//
// torch.jit.optimize_for_inference turns a frozen graph's convolutions into
// prim::mkldnn_convolution nodes on oneDNN tensors, which run oneDNN's direct
// algorithm and leave what follows them (a ReLU, a ResNet block's residual
// sum) to nodes of their own. A tunetorch::conv2d node reads and writes the
// same oneDNN tensors (no layout change around it) and runs a Convolution:
// Winograd where winograd.cpp allowed it, on oneDNN's kernels where it has
// them for the CPU and the shape (AVX-512 CPUs) or on tunetorch's
// (winograd_avx2.h: AVX2 CPUs, or asked for), direct otherwise, with what
// fuse.cpp folded into it as oneDNN post-ops (tunetorch's kernel applies
// them itself). Built only against a libtorch that uses the system's
// oneDNN 2.x (Debian's), whose headers (libdnnl-dev) and ideep
// (libideep-dev) describe the very tensors libtorch makes; CMakeLists.txt
// picks winograd_stub.cpp elsewhere.
#pragma once

#include <ideep.hpp>
#include <torch/custom_class.h>
#include <torch/script.h>

#include <atomic>
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

namespace tt {

using dnnl::memory;

struct Plan;  // a primitive for one input shape (onednn_conv.cpp)

// A convolution's strides and padding, and the operations fused after it
// (fuse.cpp): the addition of a tensor of the output's shape (a residual),
// then ReLU.
struct Geometry {
  memory::dims stride{1, 1}, padding{1, 1};
  bool sum = false, relu = false;
};

// Copies from into to (layouts may differ) by oneDNN's reorder, with its
// scratchpad from libtorch's CPU allocator.
void reorder(const memory &from, const memory &to);

// Creates the convolution of a [n, c, h, w] float32 input with weights
// [o, c, kh, kw] and g's strides, padding and post-ops: Winograd when
// allowed and oneDNN has it here (3x3, stride 1), direct otherwise. A
// direct one reads the weights in the layout held, when given and oneDNN
// takes it for the shape: a copy of them in the layout it would prefer
// costs as much memory again (78 MB for ResNet-34's 3x3 stride-1
// convolutions) for the few small batches that run direct.
dnnl::convolution_forward::primitive_desc describe(const memory::dims &src, const memory::dims &wei, bool winograd,
                                                   bool *got_winograd, const memory::desc *held = nullptr,
                                                   const Geometry &g = Geometry{});

// Convolution holds one convolution's weights and bias (the oneDNN tensors
// the optimised graph had as constants), what is fused after it, and its
// primitives, one per input shape (the last batch of an epoch is often
// smaller) and thread count, for the last few shapes run: a smaller batch
// has one of its own where it reads a larger batch's Winograd weights,
// else runs on that batch's, padded. Shared by the
// threads that run the module: the plans are made under a lock.
struct Convolution : torch::CustomClassHolder {
  Convolution(at::Tensor w, at::Tensor b, Geometry g, bool winograd)
      : weight(std::move(w)), bias(std::move(b)), geometry(std::move(g)), winograd(winograd),
        weight_dims(weight.sizes().vec()) {}

  // The convolution of x (a float32 oneDNN tensor), with the residual added
  // where geometry.sum.
  at::Tensor run(const at::Tensor &x, const c10::optional<at::Tensor> &residual);

  // How many of the primitives held run Winograd, and how many direct; adds
  // to *made the bytes of the weight layouts the plans hold besides the one
  // the convolution came with (each counted once).
  void counts(int64_t *winograd, int64_t *direct, int64_t *made);

  // Asks a convolution that may run Winograd to let go of its direct
  // weights (weight, and its direct primitives) once it has made its
  // Winograd primitive for batches of batch images (at least
  // kMinWinogradBatch) and the image size it runs: at once where it has,
  // else after its next run, of any batch (NewNet's probe of one image),
  // which makes it. Returns whether it will (false: it runs direct only).
  // From then on it runs Winograd only, on primitives that read the
  // Winograd weights it holds (oneDNN's layout of them depends on the batch
  // and image size): a batch's own where its layout is the same, else, for
  // a smaller batch, a larger one's of the same images and threads,
  // padded; a batch that needs other weights is an error.
  bool release_direct_weights(int64_t batch);

  at::Tensor weight, bias;  // oneDNN tensors; bias may be undefined, weight too once released
  Geometry geometry;
  bool winograd;                    // whether it may run Winograd
  bool own = false;                 // whether its Winograd is tunetorch's (winograd_avx2.h), not oneDNN's
  bool overwrite_residual = false;  // whether no node reads the residual after this one

 private:
  // The convolution of x (run's), the key of the plan it ran on in *planned_key.
  at::Tensor convolve(const at::Tensor &x, const c10::optional<at::Tensor> &residual, std::vector<int64_t> *planned_key);
  // Lets go of the direct weights and primitives, keeping plan's Winograd
  // weights; mu is held.
  void release_direct(const std::shared_ptr<Plan> &plan);
  // Gives plan its weights and bias from wi, the direct weights; mu is held.
  void make_weights(Plan &plan, ideep::tensor &wi);
  // Gives plan, tunetorch's Winograd, its transformed weights and bias from
  // wi; mu is held.
  void make_own_weights(Plan &plan, ideep::tensor &wi);
  // Gives plan the bias (zeros where the convolution has none) in layout;
  // mu is held.
  void make_bias(Plan &plan, const memory::desc &layout);
  // y + residual, a residual of another shape (broadcast: not fused), then
  // the ReLU where the graph had one: what the graph did after the
  // convolution.
  at::Tensor add_broadcast(const at::Tensor &y, const at::Tensor &residual) const;
  // run's convolution on tunetorch's Winograd plan.
  at::Tensor convolve_own(const Plan &plan, const at::Tensor &x, ideep::tensor &xi, const std::vector<int64_t> &key,
                          const c10::optional<at::Tensor> &residual, ideep::tensor *ri, bool fused);
  static void execute(const Plan &plan, const memory &src, const memory &dst);
  memory::dims out_dims(const std::vector<int64_t> &key);
  static memory::desc blocked(const std::vector<int64_t> &key, int64_t channels,
                              memory::format_tag layout = memory::format_tag::nChw16c);
  std::shared_ptr<Plan> plan_for(const std::vector<int64_t> &key);
  // What key's plan fuses after the convolution.
  Geometry geometry_for(const std::vector<int64_t> &key) const;
  // Whether a smaller batch can run on plan (key's), padded.
  bool paddable(const Plan &plan, const std::vector<int64_t> &key) const;
  // A Winograd plan for key on with's weights, or null where it needs
  // another layout of them; mu is held.
  std::shared_ptr<Plan> sharing(const std::vector<int64_t> &key, const Plan &with);
  // The layouts of the weights the plans made besides the module's; mu is held.
  size_t weight_copies() const;

  static constexpr size_t kMaxPlans = 8;
  static constexpr size_t kMaxWeightCopies = 2;
  static constexpr int64_t kMinWinogradBatch = 4;
  std::mutex mu;
  std::list<std::pair<std::vector<int64_t>, std::shared_ptr<Plan>>> plans;  // most recent first
  std::vector<int64_t> weight_dims;  // [o, c, kh, kw], kept when weight is released
  int64_t release_batch = 0;         // release_direct_weights's batch, 0 before it is called
  std::atomic<bool> release_pending{false};  // run makes release_batch's plan after it, once
  std::shared_ptr<Plan> kept;        // once released: the plan whose Winograd weights the new ones share
};

// The kind of the graph nodes that run a Convolution:
// tunetorch::conv2d(x, residual, conv).
c10::Symbol conv_kind();

// The Convolution of one of our nodes, else null.
c10::intrusive_ptr<Convolution> convolution_of(torch::jit::Node *n);

// A prim::mkldnn_convolution node's constants, when it is one we can run:
// float32 oneDNN weights of 4 dimensions, a oneDNN bias or none, constant
// strides and padding, no dilation, no groups. Else weight is undefined.
struct Constants {
  at::Tensor weight, bias;
  Geometry geometry;
};
Constants mkldnn_convolution(torch::jit::Node *n);

// The constants of a convolution node, one of ours (whatever it runs) or a
// prim::mkldnn_convolution we can run; else weight is undefined.
Constants convolution_constants(torch::jit::Node *n);

// Replaces prim::mkldnn_convolution node n (mkldnn_convolution(n) defined)
// with one of ours, which may run Winograd if winograd; returns the new node.
torch::jit::Node *replace_with_convolution(const std::shared_ptr<torch::jit::Graph> &graph, torch::jit::Node *n,
                                           bool winograd);

// The Convolutions of module m's forward graph.
std::vector<c10::intrusive_ptr<Convolution>> convolutions_of(tt_module m);

}  // namespace tt
