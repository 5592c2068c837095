// winograd_weights.cpp: oneDNN's Winograd F(4x4, 3x3) weight transform
// (winograd_weights.h), done by tunetorch.
//
// Each 3x3 kernel g becomes the 6x6 tile U = G g G^T with oneDNN's G (its
// scaled F(4x4, 3x3) matrix), computed as oneDNN's reorder computes it (rows
// of g times G^T accumulated from zero in kernel-column order, then G times
// those in kernel-row order; no fused multiply-adds), for 16 output channels
// at once, and written straight into the kernel's blocked layout.
#include "winograd_weights.h"

#include "huge_pages.h"
#include "onednn_conv.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstring>

namespace tt {

namespace {

constexpr int kR = 3;       // kernel side
constexpr int kAlpha = 6;   // tile side: 4 outputs + 3 - 1
constexpr int kLanes = 16;  // output channels per block (the layout's oc_block)

// oneDNN's G for F(4x4, 3x3), the rows scaled as its kernels expect.
const float kG[kAlpha][kR] = {{1.13777777777778f, 0.f, 0.f},
                              {-0.688403361344538f, -0.430252100840336f, -0.26890756302521f},
                              {-0.688403361344538f, 0.430252100840336f, -0.26890756302521f},
                              {0.119514472455649f, 0.179271708683473f, 0.26890756302521f},
                              {0.119514472455649f, -0.179271708683473f, 0.26890756302521f},
                              {0.f, 0.f, 1.f}};

}  // namespace

bool transform_winograd_weights(const dnnl::memory &from, const dnnl::memory &to) {
  const auto &src = from.get_desc().data;
  const auto &dst = to.get_desc().data;
  if (dst.format_kind != dnnl_format_kind_wino || dst.data_type != dnnl_f32) return false;
  const dnnl_wino_desc_t &w = dst.format_desc.wino_desc;
  if (w.wino_format != dnnl_wino_wei_OBaaIBOIio || w.r != kR || w.alpha != kAlpha || w.oc_block != kLanes ||
      w.ic_block <= 0 || w.ic2_block <= 0 || w.oc2_block <= 0 || w.oc % (kLanes * w.oc2_block) != 0 ||
      w.ic % (w.ic_block * w.ic2_block) != 0)
    return false;
  const int64_t oc = src.dims[0], ic = src.dims[1];
  if (oc > w.oc || ic > w.ic ||
      from.get_desc() != dnnl::memory::desc({oc, ic, kR, kR}, dnnl::memory::data_type::f32,
                                            dnnl::memory::format_tag::oihw))
    return false;
  const auto *weights = static_cast<const float *>(from.get_data_handle());
  auto *out = static_cast<float *>(to.get_data_handle());
  const int64_t oc_blocks = w.oc / kLanes, ic_chunk = int64_t(w.ic_block) * w.ic2_block;
  const int64_t ic_chunks = w.ic / ic_chunk;
  const int64_t used = int64_t(kAlpha) * kAlpha * w.oc * w.ic;
  if (static_cast<int64_t>(w.size) > used * int64_t(sizeof(float)))
    std::memset(out + used, 0, w.size - used * sizeof(float));
  at::parallel_for(0, oc_blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t block = first; block < last; ++block) {
      const int64_t occ = block / w.oc2_block, ob = block % w.oc2_block;
      for (int64_t c = 0; c < w.ic; ++c) {
        // g[t][o]: the kernel of output channel block*16 + o, input channel c.
        float g[kR * kR][kLanes];
        for (int o = 0; o < kLanes; ++o) {
          const int64_t co = block * kLanes + o;
          const float *k = co < oc && c < ic ? weights + (co * ic + c) * kR * kR : nullptr;
          for (int t = 0; t < kR * kR; ++t) g[t][o] = k != nullptr ? k[t] : 0.f;  // padding: zeros
        }
        // rows[h][j] = g's row h times G's row j, summed in column order.
        float rows[kR][kAlpha][kLanes];
        for (int h = 0; h < kR; ++h)
          for (int j = 0; j < kAlpha; ++j)
            for (int o = 0; o < kLanes; ++o) {
              float s = 0.f;
              s += g[h * kR + 0][o] * kG[j][0];
              s += g[h * kR + 1][o] * kG[j][1];
              s += g[h * kR + 2][o] * kG[j][2];
              rows[h][j][o] = s;
            }
        const int64_t icc = c / ic_chunk, ib = c % ic_chunk / w.ic_block, i = c % w.ic_block;
        for (int a = 0; a < kAlpha; ++a)
          for (int j = 0; j < kAlpha; ++j) {
            float *u = out + ((((((occ * kAlpha + a) * kAlpha + j) * ic_chunks + icc) * w.oc2_block + ob) *
                                   w.ic2_block + ib) * w.ic_block + i) * kLanes;
            for (int o = 0; o < kLanes; ++o) {
              float s = 0.f;
              s += kG[a][0] * rows[0][j][o];
              s += kG[a][1] * rows[1][j][o];
              s += kG[a][2] * rows[2][j][o];
              u[o] = s;
            }
          }
      }
    }
  });
  return true;
}

}  // namespace tt

