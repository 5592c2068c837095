// winograd_avx2.cpp: tunetorch's Winograd F(4x4, 3x3) convolution for AVX2
// CPUs (winograd_avx2.h).
//
// Lavin and Gray's algorithm ("Fast Algorithms for Convolutional Neural
// Networks", 2015) with the interpolation points 0, +-1, +-2 and infinity:
// each 6x6 input tile d (4x4 outputs and the 3x3 kernel's border) becomes
// B^T d B, each 3x3 kernel g becomes U = G g G^T, and the 4x4 outputs are
// A^T M A, where M sums over the input channels the elementwise products of
// the transformed tiles and kernels: at each of the 36 positions, a matrix
// product of [tiles, c] by [c, k]. Those products are most of the work; a
// register-blocked kernel (6 tiles x 16 output channels of accumulators,
// the weights laid out for it) does them. The tiles go in blocks whose
// transforms fit in 4 MB (more where the weights are large, see
// block_bytes); within a block each step (input transform, products,
// output transform with bias, residual and ReLU) is split over libtorch's
// threads.
#include "winograd_avx2.h"

#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tt {

namespace {

constexpr int kAlpha = 6;                // tile side: 4 outputs + 3 - 1
constexpr int kPositions = kAlpha * kAlpha;
constexpr int kLanes = 8;                // channels per block of nChw8c, floats per AVX2 register
constexpr int kStrip = 16;               // output channels per weight strip: two registers
constexpr int kRows = 6;                 // tiles per register block of the products
constexpr int64_t kBlockBytes = int64_t(4) << 20;       // transformed tiles of one block, in and out
constexpr int64_t kCachedWeightBytes = int64_t(16) << 20;  // transformed weights a CPU's caches keep between blocks
constexpr int64_t kLargestBlockBytes = int64_t(32) << 20;  // the scratch a block may take for large weights

// Lavin and Gray's G for F(4x4, 3x3).
const double kG[kAlpha][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};

}  // namespace

void winograd_avx2_weights(const float *w, int64_t k, int64_t c, float *u) {
  const int64_t strips = k / kStrip;
  at::parallel_for(0, k, 1, [&](int64_t first, int64_t last) {
    for (int64_t o = first; o < last; ++o) {
      for (int64_t i = 0; i < c; ++i) {
        const float *g = w + (o * c + i) * 9;
        double t[kAlpha][3];  // G g
        for (int a = 0; a < kAlpha; ++a)
          for (int j = 0; j < 3; ++j) t[a][j] = kG[a][0] * g[j] + kG[a][1] * g[3 + j] + kG[a][2] * g[6 + j];
        for (int a = 0; a < kAlpha; ++a)
          for (int b = 0; b < kAlpha; ++b) {
            double v = t[a][0] * kG[b][0] + t[a][1] * kG[b][1] + t[a][2] * kG[b][2];
            int64_t pos = a * kAlpha + b;
            u[((pos * strips + o / kStrip) * c + i) * kStrip + o % kStrip] = static_cast<float>(v);
          }
      }
    }
  });
}

bool winograd_avx2_fits(int64_t c, int64_t k) { return c > 0 && k > 0 && c % kLanes == 0 && k % kStrip == 0; }

#if defined(__x86_64__)

bool winograd_avx2_supported() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

