// winograd_weights.h: the weights of oneDNN's Winograd F(4x4, 3x3)
// convolution, transformed by tunetorch (winograd_weights.cpp).
#pragma once

#include <ideep.hpp>

namespace tt {

// Writes into to, a oneDNN memory in the layout of oneDNN's AVX-512 Winograd
// F(4x4, 3x3) weights (wino_wei_OBaaIBOIio, float32), the Winograd transform
// of from, float32 [oc, ic, 3, 3] weights laid out oihw: the values oneDNN's
// own reorder writes, to the bit (the same float operations in the same
// order), vectorised over 16 output channels, on the calling thread (its
// at::parallel_for runs serially: the file is built without OpenMP; built
// with it, on two threads, it measured no faster in stop 45, bound by the
// fresh pages it writes), without the reorder's scratch copy of every
// transformed weight.
// oneDNN's reorder does the same work one value at a time and then moves
// each value once more: 0.3-0.4 s for the 26 convolutions of dogbreed's
// default backbone on 2 cores, the largest cost of its first batch. Returns
// false, writing nothing, for any other pair of layouts (the caller then
// reorders).
bool transform_winograd_weights(const dnnl::memory &from, const dnnl::memory &to);

}  // namespace tt
