// Winograd F(4x4, 3x3), in blocks of tiles that keep their transformed inputs V (36, T, C) and products M (36, T, F)
// in the core's L2 cache: transform the block's input windows, run the 36 products, transform the products back into
// the block's outputs (the weight gradient: transform the windows and dy, and add the products over the tiles; the
// input gradient: transform dy, run the products with each position's kernel transposed, and add them back into the
// tiles' windows). The
// transforms are AVX-512 adds and FMAs over 16 channels at a time, each 2-D transform a 1-D one over the rows and
// then over the columns; the products are tiles of up to 12 rows by 32 columns (24 zmm accumulators), each element
// one FMA chain in order over C (over the tiles for the weight gradient).
#include <elucid/core/kernels/winograd.hpp>

#include <elucid/core/error.hpp>
#include <elucid/core/kernels/bf16.hpp>
#include <elucid/core/kernels/gemm_avx512.hpp>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace elucid::kernels {

namespace {

// Each tile is kOut x kOut outputs from the kWindow x kWindow input window around it: kPositions products.
constexpr int kOut = 4;
constexpr int kWindow = kOut + 2;
constexpr int kPositions = kWindow * kWindow;

// Tiles per block: V (36, T, C) and M (36, T, F) together about 384 KB (Zen 4's L2 holds 1 MB), a whole number of
// product tiles.
constexpr int64_t kTileRows = 12;
constexpr int64_t kBlockFloats = int64_t{96} * 1024;
int64_t block_tiles(const Conv2DGeometry& g) {
  const int64_t tiles = kBlockFloats / (kPositions * (g.c + g.f));
  return std::max<int64_t>(kTileRows, tiles / kTileRows * kTileRows);
}

// Floats from one position's rows of V, M or the transformed dy to the next's in the scratch: the block's rows and
// one cache line more. The 36 positions of a tile are read or written together (a window's transform, a tile's
// products transformed back); without the extra line their rows would sit a multiple of 2 or 4 KB apart for the
// usual channel counts and share a few sets of the L1 cache.
int64_t position_stride(int64_t block, int64_t channels) { return block * channels + 16; }

// The kernel's transform for the points 0, 1, -1, 2, -2 and infinity, G (6, 3): u = G w G^T, and its adjoint
// dw = G^T du G.
constexpr float kG[6][3] = {{1.0f / 4, 0.0f, 0.0f},
                            {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                            {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                            {1.0f / 24, 1.0f / 12, 1.0f / 6},
                            {1.0f / 24, -1.0f / 12, 1.0f / 6},
                            {0.0f, 0.0f, 1.0f}};
constexpr float kGt[3][6] = {{kG[0][0], kG[1][0], kG[2][0], kG[3][0], kG[4][0], kG[5][0]},
                             {kG[0][1], kG[1][1], kG[2][1], kG[3][1], kG[4][1], kG[5][1]},
                             {kG[0][2], kG[1][2], kG[2][2], kG[3][2], kG[4][2], kG[5][2]}};

// Tiles per image: (tiles_h, tiles_w), the last row and column of tiles partly outside when OH or OW is not a
// multiple of 4.
int64_t tiles_h(const Conv2DGeometry& g) { return (g.oh + kOut - 1) / kOut; }
int64_t tiles_w(const Conv2DGeometry& g) { return (g.ow + kOut - 1) / kOut; }

}  // namespace

bool winograd_suits(const Conv2DGeometry& g) {
  // sgemm_avx512_suits: an AVX-512F CPU (the direct kernels this stands in for need it too), C and F <= 1024. The
  // tiles may cover at most twice the outputs: measured on Zen 4 (elucid-kernel-bench, forward and backward), 3x3
  // outputs (one tile of 16 for 9, 1.78x) ran in 0.87 of the direct kernels' time and 13x13 (16x16, 1.51x) in 0.9,
  // but 5x5 (8x8, 2.56x) took 1.4 times as long. Against the bf16 kernels, which multiply at twice the rate, at most
  // 1.6 times: 2.25 float32 products an output a tile covers against 4.5 bf16 ones (9 at twice the rate), and the
  // transforms' share on top; measured, the 3x3 outputs' forward (1.78x) was slower than the bf16 kernels' and
  // 11x11 outputs (12x12, 1.19x) were 0.9 of theirs, forward and backward.
  const int64_t covered = int64_t{kOut} * kOut * tiles_h(g) * tiles_w(g), outputs = g.oh * g.ow;
  const bool tiles_fit = g.bf16 ? 5 * covered <= 8 * outputs : covered <= 2 * outputs;
  return (!g.bf16 || cpu_has_avx512_bf16()) && g.kh == 3 && g.kw == 3 && g.stride_h == 1 && g.stride_w == 1 &&
         g.dilation_h == 1 && g.dilation_w == 1 && g.pad_top >= 0 && g.pad_top <= 2 && g.pad_left >= 0 &&
         g.pad_left <= 2 && g.h > 0 && g.w > 0 && g.oh > 0 && g.ow > 0 && g.c > 0 && g.f > 0 && g.c % 16 == 0 &&
         g.f % 16 == 0 && sgemm_avx512_suits(1, g.f, g.c) && tiles_fit;
}

int64_t winograd_kernel_floats(const Conv2DGeometry& g) { return kPositions * g.c * g.f; }

int64_t winograd_scratch_floats(const Conv2DGeometry& g) {
  const int64_t block = block_tiles(g);
  return kPositions * (position_stride(block, g.c) + position_stride(block, g.f));
}

int64_t winograd_weight_gradient_scratch_floats(const Conv2DGeometry& g) {
  return winograd_scratch_floats(g) + kPositions * g.c * g.f;
}

#if defined(__x86_64__)

namespace {

// out (O, O, C, F) = L in L^T for every (c, f), in (I, I, C, F), L (O, I): the elements e = c * F + f of each (C, F)
// matrix in blocks of 64 (innermost, so that the loops vectorise; C * F is a multiple of 256, as C and F are of 16 in
// every convolution winograd_suits). A block's I * I rows of in are copied into a local array first and its O * O
// rows of out written from one: the rows sit C * F floats apart, a multiple of 4 KB for the usual channel counts, so
// read and written in place they would all fall into the same few sets of the L1 cache and evict each other (about
// twice as slow). Each sum in order of its index: t = L in, then out = t L^T. Compiled for AVX-512 (Winograd runs on
// AVX-512 CPUs alone), whose FMAs the compiler may contract the sums into: the same bits on every such CPU.
template <int O, int I>
__attribute__((target("avx512f"))) void transform_pairs(const float (&L)[O][I], const float* in, int64_t cf, float* out) {
  constexpr int64_t kBlock = 64;
  alignas(64) float local_in[I][I][kBlock];
  alignas(64) float t[O][I][kBlock];
  alignas(64) float local_out[O][O][kBlock];
  for (int64_t e0 = 0; e0 < cf; e0 += kBlock) {
    for (int a = 0; a < I; ++a)
      for (int b = 0; b < I; ++b) std::copy_n(in + (a * I + b) * cf + e0, kBlock, local_in[a][b]);
    for (int i = 0; i < O; ++i)
      for (int b = 0; b < I; ++b)
        for (int64_t e = 0; e < kBlock; ++e) {
          float sum = L[i][0] * local_in[0][b][e];
          for (int a = 1; a < I; ++a) sum += L[i][a] * local_in[a][b][e];
          t[i][b][e] = sum;
        }
    for (int i = 0; i < O; ++i)
      for (int j = 0; j < O; ++j)
        for (int64_t e = 0; e < kBlock; ++e) {
          float sum = t[i][0][e] * L[j][0];
          for (int b = 1; b < I; ++b) sum += t[i][b][e] * L[j][b];
          local_out[i][j][e] = sum;
        }
    for (int i = 0; i < O; ++i)
      for (int j = 0; j < O; ++j) std::copy_n(local_out[i][j], kBlock, out + (i * O + j) * cf + e0);
  }
}

// Zeros for the cells of a window outside the image: as many as a pixel has channels at most (sgemm_avx512_suits).
constexpr int64_t kMaxChannels = 1024;
alignas(64) constexpr float kZeros[kMaxChannels] = {};

// The three 1-D transforms, each on 16 channels at once; a 2-D transform is the 1-D one over the rows, then over the
// columns of the result.

// t = B^T d for 6 values d, B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0;
// 0 4 0 -5 0 1] (the input window's transform).
__attribute__((target("avx512f"), always_inline)) inline void window_transform(const __m512 (&d)[6],
                                                                              __m512 (&t)[6]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
  t[0] = _mm512_fmadd_ps(four, d[0], _mm512_fnmadd_ps(five, d[2], d[4]));  // 4 d0 - 5 d2 + d4
  t[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(d[1], d[2]), _mm512_add_ps(d[3], d[4]));
  t[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(d[1], d[2]), _mm512_sub_ps(d[4], d[3]));
  const __m512 d42 = _mm512_sub_ps(d[4], d[2]), d31 = _mm512_sub_ps(d[3], d[1]);
  t[3] = _mm512_fmadd_ps(two, d31, d42);   // -2 d1 - d2 + 2 d3 + d4
  t[4] = _mm512_fnmadd_ps(two, d31, d42);  // 2 d1 - d2 - 2 d3 + d4
  t[5] = _mm512_fmadd_ps(four, d[1], _mm512_fnmadd_ps(five, d[3], d[5]));  // 4 d1 - 5 d3 + d5
}

// d = B t for 6 values t, the adjoint of window_transform (B^T's columns as rows): d = (4 t0, 4 (t2 - t1) + 2 (t4 -
// t3) + 4 t5, -5 t0 - 4 (t1 + t2) - (t3 + t4), (t1 - t2) + 2 (t3 - t4) - 5 t5, t0 + t1 + t2 + t3 + t4, t5).
__attribute__((target("avx512f"), always_inline)) inline void window_transform_adjoint(const __m512 (&t)[6],
                                                                                      __m512 (&d)[6]) {
  const __m512 zero = _mm512_setzero_ps(), two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f);
  const __m512 five = _mm512_set1_ps(5.0f);
  const __m512 s12 = _mm512_add_ps(t[1], t[2]), d21 = _mm512_sub_ps(t[2], t[1]);
  const __m512 s34 = _mm512_add_ps(t[3], t[4]), d43 = _mm512_sub_ps(t[4], t[3]);
  d[0] = _mm512_mul_ps(four, t[0]);
  d[1] = _mm512_fmadd_ps(four, _mm512_add_ps(d21, t[5]), _mm512_mul_ps(two, d43));
  d[2] = _mm512_sub_ps(zero, _mm512_fmadd_ps(five, t[0], _mm512_fmadd_ps(four, s12, s34)));
  d[3] = _mm512_sub_ps(zero, _mm512_fmadd_ps(five, t[5], _mm512_fmadd_ps(two, d43, d21)));
  d[4] = _mm512_add_ps(_mm512_add_ps(t[0], s12), s34);
  d[5] = t[5];
}

// o = A^T m for 6 values m, A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1] (the products' transform
// into outputs).
__attribute__((target("avx512f"), always_inline)) inline void product_transform(const __m512 (&m)[6],
                                                                               __m512 (&o)[4]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), eight = _mm512_set1_ps(8.0f);
  const __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
  const __m512 s34 = _mm512_add_ps(m[3], m[4]), d34 = _mm512_sub_ps(m[3], m[4]);
  o[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), s34);
  o[1] = _mm512_fmadd_ps(two, d34, d12);
  o[2] = _mm512_fmadd_ps(four, s34, s12);
  o[3] = _mm512_add_ps(_mm512_fmadd_ps(eight, d34, d12), m[5]);
}