namespace {

#define TT_AVX2 __attribute__((target("avx2,fma")))

// The most bytes of transformed tiles (in and out) a block of a
// convolution with c input and k output channels takes. Each block reads
// all the transformed weights (36·c·k floats): 4 MB blocks keep the tiles
// in the caches, and weights up to kCachedWeightBytes stay there too.
// Larger ones come from memory once a block, so a block then takes half
// their size, up to kLargestBlockBytes: at most two passes over them below
// 64 MB of weights, where 4 MB blocks would make one per 4 MB of tiles
// (ResNet-34's 512-channel layers, 38 MB of weights, at batch 32: two
// instead of six; 14.5-15.1 against 17.0-17.8 ms a convolution on the Zen
// 5 VM of stop 46, the other layers unchanged).
int64_t block_bytes(int64_t c, int64_t k) {
  const int64_t weights = int64_t(kPositions) * c * k * int64_t(sizeof(float));
  return weights > kCachedWeightBytes ? std::clamp(weights / 2, kBlockBytes, kLargestBlockBytes) : kBlockBytes;
}

// o = B^T d for one column of six registers.
TT_AVX2 inline void input_rows(const __m256 d[kAlpha], __m256 o[kAlpha]) {
  const __m256 two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), five = _mm256_set1_ps(5.f);
  o[0] = _mm256_fmadd_ps(four, d[0], _mm256_fnmadd_ps(five, d[2], d[4]));
  o[1] = _mm256_fnmadd_ps(four, _mm256_add_ps(d[1], d[2]), _mm256_add_ps(d[3], d[4]));
  o[2] = _mm256_fmadd_ps(four, _mm256_sub_ps(d[1], d[2]), _mm256_sub_ps(d[4], d[3]));
  o[3] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[3], d[1]), _mm256_sub_ps(d[4], d[2]));
  o[4] = _mm256_fmadd_ps(two, _mm256_sub_ps(d[1], d[3]), _mm256_sub_ps(d[4], d[2]));
  o[5] = _mm256_fmadd_ps(four, d[1], _mm256_fnmadd_ps(five, d[3], d[5]));
}

// o = A^T m for one column of six registers.
TT_AVX2 inline void output_rows(const __m256 m[kAlpha], __m256 o[4]) {
  const __m256 two = _mm256_set1_ps(2.f), four = _mm256_set1_ps(4.f), eight = _mm256_set1_ps(8.f);
  __m256 p12 = _mm256_add_ps(m[1], m[2]), m12 = _mm256_sub_ps(m[1], m[2]);
  __m256 p34 = _mm256_add_ps(m[3], m[4]), m34 = _mm256_sub_ps(m[3], m[4]);
  o[0] = _mm256_add_ps(_mm256_add_ps(m[0], p12), p34);
  o[1] = _mm256_fmadd_ps(two, m34, m12);
  o[2] = _mm256_fmadd_ps(four, p34, p12);
  o[3] = _mm256_add_ps(_mm256_fmadd_ps(eight, m34, m12), m[5]);
}

// Where a tile's corner lies: image n, first input row and column.
struct Tile {
  int64_t n, y, x;
};

Tile tile_at(int64_t tiles_w, int64_t tiles_per_image, int64_t t) {
  int64_t n = t / tiles_per_image, r = t % tiles_per_image;
  return {n, (r / tiles_w) * 4, (r % tiles_w) * 4};
}

