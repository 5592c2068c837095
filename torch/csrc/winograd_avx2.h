// winograd_avx2.h: tunetorch's own Winograd F(4x4, 3x3) convolution for
// CPUs with AVX2 and FMA (winograd_avx2.cpp), where oneDNN (2.x) has
// Winograd kernels for AVX-512 only: the 3x3, stride-1, padding-1
// convolutions that do 93% of a ResNet-34's multiplications, with 4x fewer
// of them.
//
// Activations are oneDNN's AVX2 blocked layout, nChw8c (what its direct
// convolutions read and write on such CPUs: no reorder around it); the
// weights are transformed once into a layout of tunetorch's. One call does
// a batch of any size: the transformed weights do not depend on it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tt {

// Whether this CPU runs winograd_avx2_forward (x86-64 with AVX2 and FMA).
bool winograd_avx2_supported();

// Whether a convolution of c input and k output channels can run on it:
// c a multiple of 8, k of 16.
bool winograd_avx2_fits(int64_t c, int64_t k);

// The float32 values of the transformed weights of k x c 3x3 kernels: 36
// per pair, 4x the direct ones.
constexpr size_t winograd_avx2_weight_floats(int64_t k, int64_t c) { return size_t(36) * k * c; }

// Writes into u (winograd_avx2_weight_floats(k, c) floats) the transform
// G g G^T of each 3x3 kernel g of w, float32 [k, c, 3, 3] (oihw), computed
// in double precision, split over libtorch's threads.
void winograd_avx2_weights(const float *w, int64_t k, int64_t c, float *u);

// The shape of one convolution: n images of c channels, h x w, into k
// channels of the same size.
struct WinogradShape {
  int64_t n, c, h, w, k;
};

// y = ReLU?(conv(x) + bias + residual?), x [n, c, h, w] and y, residual [n,
// k, h, w] float32 in nChw8c, u the transformed weights, bias k floats or
// null, residual null or of the output's shape (it may be y itself: each
// value is read before it is written). The work splits over libtorch's
// threads; scratch (transformed tiles: 4 MB, or half the transformed
// weights, at most 32 MB, where those take over 16 MB) comes from libtorch's
// CPU allocator.
void winograd_avx2_forward(const WinogradShape &s, const float *x, const float *u, const float *bias,
                           const float *residual, bool relu, float *y);

}  // namespace tt