// r = A g for 4 values g (the adjoint of product_transform: an output gradient's transform for the weight
// gradient): r = (g0, g0 + g1 + g2 + g3, g0 - g1 + g2 - g3, g0 + 2 g1 + 4 g2 + 8 g3, g0 - 2 g1 + 4 g2 - 8 g3, g3).
__attribute__((target("avx512f"), always_inline)) inline void gradient_transform(const __m512 (&g)[4],
                                                                                __m512 (&r)[6]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f);
  const __m512 s02 = _mm512_add_ps(g[0], g[2]), s13 = _mm512_add_ps(g[1], g[3]);
  const __m512 p = _mm512_fmadd_ps(four, g[2], g[0]), q = _mm512_fmadd_ps(four, g[3], g[1]);  // g0 + 4 g2, g1 + 4 g3
  r[0] = g[0];
  r[1] = _mm512_add_ps(s02, s13);
  r[2] = _mm512_sub_ps(s02, s13);
  r[3] = _mm512_fmadd_ps(two, q, p);
  r[4] = _mm512_fnmadd_ps(two, q, p);
  r[5] = g[3];
}

// v (36 positions, row step ldv) = B^T d B for the 6x6 window d of an image (H, W, C) whose pixels start at `at`
// (kZeros outside the image), channels [c0, c0 + 16) of each.
__attribute__((target("avx512f"))) void transform_window(const float* const (&at)[kWindow][kWindow], int64_t c0,
                                                         float* v, int64_t ldv) {
  __m512 e[kWindow][kWindow];  // d B, row by row
  for (int i = 0; i < kWindow; ++i) {
    __m512 d[kWindow];
    for (int j = 0; j < kWindow; ++j) d[j] = _mm512_loadu_ps(at[i][j] + c0);
    window_transform(d, e[i]);
  }
  for (int j = 0; j < kWindow; ++j) {
    const __m512 column[kWindow] = {e[0][j], e[1][j], e[2][j], e[3][j], e[4][j], e[5][j]};
    __m512 t[kWindow];
    window_transform(column, t);
    for (int i = 0; i < kWindow; ++i) _mm512_storeu_ps(v + (i * kWindow + j) * ldv, t[i]);
  }
}