// The transformed input tiles first..last of the block starting at tile
// base into v ([36][rows][c]); past the last real tile, zeros.
TT_AVX2 void transform_inputs(const WinogradShape &s, const float *x, int64_t base, int64_t real, int64_t rows,
                              int64_t first, int64_t last, float *v) {
  const int64_t tiles_w = (s.w + 3) / 4, tiles_per_image = tiles_w * ((s.h + 3) / 4);
  const int64_t cb_count = s.c / kLanes, plane = s.h * s.w * kLanes;
  for (int64_t t = first; t < last; ++t) {
    if (t >= real) {
      for (int p = 0; p < kPositions; ++p) std::memset(v + (p * rows + t) * s.c, 0, s.c * sizeof(float));
      continue;
    }
    Tile tile = tile_at(tiles_w, tiles_per_image, base + t);
    int64_t y0 = tile.y - 1, x0 = tile.x - 1;
    bool inside = y0 >= 0 && x0 >= 0 && y0 + kAlpha <= s.h && x0 + kAlpha <= s.w;
    for (int64_t cb = 0; cb < cb_count; ++cb) {
      const float *src = x + (tile.n * cb_count + cb) * plane;
      __m256 d[kAlpha][kAlpha];
      for (int r = 0; r < kAlpha; ++r)
        for (int q = 0; q < kAlpha; ++q) {
          int64_t iy = y0 + r, ix = x0 + q;
          if (inside || (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w))
            d[r][q] = _mm256_loadu_ps(src + (iy * s.w + ix) * kLanes);
          else
            d[r][q] = _mm256_setzero_ps();
        }
      __m256 col[kAlpha], rows_t[kAlpha][kAlpha];  // rows_t[a][q] = (B^T d)[a][q]
      for (int q = 0; q < kAlpha; ++q) {
        for (int r = 0; r < kAlpha; ++r) col[r] = d[r][q];
        __m256 o[kAlpha];
        input_rows(col, o);
        for (int a = 0; a < kAlpha; ++a) rows_t[a][q] = o[a];
      }
      for (int a = 0; a < kAlpha; ++a) {
        __m256 o[kAlpha];
        input_rows(rows_t[a], o);  // (B^T d B)[a][b] = sum_q (B^T d)[a][q] B[q][b]
        for (int b = 0; b < kAlpha; ++b) _mm256_storeu_ps(v + ((a * kAlpha + b) * rows + t) * s.c + cb * kLanes, o[b]);
      }
    }
  }
}

// m[t][0..16) = sum_c v[t][c] u[c][0..16) for the rows tiles of one
// position and one strip of 16 output channels (u: [c][16]; m's rows k
// apart).
TT_AVX2 void multiply_strip(const float *v, int64_t c, const float *u, int64_t rows, float *m, int64_t k) {
  for (int64_t t = 0; t < rows; t += kRows) {
    const float *a0 = v + t * c, *a1 = a0 + c, *a2 = a1 + c, *a3 = a2 + c, *a4 = a3 + c, *a5 = a4 + c;
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
           c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *b = u;
// One tile's row of the block: its input channel i broadcast, times the
// strip's two registers of weights, into its two accumulators.
#define TT_ROW(a, c0, c1)                        \
  {                                              \
    __m256 av = _mm256_broadcast_ss((a) + i);    \
    c0 = _mm256_fmadd_ps(av, b0, c0);            \
    c1 = _mm256_fmadd_ps(av, b1, c1);            \
  }
    for (int64_t i = 0; i < c; ++i, b += kStrip) {
      __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      TT_ROW(a0, c00, c01)
      TT_ROW(a1, c10, c11)
      TT_ROW(a2, c20, c21)
      TT_ROW(a3, c30, c31)
      TT_ROW(a4, c40, c41)
      TT_ROW(a5, c50, c51)
    }
#undef TT_ROW
    float *o = m + t * k;
    const __m256 out[kRows][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int r = 0; r < kRows; ++r, o += k) {
      _mm256_storeu_ps(o, out[r][0]);
      _mm256_storeu_ps(o + 8, out[r][1]);
    }
  }
}