namespace {

using dnnl::memory;

// oneDNN's Winograd convolution of batch images of size x size (32 of
// 14x14 unless told) with [oc, ic, 3, 3] weights, whose weights_desc is the
// layout to fill; an error where oneDNN has none for the shape on this CPU.
dnnl::convolution_forward::primitive_desc winograd_of(int64_t oc, int64_t ic, int64_t batch = 32, int64_t size = 14) {
  bool got = false;
  auto pd = tt::describe({batch, ic, size, size}, {oc, ic, 3, 3}, true, &got);
  TORCH_CHECK(got, "oneDNN has no Winograd convolution of ", batch, " images of ", size, "x", size, " with ", oc, "x",
              ic, "x3x3 weights on this CPU");
  return pd;
}

// The plain (oihw) memory of w, a contiguous float32 [oc, ic, 3, 3] tensor.
memory plain_of(const at::Tensor &w) {
  return memory(memory::desc({w.size(0), w.size(1), 3, 3}, memory::data_type::f32, memory::format_tag::oihw),
                ideep::engine::cpu_engine(), w.data_ptr<float>());
}

// Fills to with plain's Winograd weights: by tunetorch's transform (own),
// else by oneDNN's reorder.
void fill(const memory &plain, const memory &to, bool own) {
  if (!own) {
    tt::reorder(plain, to);  // as a plan does where the shim does not transform
    return;
  }
  TORCH_CHECK(tt::transform_winograd_weights(plain, to), "tunetorch does not transform the Winograd weights of ",
              plain.get_desc().dims()[0], "x", plain.get_desc().dims()[1],
              "x3x3 convolutions on this CPU (oneDNN's layout: format ",
              to.get_desc().data.format_desc.wino_desc.wino_format, ")");
}

}  // namespace

extern "C" {

tt_error tt_winograd_weights_compare(int64_t oc, int64_t ic, uint64_t seed, int64_t *compared, int64_t *differing) {
  TT_TRY
  auto pd = winograd_of(oc, ic);
  auto gen = at::detail::createCPUGenerator(seed);
  at::Tensor w = at::randn({oc, ic, 3, 3}, gen);
  // Zeros of both signs, which a sum started from +0 turns positive.
  auto *p = w.data_ptr<float>();
  for (int64_t i = 0; i < w.numel(); i += 7) p[i] = i % 2 == 0 ? 0.f : -0.f;
  auto &eng = ideep::engine::cpu_engine();
  memory plain = plain_of(w), theirs(pd.weights_desc(), eng), ours(pd.weights_desc(), eng);
  fill(plain, theirs, false);
  fill(plain, ours, true);
  size_t n = pd.weights_desc().get_size() / sizeof(uint32_t);
  auto *a = static_cast<const uint32_t *>(theirs.get_data_handle());
  auto *b = static_cast<const uint32_t *>(ours.get_data_handle());
  *compared = static_cast<int64_t>(n);
  *differing = 0;
  for (size_t i = 0; i < n; ++i) *differing += a[i] != b[i];
  TT_CATCH
}

tt_error tt_winograd_weights_time(int64_t oc, int64_t ic, int own, int64_t repeats, int64_t *nanoseconds) {
  TT_TRY
  auto pd = winograd_of(oc, ic);
  at::Tensor w = at::ones({oc, ic, 3, 3});
  memory plain = plain_of(w);
  auto &eng = ideep::engine::cpu_engine();
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < repeats; ++i) {
    tt::Mapping fresh(pd.weights_desc().get_size());  // fresh memory, as a plan's (onednn_conv.cpp)
    memory to(pd.weights_desc(), eng, fresh.data());
    fill(plain, to, own != 0);
  }
  *nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  TT_CATCH
}

tt_error tt_winograd_layouts_equal(int64_t oc, int64_t ic, int64_t size, int64_t batch_a, int64_t batch_b,
                                   int *equal) {
  TT_TRY
  auto a = winograd_of(oc, ic, batch_a, size), b = winograd_of(oc, ic, batch_b, size);
  *equal = a.weights_desc() == b.weights_desc() && a.bias_desc() == b.bias_desc();
  TT_CATCH
}

}  // extern "C"