// The adjoint of transform_window: B q B^T for a tile's 36 positions q (row step ldq), channels [c0, c0 + 16), added
// into the pixels of its 6x6 window at `at` (null outside the image).
__attribute__((target("avx512f"))) void transform_window_adjoint(const float* q, int64_t ldq, int64_t c0,
                                                                 float* const (&at)[kWindow][kWindow]) {
  __m512 e[kWindow][kWindow];  // B q, column by column
  for (int j = 0; j < kWindow; ++j) {
    __m512 column[kWindow], r[kWindow];
    for (int i = 0; i < kWindow; ++i) column[i] = _mm512_loadu_ps(q + (i * kWindow + j) * ldq);
    window_transform_adjoint(column, r);
    for (int i = 0; i < kWindow; ++i) e[i][j] = r[i];
  }
  for (int i = 0; i < kWindow; ++i) {
    __m512 d[kWindow];
    window_transform_adjoint(e[i], d);
    for (int j = 0; j < kWindow; ++j)
      if (at[i][j]) _mm512_storeu_ps(at[i][j] + c0, _mm512_add_ps(_mm512_loadu_ps(at[i][j] + c0), d[j]));
  }
}

// A tile's outputs, channels [f0, f0 + 16): A^T m A (+ bias), m the 36 positions' products (row step ldm); written
// (added to when kAdd) at out[i][j] where not null (outside the output).
template <bool kAdd>
__attribute__((target("avx512f"))) void transform_products(const float* m, int64_t ldm, const float* bias, int64_t f0,
                                                           float* const (&out)[kOut][kOut]) {
  __m512 s[kOut][kWindow];  // A^T m, column by column
  for (int j = 0; j < kWindow; ++j) {
    __m512 column[kWindow], o[kOut];
    for (int i = 0; i < kWindow; ++i) column[i] = _mm512_loadu_ps(m + (i * kWindow + j) * ldm);
    product_transform(column, o);
    for (int i = 0; i < kOut; ++i) s[i][j] = o[i];
  }
  const __m512 b = bias ? _mm512_loadu_ps(bias + f0) : _mm512_setzero_ps();
  for (int i = 0; i < kOut; ++i) {
    __m512 y[kOut];
    product_transform(s[i], y);
    for (int j = 0; j < kOut; ++j) {
      if (!out[i][j]) continue;
      float* at = out[i][j] + f0;
      __m512 value = bias ? _mm512_add_ps(y[j], b) : y[j];
      if constexpr (kAdd) value = _mm512_add_ps(_mm512_loadu_ps(at), value);
      _mm512_storeu_ps(at, value);
    }
  }
}