// The outputs of tiles first..last (< real) of the block starting at tile
// base, from m ([36][rows][k]), with bias, residual and ReLU.
TT_AVX2 void transform_outputs(const WinogradShape &s, const float *m, int64_t base, int64_t rows, int64_t first,
                               int64_t last, const float *bias, const float *residual, bool relu, float *y) {
  const int64_t tiles_w = (s.w + 3) / 4, tiles_per_image = tiles_w * ((s.h + 3) / 4);
  const int64_t kb_count = s.k / kLanes, plane = s.h * s.w * kLanes;
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t t = first; t < last; ++t) {
    Tile tile = tile_at(tiles_w, tiles_per_image, base + t);
    for (int64_t kb = 0; kb < kb_count; ++kb) {
      __m256 cols[kAlpha][4];  // cols[q][a] = (A^T M)[a][q]
      for (int q = 0; q < kAlpha; ++q) {
        __m256 col[kAlpha];
        for (int r = 0; r < kAlpha; ++r) col[r] = _mm256_loadu_ps(m + ((r * kAlpha + q) * rows + t) * s.k + kb * kLanes);
        output_rows(col, cols[q]);
      }
      __m256 b = bias ? _mm256_loadu_ps(bias + kb * kLanes) : zero;
      int64_t offset = (tile.n * kb_count + kb) * plane;
      for (int a = 0; a < 4; ++a) {
        int64_t oy = tile.y + a;
        if (oy >= s.h) break;
        __m256 row[kAlpha], out[4];
        for (int q = 0; q < kAlpha; ++q) row[q] = cols[q][a];
        output_rows(row, out);  // (A^T M A)[a][j]
        for (int j = 0; j < 4; ++j) {
          int64_t ox = tile.x + j;
          if (ox >= s.w) break;
          int64_t at = offset + (oy * s.w + ox) * kLanes;
          __m256 val = _mm256_add_ps(out[j], b);
          if (residual) val = _mm256_add_ps(val, _mm256_loadu_ps(residual + at));
          if (relu) val = _mm256_max_ps(val, zero);
          _mm256_storeu_ps(y + at, val);
        }
      }
    }
  }
}

}  // namespace

void winograd_avx2_forward(const WinogradShape &s, const float *x, const float *u, const float *bias,
                           const float *residual, bool relu, float *y) {
  TORCH_CHECK(winograd_avx2_supported(), "tunetorch's Winograd convolution needs AVX2 and FMA");
  TORCH_CHECK(winograd_avx2_fits(s.c, s.k), "tunetorch's Winograd convolution: ", s.c, " input and ", s.k,
              " output channels (want multiples of 8 and 16)");
  const int64_t tiles = s.n * ((s.h + 3) / 4) * ((s.w + 3) / 4);
  if (tiles == 0) return;
  // Blocks of tiles whose transforms (in and out) fit in block_bytes, as
  // even as the register blocks allow.
  const int64_t per_tile = int64_t(kPositions) * (s.c + s.k) * int64_t(sizeof(float));
  int64_t most = std::max<int64_t>(kRows, block_bytes(s.c, s.k) / per_tile / kRows * kRows);
  int64_t blocks = (tiles + most - 1) / most;
  int64_t rows = ((tiles + blocks - 1) / blocks + kRows - 1) / kRows * kRows;
  auto scratch = c10::GetCPUAllocator()->allocate(size_t(rows) * per_tile);
  float *v = static_cast<float *>(scratch.get()), *m = v + int64_t(kPositions) * rows * s.c;
  const int64_t strips = s.k / kStrip;
  for (int64_t base = 0; base < tiles; base += rows) {
    int64_t real = std::min(rows, tiles - base);
    at::parallel_for(0, rows, 1, [&](int64_t first, int64_t last) {
      transform_inputs(s, x, base, real, rows, first, last, v);
    });
    at::parallel_for(0, int64_t(kPositions) * strips, 1, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) {
        int64_t p = i / strips, strip = i % strips;
        multiply_strip(v + p * rows * s.c, s.c, u + (p * strips + strip) * s.c * kStrip, rows,
                       m + p * rows * s.k + strip * kStrip, s.k);
      }
    });
    at::parallel_for(0, real, 1, [&](int64_t first, int64_t last) {
      transform_outputs(s, m, base, rows, first, last, bias, residual, relu, y);
    });
  }
}

#else  // not x86-64

bool winograd_avx2_supported() { return false; }

void winograd_avx2_forward(const WinogradShape &, const float *, const float *, const float *, const float *, bool,
                           float *) {
  TORCH_CHECK(false, "tunetorch's Winograd convolution needs an x86-64 CPU with AVX2 and FMA");
}

#endif

}  // namespace tt