// d (36 positions, row step ldd) = A dy A^T for a tile's 4x4 outputs dy (kZeros outside the output), channels
// [f0, f0 + 16): the adjoint of transform_products.
__attribute__((target("avx512f"))) void transform_output_gradient(const float* const (&dy)[kOut][kOut], int64_t f0,
                                                                  float* d, int64_t ldd) {
  __m512 h[kOut][kWindow];  // dy A^T, row by row
  for (int i = 0; i < kOut; ++i) {
    __m512 g[kOut];
    for (int j = 0; j < kOut; ++j) g[j] = _mm512_loadu_ps(dy[i][j] + f0);
    gradient_transform(g, h[i]);
  }
  for (int j = 0; j < kWindow; ++j) {
    const __m512 column[kOut] = {h[0][j], h[1][j], h[2][j], h[3][j]};
    __m512 r[kWindow];
    gradient_transform(column, r);
    for (int i = 0; i < kWindow; ++i) _mm512_storeu_ps(d + (i * kWindow + j) * ldd, r[i]);
  }
}

// c (R, 16 * V) = a (R, depth) * b (depth, 16 * V; row step ldb), a(r, k) at a[r * a_row + k * a_step]: R x V
// accumulators, each element one FMA chain over depth, from 0 or, when kAccumulate, from c's value.
template <int R, int V, bool kAccumulate>
__attribute__((target("avx512f"))) void product_tile(const float* a, int64_t a_row, int64_t a_step, const float* b,
                                                     int64_t ldb, float* c, int64_t ldc, int64_t depth) {
  __m512 acc[R][V];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int64_t v = 0; v < V; ++v) acc[r][v] = kAccumulate ? _mm512_loadu_ps(c + r * ldc + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < depth; ++k) {
    __m512 bk[V];
#pragma GCC unroll 2
    for (int64_t v = 0; v < V; ++v) bk[v] = _mm512_loadu_ps(b + k * ldb + 16 * v);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r * a_row + k * a_step]);
#pragma GCC unroll 2
      for (int64_t v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(ar, bk[v], acc[r][v]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int64_t v = 0; v < V; ++v) _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
}

using ProductTile = void (*)(const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, int64_t);
template <int V, bool kAccumulate, size_t... R>
constexpr std::array<ProductTile, kTileRows> product_tiles(std::index_sequence<R...>) {
  return {&product_tile<static_cast<int>(R) + 1, V, kAccumulate>...};
}
// kProductTiles[kAccumulate][V - 1][R - 1]: the tile of R rows and V vectors.
constexpr auto kRows = std::make_index_sequence<kTileRows>();
constexpr std::array<std::array<std::array<ProductTile, kTileRows>, 2>, 2> kProductTiles = {{
    {product_tiles<1, false>(kRows), product_tiles<2, false>(kRows)},
    {product_tiles<1, true>(kRows), product_tiles<2, true>(kRows)},
}};

// c (rows, n) = (or += when `accumulate`) a (rows, depth) * b (depth, n), n a multiple of 16, a(r, k) at
// a[r * a_row + k * a_step]: tiles of up to 12 rows by 32 columns.
void product(const float* a, int64_t a_row, int64_t a_step, int64_t rows, int64_t depth, const float* b, int64_t n,
             bool accumulate, float* c) {
  for (int64_t j = 0; j < n; j += 32) {
    const int64_t vectors = std::min<int64_t>(2, (n - j) / 16);
    for (int64_t i = 0; i < rows; i += kTileRows) {
      const int64_t r = std::min(kTileRows, rows - i);
      kProductTiles[accumulate][vectors - 1][r - 1](a + i * a_row, a_row, a_step, b + j, n, c + i * n + j, n, depth);
    }
  }
}

// out[p] (count, n) = in[p] (count, depth) * kernel[p] (depth, n) for the 36 positions p, in[p] and out[p] ld_in and
// ld_out floats apart: one FMA chain per element over depth.
void position_products(const float* in, int64_t ld_in, int64_t count, int64_t depth, const float* kernel, int64_t n,
                       float* out, int64_t ld_out) {
  for (int p = 0; p < kPositions; ++p)
    product(in + p * ld_in, depth, 1, count, depth, kernel + p * depth * n, n, false, out + p * ld_out);
}

// Tile t of images (samples, tiles_h, tiles_w): its image and the row and column of its first output.
struct TilePlace {
  int64_t image, row, column;
};
TilePlace place_of(const Conv2DGeometry& g, int64_t t) {
  const int64_t per_image = tiles_h(g) * tiles_w(g), in_image = t % per_image;
  return {t / per_image, kOut * (in_image / tiles_w(g)), kOut * (in_image % tiles_w(g))};
}

// at[i][j] = where pixel (i, j) of tile t's window sits in images x (samples, H, W, C), `outside` where it falls
// outside the image. The window of a tile whose first output is (row, column) starts at (row - pad_top, column -
// pad_left).
template <typename T>
void window_pixels(const Conv2DGeometry& g, T* x, int64_t t, T* outside, T* (&at)[kWindow][kWindow]) {
  const TilePlace tile = place_of(g, t);
  T* image = x + tile.image * g.h * g.w * g.c;
  for (int i = 0; i < kWindow; ++i)
    for (int j = 0; j < kWindow; ++j) {
      const int64_t iy = tile.row - g.pad_top + i, ix = tile.column - g.pad_left + j;
      at[i][j] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? image + (iy * g.w + ix) * g.c : outside;
    }
}

// The windows of tiles [t0, t0 + count) of images x, transformed: v (36, count, C), position p's rows from v + p * ldv.
void transform_windows(const Conv2DGeometry& g, const float* x, int64_t t0, int64_t count, float* v, int64_t ldv) {
  for (int64_t tl = 0; tl < count; ++tl) {
    const float* at[kWindow][kWindow];
    window_pixels(g, x, t0 + tl, kZeros, at);
    for (int64_t c0 = 0; c0 < g.c; c0 += 16) transform_window(at, c0, v + tl * g.c + c0, ldv);
  }
}

// out[i][j] = where tile t's output (row + i, column + j) sits in y (samples, OH, OW, F), null outside the output.
template <typename T>
void tile_outputs(const Conv2DGeometry& g, T* y, int64_t t, T* (&out)[kOut][kOut]) {
  const TilePlace tile = place_of(g, t);
  T* image = y + tile.image * g.oh * g.ow * g.f;
  for (int i = 0; i < kOut; ++i)
    for (int j = 0; j < kOut; ++j) {
      const int64_t oy = tile.row + i, ox = tile.column + j;
      out[i][j] = oy < g.oh && ox < g.ow ? image + (oy * g.ow + ox) * g.f : nullptr;
    }
}

// The output gradients of tiles [t0, t0 + count) of dy (samples, OH, OW, F), transformed: d (36, count, F) = A dy A^T
// per tile (zeros outside the output), position p's rows from d + p * ldd.
void transform_output_gradients(const Conv2DGeometry& g, const float* dy, int64_t t0, int64_t count, float* d,
                                int64_t ldd) {
  for (int64_t tl = 0; tl < count; ++tl) {
    const float* at[kOut][kOut];
    tile_outputs(g, dy, t0 + tl, at);
    for (auto& row : at)
      for (const float*& cell : row) cell = cell ? cell : kZeros;  // outside the output: zeros
    for (int64_t f0 = 0; f0 < g.f; f0 += 16) transform_output_gradient(at, f0, d + tl * g.f + f0, ldd);
  }
}

}  // namespace

void winograd_transform_kernel(const Conv2DGeometry& g, const float* w, float* u) {
  if (!winograd_suits(g)) throw Error("winograd_transform_kernel: called for a convolution it does not suit");
  transform_pairs(kG, w, g.c * g.f, u);  // u = G w G^T per (c, f)
}

void winograd_forward(const Conv2DGeometry& g, const float* x, int64_t samples, const float* u, const float* b,
                      bool add, float* y, float* scratch) {
  if (!winograd_suits(g)) throw Error("winograd_forward: called for a convolution it does not suit");
  const int64_t tiles = samples * tiles_h(g) * tiles_w(g), block = block_tiles(g);
  const int64_t ldv = position_stride(block, g.c), ldm = position_stride(block, g.f);
  float* v = scratch;                    // (36, block, C), positions ldv apart
  float* m = scratch + kPositions * ldv;  // (36, block, F), positions ldm apart
  for (int64_t t0 = 0; t0 < tiles; t0 += block) {
    const int64_t count = std::min(block, tiles - t0);
    transform_windows(g, x, t0, count, v, ldv);
    position_products(v, ldv, count, g.c, u, g.f, m, ldm);
    for (int64_t tl = 0; tl < count; ++tl) {
      float* out[kOut][kOut];
      tile_outputs(g, y, t0 + tl, out);
      for (int64_t f0 = 0; f0 < g.f; f0 += 16) {
        if (add)
          transform_products<true>(m + tl * g.f + f0, ldm, b, f0, out);
        else
          transform_products<false>(m + tl * g.f + f0, ldm, b, f0, out);
      }
    }
  }
}

void winograd_weight_gradient(const Conv2DGeometry& g, const float* x, int64_t samples, const float* dy, float* dw,
                              float* scratch) {
  if (!winograd_suits(g)) throw Error("winograd_weight_gradient: called for a convolution it does not suit");
  const int64_t tiles = samples * tiles_h(g) * tiles_w(g), block = block_tiles(g), cf = g.c * g.f;
  const int64_t ldv = position_stride(block, g.c), ldd = position_stride(block, g.f);
  float* v = scratch;                                    // (36, block, C), positions ldv apart
  float* d = scratch + kPositions * ldv;                  // (36, block, F), positions ldd apart
  float* du = scratch + kPositions * (ldv + ldd);         // (36, C, F)
  for (int64_t t0 = 0; t0 < tiles; t0 += block) {
    const int64_t count = std::min(block, tiles - t0);
    transform_windows(g, x, t0, count, v, ldv);
    transform_output_gradients(g, dy, t0, count, d, ldd);
    // du[p] (C, F) += v[p]^T (C, count) * d[p] (count, F): one FMA chain per element over the chunk's tiles in order.
    for (int p = 0; p < kPositions; ++p)
      product(v + p * ldv, 1, g.c, g.c, count, d + p * ldd, g.f, t0 > 0, du + p * cf);
  }
  transform_pairs(kGt, du, cf, dw);  // dw (3, 3, C, F) = G^T du G per (c, f)
}

void winograd_transform_kernel_for_input_gradient(const Conv2DGeometry& g, const float* w, float* ut) {
  if (!winograd_suits(g))
    throw Error("winograd_transform_kernel_for_input_gradient: called for a convolution it does not suit");
  thread_local std::vector<float> swapped;  // w (3, 3, F, C): each tap's (C, F) matrix transposed
  swapped.resize(static_cast<size_t>(9 * g.c * g.f));
  // In blocks of 16 x 16 (C and F are multiples of 16), whose rows and columns both stay in L1.
  for (int64_t tap = 0; tap < 9; ++tap)
    for (int64_t c0 = 0; c0 < g.c; c0 += 16)
      for (int64_t f0 = 0; f0 < g.f; f0 += 16) {
        const float* from = w + (tap * g.c + c0) * g.f + f0;
        float* to = swapped.data() + (tap * g.f + f0) * g.c + c0;
        for (int64_t f = 0; f < 16; ++f)
          for (int64_t c = 0; c < 16; ++c) to[f * g.c + c] = from[c * g.f + f];
      }
  transform_pairs(kG, swapped.data(), g.c * g.f, ut);  // ut = G w G^T per (f, c)
}

void winograd_input_gradient(const Conv2DGeometry& g, const float* dy, int64_t samples, const float* ut, bool add,
                             float* dx, float* scratch) {
  if (!winograd_suits(g)) throw Error("winograd_input_gradient: called for a convolution it does not suit");
  const int64_t tiles = samples * tiles_h(g) * tiles_w(g), block = block_tiles(g);
  const int64_t ldd = position_stride(block, g.f), ldq = position_stride(block, g.c);
  float* d = scratch;                    // (36, block, F), positions ldd apart
  float* q = scratch + kPositions * ldd;  // (36, block, C), positions ldq apart
  if (!add) std::fill_n(dx, samples * g.h * g.w * g.c, 0.0f);
  for (int64_t t0 = 0; t0 < tiles; t0 += block) {
    const int64_t count = std::min(block, tiles - t0);
    transform_output_gradients(g, dy, t0, count, d, ldd);
    position_products(d, ldd, count, g.f, ut, g.c, q, ldq);  // q[p] (count, C) = d[p] (count, F) * ut[p] (F, C)
    // Each tile's window gets B q B^T, the tiles in order (neighbouring windows share 2 rows or columns).
    for (int64_t tl = 0; tl < count; ++tl) {
      float* at[kWindow][kWindow];
      window_pixels(g, dx, t0 + tl, static_cast<float*>(nullptr), at);
      for (int64_t c0 = 0; c0 < g.c; c0 += 16) transform_window_adjoint(q + tl * g.c + c0, ldq, c0, at);
    }
  }
}

#else

void winograd_transform_kernel(const Conv2DGeometry&, const float*, float*) {
  throw Error("winograd_transform_kernel: this build is not for x86-64");
}

void winograd_forward(const Conv2DGeometry&, const float*, int64_t, const float*, const float*, bool, float*, float*) {
  throw Error("winograd_forward: this build is not for x86-64");
}

void winograd_weight_gradient(const Conv2DGeometry&, const float*, int64_t, const float*, float*, float*) {
  throw Error("winograd_weight_gradient: this build is not for x86-64");
}

void winograd_transform_kernel_for_input_gradient(const Conv2DGeometry&, const float*, float*) {
  throw Error("winograd_transform_kernel_for_input_gradient: this build is not for x86-64");
}

void winograd_input_gradient(const Conv2DGeometry&, const float*, int64_t, const float*, bool, float*, float*) {
  throw Error("winograd_input_gradient: this build is not for x86-64");
}

#endif

}  // namespace elucid::kernels
